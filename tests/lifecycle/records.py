"""Lifecycle records for tests: applicants who meet 第十一条 and applications at any step of
第十二条, and the review trail an application left. Plain functions like tests/factories.py.
"""
import datetime as dt
import itertools

from app.extensions import db as _db
from models import Application, ReviewStep
from tests import factories

_seq = itertools.count(1)


def make_applicant(**kw):
    """An expert who meets every condition of 第十一条 except the test (stage 申请中)."""
    fields = dict(stage="applicant", education="bachelor", title_level="intermediate", title="工程师",
                  field_start_year=2005, health_declared=True, ethics_declared=True, birth=dt.date(1975, 5, 17))
    fields.update(kw)
    return factories.expert(**fields)


def make_application(expert=None, state="submitted", **kw):
    """An application in ``state`` (no trail: the tests walk the trail themselves)."""
    expert = expert or make_applicant()
    n = next(_seq)
    application = Application(receipt_no=kw.pop("receipt_no", f"TJ2026-TEST-{n:04d}-AAAA"), expert=expert,
                              channel=kw.pop("channel", "town"), state=state, **kw)
    _db.session.add(application)
    _db.session.flush()
    return application


def steps_of(application):
    return [(s.from_state, s.to_state) for s in _db.session.query(ReviewStep).filter_by(
        application_id=application.id).order_by(ReviewStep.id)]
