"""Pricing service records and paying experts quarterly (第十九、二十条, 附件4, SPEC §3.9–3.10).

The flow:

1. **计价** — :func:`price_records` computes each record's amount by the standard
   in force on its service date (:mod:`app.services.fee_records`) and stores it
   with its basis. Amounts 另行确定 (其他, 教育培训授课, and any work by experts
   from the national, provincial or city pools) are proposed
   (:func:`propose_amount`) and approved by a leader (:func:`approve_amount`)
   first; 标准化评审 is the amount entered per the higher standard.
2. **Who pays** (第十九条) — a record's ``payer`` is ``"bureau"`` (the bureau's
   budget) or ``"unit"`` (the town or unit that engaged the expert directly).
   The bureau's batches gather only its own records; each town sees what it
   owes (:func:`what_town_owes`) and records what it has paid
   (:func:`mark_unit_paid`).
3. **Quarterly batch** (第二十条: 每季度审核发放一次) — :func:`build_batch`
   gathers the quarter's priced, unpaid bureau records with SQL aggregates
   (GROUP BY expert, one bulk INSERT of lines; never a per-row ORM loop) into a
   draft: per expert gross, income tax withheld, net. A draft pays the quarter's
   open records *as they are* (:func:`batch_records_condition`) and is refreshed
   when one of them is priced again. :func:`review_batch` (草稿 → 已审核) checks
   the lines still match those records, links each record to its line (one bulk
   UPDATE), fixes the pay date and locks the batch; :func:`mark_paid`
   (已审核 → 已发放) records the payment.
   Corrections to a locked batch go into a later draft batch as adjustment
   lines (:func:`add_adjustment`), never as edits.

**The tax month** (SPEC §3.10): what one expert receives in one calendar month is
one 次. A batch's pay month is the month of its pay date (发放日期), fixed when
the batch is reviewed; a draft shows provisional tax for its planned pay date,
or for the current month when none is set. Lines of batches reviewed or paid
earlier in the same month are that month's previous income: the tax is
recomputed on the month's total and only the difference is withheld
(:func:`app.services.tax.month_withholding`). Taxes are recomputed when the
batch is reviewed, so the order in which batches are reviewed decides which one
withholds the difference.

**Settled amounts are never altered**: a record on a reviewed or paid batch, or
one its unit has recorded as paid, is never re-priced, edited or deleted; a
change of fee standard or holiday table re-prices only open records
(:func:`reprice_open_records`). Mapper guards at the bottom of this module
enforce the lock for every code path, not only these functions.

Money is ``Decimal`` throughout; sums are taken in SQL as whole 分 (integers),
so no floating-point value of SQLite's storage ever enters an amount.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from contextlib import contextmanager
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import (BigInteger, and_, bindparam, case, cast, event, exists, false, func, inspect, or_, select, text,
                        update)
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.services.errors import DomainError
from app.services.fee_records import PricingContext, fee_of
from app.services.fees import STANDARD_ACTIVITY, FeeBasis, fee_basis
from app.services.tax import CENT, as_money, month_withholding, withholding_tax
from models import Expert, FeeStandard, OrgUnit, PayoutBatch, PayoutLine, ServiceRecord, User
from models.base import utcnow
from models.choices import ACTIVITY_TYPES, PAYERS, PAYOUT_STATES

#: Batch states whose lines are settled: they count as previous income of the
#: month, and nothing on them may change.
LOCKED_STATES = ("reviewed", "paid")

LOCKED_MESSAGE = "该发放批次已审核锁定，不能修改；如需更正，请在以后的草稿批次中录入调整。"
SETTLED_MESSAGE = "该服务记录的金额已结算（已纳入已审核的发放批次或用人单位已支付），不能再修改或删除；如需更正，请在以后的批次中录入调整。"

#: Roles that may approve amounts 另行确定 (附件4 备注: 经局领导批准同意后执行).
APPROVER_ROLE = "leader"


# --- quarters ---------------------------------------------------------------------


def check_quarter(year: object, quarter: object) -> tuple[int, int]:
    """``(year, quarter)`` as whole numbers, or a Chinese refusal."""
    try:
        y, q = int(year), int(quarter)
    except (TypeError, ValueError):
        raise DomainError("请选择有效的年度和季度") from None
    if not 2000 <= y <= 2100:
        raise DomainError(f"年度无效：{year}")
    if q not in (1, 2, 3, 4):
        raise DomainError(f"季度只能是1至4：{quarter}")
    return y, q


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of a calendar quarter."""
    year, quarter = check_quarter(year, quarter)
    first = dt.date(year, 3 * quarter - 2, 1)
    following = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, following - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> tuple[int, int]:
    """The (year, quarter) a day falls in."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_label(year: int, quarter: int) -> str:
    """``2026年第2季度``."""
    return f"{year}年第{quarter}季度"


def month_label(pay_month: str) -> str:
    """``2026-04`` → ``2026年4月``."""
    year, month = pay_month.split("-")
    return f"{int(year)}年{int(month)}月"


# --- money in SQL: whole 分 -----------------------------------------------------------


def _cents(column):
    """A money column as whole 分 (BIGINT): exact on SQLite (REAL storage) and PostgreSQL."""
    return cast(func.round(column * 100), BigInteger)


def _yuan(cents: object) -> Decimal:
    """Whole 分 from SQL → Decimal 元 with 分 precision (never through float)."""
    if cents is None:
        return Decimal("0.00")
    if isinstance(cents, float):  # a driver that returned a float for an integer sum
        raise TypeError("money sum came back as float")
    return (Decimal(int(cents)) / 100).quantize(CENT)


# --- settlement state -------------------------------------------------------------------


def _locked_line_ids():
    return (
        select(PayoutLine.id)
        .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
        .where(PayoutBatch.state.in_(LOCKED_STATES))
    )


def settled_condition():
    """SQL condition: the record's amount is settled (locked batch, or paid by its unit).

    Never NULL, so that ``~settled_condition()`` is true for an open record: a bare
    ``payout_line_id IN (…)`` is NULL for a record on no batch once any batch is locked.
    """
    return or_(
        ServiceRecord.unit_paid_on.is_not(None),
        and_(ServiceRecord.payout_line_id.is_not(None), ServiceRecord.payout_line_id.in_(_locked_line_ids())),
    )


def draft_of(year: int, quarter: int) -> PayoutBatch | None:
    """The quarter's draft batch, if it has one (there is at most one)."""
    return db.session.scalar(
        select(PayoutBatch).where(PayoutBatch.year == year, PayoutBatch.quarter == quarter, PayoutBatch.state == "draft")
    )


