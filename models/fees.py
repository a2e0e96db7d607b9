"""Fee standards, holidays, service records and quarterly payouts (第二十条, 附件4)."""
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import Money, TimestampMixin, VersionedMixin, limited
from models.choices import ACTIVITY_TYPES, PAYERS, PAYOUT_STATES

if TYPE_CHECKING:
    from models.expert import Expert
    from models.org import OrgUnit


class FeeStandard(TimestampMixin, db.Model):
    """A dated row of 附件4; a new row applies from its date, old amounts stay settled."""

    __tablename__ = "fee_standard"
    __table_args__ = (UniqueConstraint("activity", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity: Mapped[str] = mapped_column(String(30))
    unit_label: Mapped[str] = mapped_column(String(10))  # 一天 / 一次 / 一起
    amount: Mapped[Decimal] = mapped_column(Money)
    night_holiday_amount: Mapped[Decimal | None] = mapped_column(Money)
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))

    @property
    def activity_label(self) -> str:
        return ACTIVITY_TYPES.get(self.activity, self.activity)


class Holiday(db.Model):
    """The official calendar: a listed day is a holiday, or a 调休 working day."""

    __tablename__ = "holiday"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(50), default="")


class CalendarYear(db.Model):
    """A year whose calendar data is maintained; other years are refused, not guessed."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class ServiceRecord(TimestampMixin, VersionedMixin, db.Model):
    """Work done by an expert, from which the fee is computed."""

    __tablename__ = "service_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="SET NULL"), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    activity: Mapped[str] = mapped_column(String(30))
    service_date: Mapped[date] = mapped_column(Date, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)  # local wall-clock time
    units: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))
    payer: Mapped[str] = mapped_column(String(10), default="bureau", index=True)
    is_night: Mapped[bool] = mapped_column(Boolean, default=False)
    is_holiday: Mapped[bool] = mapped_column(Boolean, default=False)
    proposed_amount: Mapped[Decimal | None] = mapped_column(Money)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    basis: Mapped[str | None] = mapped_column(String(200))
    payout_line_id: Mapped[int | None] = mapped_column(ForeignKey("payout_line.id"), index=True)
    # 第十九条: a town or unit that engaged the expert directly pays him itself; the day it
    # records the payment settles the amount (it is never re-priced afterwards).
    unit_paid_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text, info=limited("备注", 1000))

    expert: Mapped["Expert"] = relationship(back_populates="service_records")
    unit: Mapped[Optional["OrgUnit"]] = relationship()

    @property
    def payer_label(self) -> str:
        return PAYERS.get(self.payer, self.payer)


class PayoutBatch(TimestampMixin, VersionedMixin, db.Model):
    """A quarter's payout (每季度审核发放一次); locked once reviewed."""

    __tablename__ = "payout_batch"
    __table_args__ = (UniqueConstraint("year", "quarter", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    pay_date: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list["PayoutLine"]] = relationship(back_populates="batch", cascade="all, delete-orphan")

    @property
    def state_label(self) -> str:
        return PAYOUT_STATES.get(self.state, self.state)

    def __str__(self) -> str:
        return f"{self.year}年第{self.quarter}季度（第{self.sequence}批）"


class PayoutLine(db.Model):
    """One expert's line in a batch: gross, tax withheld, net; or an adjustment."""

    __tablename__ = "payout_line"
    # Linking a quarter's records to their expert's line looks lines up by (expert, batch).
    __table_args__ = (Index("ix_payout_line_expert_batch", "expert_id", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batch.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    pay_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM: one 次 for the tax rule
    service_count: Mapped[int] = mapped_column(Integer, default=0)
    gross: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    net: Mapped[Decimal] = mapped_column(Money)
    is_adjustment: Mapped[bool] = mapped_column(Boolean, default=False)
    adjusts_line_id: Mapped[int | None] = mapped_column(ForeignKey("payout_line.id"))
    note: Mapped[str | None] = mapped_column(Text, info=limited("备注", 1000))

    batch: Mapped[PayoutBatch] = relationship(back_populates="lines")
    expert: Mapped["Expert"] = relationship()
