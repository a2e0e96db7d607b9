"""A unit's field day: what the phone workspace ``/m/`` shows a 镇街 or 局科室/大队 (SPEC §1).

In the order a day in the field needs them: experts to score (附件5, 第二十二条), jobs in
progress (第十五条), 告知书 not sent and 回执 not back (第十六条), emergency paperwork with its
deadline (第十五条), this period's submission deadline with what is still missing and the
year's 20% coverage (第二十二条). Every figure comes from the area's own function; this
module only gathers them for one unit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.services.dispatch import notices
from app.services.dispatch.assignments import OPEN_RESPONSES, still_needed
from app.services.dispatch.paperwork import PaperworkOverview, paperwork_overview
from app.services.scoring import coverage as coverage_rules
from app.services.scoring import submissions
from app.services.scoring.evaluations import scorable_assignments_query
from models import Assignment, Enterprise, Notice, OrgUnit, UsageRequest

OPEN_STATES = ("submitted", "dispatched")


@dataclass
class JobInProgress:
    """An open request of the unit: the experts on it, the backups, and how many are missing."""

    request: UsageRequest
    on_job: list[Assignment]
    backups: list[Assignment]
    done: int
    needed: int

    @property
    def waiting_for_answer(self) -> int:
        return sum(1 for a in self.on_job if a.response == "pending")


@dataclass
class SubmissionDue:
    """This period's report (第二十二条): its board cell and the days left until its due date."""

    cell: submissions.PeriodCell
    days_left: int


@dataclass
class FieldDay:
    """Everything ``/m/`` shows one unit on ``today``."""

    unit: OrgUnit
    today: dt.date
    to_score: list[Assignment]
    in_progress: list[JobInProgress]
    notices_unsent: list[tuple[UsageRequest, list[Enterprise]]]
    receipts_pending: list[Notice]
    paperwork: PaperworkOverview
    submission: SubmissionDue | None
    coverage: coverage_rules.UnitCoverage | None


def experts_to_score(unit_id: int, today: dt.date | None = None) -> list[Assignment]:
    """Finished jobs of the unit whose expert has no evaluation yet, oldest first.

    The scoring page's own list (:func:`scorable_assignments_query`: accepted, not absent,
    begun, not evaluated) narrowed to work that is over: recorded as completed, or whose last
    day has passed. A job still under way shows among the jobs in progress instead.
    """
    today = today or clock.today()
    query = (
        scorable_assignments_query(unit_id, today)
        .where((Assignment.completed_at.is_not(None)) | (UsageRequest.end_date < today))
        .options(selectinload(Assignment.expert),
                 selectinload(Assignment.request).selectinload(UsageRequest.enterprises))
        .order_by(None).order_by(UsageRequest.end_date, Assignment.id)
    )
    return list(db.session.scalars(query))


def jobs_in_progress(unit_id: int) -> list[JobInProgress]:
    """The unit's open requests (waiting for a draw, or with experts chosen), by first day."""
    requests = db.session.scalars(
        select(UsageRequest).where(UsageRequest.unit_id == unit_id, UsageRequest.state.in_(OPEN_STATES))
        .options(selectinload(UsageRequest.assignments).selectinload(Assignment.expert))
        .order_by(UsageRequest.start_date, UsageRequest.id)
    ).all()
    out = []
    for req in requests:
        on_job = [a for a in req.assignments if not a.is_backup and a.response in OPEN_RESPONSES]
        out.append(JobInProgress(
            request=req,
            on_job=[a for a in on_job if a.completed_at is None],
            backups=[a for a in req.assignments if a.is_backup and a.response == "pending"],
            done=sum(1 for a in on_job if a.completed_at is not None),
            needed=max(0, still_needed(req)),
        ))
    return out


def submission_due(unit: OrgUnit, today: dt.date | None = None) -> SubmissionDue | None:
    """This period's report of ``unit``: the period that ``today``'s evaluations belong to
    (None for a unit no longer active, which reports nothing)."""
    today = today or clock.today()
    period = submissions.period_of(unit.kind, today)
    rows = submissions.submissions_board(period.year, [unit.id], today)
    if not rows:
        return None
    cell = next(c for c in rows[0].cells if c.period == period)
    return SubmissionDue(cell=cell, days_left=(cell.due - today).days)


def field_day(unit: OrgUnit, today: dt.date | None = None) -> FieldDay:
    """Gather the unit's day (see the module docstring). May fill in an emergency's paperwork
    deadline that the holiday table now covers (:func:`paperwork_overview`): the caller commits."""
    today = today or clock.today()
    coverage_rows = coverage_rules.coverage(today.year, [unit.id])
    return FieldDay(
        unit=unit,
        today=today,
        to_score=experts_to_score(unit.id, today),
        in_progress=jobs_in_progress(unit.id),
        notices_unsent=notices.unsent_notices(unit.id),
        receipts_pending=notices.outstanding_receipts(unit.id),
        paperwork=paperwork_overview(unit.id, today),
        submission=submission_due(unit, today),
        coverage=coverage_rows[0] if coverage_rows else None,
    )
