"""Fixtures for the phone workspace: a town with an inspector, a pool of experts, a job.

The clock is frozen on Monday 8 June 2026, 10:00 Beijing time, a working day far from any
holiday, so deadlines read plainly (the town's second quarter is due on 25 June).
"""
import datetime as dt

import pytest

from app import clock
from app.extensions import db
from tests import factories
from tests.mobile.records import make_job

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


@pytest.fixture
def job(town, pool, enterprise):
    """The town's job on Wednesday, one expert drawn and one backup."""
    return make_job(town, enterprise)
