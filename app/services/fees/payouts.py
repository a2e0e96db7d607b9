"""Paying experts quarterly (第十九、二十条, SPEC §3.10).

Records are priced first (计价, :mod:`app.services.fees.pricing`). Then:

1. **Who pays** (第十九条) — a record's ``payer`` is ``"bureau"`` (the bureau's
   budget) or ``"unit"`` (the town or unit that engaged the expert directly).
   The bureau's batches gather only its own records; what each town owes and
   pays itself is :mod:`app.services.fees.town_dues`.
2. **Quarterly batch** (第二十条: 每季度审核发放一次) — :func:`build_batch`
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
(:func:`app.services.fees.tax.month_withholding`). Taxes are recomputed when the
batch is reviewed, so the order in which batches are reviewed decides which one
withholds the difference.

**Settled amounts are never altered**: a record on a reviewed or paid batch, or
one its unit has recorded as paid, is never re-priced, edited or deleted; a
change of fee standard or holiday table re-prices only open records
(:func:`app.services.fees.pricing.reprice_open_records`). Mapper guards
(:mod:`app.services.fees.guards`, registered by the application factory)
enforce the lock for every code path, not only these functions.

Money is ``Decimal`` throughout; sums are taken in SQL as whole 分 (integers),
so no floating-point value of SQLite's storage ever enters an amount.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import (
    bindparam,
    case,
    exists,
    func,
    inspect,
    select,
    text,
    update,
)

from app import clock
from app.clock import utcnow
from app.extensions import db
from app.services.errors import DomainError
from app.services.fees.quarters import (
    check_quarter,
    month_label,
    quarter_bounds,
    quarter_label,
)
from app.services.fees.settlement import (
    LOCKED_MESSAGE,
    LOCKED_STATES,
    _unpaid_bureau_filter,
    batch_records_condition,
    cents,
    parse_money,
    who,
    yuan,
)
from app.services.fees.tax import month_withholding, withholding_tax
from models import Expert, PayoutBatch, PayoutLine, ServiceRecord, User


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
    day = batch.pay_date or today or clock.today()
    return f"{day:%Y-%m}"


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
            f"{quarter_label(year, quarter)}没有待发放的区应急管理局支付的服务记录"
            "（已计价且未纳入发放批次），未生成批次"
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
        select(ServiceRecord.expert_id, func.count(), func.sum(cents(ServiceRecord.amount)))
        .where(batch_records_condition(batch))
        .group_by(ServiceRecord.expert_id)
    ).all()
    if not rows:
        return 0
    pay_month = pay_month_of(batch)
    previous = _month_so_far(batch, pay_month)
    lines = []
    for expert_id, count, amount_cents in rows:
        gross = yuan(amount_cents)
        tax = _withhold(previous, expert_id, gross, pay_month)
        lines.append(dict(
            batch_id=batch.id, expert_id=expert_id, pay_month=pay_month, service_count=count,
            gross=gross, tax=tax, net=gross - tax, is_adjustment=False,
        ))
    _insert_lines(batch, pay_month, lines)
    _expire_loaded(batch)
    return len(lines)


#: The lines of a batch as one statement on PostgreSQL: each column travels as one array.
_INSERT_LINES_PG = text(
    "INSERT INTO payout_line (batch_id, expert_id, pay_month, service_count, gross, tax, net, is_adjustment) "
    "SELECT :batch_id, e, :pay_month, c, g, t, n, false FROM unnest(CAST(:experts AS integer[]), "
    "CAST(:counts AS integer[]), CAST(:gross AS numeric[]), CAST(:tax AS numeric[]), CAST(:net AS numeric[])) "
    "AS u(e, c, g, t, n)"
)


def _insert_lines(batch: PayoutBatch, pay_month: str, lines: list[dict]) -> None:
    """Insert a batch's regular lines in bulk (Core, not the ORM: plain rows need no identity map).

    On PostgreSQL one ``INSERT … SELECT FROM unnest(…)``: psycopg's executemany sends a
    statement per row, ~40 ms of client CPU for 2,000 lines (bench/payout_bench.py).
    SQLite's executemany runs in-process and is as fast as it gets there.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_INSERT_LINES_PG, {
            "batch_id": batch.id, "pay_month": pay_month, "experts": [r["expert_id"] for r in lines],
            "counts": [r["service_count"] for r in lines], "gross": [r["gross"] for r in lines],
            "tax": [r["tax"] for r in lines], "net": [r["net"] for r in lines],
        })
    else:
        db.session.execute(PayoutLine.__table__.insert(), lines)


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
        expert_id: (yuan(income), yuan(tax))
        for expert_id, income, tax in db.session.execute(
            select(PayoutLine.expert_id, func.sum(cents(PayoutLine.gross)), func.sum(cents(PayoutLine.tax)))
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
        select(PayoutLine.id, PayoutLine.expert_id, cents(PayoutLine.gross))
        .where(PayoutLine.batch_id == batch.id)
        .order_by(PayoutLine.expert_id, PayoutLine.is_adjustment, PayoutLine.id)
    ).all()
    changes = []
    for line_id, expert_id, gross_cents in lines:
        gross = yuan(gross_cents)
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
            func.sum(cents(PayoutLine.gross)),
            func.sum(cents(PayoutLine.tax)),
            func.sum(cents(PayoutLine.net)),
            func.sum(case((PayoutLine.is_adjustment.is_(True), 1), else_=0)),
        )
        .where(PayoutLine.batch_id.in_(ids))
        .group_by(PayoutLine.batch_id)
    ).all()
    out = {bid: BatchTotals(0, 0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), 0) for bid in ids}
    for bid, experts, services, gross, tax, net, adjustments in rows:
        out[bid] = BatchTotals(int(experts), int(services), yuan(gross), yuan(tax), yuan(net), int(adjustments or 0))
    return out


