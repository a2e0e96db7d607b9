"""Mapper guards: a locked batch and a settled amount never change, whatever the code path (第二十条, SPEC §2).

**Settled amounts are never altered**: a record on a reviewed or paid batch, or one
its unit has recorded as paid, is never re-priced, edited or deleted, and nothing in a
reviewed or paid batch changes (only 已审核 → 已发放, within the batch's tax month);
corrections go into a later draft batch as adjustment lines. A record whose pricing
inputs change without its being priced again loses its stale amount (back to 未计价),
and a fee standard row may not be added, changed or deleted over settled records
(第二十条: 适时予以调整, :func:`app.services.fees.pricing.check_standard_change`).

The SQLAlchemy mapper events below enforce this for every code path (admin forms,
other services), not only the functions of :mod:`app.services.fees.payouts` and
:mod:`app.services.fees.pricing`. They are registered once per process by :func:`init_app`, called from the
application factory like the audit hook.
"""
from __future__ import annotations

from sqlalchemy import event, inspect, select

from app.services.errors import DomainError
from app.services.fees import pricing
from app.services.fees.settlement import LOCKED_MESSAGE, LOCKED_STATES, SETTLED_MESSAGE
from models import FeeStandard, PayoutBatch, PayoutLine, ServiceRecord

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
        select(PayoutBatch.state)
        .join(PayoutLine, PayoutLine.batch_id == PayoutBatch.id)
        .where(PayoutLine.id == line_id)
    ).scalar()


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


def _guard_batch_delete(_mapper, _connection, target):
    if _old_value(target, "state") in LOCKED_STATES:
        raise DomainError(LOCKED_MESSAGE)


def _guard_line_insert(_mapper, connection, target):
    if _batch_state(connection, target.batch_id) in LOCKED_STATES:
        raise DomainError(LOCKED_MESSAGE)


def _guard_line_change(_mapper, connection, target):
    if _batch_state(connection, _old_value(target, "batch_id")) in LOCKED_STATES:
        raise DomainError(LOCKED_MESSAGE)
    if _batch_state(connection, target.batch_id) in LOCKED_STATES:
        raise DomainError(LOCKED_MESSAGE)


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
    if (changed & set(pricing.PRICING_INPUTS) and target.amount is not None
            and target.__dict__.get("_fees_priced_inputs") != pricing.inputs_of(target)):
        target.amount = None
        target.basis = None


def _guard_record_delete(_mapper, connection, target):
    if _old_value(target, "unit_paid_on") is not None:
        raise DomainError(SETTLED_MESSAGE)
    if _old_value(target, "payout_line_id") is not None:
        # Only review links records, so a linked record is settled. (A draft that paid this
        # record no longer matches its records and is refused at review until refreshed.)
        raise DomainError(SETTLED_MESSAGE)


def _guard_standard_insert(_mapper, connection, target):
    pricing.check_standard_change(connection, target.activity, target.effective_from)


def _guard_standard_update(_mapper, connection, target):
    if not (_changed_columns(target) - {"updated_at", "note"}):
        return
    pricing.check_standard_change(connection, _old_value(target, "activity"), _old_value(target, "effective_from"))
    pricing.check_standard_change(connection, target.activity, target.effective_from)


def _guard_standard_delete(_mapper, connection, target):
    pricing.check_standard_change(connection, _old_value(target, "activity"), _old_value(target, "effective_from"))


_GUARDS = (
    (PayoutBatch, "before_update", _guard_batch_update),
    (PayoutBatch, "before_delete", _guard_batch_delete),
    (PayoutLine, "before_insert", _guard_line_insert),
    (PayoutLine, "before_update", _guard_line_change),
    (PayoutLine, "before_delete", _guard_line_change),
    (ServiceRecord, "before_update", _guard_record_update),
    (ServiceRecord, "before_delete", _guard_record_delete),
    (FeeStandard, "before_insert", _guard_standard_insert),
    (FeeStandard, "before_update", _guard_standard_update),
    (FeeStandard, "before_delete", _guard_standard_delete),
)


def init_app(_app=None) -> None:
    """Register the mapper guards once per process (the mapped classes are shared by every app)."""
    for model, name, guard in _GUARDS:
        if not event.contains(model, name, guard):
            event.listen(model, name, guard)
