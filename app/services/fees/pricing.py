"""Pricing service records (计价: 第二十条, 附件4, SPEC §3.9).

:func:`price_records` computes each record's amount by the standard in force on
its service date (:mod:`app.services.fees.records`) and stores it with its basis.
Amounts 另行确定 (其他, 教育培训授课, and any work by experts from the national,
provincial or city pools) are proposed (:func:`propose_amount`) and approved by a
leader (:func:`approve_amount`) first; 标准化评审 is the amount entered per the
higher standard.

**Settled amounts are never altered** (:mod:`app.services.fees.payouts`): a settled
record is never re-priced; a change of fee standard or holiday table re-prices only
open records (:func:`reprice_open_records`), and a change of standard reaching back
over settled records is refused (:func:`check_standard_change`; 第二十条: 适时予以调整).
When a record priced again is paid by its quarter's draft batch, the draft is refreshed.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app import clock
from app.clock import utcnow
from app.extensions import db
from app.services.errors import DomainError
from app.services.fees.payouts import refresh_batch
from app.services.fees.quarters import quarter_bounds, quarter_of
from app.services.fees.records import PricingContext, fee_of
from app.services.fees.settlement import (
    SETTLED_MESSAGE,
    draft_of,
    in_draft_scope,
    is_settled,
    parse_money,
    settled_condition,
    who,
)
from app.services.fees.standard import STANDARD_ACTIVITY, FeeBasis, fee_basis
from models import Expert, FeeStandard, PayoutBatch, ServiceRecord, User
from models.choices import ACTIVITY_TYPES

#: Roles that may approve amounts 另行确定 (附件4 备注: 经局领导批准同意后执行).
APPROVER_ROLE = "leader"


def unpriced_status(record: ServiceRecord) -> str:
    """The payment status of a record without an amount (:func:`app.services.fees.record_status.record_status`)."""
    if needs_approval(record):
        if record.proposed_amount is None:
            return "待提出建议金额"
        return "待局领导批准"
    return "待计价"


def _basis_of(record: ServiceRecord) -> FeeBasis | None:
    """How the record's amount is decided (附件4), or None for an unknown activity or source."""
    source = record.expert.source if record.expert is not None else "district"
    try:
        return fee_basis(record.activity, source or "district")
    except DomainError:
        return None


def needs_approval(record: ServiceRecord) -> bool:
    """Whether the record's amount is 另行确定: proposed, then approved by a leader (附件4 备注)."""
    return _basis_of(record) is FeeBasis.APPROVED


def needs_entered_amount(record: ServiceRecord) -> bool:
    """Whether the record's amount is entered per the higher standard (标准化评审, 第二十条)."""
    return _basis_of(record) is FeeBasis.HIGHER_STANDARD


@dataclass
class PricingReport:
    """What a pricing run did: how many records got an amount, and why the others did not."""

    priced: int = 0
    unchanged: int = 0
    failed: list[tuple[ServiceRecord, str]] = field(default_factory=list)
    drafts_refreshed: set[int] = field(default_factory=set)

    def summary(self) -> str:
        """One Chinese sentence for a flash message."""
        text = f"已计价{self.priced}条服务记录"
        if self.unchanged:
            text += f"，{self.unchanged}条金额未变"
        if self.failed:
            reasons = defaultdict(int)
            for _record, reason in self.failed:
                reasons[reason] += 1
            listed = "；".join(f"{reason}（{n}条）" for reason, n in list(reasons.items())[:5])
            text += f"；{len(self.failed)}条暂不能计价：{listed}"
        return text + "。"


