"""Usage requests, draws, assignments, notices and receipts (第十四、十五、十六条, 附件3)."""
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import TimestampMixin, VersionedMixin, limited, utcnow
from models.choices import ACTIVITY_TYPES, RECEIPT_STATES, REQUEST_STATES, RESPONSES, SELECTION_METHODS

if TYPE_CHECKING:
    from models.enterprise import Enterprise
    from models.expert import Expert, ExpertGroup
    from models.org import OrgUnit, User

request_enterprise_link = Table(
    "request_enterprise_link",
    db.metadata,
    Column("request_id", ForeignKey("usage_request.id", ondelete="CASCADE"), primary_key=True),
    Column("enterprise_id", ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True, index=True),
)
request_group_link = Table(
    "request_group_link",
    db.metadata,
    Column("request_id", ForeignKey("usage_request.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("expert_group.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class UsageRequest(TimestampMixin, VersionedMixin, db.Model):
    """A unit's request to use experts (第十五条); emergencies are used first, paperwork later."""

    __tablename__ = "usage_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_no: Mapped[str] = mapped_column(String(30), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    activity_type: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, info=limited("使用事由", 2000))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    headcount: Mapped[int] = mapped_column(Integer, default=1)
    backups: Mapped[int] = mapped_column(Integer, default=1)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_reason: Mapped[str | None] = mapped_column(String(20))
    paperwork_due: Mapped[date | None] = mapped_column(Date)
    paperwork_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20), default="submitted", index=True)

    unit: Mapped["OrgUnit"] = relationship()
    enterprises: Mapped[list["Enterprise"]] = relationship(secondary=request_enterprise_link)
    groups: Mapped[list["ExpertGroup"]] = relationship(secondary=request_group_link)
    assignments: Mapped[list["Assignment"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Assignment.rank"
    )
    draws: Mapped[list["Draw"]] = relationship(back_populates="request", cascade="all, delete-orphan")
    notices: Mapped[list["Notice"]] = relationship(back_populates="request")

    @property
    def activity_label(self) -> str:
        return ACTIVITY_TYPES.get(self.activity_type, self.activity_type)

    @property
    def state_label(self) -> str:
        return REQUEST_STATES.get(self.state, self.state)

    def __str__(self) -> str:
        return f"{self.request_no} {self.subject}"


class Draw(db.Model):
    """A recorded random draw: conditions, seed and result, so anyone can replay it."""

    __tablename__ = "draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("usage_request.id", ondelete="CASCADE"), index=True)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seed: Mapped[str] = mapped_column(String(64))
    conditions: Mapped[dict] = mapped_column(JSON)
    eligible_ids: Mapped[list] = mapped_column(JSON)
    chosen_ids: Mapped[list] = mapped_column(JSON)
    backup_ids: Mapped[list] = mapped_column(JSON)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text, info=limited("作废原因", 1000))

    request: Mapped[UsageRequest] = relationship(back_populates="draws")
    drawn_by: Mapped[Optional["User"]] = relationship()


class Assignment(TimestampMixin, VersionedMixin, db.Model):
    """An expert on a job: how chosen, the response, attendance and the work done."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("usage_request.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draw.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(20), default="draw")
    designation_reason: Mapped[str | None] = mapped_column(Text, info=limited("指定理由", 1000))
    is_backup: Mapped[bool] = mapped_column(Boolean, default=False)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    response: Mapped[str] = mapped_column(String(30), default="pending", index=True)
    response_reason: Mapped[str | None] = mapped_column(Text, info=limited("答复理由", 1000))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    work_units: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # days / times / events
    work_started_at: Mapped[datetime | None] = mapped_column(DateTime)  # local time of emergency work
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    request: Mapped[UsageRequest] = relationship(back_populates="assignments")
    expert: Mapped["Expert"] = relationship(back_populates="assignments")

    @property
    def method_label(self) -> str:
        return SELECTION_METHODS.get(self.method, self.method)

    @property
    def response_label(self) -> str:
        return RESPONSES.get(self.response, self.response)


class Notice(TimestampMixin, VersionedMixin, db.Model):
    """告知书 with its 回执 (第十六条, 附件3): one per enterprise per job."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_no: Mapped[str] = mapped_column(String(30), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("usage_request.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    receipt_state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    receipt_method: Mapped[str | None] = mapped_column(String(20))
    signer_name: Mapped[str | None] = mapped_column(String(50))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scan_path: Mapped[str | None] = mapped_column(String(255))

    request: Mapped[UsageRequest] = relationship(back_populates="notices")
    enterprise: Mapped["Enterprise"] = relationship()

    @property
    def receipt_label(self) -> str:
        return RECEIPT_STATES.get(self.receipt_state, self.receipt_state)
