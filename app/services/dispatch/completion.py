"""Completion: attendance and the work done become the service record (第十九、二十条, 附件4; SPEC §3.6).

The service record is what fees are computed from (第二十条, 附件4: whole 天, 次 or 起 of
work; 应急救援处置 at night or on a holiday at the higher rate, so the record carries both
flags); the bureau pays when one of its units engaged the expert, a town pays when it
engaged him directly (第十九条). An absent expert is recorded as a no-show (the absence
rule of :mod:`app.services.dispatch.responses`).

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from app import clock
from app.clock import utcnow
from app.extensions import db
from app.services.calendar_data import load_calendar
from app.services.dispatch.assignments import active_assignments, setting, text
from app.services.dispatch.responses import respond
from app.services.dispatch.standing import check_may_complete
from app.services.errors import DomainError
from app.services.fees.standard import whole_units
from app.services.workcalendar import is_night
from models import Assignment, ServiceRecord, UsageRequest


def _parse_time(value: str, fallback: dt.time) -> dt.time:
    try:
        hours, minutes = value.split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return fallback


def default_units(req: UsageRequest) -> Decimal:
    """A sensible first value for the work done: days for day-priced work, 1 次/起 otherwise."""
    if req.activity_type in ("accident_investigation", "emergency"):
        return Decimal("1")
    return Decimal((req.end_date - req.start_date).days + 1)


def unit_label(activity_type: str) -> str:
    """The unit of work of 附件4 for an activity: 天 / 次 / 起."""
    return {"accident_investigation": "次", "emergency": "起"}.get(activity_type, "天")


def _decimal(value, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"{what}须为数字。") from None
    if not number.is_finite():
        raise DomainError(f"{what}须为数字。")
    return number


def complete_assignment(assignment: Assignment, *, attended: bool, units=None, service_date: dt.date | None = None,
                        started_at: dt.datetime | None = None, note: str | None = None, actor=None,
                        today: dt.date | None = None, now: dt.datetime | None = None) -> ServiceRecord | None:
    """Record attendance and the work done; this creates or updates the service record that
    fees are computed from (第二十条, 附件4). Absent → recorded as a no-show (absence rule).

    For 应急救援处置 the date and time the work began are required: 附件4 pays night and
    holiday work at the higher rate, so the record carries both flags.
    """
    today = today or clock.today()
    req = assignment.request
    if not attended:
        if assignment.completed_at is not None:
            raise DomainError("该任务已登记完成，不能改为未到场。")
        respond(assignment, "no_show", reason=text(note) or None, actor=actor, now=now)
        return None
    if assignment.response == "withdrawn":
        raise DomainError(f"{assignment.expert.name}已被解除本次任务（{assignment.response_reason}），不能登记完成。")
    if assignment.response != "accepted":
        raise DomainError(f"只有已接受任务的专家可以登记完成情况（当前：{assignment.response_label}）。")
    record = db.session.scalar(select(ServiceRecord).where(ServiceRecord.assignment_id == assignment.id))
    if record is not None and record.payout_line_id is not None:
        raise DomainError("该服务记录已纳入已审核的发放批次，金额已结算，不能再修改。")
    amount = whole_units(_decimal(units if units not in (None, "") else default_units(req), "工作量"))
    if amount > 99:
        raise DomainError("工作量不能超过99。")
    if isinstance(started_at, dt.datetime):
        started_at = started_at.replace(tzinfo=None, second=0, microsecond=0)
        service_date = started_at.date()
    elif req.activity_type == "emergency":
        raise DomainError("应急救援处置须填写开始工作的日期和时间（用于夜间、节假日费用标准）。")
    service_date = service_date or req.start_date
    if isinstance(service_date, dt.datetime):
        service_date = service_date.date()
    if not req.start_date <= service_date <= req.end_date + dt.timedelta(days=1 if started_at else 0):
        raise DomainError(f"服务日期须在使用申请的日期范围内（{req.start_date}至{req.end_date}）。")
    if service_date > today:
        raise DomainError("服务日期不能晚于今天；请在工作完成后登记。")
    check_may_complete(assignment, service_date)  # SPEC §3.16: not on or after a penalty's day
    night = holiday = False
    if req.activity_type == "emergency" and started_at is not None:
        night = is_night(started_at, _parse_time(setting("night_start", "22:00"), dt.time(22)),
                         _parse_time(setting("night_end", "06:00"), dt.time(6)))
        holiday = load_calendar().is_non_working_day(service_date)
    if record is None:
        record = ServiceRecord(expert_id=assignment.expert_id, assignment_id=assignment.id)
        db.session.add(record)
    record.unit_id = req.unit_id
    record.activity = req.activity_type
    record.service_date = service_date
    record.started_at = started_at
    record.units = amount
    record.payer = "unit" if req.unit.is_town_level else "bureau"
    record.is_night = night
    record.is_holiday = holiday
    record.note = text(note) or record.note
    assignment.attended = True
    assignment.work_units = amount
    assignment.work_started_at = started_at
    assignment.completed_at = now or utcnow()
    db.session.flush()
    if all(a.completed_at is not None for a in active_assignments(req)) and active_assignments(req):
        req.state = "completed"
    db.session.flush()
    return record