def draft_quarters() -> set[tuple[int, int]]:
    """(year, quarter) of every draft batch (one query; for list pages and statements)."""
    return set(db.session.execute(select(PayoutBatch.year, PayoutBatch.quarter).where(PayoutBatch.state == "draft")).all())


def _in_draft_scope(record: ServiceRecord) -> bool:
    """Whether a draft of the record's quarter would pay it: a priced, open bureau record."""
    return (record.payout_line_id is None and record.payer == "bureau" and record.amount is not None
            and record.unit_paid_on is None and record.service_date is not None)


def batch_of_record(record: ServiceRecord) -> PayoutBatch | None:
    """The batch that pays the record: the reviewed batch it is linked to, or its quarter's draft."""
    if record.payout_line_id is not None:
        line = db.session.get(PayoutLine, record.payout_line_id)
        return line.batch if line is not None else None
    if _in_draft_scope(record):
        return draft_of(*quarter_of(record.service_date))
    return None


def batch_records_condition(batch: PayoutBatch):
    """SQL condition: the service records ``batch`` pays.

    A draft pays its quarter's priced, open bureau records as they are now — its lines were
    gathered from exactly those, and :func:`review_batch` refuses it if they have changed
    since. Review links each of them to its line (``payout_line_id``); from then on a
    reviewed or paid batch pays exactly the records linked to it.
    """
    if batch.state == "draft":
        return _unpaid_bureau_filter(*quarter_bounds(batch.year, batch.quarter))
    return ServiceRecord.payout_line_id.in_(select(PayoutLine.id).where(PayoutLine.batch_id == batch.id))


def line_records_condition(line: PayoutLine):
    """SQL condition: the service records one line pays (none for an adjustment line)."""
    if line.is_adjustment:
        return false()
    if line.batch.state == "draft":
        return and_(batch_records_condition(line.batch), ServiceRecord.expert_id == line.expert_id)
    return ServiceRecord.payout_line_id == line.id


def is_settled(record: ServiceRecord) -> bool:
    """Whether the record's amount is settled and may no longer change (第二十条, SPEC §2)."""
    if record.unit_paid_on is not None:
        return True
    batch = batch_of_record(record)
    return batch is not None and batch.state in LOCKED_STATES


def record_status(record: ServiceRecord, batch_state: str | None = None,
                  drafts: set[tuple[int, int]] | None = None) -> str:
    """A record's payment status as the expert and the office read it.

    ``batch_state`` is the state of the batch the record is linked to ("" when it is on
    none) and ``drafts`` the quarters with a draft (:func:`draft_quarters`); list pages pass
    both to spare a query per row, otherwise they are looked up.
    """
    if record.payer == "unit":
        if record.amount is None:
            return _unpriced_status(record)
        return "用人单位已支付" if record.unit_paid_on else "待用人单位支付"
    if record.payout_line_id is not None:
        if batch_state is None:
            batch = batch_of_record(record)
            batch_state = batch.state if batch else None
        if batch_state == "paid":
            return "已发放"
        if batch_state == "reviewed":
            return "已审核待发放"
    if record.amount is None:
        return _unpriced_status(record)
    if _in_draft_scope(record):
        quarter = quarter_of(record.service_date)
        has_draft = quarter in drafts if drafts is not None else draft_of(*quarter) is not None
        if has_draft:
            return "已汇总待审核"
    return "待纳入季度发放"


def _unpriced_status(record: ServiceRecord) -> str:
    if needs_approval(record):
        if record.proposed_amount is None:
            return "待提出建议金额"
        return "待局领导批准"
    return "待计价"


def needs_approval(record: ServiceRecord) -> bool:
    """Whether the record's amount is 另行确定: proposed, then approved by a leader (附件4 备注)."""
    source = record.expert.source if record.expert is not None else "district"
    try:
        return fee_basis(record.activity, source or "district") is FeeBasis.APPROVED
    except DomainError:
        return False


def needs_entered_amount(record: ServiceRecord) -> bool:
    """Whether the record's amount is entered per the higher standard (标准化评审, 第二十条)."""
    source = record.expert.source if record.expert is not None else "district"
    try:
        return fee_basis(record.activity, source or "district") is FeeBasis.HIGHER_STANDARD
    except DomainError:
        return False


# --- pricing ------------------------------------------------------------------------------


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
        drafts = {}
        _note_draft(record, drafts)
        changed = (record.amount, record.basis) != (result.amount, result.basis[:200])
        record.amount = result.amount
        record.basis = result.basis[:200]
        record.is_night = bool(result.is_night)
        record.is_holiday = bool(result.is_holiday)
        _remember_inputs(record)
        _note_draft(record, drafts)
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
    if not _in_draft_scope(record):
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


def _inputs_of(record: ServiceRecord) -> tuple:
    expert_id = record.expert.id if record.expert is not None else record.expert_id
    return (record.activity, record.units, record.service_date, record.started_at, expert_id,
            record.proposed_amount, record.approved_by_id)


def _remember_inputs(record: ServiceRecord) -> None:
    """Note what the amount was computed from (see the guard on ServiceRecord updates)."""
    record._fees_priced_inputs = _inputs_of(record)


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
    value = _parse_money(amount, "金额")
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
        record.note = _append_note(record.note, f"{_who(actor)}：{note.strip()}")
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
        record.note, f"局领导退回建议金额{record.proposed_amount:.2f}元（{_who(actor)}）：{reason.strip()}"
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


