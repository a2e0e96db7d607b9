"""Submission deadlines for evaluations and the board of who submitted on time (第二十二条, SPEC §3.12).

第二十二条: bureau sections and enforcement brigades (相关科室、执法大队) report the
评价表 of each month by the month's end (填表说明5: "于每月底前"); towns, development
zones and subdistricts (镇、开发区、街道) report each quarter's forms "于每季度最后一个月
的25日前". This module decides:

- **due dates** — a month is due on its last day, a quarter on the 25th of its last
  month (25 March, 25 June, 25 September, 25 December), both inclusive;
- **which period an evaluation belongs to** — the period of its 考评时间 (the day of
  the check). A town's quarter is a *reporting* window that closes on its due date:
  an evaluation made on 26–31 March is reported with the second quarter, since it
  could never reach a summary already due on 25 March;
- **what a unit owes** — a unit that used experts in a period owes evaluations for that
  period ("完成任务后 … 进行评定"): an assignment of one of its requests that the expert
  accepted and attended (or that was recorded as completed), dated by the request's last
  day. Per period:
  按时 when evaluations arrived, all by the due date; 逾期 when any arrived after
  it; 缺报 when the unit used experts, the due date has passed and nothing arrived;
  待报送 while the due date is still ahead; no mark when there was nothing to report;
- **when an evaluation arrived** — ``Evaluation.submitted_at``: when the server
  received it (an offline-queued form counts from the moment it reached the
  server), or for a paper form entered by 基础科, the day 基础科 received the paper.

Paper forms entered afterwards keep ``is_paper``; the board counts them like any other
and shows how many there were.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from app import clock
from app.extensions import db
from models import Assignment, Evaluation, OrgUnit, UsageRequest
from models.choices import ORG_KINDS, TOWN_LEVEL_KINDS

QUARTER_DUE_DAY = 25
STATUS_LABELS = {
    "on_time": "按时",
    "late": "逾期",
    "missing": "缺报",
    "pending": "待报送",
    "none": "",
}


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: ``kind`` is ``"quarter"`` (number 1–4) or ``"month"`` (1–12)."""

    year: int
    kind: str
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}季度" if self.kind == "quarter" else f"{self.year}年{self.number}月"

    @property
    def short_label(self) -> str:
        return f"第{self.number}季度" if self.kind == "quarter" else f"{self.number}月"

    @property
    def first_month(self) -> int:
        return 3 * self.number - 2 if self.kind == "quarter" else self.number

    @property
    def last_month(self) -> int:
        return 3 * self.number if self.kind == "quarter" else self.number

    def next(self) -> Period:
        last = 4 if self.kind == "quarter" else 12
        if self.number == last:
            return Period(self.year + 1, self.kind, 1)
        return Period(self.year, self.kind, self.number + 1)

    def previous(self) -> Period:
        last = 4 if self.kind == "quarter" else 12
        if self.number == 1:
            return Period(self.year - 1, self.kind, last)
        return Period(self.year, self.kind, self.number - 1)


def cadence(unit_kind: str) -> str:
    """``"quarter"`` for 镇、开发区、街道, ``"month"`` for 局科室 and 执法大队 (第二十二条)."""
    return "quarter" if unit_kind in TOWN_LEVEL_KINDS else "month"


def due_date(unit_kind: str, period: Period) -> dt.date:
    """The last day on which ``period``'s evaluations are on time for a unit of ``unit_kind``.

    Towns: the 25th of the quarter's last month; sections and brigades: the month's last day.
    """
    if period.kind != cadence(unit_kind):
        raise ValueError(f"{unit_kind} units report by {cadence(unit_kind)}, not by {period.kind}")
    if period.kind == "quarter":
        if not 1 <= period.number <= 4:
            raise ValueError("quarter must be 1..4")
        return dt.date(period.year, period.last_month, QUARTER_DUE_DAY)
    if not 1 <= period.number <= 12:
        raise ValueError("month must be 1..12")
    return dt.date(period.year, period.number, calendar.monthrange(period.year, period.number)[1])


