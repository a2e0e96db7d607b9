"""A service record's payment status as the expert and the office read it (第十九、二十条).

It joins two rules: whether an unpriced record awaits a leader or an amount (pricing) and
where a priced record stands in the quarterly batches (payouts).
"""
from __future__ import annotations

from app.services.fees.pricing import unpriced_status
from app.services.fees.quarters import quarter_of
from app.services.fees.settlement import batch_of_record, draft_of, in_draft_scope
from models import ServiceRecord


def record_status(record: ServiceRecord, batch_state: str | None = None,
                  drafts: set[tuple[int, int]] | None = None) -> str:
    """A record's payment status as the expert and the office read it.

    ``batch_state`` is the state of the batch the record is linked to ("" when it is on
    none) and ``drafts`` the quarters with a draft (:func:`draft_quarters`); list pages pass
    both to spare a query per row, otherwise they are looked up.
    """
    if record.payer == "unit":
        if record.amount is None:
            return unpriced_status(record)
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
        return unpriced_status(record)
    if in_draft_scope(record):
        quarter = quarter_of(record.service_date)
        has_draft = quarter in drafts if drafts is not None else draft_of(*quarter) is not None
        if has_draft:
            return "已汇总待审核"
    return "待纳入季度发放"
