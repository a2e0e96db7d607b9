"""The expert's own fee statement on the phone (第二十条; SPEC §3.10, §3.15: only his own).

His payout lines on reviewed and paid batches, summed per pay month (the tax month:
gross, income tax withheld, net), and his latest service records with their payment
status (:func:`app.services.fees.record_status.record_status`). Draft batches are not shown as
payouts: their tax is provisional.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.services.fees.record_status import record_status
from app.services.fees.settlement import LOCKED_STATES, draft_quarters
from models import Expert, PayoutBatch, PayoutLine, ServiceRecord
from models.choices import ACTIVITY_TYPES, PAYERS, PAYOUT_STATES


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