def _parse_money(value: object, label: str) -> Decimal:
    if isinstance(value, str):
        raw = value.strip().replace(",", "").replace("，", "")
        if not raw:
            raise DomainError(f"请填写{label}")
        try:
            value = Decimal(raw)
        except ArithmeticError:
            raise DomainError(f"{label}不是有效的数字：{raw}") from None
    return as_money(value, label, allow_negative=True)


def _who(actor: User | None) -> str:
    if actor is None:
        return "系统"
    return actor.full_name or actor.username


def _append_note(note: str | None, line: str) -> str:
    stamp = dt.date.today().isoformat()
    return f"{note}\n{stamp} {line}" if note else f"{stamp} {line}"


# --- batches ------------------------------------------------------------------------------


def _unpaid_bureau_filter(first: dt.date, last: dt.date):
    return and_(
        ServiceRecord.payer == "bureau",
        ServiceRecord.payout_line_id.is_(None),
        ServiceRecord.amount.is_not(None),
        ServiceRecord.service_date >= first,
        ServiceRecord.service_date <= last,
    )


def _lock_for_batching() -> None:
    """Keep records from changing while a batch gathers them.

    SQLite already holds the write lock from the first statement (``BEGIN
    IMMEDIATE``, app.database). PostgreSQL under READ COMMITTED would let a
    record priced between the aggregate and the linking UPDATE slip in
    uncounted, so the table is locked against writers for the transaction.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE service_record IN SHARE ROW EXCLUSIVE MODE"))


@contextmanager
def _roomy_page_cache():
    """On SQLite, a 64 MB page cache for the duration of one bulk statement.

    Linking a quarter rewrites every record row of it; with SQLite's default 2 MB
    cache the dirty pages spill to the WAL in the middle of the UPDATE, which about
    doubles its cost (bench/payout_bench.py). Pages are allocated only as used, and
    the connection's own setting is put back afterwards.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = db.session.execute(text("PRAGMA cache_size")).scalar()
    db.session.execute(text("PRAGMA cache_size = -65536"))
    try:
        yield
    finally:
        db.session.execute(text(f"PRAGMA cache_size = {int(before)}"))


def pay_month_of(batch: PayoutBatch, today: dt.date | None = None) -> str:
    """The batch's tax month: its pay date's month, else (a draft) the current month."""
    day = batch.pay_date or today or dt.date.today()
    return f"{day:%Y-%m}"


@dataclass(frozen=True)
class QuarterOverview:
    """The quarter's service records as the batch screen counts them (第二十条)."""

    ready: int  # priced bureau records no batch pays yet
    in_draft: int  # priced bureau records the quarter's draft pays (linked when it is reviewed)
    unpriced: int  # bureau records without an amount yet (incl. awaiting a leader's approval)
    settled: int  # records linked to a reviewed or paid batch
    unit: int  # records the using town or unit pays itself (never in a batch)
    batches: list


def quarter_overview(year: int, quarter: int) -> QuarterOverview:
    """Counts of the quarter's records by where their payment stands, and its batches."""
    first, last = quarter_bounds(year, quarter)
    rows = db.session.execute(
        select(ServiceRecord.payer, ServiceRecord.amount.is_(None), ServiceRecord.payout_line_id.is_(None), func.count())
        .where(ServiceRecord.service_date >= first, ServiceRecord.service_date <= last)
        .group_by(ServiceRecord.payer, ServiceRecord.amount.is_(None), ServiceRecord.payout_line_id.is_(None))
    ).all()
    counts = {"open": 0, "unpriced": 0, "settled": 0, "unit": 0}
    for payer, unpriced, unlinked, n in rows:
        key = "unit" if payer == "unit" else "settled" if not unlinked else "unpriced" if unpriced else "open"
        counts[key] += n
    batches = db.session.scalars(
        select(PayoutBatch).where(PayoutBatch.year == year, PayoutBatch.quarter == quarter).order_by(PayoutBatch.sequence)
    ).all()
    has_draft = any(b.state == "draft" for b in batches)
    return QuarterOverview(
        ready=0 if has_draft else counts["open"], in_draft=counts["open"] if has_draft else 0,
        unpriced=counts["unpriced"], settled=counts["settled"], unit=counts["unit"], batches=batches,
    )