def price_record(record: ServiceRecord, context: PricingContext | None = None) -> bool:
    """Compute and store the record's amount and basis (附件4, 第二十条). Flushes.

    Returns True if the amount or basis changed. A settled record is refused
    (its amount is never altered); when the record's quarter has a draft batch,
    the draft's lines are refreshed. Raises :class:`DomainError` when the fee
    cannot be determined (the record is then left as it was).
    """
    # No autoflush until the new amount is set: a pending change of the record's inputs
    # must not reach the database (and its stale-amount guard) before the price does.
    with db.session.no_autoflush:
        if is_settled(record):
            raise DomainError(SETTLED_MESSAGE)
        result = fee_of(record, context)
        drafts, cache = {}, {}  # the quarter's draft is looked up once, before and after
        _note_draft(record, drafts, cache)
        changed = (record.amount, record.basis) != (result.amount, result.basis[:200])
        record.amount = result.amount
        record.basis = result.basis[:200]
        record.is_night = bool(result.is_night)
        record.is_holiday = bool(result.is_holiday)
        _remember_inputs(record)
        _note_draft(record, drafts, cache)
    db.session.flush()
    if changed:
        for batch in drafts.values():
            refresh_batch(batch)
    return changed


def _note_draft(record: ServiceRecord, drafts: dict[int, PayoutBatch], cache: dict | None = None) -> None:
    """Add to ``drafts`` the draft batch that pays ``record`` as it is now, if any.

    Called before and after a change to the record: a draft it leaves or joins must be
    refreshed. ``cache`` keeps each quarter's draft for a run over many records.
    """
    if not in_draft_scope(record):
        return
    quarter = quarter_of(record.service_date)
    if cache is None:
        batch = draft_of(*quarter)
    else:
        if quarter not in cache:
            cache[quarter] = draft_of(*quarter)
        batch = cache[quarter]
    if batch is not None:
        drafts[batch.id] = batch


def price_records(records: Iterable[ServiceRecord], context: PricingContext | None = None) -> PricingReport:
    """Price many records with one load of standards, calendar and settings (计价).

    Records that cannot be priced yet (awaiting approval, no standard, a year
    without holiday data...) are reported with their reason, not raised; settled
    records are skipped. Draft batches holding re-priced records are refreshed
    once at the end.
    """
    context = context or PricingContext.load()
    report = PricingReport()
    drafts: dict[int, PayoutBatch] = {}
    with db.session.no_autoflush:  # see price_record
        _price_each(records, context, report, drafts)
    db.session.flush()
    for batch in drafts.values():
        refresh_batch(batch)
        report.drafts_refreshed.add(batch.id)
    return report


def _price_each(records, context, report: PricingReport, drafts: dict) -> None:
    cache: dict = {}
    for record in records:
        if is_settled(record):
            continue
        try:
            result = fee_of(record, context)
        except DomainError as err:
            if record.amount is not None:
                # It was priced under rules that no longer give an amount: take it back,
                # and out of its draft batch, rather than pay a stale amount.
                _note_draft(record, drafts, cache)
                record.amount = None
                record.basis = None
            report.failed.append((record, str(err)))
            continue
        _remember_inputs(record)
        if (record.amount, record.basis) == (result.amount, result.basis[:200]):
            report.unchanged += 1
            continue
        _note_draft(record, drafts, cache)
        record.amount = result.amount
        record.basis = result.basis[:200]
        record.is_night = bool(result.is_night)
        record.is_holiday = bool(result.is_holiday)
        report.priced += 1
        _note_draft(record, drafts, cache)


#: What a record's amount depends on; a change to any of them makes a stored amount stale.
PRICING_INPUTS = ("activity", "units", "service_date", "started_at", "expert_id", "proposed_amount", "approved_by_id")


def inputs_of(record: ServiceRecord) -> tuple:
    """What the record's amount is computed from (:data:`PRICING_INPUTS`, the expert read through the relation)."""
    expert_id = record.expert.id if record.expert is not None else record.expert_id
    return (record.activity, record.units, record.service_date, record.started_at, expert_id,
            record.proposed_amount, record.approved_by_id)


