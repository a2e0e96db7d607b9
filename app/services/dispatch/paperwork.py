"""Emergency use first, paperwork after (第十五条: "可先行使用"，"事后补办使用手续"; SPEC §2 usage requests).

督查、举报核查、应急救援处置 are *emergencies*: experts are drawn at once and the
paperwork is due ``emergency_paperwork_days`` working days (a setting, default 3) after
the first day of use, counted on the working-day calendar (:mod:`app.services.workcalendar`).
A deadline the holiday table does not cover yet is left empty and computed later.

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.clock import utcnow
from app.extensions import db
from app.services.calendar_data import load_calendar
from app.services.dispatch.assignments import setting, written_reason
from app.services.errors import DomainError
from app.services.workcalendar import add_working_days
from models import OrgUnit, UsageRequest


def paperwork_days() -> int:
    """The ``emergency_paperwork_days`` setting (working days; 第十五条 事后补办)."""
    try:
        days = int(setting("emergency_paperwork_days", "3"))
    except ValueError:
        raise DomainError("参数“紧急使用后补办手续期限”不是整数，请系统管理员修改。") from None
    if days < 0:
        raise DomainError("参数“紧急使用后补办手续期限”不能为负数，请系统管理员修改。")
    return days


def paperwork_due_for(start: dt.date) -> dt.date | None:
    """The paperwork deadline of an emergency that began on ``start`` (第十五条), or None
    when the holiday table does not yet cover the days to count (set later, see
    :func:`paperwork_overview`)."""
    days, calendar = paperwork_days(), load_calendar()
    try:
        return add_working_days(start, days, calendar)
    except DomainError:  # the holiday table does not cover these days yet
        return None


def complete_paperwork(req: UsageRequest, note: str, *, actor=None, now: dt.datetime | None = None) -> None:
    """Complete the paperwork of an emergency use afterwards (第十五条: 事后补办使用手续)."""
    if not req.emergency:
        raise DomainError("只有紧急使用的申请需要事后补办手续。")
    if req.paperwork_done_at is not None:
        raise DomainError("该申请的补办手续已经完成。")
    note = written_reason(note, "补办手续")
    req.description = ((req.description + "\n") if req.description else "") + "事后补办说明：" + note
    req.paperwork_done_at = now or utcnow()
    db.session.flush()


@dataclass
class PaperworkOverview:
    """Emergency requests whose paperwork is not done: overdue, due later, or without a date yet."""

    overdue: list[UsageRequest]
    pending: list[UsageRequest]
    undetermined: list[UsageRequest]


def paperwork_overview(unit: OrgUnit | int | None = None, today: dt.date | None = None) -> PaperworkOverview:
    """Emergency paperwork still open, for one unit or all (SPEC §2 usage requests).

    A deadline left empty because the holiday table did not cover it is computed now if
    the table has since been maintained.
    """
    today = today or clock.today()
    query = (select(UsageRequest).where(UsageRequest.emergency.is_(True), UsageRequest.paperwork_done_at.is_(None),
                                        UsageRequest.state != "cancelled")
             .options(selectinload(UsageRequest.unit)).order_by(UsageRequest.paperwork_due, UsageRequest.id))
    if unit is not None:
        query = query.where(UsageRequest.unit_id == (unit if isinstance(unit, int) else unit.id))
    out = PaperworkOverview([], [], [])
    for req in db.session.scalars(query):
        if req.paperwork_due is None:
            req.paperwork_due = paperwork_due_for(req.start_date)
        if req.paperwork_due is None:
            out.undetermined.append(req)
        elif req.paperwork_due < today:
            out.overdue.append(req)
        else:
            out.pending.append(req)
    return out


def overdue_paperwork(unit: OrgUnit | int | None = None, today: dt.date | None = None) -> list[UsageRequest]:
    """Emergency requests whose paperwork deadline has passed without the paperwork done."""
    return paperwork_overview(unit, today).overdue