def build_batch(year: int, quarter: int, actor: User | None, pay_date: dt.date | None = None) -> PayoutBatch:
    """A new draft batch of the quarter's unpaid bureau records (第二十条: 每季度审核发放一次). Flushes.

    Gathers every priced record of the quarter whose payer is the bureau and
    that is on no batch yet, one line per expert (service count, gross), with
    the tax withheld and the net for the pay month (see the module docstring).
    Refused when the quarter already has a draft (refresh that one instead) or
    when there is nothing to pay. A quarter may have several batches (records
    completed after a batch was reviewed go into the next one).
    """
    year, quarter = check_quarter(year, quarter)
    first, last = quarter_bounds(year, quarter)
    _lock_for_batching()
    draft = db.session.scalar(
        select(PayoutBatch.id).where(
            PayoutBatch.year == year, PayoutBatch.quarter == quarter, PayoutBatch.state == "draft"
        )
    )
    if draft is not None:
        raise DomainError(f"{quarter_label(year, quarter)}已有草稿批次，请在该批次上“重新汇总”，不要重复生成")
    if pay_date is not None and pay_date < first:
        raise DomainError(f"发放日期不能早于{quarter_label(year, quarter)}开始日期")
    if not db.session.scalar(select(exists().where(_unpaid_bureau_filter(first, last)))):
        raise DomainError(
            f"{quarter_label(year, quarter)}没有待发放的区应急管理局支付的服务记录（已计价且未纳入发放批次），未生成批次"
        )
    sequence = (
        db.session.scalar(
            select(func.max(PayoutBatch.sequence)).where(PayoutBatch.year == year, PayoutBatch.quarter == quarter)
        )
        or 0
    ) + 1
    batch = PayoutBatch(
        year=year, quarter=quarter, sequence=sequence, state="draft", pay_date=pay_date,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(batch)
    db.session.flush()
    _gather(batch)
    return batch


def _gather(batch: PayoutBatch) -> int:
    """Aggregate the draft's records (:func:`batch_records_condition`) into one line per expert.

    Two statements whatever the size: SELECT … GROUP BY expert and a bulk INSERT of
    the lines (tax already withheld, see :func:`_settle_taxes`). The records are linked
    to their lines when the batch is reviewed (:func:`_link_records`). Returns the
    number of lines.
    """
    rows = db.session.execute(
        select(ServiceRecord.expert_id, func.count(), func.sum(_cents(ServiceRecord.amount)))
        .where(batch_records_condition(batch))
        .group_by(ServiceRecord.expert_id)
    ).all()
    if not rows:
        return 0
    pay_month = pay_month_of(batch)
    previous = _month_so_far(batch, pay_month)
    lines = []
    for expert_id, count, cents in rows:
        gross = _yuan(cents)
        tax = _withhold(previous, expert_id, gross, pay_month)
        lines.append(dict(
            batch_id=batch.id, expert_id=expert_id, pay_month=pay_month, service_count=count,
            gross=gross, tax=tax, net=gross - tax, is_adjustment=False,
        ))
    # Core, not the ORM: 2,000 plain rows need no identity map.
    db.session.execute(PayoutLine.__table__.insert(), lines)
    _expire_loaded(batch)
    return len(lines)


def _link_records(batch: PayoutBatch) -> None:
    """Link each record a draft pays to its expert's line (review, just before the lock).

    One UPDATE … FROM (SQLite ≥ 3.33, PostgreSQL): a join instead of a subquery per record.
    """
    with _roomy_page_cache():
        db.session.execute(
            update(ServiceRecord)
            .where(
                batch_records_condition(batch),
                PayoutLine.batch_id == batch.id,
                PayoutLine.expert_id == ServiceRecord.expert_id,
                PayoutLine.is_adjustment.is_(False),
            )
            .values(payout_line_id=PayoutLine.id, version=ServiceRecord.version + 1),
            execution_options={"synchronize_session": False},
        )
    _expire_loaded(batch)


def _month_so_far(batch: PayoutBatch, pay_month: str) -> dict[int, tuple[Decimal, Decimal]]:
    """Per expert, income and tax of ``pay_month`` on other batches already reviewed or paid."""
    return {
        expert_id: (_yuan(income), _yuan(tax))
        for expert_id, income, tax in db.session.execute(
            select(PayoutLine.expert_id, func.sum(_cents(PayoutLine.gross)), func.sum(_cents(PayoutLine.tax)))
            .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
            .where(
                PayoutBatch.state.in_(LOCKED_STATES),
                PayoutLine.pay_month == pay_month,
                PayoutLine.batch_id != batch.id,
            )
            .group_by(PayoutLine.expert_id)
        )
    }


def _withhold(previous: dict[int, tuple[Decimal, Decimal]], expert_id: int, gross: Decimal, pay_month: str) -> Decimal:
    """Tax to withhold now on ``gross``, given the month so far; updates ``previous`` (SPEC §3.10)."""
    income, tax = previous.get(expert_id, (Decimal("0.00"), Decimal("0.00")))
    try:
        if income == 0 and tax == 0 and gross >= 0:
            tax_now = month_tax = withholding_tax(gross)  # the month's first payment
        else:
            tax_now, month_tax = month_withholding(income, tax, gross)
    except DomainError as err:
        expert = db.session.get(Expert, expert_id)
        raise DomainError(f"{expert.name if expert else ''}（{month_label(pay_month)}）：{err}") from None
    previous[expert_id] = (income + gross, month_tax)
    return tax_now


def _settle_taxes(batch: PayoutBatch) -> None:
    """Withhold each line's tax for the batch's pay month (第二十条, SPEC §3.10).

    The month's previous income and tax are the expert's lines on batches
    reviewed or paid with the same pay month; each line of this batch (the
    expert's regular line first, then adjustments) withholds the difference
    between the tax on the month's running total and what was withheld before.
    One aggregate, one read of the lines, one bulk UPDATE.
    """
    pay_month = pay_month_of(batch)
    previous = _month_so_far(batch, pay_month)
    lines = db.session.execute(
        select(PayoutLine.id, PayoutLine.expert_id, _cents(PayoutLine.gross))
        .where(PayoutLine.batch_id == batch.id)
        .order_by(PayoutLine.expert_id, PayoutLine.is_adjustment, PayoutLine.id)
    ).all()
    changes = []
    for line_id, expert_id, gross_cents in lines:
        gross = _yuan(gross_cents)
        tax = _withhold(previous, expert_id, gross, pay_month)
        changes.append({"line_id": line_id, "pay_month": pay_month, "tax": tax, "net": gross - tax})
    if changes:
        table = PayoutLine.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == bindparam("line_id"))
            .values(pay_month=bindparam("pay_month"), tax=bindparam("tax"), net=bindparam("net")),
            changes,
        )
    _expire_loaded(batch)


def _expire_loaded(batch: PayoutBatch | None = None) -> None:
    """Forget loaded lines and records after bulk statements changed them behind the ORM."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, (PayoutLine, ServiceRecord)):
            db.session.expire(obj)
    if batch is not None and inspect(batch).persistent:
        db.session.expire(batch, ["lines"])


def refresh_batch(batch: PayoutBatch) -> int:
    """Re-gather a draft batch (重新汇总): its lines follow the records as they are now. Flushes.

    The regular lines are gathered again from the quarter's open records (records
    priced, corrected or taken back since are followed); adjustment lines stay.
    Returns the number of regular lines.
    """
    _require_draft(batch)
    _lock_for_batching()
    db.session.flush()
    db.session.execute(
        PayoutLine.__table__.delete().where(
            PayoutLine.batch_id == batch.id, PayoutLine.is_adjustment.is_(False)
        )
    )
    count = _gather(batch)
    _settle_taxes(batch)
    return count


def discard_batch(batch: PayoutBatch) -> None:
    """Delete a draft batch; its records wait for the quarter's next one. Flushes."""
    _require_draft(batch)
    db.session.flush()
    db.session.execute(PayoutLine.__table__.delete().where(PayoutLine.batch_id == batch.id))
    _expire_loaded(batch)
    db.session.delete(batch)
    db.session.flush()