def period_of(unit_kind: str, day: dt.date) -> Period:
    """The reporting period ``day``'s evaluation belongs to for a unit of ``unit_kind``.

    A month is the calendar month. A quarter closes on its due date, so 26–31 of the
    quarter's last month belong to the next quarter (26–31 December to next year's first).
    """
    if cadence(unit_kind) == "month":
        return Period(day.year, "month", day.month)
    period = Period(day.year, "quarter", (day.month - 1) // 3 + 1)
    if day > due_date(unit_kind, period):
        period = period.next()
    return period


def periods_of_year(unit_kind: str, year: int) -> list[Period]:
    """The 4 quarters or 12 months a unit reports in ``year``."""
    kind = cadence(unit_kind)
    return [Period(year, kind, n) for n in range(1, (4 if kind == "quarter" else 12) + 1)]


def window(unit_kind: str, period: Period) -> tuple[dt.date, dt.date]:
    """First and last day of check dates that belong to ``period``."""
    last = due_date(unit_kind, period)
    if period.kind == "month":
        return dt.date(period.year, period.number, 1), last
    return due_date(unit_kind, period.previous()) + dt.timedelta(days=1), last


# --- the board -----------------------------------------------------------------------------


@dataclass
class PeriodCell:
    """One unit's position for one period."""

    period: Period
    due: dt.date
    used: int = 0  # assignments of the unit's requests that experts attended
    evaluated_uses: int = 0  # of those, how many have an evaluation linked
    on_time: int = 0
    late: int = 0
    paper: int = 0
    status: str = "none"

    @property
    def submitted(self) -> int:
        return self.on_time + self.late

    @property
    def unevaluated(self) -> int:
        """Uses of the period that still have no evaluation linked (what the unit still owes)."""
        return max(0, self.used - self.evaluated_uses)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class UnitRow:
    unit: OrgUnit
    cadence: str
    cells: list[PeriodCell] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for c in self.cells if c.status == status)


def cell_status(used: int, on_time: int, late: int, due: dt.date, today: dt.date) -> str:
    """The rule of the board for one period (see the module docstring)."""
    if late:
        return "late"
    if on_time:
        return "on_time"
    if used:
        return "missing" if today > due else "pending"
    return "none"


def used_assignments(unit_ids: list[int], start: dt.date, end: dt.date) -> list[tuple[int, int, dt.date]]:
    """(unit id, assignment id, day of use) for the units' attended assignments whose job
    ended in ``start..end``: accepted, not marked absent, and either completed or attended."""
    rows = db.session.execute(
        select(UsageRequest.unit_id, Assignment.id, UsageRequest.end_date)
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(
            UsageRequest.unit_id.in_(unit_ids),
            UsageRequest.state != "cancelled",
            Assignment.response == "accepted",
            Assignment.attended.is_not(False),
            (Assignment.completed_at.is_not(None)) | (Assignment.attended.is_(True)),
            UsageRequest.end_date >= start,
            UsageRequest.end_date <= end,
        )
    ).all()
    return [tuple(row) for row in rows]


def submissions_board(year: int, unit_ids: list[int] | None = None, today: dt.date | None = None) -> list[UnitRow]:
    """Every active unit's (or only ``unit_ids``') periods of ``year`` with their status, in
    the order of the unit kinds (科室, 大队, 镇, 开发区, 街道), then as the units were created."""
    today = today or clock.today()
    query = select(OrgUnit).where(OrgUnit.active.is_(True))
    if unit_ids is not None:
        query = query.where(OrgUnit.id.in_(unit_ids))
    kinds = list(ORG_KINDS)
    units = sorted(db.session.scalars(query),
                   key=lambda u: (kinds.index(u.kind) if u.kind in kinds else len(kinds), u.id))
    if not units:
        return []
    ids = [u.id for u in units]
    # Check dates that can fall into this year's periods: a town's Q1 starts on 26 December.
    start, end = dt.date(year - 1, 12, 26), dt.date(year, 12, 31)
    kind_of = {u.id: u.kind for u in units}

    rows = {u.id: UnitRow(unit=u, cadence=cadence(u.kind)) for u in units}
    cells: dict[tuple[int, Period], PeriodCell] = {}
    for unit in units:
        for period in periods_of_year(unit.kind, year):
            cell = PeriodCell(period=period, due=due_date(unit.kind, period))
            cells[(unit.id, period)] = cell
            rows[unit.id].cells.append(cell)

    uses_by_assignment = {}
    for unit_id, assignment_id, day in used_assignments(ids, start, end):
        cell = cells.get((unit_id, period_of(kind_of[unit_id], day)))
        if cell is not None:
            cell.used += 1
            uses_by_assignment[assignment_id] = cell

    evaluations = db.session.execute(
        select(Evaluation.unit_id, Evaluation.evaluated_on, Evaluation.submitted_at, Evaluation.is_paper,
               Evaluation.assignment_id)
        .where(Evaluation.unit_id.in_(ids), Evaluation.evaluated_on >= start, Evaluation.evaluated_on <= end)
    ).all()
    for unit_id, evaluated_on, submitted_at, is_paper, assignment_id in evaluations:
        cell = cells.get((unit_id, period_of(kind_of[unit_id], evaluated_on)))
        if cell is None:
            continue
        if clock.local_date(submitted_at) <= cell.due:
            cell.on_time += 1
        else:
            cell.late += 1
        if is_paper:
            cell.paper += 1
        use_cell = uses_by_assignment.get(assignment_id) if assignment_id is not None else None
        if use_cell is not None:
            use_cell.evaluated_uses += 1

    for cell in cells.values():
        cell.status = cell_status(cell.used, cell.on_time, cell.late, cell.due, today)
    return [rows[i] for i in ids]