def _remember_inputs(record: ServiceRecord) -> None:
    """Note what the amount was computed from (see the guard on ServiceRecord updates)."""
    record._fees_priced_inputs = inputs_of(record)


def open_records_query(unit_id: int | None = None):
    """Records whose amount may still change: not settled (ORM select)."""
    query = (
        select(ServiceRecord)
        .where(~settled_condition())
        .options(selectinload(ServiceRecord.expert))
        .order_by(ServiceRecord.service_date, ServiceRecord.id)
    )
    if unit_id is not None:
        query = query.where(ServiceRecord.unit_id == unit_id)
    return query


def price_unpriced(year: int | None = None, quarter: int | None = None) -> PricingReport:
    """Price every record without an amount (optionally of one quarter)."""
    query = open_records_query().where(ServiceRecord.amount.is_(None))
    if year is not None and quarter is not None:
        first, last = quarter_bounds(year, quarter)
        query = query.where(ServiceRecord.service_date.between(first, last))
    return price_records(db.session.scalars(query).all())


def reprice_open_records(since: dt.date | None = None, activities: Iterable[str] | None = None) -> PricingReport:
    """Re-price open records after a change of standard, holiday table or setting.

    Only records not yet settled, with a service date on or after ``since``
    (all when None) and of ``activities`` (all when None), are touched: a change
    applies from its date and never alters amounts already settled (第二十条).
    """
    query = open_records_query()
    if since is not None:
        query = query.where(ServiceRecord.service_date >= since)
    if activities is not None:
        query = query.where(ServiceRecord.activity.in_(list(activities)))
    return price_records(db.session.scalars(query).all())


def _check_open(record: ServiceRecord) -> None:
    if is_settled(record):
        raise DomainError(SETTLED_MESSAGE)


def propose_amount(record: ServiceRecord, actor: User, amount: object, note: str | None = None) -> None:
    """Propose (另行确定) or enter (标准化评审) the amount of a record (附件4 备注, 第二十条). Flushes.

    For an amount 另行确定 the proposal replaces any earlier one and waits for
    a leader's approval; for 标准化评审 the amount entered per the higher
    standard prices the record at once. Refused for activities the standard
    prices and for settled records.
    """
    _check_open(record)
    if not (needs_approval(record) or needs_entered_amount(record)):
        label = ACTIVITY_TYPES.get(record.activity, record.activity)
        raise DomainError(f"{label}按费用标准计费，不能另行填写金额")
    value = parse_money(amount, "金额")
    if value <= 0:
        raise DomainError("金额必须大于零")
    drafts: dict[int, PayoutBatch] = {}
    _note_draft(record, drafts)  # a priced record leaves its quarter's draft until approved
    record.proposed_amount = value
    record.approved_by_id = None
    record.approved_at = None
    record.amount = None
    record.basis = None
    if note and note.strip():
        record.note = _append_note(record.note, f"{who(actor)}：{note.strip()}")
    db.session.flush()
    if needs_entered_amount(record):
        price_record(record)
    else:
        for batch in drafts.values():
            refresh_batch(batch)


def approve_amount(record: ServiceRecord, actor: User) -> None:
    """A leader approves a proposed amount (附件4 备注: 经局领导批准同意后执行). Flushes.

    Only a user with the leader role may approve; the record must await
    approval and carry a proposed amount. The record is priced at once.
    """
    if getattr(actor, "role", None) != APPROVER_ROLE:
        raise DomainError("只有局领导可以批准另行确定的费用金额")
    _check_open(record)
    if not needs_approval(record):
        raise DomainError("该服务记录按费用标准计费，无需局领导批准")
    if record.proposed_amount is None:
        raise DomainError("该服务记录尚未提出建议金额，无法批准")
    if record.approved_by_id is not None:
        raise DomainError("该金额已经批准")
    record.approved_by_id = actor.id
    record.approved_at = utcnow()
    db.session.flush()
    price_record(record)