def set_pay_date(batch: PayoutBatch, pay_date: dt.date | None) -> None:
    """Change a draft's planned pay date; its provisional tax follows the new month. Flushes."""
    _require_draft(batch)
    first, _last = quarter_bounds(batch.year, batch.quarter)
    if pay_date is not None and pay_date < first:
        raise DomainError(f"发放日期不能早于{quarter_label(batch.year, batch.quarter)}开始日期")
    batch.pay_date = pay_date
    db.session.flush()
    _settle_taxes(batch)


def _require_draft(batch: PayoutBatch) -> None:
    if batch.state != "draft":
        raise DomainError(LOCKED_MESSAGE)


@dataclass(frozen=True)
class BatchTotals:
    """Totals of a batch (experts, services, gross, tax, net)."""

    experts: int
    services: int
    gross: Decimal
    tax: Decimal
    net: Decimal
    adjustments: int


def batch_totals(batch_ids: Iterable[int]) -> dict[int, BatchTotals]:
    """Totals per batch, one aggregate for all of them."""
    ids = list(batch_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            PayoutLine.batch_id,
            func.count(func.distinct(PayoutLine.expert_id)),
            func.coalesce(func.sum(PayoutLine.service_count), 0),
            func.sum(_cents(PayoutLine.gross)),
            func.sum(_cents(PayoutLine.tax)),
            func.sum(_cents(PayoutLine.net)),
            func.sum(case((PayoutLine.is_adjustment.is_(True), 1), else_=0)),
        )
        .where(PayoutLine.batch_id.in_(ids))
        .group_by(PayoutLine.batch_id)
    ).all()
    out = {bid: BatchTotals(0, 0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), 0) for bid in ids}
    for bid, experts, services, gross, tax, net, adjustments in rows:
        out[bid] = BatchTotals(int(experts), int(services), _yuan(gross), _yuan(tax), _yuan(net), int(adjustments or 0))
    return out


def _check_consistent(batch: PayoutBatch) -> dt.date | None:
    """Refuse a draft whose lines no longer match its records; return its last service date.

    The lines were gathered from the quarter's open records; if one was priced, re-priced,
    taken back, moved or deleted since, the office must refresh (重新汇总) before review.
    """
    paid_by = batch_records_condition(batch)
    records = {
        expert_id: (int(count), int(cents or 0))
        for expert_id, count, cents in db.session.execute(
            select(ServiceRecord.expert_id, func.count(), func.sum(_cents(ServiceRecord.amount)))
            .where(paid_by)
            .group_by(ServiceRecord.expert_id)
        )
    }
    lines = {
        expert_id: (int(count), int(gross_cents))
        for expert_id, count, gross_cents in db.session.execute(
            select(PayoutLine.expert_id, PayoutLine.service_count, _cents(PayoutLine.gross))
            .where(PayoutLine.batch_id == batch.id, PayoutLine.is_adjustment.is_(False))
        )
    }
    if records != lines:
        raise DomainError("批次明细与服务记录不一致（记录在汇总后有变动），请先“重新汇总”再审核")
    return db.session.scalar(select(func.max(ServiceRecord.service_date)).where(paid_by))


def review_batch(batch: PayoutBatch, actor: User, pay_date: dt.date | None = None) -> None:
    """草稿 → 已审核: fix the pay date, withhold the final tax, lock the batch (第二十条). Flushes.

    The pay date (default: the planned one, else today) may not be earlier
    than the last service paid. The records the draft pays are linked to their
    lines; taxes are recomputed against the batches reviewed before in the same
    month. After this nothing in the batch, or in its records, changes.
    """
    _require_draft(batch)
    _lock_for_batching()
    db.session.flush()
    if not db.session.scalar(select(func.count()).select_from(PayoutLine).where(PayoutLine.batch_id == batch.id)):
        raise DomainError("批次中没有发放明细，不能审核")
    last_service = _check_consistent(batch)
    pay_date = pay_date or batch.pay_date or dt.date.today()
    if last_service is not None and pay_date < last_service:
        raise DomainError(f"发放日期（{pay_date:%Y-%m-%d}）不能早于批次中最后一次服务的日期（{last_service:%Y-%m-%d}）")
    first, _last = quarter_bounds(batch.year, batch.quarter)
    if pay_date < first:
        raise DomainError(f"发放日期不能早于{quarter_label(batch.year, batch.quarter)}开始日期")
    batch.pay_date = pay_date
    db.session.flush()
    _link_records(batch)
    _settle_taxes(batch)
    batch.state = "reviewed"
    batch.reviewed_by_id = getattr(actor, "id", None)
    batch.reviewed_at = utcnow()
    db.session.flush()


def mark_paid(batch: PayoutBatch, actor: User, paid_on: dt.date | None = None) -> None:
    """已审核 → 已发放, on a day within the batch's tax month. Flushes.

    The tax was withheld for the pay month fixed at review; paying in another
    month would make it another 次, so such a day is refused.
    """
    if batch.state == "paid":
        raise DomainError("该批次已经发放")
    if batch.state != "reviewed":
        raise DomainError("批次须先审核，才能登记发放")
    paid_on = paid_on or dt.date.today()
    if paid_on > dt.date.today():
        raise DomainError("实际发放日期不能晚于今天")
    if batch.pay_date is not None and (paid_on.year, paid_on.month) != (batch.pay_date.year, batch.pay_date.month):
        raise DomainError(
            f"个人所得税按{batch.pay_date.year}年{batch.pay_date.month}月发放计算，"
            f"实际发放日期须在该月内（您填写的是{paid_on:%Y-%m-%d}）"
        )
    batch.pay_date = paid_on
    batch.state = "paid"
    batch.paid_at = utcnow()
    db.session.flush()


