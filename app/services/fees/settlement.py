"""Which service records and payout lines are settled (第二十条): the locked batch states, the
conditions that find a record's batch or a draft's records, and the money helpers (分 ↔ 元) the
batch statements share. The payout batches themselves are built in :mod:`payouts`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    and_,
    cast,
    false,
    func,
    or_,
    select,
)

from app.extensions import db
from app.services.errors import DomainError
from app.services.fees.quarters import (
    quarter_bounds,
    quarter_of,
)
from app.services.fees.tax import CENT, as_money
from models import PayoutBatch, PayoutLine, ServiceRecord, User

#: Batch states whose lines are settled: they count as previous income of the
#: month, and nothing on them may change.
LOCKED_STATES = ("reviewed", "paid")

LOCKED_MESSAGE = "该发放批次已审核锁定，不能修改；如需更正，请在以后的草稿批次中录入调整。"
SETTLED_MESSAGE = ("该服务记录的金额已结算（已纳入已审核的发放批次或用人单位已支付），不能再修改或删除；"
                   "如需更正，请在以后的批次中录入调整。")


# --- money in SQL: whole 分 -----------------------------------------------------------


def cents(column):
    """A money column as whole 分 (BIGINT): exact on SQLite (REAL storage) and PostgreSQL."""
    return cast(func.round(column * 100), BigInteger)


def yuan(cents: object) -> Decimal:
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
        select(PayoutBatch).where(PayoutBatch.year == year, PayoutBatch.quarter == quarter,
                                  PayoutBatch.state == "draft")
    )


def draft_quarters() -> set[tuple[int, int]]:
    """(year, quarter) of every draft batch (one query; for list pages and statements)."""
    drafts = select(PayoutBatch.year, PayoutBatch.quarter).where(PayoutBatch.state == "draft")
    return set(db.session.execute(drafts).all())


def in_draft_scope(record: ServiceRecord) -> bool:
    """Whether a draft of the record's quarter would pay it: a priced, open bureau record."""
    return (record.payout_line_id is None and record.payer == "bureau" and record.amount is not None
            and record.unit_paid_on is None and record.service_date is not None)


def batch_of_record(record: ServiceRecord) -> PayoutBatch | None:
    """The batch that pays the record: the reviewed batch it is linked to, or its quarter's draft."""
    if record.payout_line_id is not None:
        line = db.session.get(PayoutLine, record.payout_line_id)
        return line.batch if line is not None else None
    if in_draft_scope(record):
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


# --- typed amounts and who acted (shared with app.services.fees.pricing) ------------------------------


def parse_money(value: object, label: str) -> Decimal:
    """An amount typed on a form (or given) as ``Decimal`` 元, or a Chinese refusal naming ``label``."""
    if isinstance(value, str):
        raw = value.strip().replace(",", "").replace("，", "")
        if not raw:
            raise DomainError(f"请填写{label}")
        try:
            value = Decimal(raw)
        except ArithmeticError:
            raise DomainError(f"{label}不是有效的数字：{raw}") from None
    return as_money(value, label, allow_negative=True)


def who(actor: User | None) -> str:
    """How a note names the user who acted."""
    if actor is None:
        return "系统"
    return actor.full_name or actor.username


# --- batches ------------------------------------------------------------------------------


def _unpaid_bureau_filter(first: dt.date, last: dt.date):
    return and_(
        ServiceRecord.payer == "bureau",
        ServiceRecord.payout_line_id.is_(None),
        ServiceRecord.amount.is_not(None),
        ServiceRecord.service_date >= first,
        ServiceRecord.service_date <= last,
    )


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
        select(ServiceRecord.payer, ServiceRecord.amount.is_(None), ServiceRecord.payout_line_id.is_(None),
               func.count())
        .where(ServiceRecord.service_date >= first, ServiceRecord.service_date <= last)
        .group_by(ServiceRecord.payer, ServiceRecord.amount.is_(None), ServiceRecord.payout_line_id.is_(None))
    ).all()
    counts = {"open": 0, "unpriced": 0, "settled": 0, "unit": 0}
    for payer, unpriced, unlinked, n in rows:
        key = "unit" if payer == "unit" else "settled" if not unlinked else "unpriced" if unpriced else "open"
        counts[key] += n
    batches = db.session.scalars(
        select(PayoutBatch).where(PayoutBatch.year == year, PayoutBatch.quarter == quarter)
        .order_by(PayoutBatch.sequence)
    ).all()
    has_draft = any(b.state == "draft" for b in batches)
    return QuarterOverview(
        ready=0 if has_draft else counts["open"], in_draft=counts["open"] if has_draft else 0,
        unpriced=counts["unpriced"], settled=counts["settled"], unit=counts["unit"], batches=batches,
    )
