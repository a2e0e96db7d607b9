"""The bureau's date decides the rules on a server whose clock runs on UTC (SPEC §3.17).

The process time zone is set to UTC, as on most servers, and the clock is frozen at 23:30
and 00:30 UTC. At 23:30 UTC it is already 07:30 of the next day in Beijing: the server's
own date (``date.today()``) would be a day behind, and each rule below would decide wrongly.
"""
import datetime as dt
import os
import time
from decimal import Decimal

import pytest

from app import clock
from app.extensions import db
from app.services.dispatch.completion import complete_assignment
from app.services.fees.pricing import price_record
from app.services.scoring import submissions
from app.services.status import status_of
from models import Assignment, UsageRequest, Violation
from tests import factories
from tests.scoring import records

UTC = dt.UTC


@pytest.fixture
def utc_process():
    """The process runs on UTC, as servers usually do."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def _at(day: dt.date, hour: int, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), UTC)


# --- the day a suspension ends -------------------------------------------------------------------

USABLE_AGAIN = dt.date(2027, 3, 1)  # the first day after a three-month suspension


@pytest.mark.parametrize("instant, status", [
    (_at(USABLE_AGAIN - dt.timedelta(days=1), 0), "suspended"),  # 28 Feb 08:30 in Beijing
    (_at(USABLE_AGAIN - dt.timedelta(days=1), 23), "valid"),  # 1 March 07:30 in Beijing: usable again
    (_at(USABLE_AGAIN, 0), "valid"),
])
def test_a_suspension_ends_on_its_day_in_beijing(app, utc_process, instant, status):
    expert = factories.appointed_expert(start=dt.date(2026, 6, 1))
    db.session.add(Violation(expert=expert, found_on=dt.date(2026, 11, 20), finding="未佩戴工作证", state="verified",
                             verified_on=dt.date(2026, 12, 1), sanction="suspension",
                             sanction_start=dt.date(2026, 12, 1), sanction_end=USABLE_AGAIN))
    db.session.flush()
    with clock.frozen(instant):
        found = status_of(expert)
    assert (found.code, found.dispatchable) == (status, status == "valid")


# --- a term's last day ---------------------------------------------------------------------------


@pytest.mark.parametrize("hour, status", [(0, "valid"), (23, "expired")])
def test_a_terms_last_day_is_the_bureaus(app, utc_process, hour, status):
    expert = factories.appointed_expert(start=dt.date(2024, 1, 1))
    last_day = expert.terms[0].end_date  # 2026-12-31
    with clock.frozen(_at(last_day, hour)):  # 08:30 on the last day / 07:30 the day after, in Beijing
        assert status_of(expert).code == status


# --- the 25th: a town's quarterly deadline ------------------------------------------------------


@pytest.mark.parametrize("sent_at, status", [
    (_at(dt.date(2026, 12, 25), 0), "on_time"),  # 25 December 08:30 in Beijing
    (_at(dt.date(2026, 12, 25), 23), "late"),  # 26 December 07:30 in Beijing: one day late
])
def test_the_25th_is_the_25th_in_beijing(app, utc_process, sent_at, status):
    town = records.unit(kind="town", name="湖塘镇")
    scorer = records.scorer(role="town", unit=town)
    job = records.job(town, on=dt.date(2026, 12, 10))
    with clock.frozen(sent_at):
        records.evaluation(scorer, job.expert, on=dt.date(2026, 12, 10), assignment_id=job.id)
        cells = submissions.submissions_board(2026, unit_ids=[town.id])[0].cells
    assert cells[3].status == status


def test_a_quarter_with_nothing_sent_is_missing_from_the_26th_in_beijing(app, utc_process):
    town = records.unit(kind="town", name="湖塘镇")
    records.job(town, on=dt.date(2026, 12, 10))
    with clock.frozen(_at(dt.date(2026, 12, 25), 0)):
        assert submissions.submissions_board(2026, unit_ids=[town.id])[0].cells[3].status == "pending"
    with clock.frozen(_at(dt.date(2026, 12, 25), 23)):  # the server still says the 25th
        assert submissions.submissions_board(2026, unit_ids=[town.id])[0].cells[3].status == "missing"


# --- a holiday fee -------------------------------------------------------------------------------

NATIONAL_DAY = dt.date(2026, 10, 1)


@pytest.mark.parametrize("instant", [_at(NATIONAL_DAY - dt.timedelta(days=1), 23), _at(NATIONAL_DAY, 0)])
def test_an_emergency_at_seven_on_a_holiday_is_paid_the_holiday_rate(app, utc_process, instant):
    """Recorded at 07:30 / 08:30 Beijing time on 国庆: the server's date is still 30 September at
    23:30 UTC, which would refuse the job as dated in the future."""
    unit = factories.org_unit(name="应急指挥中心", kind="section")
    req = UsageRequest(request_no="JJ-20261001-01", unit=unit, activity_type="emergency", subject="危化品泄漏应急处置",
                       start_date=NATIONAL_DAY, end_date=NATIONAL_DAY, headcount=1, emergency=True,
                       emergency_reason="rescue", state="dispatched")
    db.session.add(req)
    assignment = Assignment(request=req, expert=factories.appointed_expert(start=dt.date(2026, 1, 1)),
                            response="accepted")
    db.session.add(assignment)
    db.session.flush()
    with clock.frozen(instant):
        record = complete_assignment(assignment, attended=True, units=1,
                                     started_at=dt.datetime.combine(NATIONAL_DAY, dt.time(7, 0)))
        price_record(record)
    assert (record.is_holiday, record.is_night) == (True, False)
    assert record.amount == Decimal("1500.00")