def add_adjustment(
    batch: PayoutBatch,
    expert: Expert,
    amount: object,
    note: str,
    adjusts_line: PayoutLine | None = None,
    actor: User | None = None,
) -> PayoutLine:
    """An adjustment line in a draft batch: the way to correct a locked batch (第二十条). Flushes.

    ``amount`` is added to the expert's income of this batch's month (negative
    to take back an overpayment; the month's income may not go below zero) and
    taxed with it. ``adjusts_line``, if given, is the expert's line in an
    earlier, locked batch being corrected. A reason is required.
    """
    _require_draft(batch)
    if expert is None:
        raise DomainError("请选择专家")
    value = _parse_money(amount, "调整金额")
    if value == 0:
        raise DomainError("调整金额不能为零")
    if not note or not note.strip():
        raise DomainError("请填写调整原因")
    if adjusts_line is not None:
        if adjusts_line.expert_id != expert.id:
            raise DomainError("被调整的发放明细不属于该专家")
        if adjusts_line.batch_id == batch.id or adjusts_line.batch.state not in LOCKED_STATES:
            raise DomainError("只能调整以前已审核批次中的发放明细")
    line = PayoutLine(
        batch_id=batch.id, expert_id=expert.id, pay_month=pay_month_of(batch), service_count=0,
        gross=value, tax=Decimal("0.00"), net=value, is_adjustment=True,
        adjusts_line_id=adjusts_line.id if adjusts_line is not None else None,
        note=(note.strip() + (f"（{_who(actor)}录入）" if actor is not None else ""))[:500],
    )
    db.session.add(line)
    db.session.flush()
    _settle_taxes(batch)
    return db.session.get(PayoutLine, line.id)


def remove_adjustment(line: PayoutLine) -> None:
    """Delete an adjustment line of a draft batch. Flushes."""
    if not line.is_adjustment:
        raise DomainError("只能删除调整明细；服务费明细请通过“重新汇总”更新")
    batch = line.batch
    _require_draft(batch)
    db.session.delete(line)
    db.session.flush()
    _settle_taxes(batch)


@dataclass(frozen=True)
class BatchLineRow:
    """One line of a batch for screens and documents (expert fields read with the line)."""

    id: int
    expert_id: int
    name: str
    id_number: str
    employer: str
    pay_month: str
    service_count: int
    gross: Decimal
    tax: Decimal
    net: Decimal
    is_adjustment: bool
    adjusts_line_id: int | None
    note: str | None


def batch_lines(batch: PayoutBatch) -> list[BatchLineRow]:
    """The batch's lines with each expert's name, ID number and employer (one query)."""
    rows = db.session.execute(
        select(
            PayoutLine.id, PayoutLine.expert_id, Expert.name, Expert.id_number, Expert.employer,
            PayoutLine.pay_month, PayoutLine.service_count, _cents(PayoutLine.gross), _cents(PayoutLine.tax),
            _cents(PayoutLine.net), PayoutLine.is_adjustment, PayoutLine.adjusts_line_id, PayoutLine.note,
        )
        .join(Expert, Expert.id == PayoutLine.expert_id)
        .where(PayoutLine.batch_id == batch.id)
        .order_by(Expert.name, Expert.id, PayoutLine.is_adjustment, PayoutLine.id)
    ).all()
    return [
        BatchLineRow(r[0], r[1], r[2], r[3], r[4] or "", r[5], int(r[6] or 0), _yuan(r[7]), _yuan(r[8]), _yuan(r[9]),
                     bool(r[10]), r[11], r[12])
        for r in rows
    ]


def locked_lines_of(expert_id: int) -> list[PayoutLine]:
    """An expert's lines on locked batches (what an adjustment may refer to), newest first."""
    return db.session.scalars(
        select(PayoutLine)
        .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
        .where(PayoutLine.expert_id == expert_id, PayoutBatch.state.in_(LOCKED_STATES))
        .order_by(PayoutBatch.year.desc(), PayoutBatch.quarter.desc(), PayoutBatch.sequence.desc(), PayoutLine.id)
    ).all()


# --- towns: what each owes (第十九条) -------------------------------------------------------------


@dataclass(frozen=True)
class ExpertDue:
    """What a unit owes one expert for a quarter."""

    expert_id: int
    name: str
    employer: str
    services: int
    amount: Decimal
    paid: Decimal
    owed: Decimal
    unpriced: int

    @property
    def tax_hint(self) -> Decimal:
        """Tax the unit withholds if it pays what it owes in one payment (第二十条, for reference)."""
        return withholding_tax(self.owed) if self.owed > 0 else Decimal("0.00")

    @property
    def net_hint(self) -> Decimal:
        """The net of :attr:`tax_hint`."""
        return self.owed - self.tax_hint


@dataclass
class TownDues:
    """A unit's quarter: per expert, what it owes for the services it engaged (第十九条)."""

    unit: OrgUnit
    year: int
    quarter: int
    experts: list[ExpertDue]
    records: list[ServiceRecord]

    @property
    def owed(self) -> Decimal:
        return sum((e.owed for e in self.experts), Decimal("0.00"))

    @property
    def paid(self) -> Decimal:
        return sum((e.paid for e in self.experts), Decimal("0.00"))

    @property
    def amount(self) -> Decimal:
        return sum((e.amount for e in self.experts), Decimal("0.00"))

    @property
    def unpriced(self) -> int:
        return sum(e.unpriced for e in self.experts)


