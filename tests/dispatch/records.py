"""Dispatch records for tests: expert groups by name, a pool of appointed experts, a usage
request made through the service. Plain functions like tests/factories.py, called inside the
``app`` fixture; a request's unit is passed in (the ``section`` fixture in most tests).
"""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.services.dispatch import usage_requests
from models import ExpertGroup
from tests import factories

# A Monday with no holiday around it, so dates in tests read plainly.
MONDAY = dt.date(2026, 6, 8)


def group_ids(*names):
    """The ids of the seeded expert groups ``names`` (a request's 专家组别)."""
    return [db.session.scalar(select(ExpertGroup.id).where(ExpertGroup.name == n)) for n in names]


def pool(n, groups=("化工",), **kw):
    """``n`` appointed, dispatchable experts of ``groups`` (专家组别)."""
    return [factories.appointed_expert(start=dt.date(2026, 1, 1), groups=groups, **kw) for _ in range(n)]


def new_request(unit, **overrides):
    """A UsageRequest of ``unit`` through the service: an inspection of one new enterprise on
    MONDAY and the day after, 2 experts and 2 backups, entered a week before (today = MONDAY - 7)."""
    enterprises = overrides.pop("enterprises", None) or [factories.enterprise()]
    args = dict(unit=unit, activity_type="inspection", subject="危化品企业执法检查",
                start_date=MONDAY, end_date=MONDAY + dt.timedelta(days=1), groups=group_ids("化工"),
                enterprises=enterprises, headcount=2, backups=2, today=MONDAY - dt.timedelta(days=7))
    args.update(overrides)
    return usage_requests.create_request(**args)