def return_proposal(record: ServiceRecord, actor: User, reason: str) -> None:
    """A leader sends a proposed amount back with a reason; the unit proposes again. Flushes."""
    if getattr(actor, "role", None) != APPROVER_ROLE:
        raise DomainError("只有局领导可以退回建议金额")
    _check_open(record)
    if record.proposed_amount is None or record.approved_by_id is not None:
        raise DomainError("该服务记录没有待批准的建议金额")
    if not reason or not reason.strip():
        raise DomainError("退回时请填写理由")
    record.note = _append_note(
        record.note, f"局领导退回建议金额{record.proposed_amount:.2f}元（{who(actor)}）：{reason.strip()}"
    )
    record.proposed_amount = None
    record.amount = None
    record.basis = None
    db.session.flush()


def awaiting_approval_query(unit_id: int | None = None):
    """Open records 另行确定 that have a proposal waiting for a leader (or none yet)."""
    needs = or_(
        ServiceRecord.activity.in_(("training", "other")),
        ServiceRecord.expert_id.in_(select(Expert.id).where(Expert.source != "district")),
    )
    query = (
        select(ServiceRecord)
        .where(needs, ServiceRecord.approved_by_id.is_(None), ~settled_condition())
        .options(selectinload(ServiceRecord.expert), selectinload(ServiceRecord.unit))
        .order_by(ServiceRecord.proposed_amount.is_(None), ServiceRecord.service_date, ServiceRecord.id)
    )
    if unit_id is not None:
        query = query.where(ServiceRecord.unit_id == unit_id)
    return query


def _append_note(note: str | None, line: str) -> str:
    stamp = clock.today().isoformat()
    return f"{note}\n{stamp} {line}" if note else f"{stamp} {line}"


# --- fee standard changes (第二十条: 适时予以调整) ----------------------------------------------------


def _standard_activities(activity: str) -> list[str]:
    return [code for code, row in STANDARD_ACTIVITY.items() if row == activity]


def check_standard_change(connection, activity: str, effective_from: dt.date) -> None:
    """Refuse a standard change reaching back over settled records (第二十条, SPEC §2).

    A row of the standard applies from its date; creating, editing or deleting
    one with date D changes the price of every service from D on. If any
    settled record priced by this standard lies on or after D, the change would
    rewrite what was paid: refused — add a new row dated after it instead.
    """
    last = connection.execute(
        select(func.max(ServiceRecord.service_date))
        .join(Expert, Expert.id == ServiceRecord.expert_id)
        .where(
            ServiceRecord.activity.in_(_standard_activities(activity)),
            Expert.source == "district",
            ServiceRecord.service_date >= effective_from,
            settled_condition(),
        )
    ).scalar()
    if last is not None:
        label = ACTIVITY_TYPES.get(activity, activity)
        raise DomainError(
            f"{label}费用标准：{effective_from:%Y-%m-%d}以后已有已结算的服务记录（最晚{last:%Y-%m-%d}），"
            f"已结算的金额不能改变。请新增一条生效日期晚于{last:%Y-%m-%d}的标准，不要修改或删除现有标准。"
        )


def reprice_after_standard_change(activity: str, since: dt.date) -> PricingReport:
    """Re-price open records of the activity from the changed date on."""
    return reprice_open_records(since=since, activities=_standard_activities(activity))


def standard_in_force_rows(on: dt.date) -> list[FeeStandard]:
    """The rows of the standard in force on a day, one per activity (for 附件4 printing)."""
    rows = db.session.scalars(
        select(FeeStandard).where(FeeStandard.effective_from <= on).order_by(FeeStandard.effective_from)
    ).all()
    latest: dict[str, FeeStandard] = {}
    for row in rows:
        latest[row.activity] = row
    order = ["inspection", "accident_investigation", "emergency"]
    return [latest[a] for a in order if a in latest] + [r for a, r in latest.items() if a not in order]