def _check_consistent(batch: PayoutBatch) -> dt.date | None:
    """Refuse a draft whose lines no longer match its records; return its last service date.

    The lines were gathered from the quarter's open records; if one was priced, re-priced,
    taken back, moved or deleted since, the office must refresh (重新汇总) before review.
    """
    paid_by = batch_records_condition(batch)
    records = {
        expert_id: (int(count), int(amount_cents or 0))
        for expert_id, count, amount_cents in db.session.execute(
            select(ServiceRecord.expert_id, func.count(), func.sum(cents(ServiceRecord.amount)))
            .where(paid_by)
            .group_by(ServiceRecord.expert_id)
        )
    }
    lines = {
        expert_id: (int(count), int(gross_cents))
        for expert_id, count, gross_cents in db.session.execute(
            select(PayoutLine.expert_id, PayoutLine.service_count, cents(PayoutLine.gross))
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
    pay_date = pay_date or batch.pay_date or clock.today()
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
    paid_on = paid_on or clock.today()
    if paid_on > clock.today():
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
    value = parse_money(amount, "调整金额")
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
        note=(note.strip() + (f"（{who(actor)}录入）" if actor is not None else ""))[:500],
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
            PayoutLine.pay_month, PayoutLine.service_count, cents(PayoutLine.gross), cents(PayoutLine.tax),
            cents(PayoutLine.net), PayoutLine.is_adjustment, PayoutLine.adjusts_line_id, PayoutLine.note,
        )
        .join(Expert, Expert.id == PayoutLine.expert_id)
        .where(PayoutLine.batch_id == batch.id)
        .order_by(Expert.name, Expert.id, PayoutLine.is_adjustment, PayoutLine.id)
    ).all()
    return [
        BatchLineRow(r[0], r[1], r[2], r[3], r[4] or "", r[5], int(r[6] or 0), yuan(r[7]), yuan(r[8]), yuan(r[9]),
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
