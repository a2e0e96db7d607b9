"""Experts' service fees (附件4 武进区安全生产专家费用发放标准, 第二十条, SPEC §3.9).

附件4:

    序号  类别      单位  费用（元）  备注
    1     执法检查  一天  1000
    2     事故调查  一次  1000
    3     应急处置  一起  1000        夜间、节假日1500
    4     其他                        另行确定

    备注：邀请国家、省、市级专家参加工作的，费用发放标准依据工作实际情况，由使用
    科室、大队提出建议，经局领导批准同意后执行。

第二十条 adds: 标准化评审费用按照上级标准执行, and the standard is adjusted over
time, so standards are dated rows (:class:`FeeStandardRow`) and a service is
paid by the row in force on the day it was rendered.

How each activity of 第八条 is paid (:func:`fee_basis`):

* 执法检查, and also 隐患排查 and 重大隐患整改验收 — 第八条(一) puts them with
  the inspections ("各类安全生产检查、隐患排查及重大隐患整改验收") and 附件4 has no
  row of their own, so they are paid per day at the 执法检查 rate;
* 事故调查 — per time; 应急救援处置 — per event, at the night/holiday rate when
  the event starts at night or on a non-working day;
* 标准化评审 — the amount of the higher standard, entered by the office;
* 教育培训授课 and 其他 — 另行确定: a proposed amount approved by a leader;
* experts from the upper pools (国家、省、市级, 第十四条) or from outside the
  pool — whatever the activity, a proposed amount approved by a leader (附件4
  备注); this takes precedence over the rows above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.services.errors import DomainError
from app.services.fees.tax import CENT, as_money
from app.services.workcalendar import NIGHT_END, NIGHT_START, HolidayCalendar, is_night

#: Activity codes shared by the whole application (第八条, SPEC §2 使用申请).
ACTIVITY_LABELS: dict[str, str] = {
    "inspection": "执法检查",
    "hazard_check": "隐患排查",
    "rectification_acceptance": "重大隐患整改验收",
    "accident_investigation": "事故调查",
    "emergency": "应急救援处置",
    "training": "教育培训授课",
    "standardization": "标准化评审",
    "other": "其他",
}

#: Where the experts of a job come from (第十四条).
EXPERT_SOURCES: dict[str, str] = {
    "district": "区库",
    "upper": "上级库",
    "outside": "库外",
}


class FeeBasis(StrEnum):
    """How the fee of an activity is determined (附件4, 第二十条)."""

    PER_DAY = "per_day"  # 元/天 from the standard
    PER_TIME = "per_time"  # 元/次 from the standard
    PER_EVENT = "per_event"  # 元/起 from the standard, night/holiday rate
    HIGHER_STANDARD = "higher_standard"  # 标准化评审: entered per the higher standard
    APPROVED = "approved"  # 另行确定: proposed amount approved by a leader

    @property
    def label(self) -> str:
        """Chinese name of the basis, for forms and printouts."""
        return _BASIS_LABELS[self]


_BASIS_LABELS = {
    FeeBasis.PER_DAY: "按天计费",
    FeeBasis.PER_TIME: "按次计费",
    FeeBasis.PER_EVENT: "按起计费",
    FeeBasis.HIGHER_STANDARD: "按上级标准执行",
    FeeBasis.APPROVED: "经局领导批准",
}

_ACTIVITY_BASIS: dict[str, FeeBasis] = {
    "inspection": FeeBasis.PER_DAY,
    "hazard_check": FeeBasis.PER_DAY,
    "rectification_acceptance": FeeBasis.PER_DAY,
    "accident_investigation": FeeBasis.PER_TIME,
    "emergency": FeeBasis.PER_EVENT,
    "training": FeeBasis.APPROVED,
    "standardization": FeeBasis.HIGHER_STANDARD,
    "other": FeeBasis.APPROVED,
}

#: Which row of the standard prices an activity: hazard checks and
#: rectification acceptances are inspections (第八条(一)).
STANDARD_ACTIVITY: dict[str, str] = {
    "inspection": "inspection",
    "hazard_check": "inspection",
    "rectification_acceptance": "inspection",
    "accident_investigation": "accident_investigation",
    "emergency": "emergency",
}


@dataclass(frozen=True)
class FeeStandardRow:
    """One dated row of the fee standard (附件4, 第二十条: 适时予以调整).

    ``activity`` is a key of :data:`STANDARD_ACTIVITY`'s values ("inspection",
    "accident_investigation", "emergency"); ``unit_label`` the unit of one
    count ("天", "次", "起"); ``night_holiday_amount`` the 夜间、节假日 rate, or
    None where the standard has none.
    """

    activity: str
    unit_label: str
    amount: Decimal
    night_holiday_amount: Decimal | None
    effective_from: dt.date


@dataclass(frozen=True)
class FeeResult:
    """A computed fee and how it was arrived at (附件4).

    ``method`` says how the amount was determined; ``rate`` and
    ``effective_from`` are those of the standard row used (None
    for an entered or approved amount); ``is_night`` and ``is_holiday`` are
    evaluated only where they change the rate (应急救援处置) and are None
    elsewhere. ``basis`` is the Chinese line printed on the payout sheet.
    """

    activity: str
    units: Decimal
    amount: Decimal
    method: FeeBasis
    basis: str
    rate: Decimal | None = None
    effective_from: dt.date | None = None
    is_night: bool | None = None
    is_holiday: bool | None = None


def attachment4_rows(effective_from: dt.date) -> list[FeeStandardRow]:
    """The rows of 附件4 as issued, in force from ``effective_from`` (seed data)."""
    return [
        FeeStandardRow("inspection", "天", Decimal("1000"), None, effective_from),
        FeeStandardRow("accident_investigation", "次", Decimal("1000"), None, effective_from),
        FeeStandardRow("emergency", "起", Decimal("1000"), Decimal("1500"), effective_from),
    ]


def activity_label(activity: str) -> str:
    """The Chinese name of an activity code (第八条), or a refusal for an unknown code."""
    try:
        return ACTIVITY_LABELS[activity]
    except KeyError:
        raise DomainError(f"未知的服务类别：{activity}") from None


def fee_basis(activity: str, source: str = "district") -> FeeBasis:
    """How the fee of ``activity`` by an expert from ``source`` is determined (附件4).

    Experts from the upper pools or outside the pool are always paid a
    proposed amount approved by a leader (附件4 备注); otherwise see the module
    docstring.
    """
    activity_label(activity)
    _source_label(source)
    if source != "district":
        return FeeBasis.APPROVED
    return _ACTIVITY_BASIS[activity]


def standard_in_force(
    rows: Iterable[FeeStandardRow], activity: str, on: dt.date
) -> FeeStandardRow:
    """The row of the standard that prices ``activity`` on the day ``on`` (附件4, 第二十条).

    The latest row whose ``effective_from`` is on or before ``on``: a change of
    standard applies from its date, and services rendered before it keep the
    old rate. ``activity`` may be any activity code; hazard checks and
    rectification acceptances resolve to the inspection row. Raises
    :class:`DomainError` when no row is in force, or when two rows for the
    activity take effect on the same day (the table is then ambiguous).
    """
    label = activity_label(activity)
    key = STANDARD_ACTIVITY.get(activity)
    if key is None:
        raise DomainError(f"{label}没有统一的费用标准，须另行确定金额")
    on = on.date() if isinstance(on, dt.datetime) else on
    candidates = [row for row in rows if row.activity == key and row.effective_from <= on]
    if not candidates:
        raise DomainError(f"{on:%Y-%m-%d}没有生效的{ACTIVITY_LABELS[key]}费用标准，请先维护费用标准")
    latest = max(row.effective_from for row in candidates)
    in_force = [row for row in candidates if row.effective_from == latest]
    if len(in_force) > 1:
        raise DomainError(
            f"{ACTIVITY_LABELS[key]}有{len(in_force)}条自{latest:%Y-%m-%d}起生效的费用标准，"
            "请删除重复的标准"
        )
    return in_force[0]


def compute_fee(
    activity: str,
    units: Decimal,
    service_start: dt.datetime,
    *,
    source: str = "district",
    proposed_amount: Decimal | None = None,
    approved: bool = False,
    standards: Iterable[FeeStandardRow],
    calendar: HolidayCalendar | None,
    night_start: dt.time = NIGHT_START,
    night_end: dt.time = NIGHT_END,
) -> FeeResult:
    """The fee of one service record (附件4, 第二十条, SPEC §3.9).

    ``units`` counts days (执法检查 etc.), times (事故调查) or events (应急救援处置)
    and must be a positive whole number. ``service_start`` is the local wall
    time the service started; for an emergency it alone decides night and
    holiday (an event called out at 23:00 is a night event however long it
    lasts). ``proposed_amount`` is the total entered for 标准化评审, or
    proposed for an amount 另行确定 — which also needs ``approved`` (局领导批准);
    it must be None for the activities the standard prices. ``night_start``
    and ``night_end`` are the night window setting; ``calendar`` is consulted
    only for an emergency (it may be None otherwise).

    Returns a :class:`FeeResult` whose amount is rounded to 分; raises
    :class:`DomainError` with a Chinese message when the fee cannot be
    determined.
    """
    label = activity_label(activity)
    basis = fee_basis(activity, source)
    units = whole_units(units)

    if basis in (FeeBasis.APPROVED, FeeBasis.HIGHER_STANDARD):
        return _entered_fee(activity, label, units, basis, source, proposed_amount, approved)

    if proposed_amount is not None:
        raise DomainError(f"{label}按费用标准计费，不能另行填写金额")
    row = standard_in_force(standards, activity, service_start)
    rate = as_money(row.amount, f"{label}费用标准")
    notes: list[str] = []
    if STANDARD_ACTIVITY[activity] != activity:
        notes.append(f"按{ACTIVITY_LABELS[row.activity]}标准")

    night = holiday = None
    if basis is FeeBasis.PER_EVENT:
        if calendar is None:
            raise ValueError("an emergency fee needs the holiday calendar")
        night = is_night(service_start, night_start, night_end)
        holiday = calendar.is_non_working_day(service_start)
        notes.extend(note for flag, note in ((night, "夜间"), (holiday, "节假日")) if flag)
        if (night or holiday) and row.night_holiday_amount is not None:
            rate = as_money(row.night_holiday_amount, f"{label}夜间、节假日费用标准")

    head = label + (f"（{'、'.join(notes)}）" if notes else "")
    unit = row.unit_label
    return FeeResult(
        activity=activity,
        units=units,
        amount=(rate * units).quantize(CENT, rounding=ROUND_HALF_UP),
        method=basis,
        basis=f"{head} {_yuan(rate)}元/{unit} × {units}{unit}",
        rate=rate,
        effective_from=row.effective_from,
        is_night=night,
        is_holiday=holiday,
    )


def _entered_fee(
    activity: str,
    label: str,
    units: Decimal,
    basis: FeeBasis,
    source: str,
    proposed_amount: Decimal | None,
    approved: bool,
) -> FeeResult:
    """A fee entered by the office (标准化评审) or approved by a leader (另行确定)."""
    if basis is FeeBasis.HIGHER_STANDARD:
        if proposed_amount is None:
            raise DomainError(f"{label}费用按上级标准执行，请填写金额")
        amount = as_money(proposed_amount, f"{label}费用")
        text = f"{label} 按上级标准 {_yuan(amount)}元"
    else:
        who = label if source == "district" else f"{_source_label(source)}专家的{label}"
        if proposed_amount is None:
            raise DomainError(f"{who}费用须另行确定，请填写拟发放金额并报局领导批准")
        amount = as_money(proposed_amount, f"{label}拟发放金额")
        if not approved:
            raise DomainError(f"{who}费用须经局领导批准后方可发放")
        head = label if source == "district" else f"{label}（{_source_label(source)}专家）"
        text = f"{head} 经局领导批准 {_yuan(amount)}元"
    return FeeResult(
        activity=activity,
        units=units,
        amount=amount.quantize(CENT, rounding=ROUND_HALF_UP),
        method=basis,
        basis=text,
    )


def _source_label(source: str) -> str:
    try:
        return EXPERT_SOURCES[source]
    except KeyError:
        raise DomainError(f"未知的专家来源：{source}") from None


def whole_units(units: object) -> Decimal:
    """Days, times and events are counted whole: 附件4 knows no half day."""
    if isinstance(units, bool) or not isinstance(units, (Decimal, int)):
        raise DomainError("天数/次数/起数必须是整数，不接受浮点数或其他类型")
    value = Decimal(units)
    if not value.is_finite() or value <= 0 or value != value.to_integral_value():
        raise DomainError(f"天数/次数/起数必须是正整数：{units}")
    return value.quantize(Decimal(1))


def _yuan(amount: Decimal) -> str:
    """An amount as printed: "1000" for whole 元, "1234.50" otherwise."""
    if amount == amount.to_integral_value():
        return f"{amount:.0f}"
    return f"{amount.quantize(CENT):.2f}"