def _unit_records_filter(unit_id: int, first: dt.date, last: dt.date):
    return and_(
        ServiceRecord.unit_id == unit_id,
        ServiceRecord.payer == "unit",
        ServiceRecord.service_date >= first,
        ServiceRecord.service_date <= last,
    )


def what_town_owes(unit: OrgUnit, year: int, quarter: int) -> TownDues:
    """What ``unit`` owes the experts it engaged directly in a quarter (第十九条).

    Only records whose payer is the unit count (the bureau pays the others).
    Per expert: services, priced amount, what the unit recorded as paid, what
    it still owes, and records not yet priced (awaiting approval or a standard).
    """
    first, last = quarter_bounds(year, quarter)
    where = _unit_records_filter(unit.id, first, last)
    paid_cents = case((ServiceRecord.unit_paid_on.is_not(None), _cents(ServiceRecord.amount)), else_=0)
    unpriced = case((ServiceRecord.amount.is_(None), 1), else_=0)
    rows = db.session.execute(
        select(
            ServiceRecord.expert_id, Expert.name, Expert.employer, func.count(),
            func.sum(_cents(ServiceRecord.amount)), func.sum(paid_cents), func.sum(unpriced),
        )
        .join(Expert, Expert.id == ServiceRecord.expert_id)
        .where(where)
        .group_by(ServiceRecord.expert_id, Expert.name, Expert.employer)
        .order_by(Expert.name)
    ).all()
    experts = []
    for expert_id, name, employer, count, amount_c, paid_c, unpriced_n in rows:
        amount, paid = _yuan(amount_c), _yuan(paid_c)
        experts.append(ExpertDue(expert_id, name, employer or "", int(count), amount, paid, amount - paid,
                                 int(unpriced_n or 0)))
    records = db.session.scalars(
        select(ServiceRecord).where(where).options(selectinload(ServiceRecord.expert))
        .order_by(ServiceRecord.service_date, ServiceRecord.id)
    ).all()
    return TownDues(unit, year, quarter, experts, list(records))


def town_totals(year: int, quarter: int) -> list[tuple[OrgUnit, int, Decimal, Decimal, int]]:
    """Every unit with unit-paid records in the quarter: (unit, services, amount, owed, unpriced)."""
    first, last = quarter_bounds(year, quarter)
    paid_cents = case((ServiceRecord.unit_paid_on.is_not(None), _cents(ServiceRecord.amount)), else_=0)
    unpriced = case((ServiceRecord.amount.is_(None), 1), else_=0)
    rows = db.session.execute(
        select(ServiceRecord.unit_id, func.count(), func.sum(_cents(ServiceRecord.amount)), func.sum(paid_cents),
               func.sum(unpriced))
        .where(ServiceRecord.payer == "unit", ServiceRecord.service_date.between(first, last),
               ServiceRecord.unit_id.is_not(None))
        .group_by(ServiceRecord.unit_id)
    ).all()
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_([r[0] for r in rows])))}
    out = []
    for unit_id, count, amount_c, paid_c, unpriced_n in rows:
        amount = _yuan(amount_c)
        out.append((units[unit_id], int(count), amount, amount - _yuan(paid_c), int(unpriced_n or 0)))
    return sorted(out, key=lambda row: (row[0].kind, row[0].name))


def mark_unit_paid(records: Iterable[ServiceRecord], actor: User, paid_on: dt.date | None = None) -> int:
    """The unit records that it has paid the expert for these records (第十九条). Flushes.

    Only priced records the unit pays itself; a town user only for his own
    unit. The amount is then settled. Returns how many were marked.
    """
    paid_on = paid_on or dt.date.today()
    if paid_on > dt.date.today():
        raise DomainError("支付日期不能晚于今天")
    count = 0
    for record in records:
        if record.payer != "unit":
            raise DomainError("该服务费由区应急管理局支付，用人单位无需登记支付")
        if getattr(actor, "role", None) == "town" and record.unit_id != actor.org_unit_id:
            raise DomainError("只能登记本单位聘用专家的费用支付")
        if record.amount is None:
            raise DomainError("服务记录尚未计价，不能登记支付")
        if record.unit_paid_on is not None:
            continue
        record.unit_paid_on = paid_on
        count += 1
    db.session.flush()
    return count


# --- the expert's own statement -----------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One payout line as the expert sees it."""

    batch_label: str
    pay_month: str
    state_label: str
    pay_date: dt.date | None
    service_count: int
    gross: Decimal
    tax: Decimal
    net: Decimal
    is_adjustment: bool
    note: str | None


@dataclass(frozen=True)
class StatementRecord:
    """One service record as the expert sees it."""

    service_date: dt.date
    activity_label: str
    unit_name: str
    units: Decimal
    amount: Decimal | None
    basis: str | None
    payer_label: str
    status: str


@dataclass
class Statement:
    """An expert's own payouts and services (SPEC §3.15: only his own)."""

    lines: list[StatementLine]
    records: list[StatementRecord]

    @property
    def months(self) -> list[tuple[str, Decimal, Decimal, Decimal]]:
        """Per pay month (newest first): gross, tax, net over reviewed and paid lines."""
        sums: dict[str, list[Decimal]] = {}
        for line in self.lines:
            entry = sums.setdefault(line.pay_month, [Decimal("0.00")] * 3)
            entry[0] += line.gross
            entry[1] += line.tax
            entry[2] += line.net
        return [(m, *v) for m, v in sorted(sums.items(), reverse=True)]


