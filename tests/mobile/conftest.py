"""Fixtures for the phone workspace: a town with an inspector, a pool of experts, a job.

The clock is frozen on Monday 8 June 2026, 10:00 Beijing time, a working day far from any
holiday, so deadlines read plainly (the town's second quarter is due on 25 June).
"""
import datetime as dt

import pytest

from app import clock
from app.extensions import db
from app.services.dispatch import draws, usage_requests
from tests import factories
from tests.dispatch.conftest import group_ids

MONDAY = dt.date(2026, 6, 8)
NOW = dt.datetime(2026, 6, 8, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
MOBILE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/126.0 Mobile Safari/537.36")
DESKTOP_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0 Safari/537.36")


@pytest.fixture(autouse=True)
def frozen_clock(app):
    with clock.frozen(NOW):
        yield


@pytest.fixture
def town(app):
    unit = factories.org_unit(name="湖塘镇", kind="town")
    db.session.commit()
    return unit


@pytest.fixture
def other_town(app):
    unit = factories.org_unit(name="牛塘镇", kind="town")
    db.session.commit()
    return unit


@pytest.fixture
def inspector(login_as, town):
    """The town's inspector, logged in."""
    return login_as("town", org_unit_=town, username="zhangwei", full_name="张伟")


@pytest.fixture
def pool(app):
    """Four dispatchable 化工 experts."""
    experts = [factories.appointed_expert(start=dt.date(2026, 1, 1), name=name, groups=("化工",))
               for name in ("王建国", "李志强", "赵明", "孙丽")]
    db.session.commit()
    return experts


@pytest.fixture
def enterprise(app):
    ent = factories.enterprise(name="常州华润化工有限公司", address="武进区湖塘镇长虹路8号")
    db.session.commit()
    return ent


def make_job(unit, enterprise, *, start=MONDAY + dt.timedelta(days=2), days=1, headcount=1, backups=1,
             drawn=True, subject="危险化学品企业专项执法检查", **kw):
    """A request of ``unit`` through the service, drawn unless told otherwise."""
    req = usage_requests.create_request(
        unit=unit, activity_type=kw.pop("activity_type", "inspection"), subject=subject, start_date=start,
        end_date=start + dt.timedelta(days=days - 1), groups=group_ids("化工"), enterprises=[enterprise],
        headcount=headcount, backups=backups, **kw)
    if drawn and not req.emergency:
        draws.draw(req)
    db.session.commit()
    return req


@pytest.fixture
def job(town, pool, enterprise):
    """The town's job on Wednesday, one expert drawn and one backup."""
    return make_job(town, enterprise)


def finish(req, *, accept=True, complete=True, units=None):
    """The job's drawn expert accepts and (unless told otherwise) is recorded as done."""
    from app.services.dispatch import completion, responses

    a = next(x for x in req.assignments if not x.is_backup)
    if accept:
        responses.respond(a, "accepted")
    if accept and complete:
        started = None
        if req.activity_type == "emergency":
            started = dt.datetime.combine(req.start_date, dt.time(10))
        completion.complete_assignment(a, attended=True, units=units, service_date=req.start_date, started_at=started)
    db.session.commit()
    return a


def evaluate(user, assignment, variant="A", on=None):
    """An evaluation of ``assignment`` by ``user``'s unit, every item at full marks."""
    import uuid

    from app.services.scoring import evaluations as scoring
    from tests.scoring.conftest import full_scores

    form = scoring.current_form()
    entry = scoring.EvaluationEntry(
        form_id=form.id, variant=variant, expert_id=assignment.expert_id, assignment_id=assignment.id,
        enterprise_name="常州华润化工有限公司", matter="执法检查", evaluator_name="张伟",
        evaluated_on=(on or clock.today()).isoformat(), scores=full_scores(form, variant))
    ev, _ = scoring.save_evaluation(entry, by=user, client_uuid=str(uuid.uuid4()))
    db.session.commit()
    return ev
