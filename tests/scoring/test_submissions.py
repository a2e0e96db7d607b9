"""Submission deadlines and the board (第二十二条): towns by quarter, due the 25th of the quarter's
last month; bureau sections and brigades by month, due the month's last day."""
import datetime as dt

import pytest

from app.services.scoring import submissions
from app.services.scoring.submissions import Period, cell_status, due_date, period_of
from tests import factories
from tests.scoring import records

D = dt.date


@pytest.mark.parametrize("year,quarter,due", [
    (2026, 1, D(2026, 3, 25)),
    (2026, 2, D(2026, 6, 25)),
    (2026, 3, D(2026, 9, 25)),
    (2026, 4, D(2026, 12, 25)),
    (2027, 1, D(2027, 3, 25)),
])
@pytest.mark.parametrize("kind", ["town", "devzone", "subdistrict"])
def test_a_towns_quarter_is_due_on_the_25th_of_its_last_month(kind, year, quarter, due):
    assert due_date(kind, Period(year, "quarter", quarter)) == due


@pytest.mark.parametrize("year,month,due", [
    (2026, 1, D(2026, 1, 31)), (2026, 2, D(2026, 2, 28)), (2026, 3, D(2026, 3, 31)),
    (2026, 4, D(2026, 4, 30)), (2026, 5, D(2026, 5, 31)), (2026, 6, D(2026, 6, 30)),
    (2026, 7, D(2026, 7, 31)), (2026, 8, D(2026, 8, 31)), (2026, 9, D(2026, 9, 30)),
    (2026, 10, D(2026, 10, 31)), (2026, 11, D(2026, 11, 30)), (2026, 12, D(2026, 12, 31)),
    (2028, 2, D(2028, 2, 29)),  # leap year
    (2100, 2, D(2100, 2, 28)),  # not a leap year
])
@pytest.mark.parametrize("kind", ["section", "brigade"])
def test_a_bureau_units_month_is_due_on_its_last_day(kind, year, month, due):
    assert due_date(kind, Period(year, "month", month)) == due


def test_a_period_of_the_wrong_cadence_has_no_due_date():
    with pytest.raises(ValueError):
        due_date("town", Period(2026, "month", 3))
    with pytest.raises(ValueError):
        due_date("brigade", Period(2026, "quarter", 1))


@pytest.mark.parametrize("kind,day,period", [
    ("brigade", D(2026, 1, 1), Period(2026, "month", 1)),
    ("brigade", D(2026, 12, 31), Period(2026, "month", 12)),
    ("section", D(2026, 3, 26), Period(2026, "month", 3)),
    ("town", D(2026, 1, 1), Period(2026, "quarter", 1)),
    ("town", D(2026, 3, 25), Period(2026, "quarter", 1)),
    # after the quarter's deadline: reported with the next quarter
    ("town", D(2026, 3, 26), Period(2026, "quarter", 2)),
    ("town", D(2026, 6, 30), Period(2026, "quarter", 3)),
    ("subdistrict", D(2026, 12, 25), Period(2026, "quarter", 4)),
    ("devzone", D(2026, 12, 26), Period(2027, "quarter", 1)),
    ("town", D(2026, 12, 31), Period(2027, "quarter", 1)),
])
def test_the_period_an_evaluation_is_reported_in(kind, day, period):
    assert period_of(kind, day) == period


def test_a_towns_first_quarter_runs_from_the_26th_of_december():
    assert submissions.window("town", Period(2027, "quarter", 1)) == (D(2026, 12, 26), D(2027, 3, 25))
    assert submissions.window("brigade", Period(2027, "month", 2)) == (D(2027, 2, 1), D(2027, 2, 28))


@pytest.mark.parametrize("used,on_time,late,today,status", [
    (0, 0, 0, D(2026, 4, 1), "none"),
    (2, 2, 0, D(2026, 4, 1), "on_time"),
    (0, 1, 0, D(2026, 4, 1), "on_time"),   # evaluated without a recorded job
    (2, 1, 1, D(2026, 4, 1), "late"),      # any form after the deadline makes the period late
    (1, 0, 1, D(2026, 4, 1), "late"),
    (1, 0, 0, D(2026, 4, 1), "missing"),   # used experts, deadline passed, nothing reported
    (1, 0, 0, D(2026, 3, 31), "pending"),  # the deadline is today: still on time
])
def test_cell_status(used, on_time, late, today, status):
    assert cell_status(used, on_time, late, D(2026, 3, 31), today) == status


# --- the board on records -------------------------------------------------------------------------


def _cells(rows, unit):
    row = next(r for r in rows if r.unit.id == unit.id)
    return {c.period.number: c for c in row.cells}


def test_the_board_shows_on_time_late_and_missing_months_of_a_brigade(app):
    inspector = records.scorer("department")
    unit = inspector.org_unit
    year = 2026
    # January: used and scored in time; February: scored in March; March: used, never scored.
    records.job(unit, on=D(year, 1, 10))
    records.evaluation(inspector, on=D(year, 1, 10), submitted_on=D(year, 1, 31))
    records.job(unit, on=D(year, 2, 5))
    records.evaluation(inspector, on=D(year, 2, 5), submitted_on=D(year, 3, 2))
    records.job(unit, on=D(year, 3, 20))
    # April: used, deadline ahead
    records.job(unit, on=D(year, 4, 2))
    cells = _cells(submissions.submissions_board(year, today=D(year, 4, 10)), unit)
    assert [cells[m].status for m in (1, 2, 3, 4, 5)] == ["on_time", "late", "missing", "pending", "none"]
    assert (cells[1].used, cells[1].on_time, cells[1].evaluated_uses) == (1, 1, 0)
    assert (cells[2].on_time, cells[2].late) == (0, 1)
    assert cells[3].due == D(year, 3, 31)


def test_the_board_reports_a_towns_quarters_and_paper_forms(app):
    inspector = records.scorer("town")
    unit = inspector.org_unit
    job = records.job(unit, on=D(2026, 3, 10))
    records.evaluation(inspector, job.expert, assignment_id=job.id, on=D(2026, 3, 10), submitted_on=D(2026, 3, 25),
                     is_paper=True)
    records.job(unit, on=D(2026, 3, 28))  # after the Q1 deadline: owed with Q2
    cells = _cells(submissions.submissions_board(2026, today=D(2026, 7, 1)), unit)
    assert (cells[1].status, cells[1].paper, cells[1].evaluated_uses) == ("on_time", 1, 1)
    assert (cells[2].status, cells[2].used) == ("missing", 1)
    assert [c.due for c in cells.values()] == [D(2026, 3, 25), D(2026, 6, 25), D(2026, 9, 25), D(2026, 12, 25)]


def test_a_declined_or_absent_job_is_not_owed(app):
    inspector = records.scorer("department")
    unit = inspector.org_unit
    records.job(unit, on=D(2026, 5, 6), response="declined_justified", attended=None)
    records.job(unit, on=D(2026, 5, 7), response="no_show", attended=False)
    cells = _cells(submissions.submissions_board(2026, today=D(2026, 7, 1)), unit)
    assert cells[5].status == "none"


def test_a_unit_sees_only_its_own_row(app):
    mine = records.scorer("department").org_unit
    factories.org_unit(kind="town")
    rows = submissions.submissions_board(2026, unit_ids=[mine.id])
    assert [r.unit.id for r in rows] == [mine.id]
    assert len(rows[0].cells) == 12
