"""One place that turns a stored service record into the pure fee rule (附件4, SPEC §3.9).

:func:`app.services.fees.standard.compute_fee` is pure: it prices plain values against
plain standard rows and a :class:`HolidayCalendar`. This module reads what it
needs from the database — the dated 附件4 rows (``fee_standard``), the editable
holiday table (via :func:`app.services.calendar_data.load_calendar`) and the
night window settings, and the experts' penalties (SPEC §3.16: work dated on or after
a suspension, blacklisting or dismissal is not paid) — once per pricing run
(:class:`PricingContext`), and feeds a :class:`ServiceRecord` through it (:func:`fee_of`).

It also says who pays (第十九条, :func:`payer_for_unit`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.services.calendar_data import load_calendar
from app.services.errors import DomainError
from app.services.fees.standard import FeeResult, FeeStandardRow, compute_fee
from app.services.status import Penalty, penalties_of, penalty_on
from app.services.workcalendar import NIGHT_END, NIGHT_START, HolidayCalendar
from models import FeeStandard, OrgUnit, ServiceRecord, Setting
from models.choices import TOWN_LEVEL_KINDS

#: Setting keys of the night window of 附件4 (SPEC §3.9: both are settings).
NIGHT_START_KEY = "night_start"
NIGHT_END_KEY = "night_end"


def payer_for_unit(unit: OrgUnit | None) -> str:
    """Who pays a service the unit engaged (第十九条): ``"unit"`` or ``"bureau"``.

    镇（开发区、街道） that use experts directly pay the fees themselves
    ("服务费用由用人单位按相关规定支付"); the bureau's sections and brigades are paid
    for from the bureau's budget. The office may still change a record's payer
    until its amount is settled.
    """
    if unit is not None and unit.kind in TOWN_LEVEL_KINDS:
        return "unit"
    return "bureau"


def _parse_time(value: str | None, default: dt.time, label: str) -> dt.time:
    if value is None or not value.strip():
        return default
    try:
        hours, minutes = value.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise DomainError(f"参数“{label}”的值“{value}”不是有效的时间（格式：22:00）") from None


def night_window() -> tuple[dt.time, dt.time]:
    """The night window (夜间) of 附件4 from the settings; 22:00–06:00 by default."""
    values = {
        key: value
        for key, value in db.session.execute(
            select(Setting.key, Setting.value).where(Setting.key.in_((NIGHT_START_KEY, NIGHT_END_KEY)))
        )
    }
    return (
        _parse_time(values.get(NIGHT_START_KEY), NIGHT_START, "夜间起始时间"),
        _parse_time(values.get(NIGHT_END_KEY), NIGHT_END, "夜间结束时间"),
    )


def count_unit(unit_label: str) -> str:
    """附件4 writes the unit of one count as "一天"/"一次"/"一起"; the basis line says "天"."""
    label = (unit_label or "").strip()
    return label[1:] if len(label) > 1 and label.startswith("一") else label


def load_standards() -> list[FeeStandardRow]:
    """Every dated row of the fee standard (附件4, 第二十条), as plain rows."""
    return [
        FeeStandardRow(row.activity, count_unit(row.unit_label), row.amount, row.night_holiday_amount,
                       row.effective_from)
        for row in db.session.scalars(select(FeeStandard).order_by(FeeStandard.activity, FeeStandard.effective_from))
    ]


@dataclass
class PricingContext:
    """What pricing reads from the database, loaded once for a run over many records."""

    standards: list[FeeStandardRow]
    calendar: HolidayCalendar
    night_start: dt.time = NIGHT_START
    night_end: dt.time = NIGHT_END
    # expert id -> suspensions, blacklistings, dismissal: work on or after their day is not paid
    penalties: dict[int, list[Penalty]] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls) -> PricingContext:
        """Standards, holiday table, night window and the experts' penalties as they are now."""
        start, end = night_window()
        return cls(load_standards(), load_calendar(), start, end, penalties_of())


def service_start(record: ServiceRecord) -> dt.datetime:
    """The moment that decides the standard in force, night and holiday (附件4).

    For emergency work (应急救援处置) the local wall time the work started, which
    must be known; for any other activity the service day (the time of day does
    not change those fees).
    """
    if record.service_date is None:
        raise DomainError("服务记录缺少服务日期，无法计费")
    if record.activity == "emergency":
        if record.started_at is None:
            raise DomainError("应急救援处置须填写开始时间，才能判断是否为夜间或节假日")
        return record.started_at.replace(tzinfo=None)
    return dt.datetime.combine(record.service_date, dt.time(0, 0))


def fee_of(record: ServiceRecord, context: PricingContext | None = None) -> FeeResult:
    """The fee of ``record`` by the standard in force on its service date (附件4, 第二十条).

    The record's activity, units, start time, proposed amount and leader's
    approval, and its expert's source (区库 / 上级库 / 库外, 附件4 备注) go into
    :func:`app.services.fees.standard.compute_fee`; nothing is written. Raises
    :class:`DomainError` with the Chinese reason when the fee cannot be
    determined yet (amount awaiting approval, no standard in force, a year
    without holiday data...).
    """
    context = context or PricingContext.load()
    expert_id = record.expert.id if record.expert is not None else record.expert_id
    penalty = penalty_on(context.penalties.get(expert_id, ()), record.service_date) if record.service_date else None
    if penalty is not None:
        # SPEC §3.16: work dated on or after the day of a penalty is not paid.
        raise DomainError(f"专家{penalty.reason}，该日及以后的工作不予支付")
    source = record.expert.source if record.expert is not None else "district"
    return compute_fee(
        record.activity,
        record.units,
        service_start(record),
        source=source or "district",
        proposed_amount=record.proposed_amount,
        approved=record.approved_by_id is not None,
        standards=context.standards,
        calendar=context.calendar,
        night_start=context.night_start,
        night_end=context.night_end,
    )