def expert_statement(expert: Expert, record_limit: int = 200) -> Statement:
    """The expert's payout lines on reviewed and paid batches and his latest service records.

    Draft batches are not shown as payouts (their tax is provisional); their
    records show as 已汇总待审核.
    """
    line_rows = db.session.execute(
        select(PayoutLine, PayoutBatch)
        .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
        .where(PayoutLine.expert_id == expert.id, PayoutBatch.state.in_(LOCKED_STATES))
        .order_by(PayoutLine.pay_month.desc(), PayoutBatch.id.desc(), PayoutLine.is_adjustment, PayoutLine.id)
    ).all()
    lines = [
        StatementLine(
            batch_label=str(batch), pay_month=line.pay_month, state_label=PAYOUT_STATES.get(batch.state, batch.state),
            pay_date=batch.pay_date, service_count=line.service_count, gross=line.gross, tax=line.tax, net=line.net,
            is_adjustment=line.is_adjustment, note=line.note,
        )
        for line, batch in line_rows
    ]
    record_rows = db.session.execute(
        select(ServiceRecord, PayoutBatch.state)
        .outerjoin(PayoutLine, PayoutLine.id == ServiceRecord.payout_line_id)
        .outerjoin(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
        .where(ServiceRecord.expert_id == expert.id)
        .options(selectinload(ServiceRecord.unit), selectinload(ServiceRecord.expert))
        .order_by(ServiceRecord.service_date.desc(), ServiceRecord.id.desc())
        .limit(record_limit)
    ).all()
    drafts = draft_quarters()
    records = [
        StatementRecord(
            service_date=record.service_date, activity_label=ACTIVITY_TYPES.get(record.activity, record.activity),
            unit_name=record.unit.name if record.unit else "", units=record.units, amount=record.amount,
            basis=record.basis, payer_label=PAYERS.get(record.payer, record.payer),
            status=record_status(record, state or "", drafts),
        )
        for record, state in record_rows
    ]
    return Statement(lines, records)


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


# --- guards: a locked batch and a settled amount never change, whatever the code path ----------------

_BATCH_MUTABLE_ON_PAY = {"state", "paid_at", "pay_date", "updated_at", "version"}
_RECORD_FREE = {"note", "updated_at", "version"}


def _changed_columns(target) -> set[str]:
    state = inspect(target)
    return {attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()}


def _old_value(target, key):
    history = inspect(target).attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(target, key)


def _batch_state(connection, batch_id) -> str | None:
    if batch_id is None:
        return None
    return connection.execute(select(PayoutBatch.state).where(PayoutBatch.id == batch_id)).scalar()


def _line_batch_state(connection, line_id) -> str | None:
    if line_id is None:
        return None
    return connection.execute(
        select(PayoutBatch.state).join(PayoutLine, PayoutLine.batch_id == PayoutBatch.id).where(PayoutLine.id == line_id)
    ).scalar()


@event.listens_for(PayoutBatch, "before_update")
def _guard_batch_update(_mapper, _connection, target):
    old_state = _old_value(target, "state")
    if old_state not in LOCKED_STATES:
        return
    changed = _changed_columns(target)
    if old_state == "reviewed" and target.state == "paid" and changed <= _BATCH_MUTABLE_ON_PAY:
        old_pay = _old_value(target, "pay_date")
        new_pay = target.pay_date
        if old_pay is None or new_pay is None or (old_pay.year, old_pay.month) == (new_pay.year, new_pay.month):
            return
    if changed <= {"updated_at", "version"}:
        return
    raise DomainError(LOCKED_MESSAGE)


@event.listens_for(PayoutBatch, "before_delete")
def _guard_batch_delete(_mapper, _connection, target):
    if _old_value(target, "state") in LOCKED_STATES:
        raise DomainError(LOCKED_MESSAGE)


@event.listens_for(PayoutLine, "before_insert")
def _guard_line_insert(_mapper, connection, target):
    if _batch_state(connection, target.batch_id) in LOCKED_STATES:
        raise DomainError(LOCKED_MESSAGE)


@event.listens_for(PayoutLine, "before_update")
@event.listens_for(PayoutLine, "before_delete")
def _guard_line_change(_mapper, connection, target):
    if _batch_state(connection, _old_value(target, "batch_id")) in LOCKED_STATES:
        raise DomainError(LOCKED_MESSAGE)
    if _batch_state(connection, target.batch_id) in LOCKED_STATES:
        raise DomainError(LOCKED_MESSAGE)


@event.listens_for(ServiceRecord, "before_update")
def _guard_record_update(_mapper, connection, target):
    changed = _changed_columns(target) - _RECORD_FREE
    if not changed:
        return
    line_state = _line_batch_state(connection, _old_value(target, "payout_line_id"))
    if line_state in LOCKED_STATES:
        raise DomainError(SETTLED_MESSAGE)
    if _old_value(target, "unit_paid_on") is not None and changed - {"unit_paid_on"}:
        raise DomainError(SETTLED_MESSAGE)
    # Whoever changes what the fee depends on (the dispatch area re-completing a job, an
    # admin form) without pricing again leaves no stale amount behind: the record goes back
    # to 未计价, and so out of its quarter's draft (which must be refreshed before review).
    if (changed & set(PRICING_INPUTS) and target.amount is not None
            and target.__dict__.get("_fees_priced_inputs") != _inputs_of(target)):
        target.amount = None
        target.basis = None


@event.listens_for(ServiceRecord, "before_delete")
def _guard_record_delete(_mapper, connection, target):
    if _old_value(target, "unit_paid_on") is not None:
        raise DomainError(SETTLED_MESSAGE)
    if _old_value(target, "payout_line_id") is not None:
        # Only review links records, so a linked record is settled. (A draft that paid this
        # record no longer matches its records and is refused at review until refreshed.)
        raise DomainError(SETTLED_MESSAGE)


@event.listens_for(FeeStandard, "before_insert")
def _guard_standard_insert(_mapper, connection, target):
    check_standard_change(connection, target.activity, target.effective_from)


@event.listens_for(FeeStandard, "before_update")
def _guard_standard_update(_mapper, connection, target):
    if not (_changed_columns(target) - {"updated_at", "note"}):
        return
    check_standard_change(connection, _old_value(target, "activity"), _old_value(target, "effective_from"))
    check_standard_change(connection, target.activity, target.effective_from)


@event.listens_for(FeeStandard, "before_delete")
def _guard_standard_delete(_mapper, connection, target):
    check_standard_change(connection, _old_value(target, "activity"), _old_value(target, "effective_from"))
