"""What a town or unit owes the experts it engaged directly, and what it has paid (第十九条).

A record's ``payer`` is ``"bureau"`` (the bureau's budget) or ``"unit"`` (the town
or unit that engaged the expert directly). The bureau's quarterly batches
(:mod:`app.services.fees.payouts`) gather only its own records; each town sees what it
owes (:func:`what_town_owes`, :func:`town_totals`) and records what it has paid
(:func:`mark_unit_paid`), which settles the amount: it is never altered afterwards.

Money is ``Decimal``; sums are taken in SQL as whole 分 (:func:`app.services.fees.settlement.cents`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.fees.quarters import quarter_bounds
from app.services.fees.settlement import cents, yuan
from app.services.fees.tax import withholding_tax
from models import Expert, OrgUnit, ServiceRecord, User


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
    paid_cents = case((ServiceRecord.unit_paid_on.is_not(None), cents(ServiceRecord.amount)), else_=0)
    unpriced = case((ServiceRecord.amount.is_(None), 1), else_=0)
    rows = db.session.execute(
        select(
            ServiceRecord.expert_id, Expert.name, Expert.employer, func.count(),
            func.sum(cents(ServiceRecord.amount)), func.sum(paid_cents), func.sum(unpriced),
        )
        .join(Expert, Expert.id == ServiceRecord.expert_id)
        .where(where)
        .group_by(ServiceRecord.expert_id, Expert.name, Expert.employer)
        .order_by(Expert.name)
    ).all()
    experts = []
    for expert_id, name, employer, count, amount_c, paid_c, unpriced_n in rows:
        amount, paid = yuan(amount_c), yuan(paid_c)
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
    paid_cents = case((ServiceRecord.unit_paid_on.is_not(None), cents(ServiceRecord.amount)), else_=0)
    unpriced = case((ServiceRecord.amount.is_(None), 1), else_=0)
    rows = db.session.execute(
        select(ServiceRecord.unit_id, func.count(), func.sum(cents(ServiceRecord.amount)), func.sum(paid_cents),
               func.sum(unpriced))
        .where(ServiceRecord.payer == "unit", ServiceRecord.service_date.between(first, last),
               ServiceRecord.unit_id.is_not(None))
        .group_by(ServiceRecord.unit_id)
    ).all()
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_([r[0] for r in rows])))}
    out = []
    for unit_id, count, amount_c, paid_c, unpriced_n in rows:
        amount = yuan(amount_c)
        out.append((units[unit_id], int(count), amount, amount - yuan(paid_c), int(unpriced_n or 0)))
    return sorted(out, key=lambda row: (row[0].kind, row[0].name))


def mark_unit_paid(records: Iterable[ServiceRecord], actor: User, paid_on: dt.date | None = None) -> int:
    """The unit records that it has paid the expert for these records (第十九条). Flushes.

    Only priced records the unit pays itself; a town user only for his own
    unit. The amount is then settled. Returns how many were marked.
    """
    paid_on = paid_on or clock.today()
    if paid_on > clock.today():
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
