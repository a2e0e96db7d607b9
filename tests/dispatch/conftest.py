"""Fixtures for the dispatch area: units, a pool of appointed experts, requests."""
import datetime as dt

import pytest

from app.services.dispatch import usage_requests
from tests import factories
from tests.dispatch.records import group_ids

# A Monday with no holiday around it, so dates in tests read plainly.
MONDAY = dt.date(2026, 6, 8)


@pytest.fixture
def section(app):
    return factories.org_unit(name="危险化学品安全监督管理科", kind="section")


@pytest.fixture
def town(app):
    return factories.org_unit(name="湖塘镇", kind="town")


@pytest.fixture
def pool(app):
    """``pool(n, groups=("化工",))`` → n appointed, dispatchable experts."""

    def _pool(n, groups=("化工",), **kw):
        return [factories.appointed_expert(start=dt.date(2026, 1, 1), groups=groups, **kw) for _ in range(n)]

    return _pool


@pytest.fixture
def new_request(app, section):
    """``new_request(**overrides)`` → a UsageRequest through the service (today = MONDAY - 7)."""

    def _make(**kw):
        enterprises = kw.pop("enterprises", None) or [factories.enterprise()]
        args = dict(unit=section, activity_type="inspection", subject="危化品企业执法检查",
                    start_date=MONDAY, end_date=MONDAY + dt.timedelta(days=1), groups=group_ids("化工"),
                    enterprises=enterprises, headcount=2, backups=2, today=MONDAY - dt.timedelta(days=7))
        args.update(kw)
        return usage_requests.create_request(**args)

    return _make
