"""Applications, review trail, terms, commitment letters, permits, dismissals,
announcements and the expert timeline (第六、七、十二、十三条; SPEC §2)."""
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import TimestampMixin, VersionedMixin, limited, utcnow
from models.choices import (
    ANNOUNCEMENT_KINDS,
    APPLICATION_CHANNELS,
    APPLICATION_STATES,
    DISMISSAL_ORIGINS,
    DISMISSAL_REASONS,
    DISMISSAL_STATES,
)

if TYPE_CHECKING:
    from models.expert import Expert
    from models.org import OrgUnit, User


class Application(TimestampMixin, VersionedMixin, db.Model):
    """A recommendation or self-recommendation (第十二条(一)(二)) for one expert record."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(30), unique=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recommending_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    recommending_unit_name: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(30), default="submitted", index=True)
    is_renewal: Mapped[bool] = mapped_column(Boolean, default=False)
    direct_appointment: Mapped[bool] = mapped_column(Boolean, default=False)  # 特需专家 (第十二条(五))
    direct_reason: Mapped[str | None] = mapped_column(Text, info=limited("直接聘任理由", 1000))
    # The office's pending proposal to appoint directly (第十二条(五)), until the leader decides.
    direct_proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    direct_proposal: Mapped[str | None] = mapped_column(Text, info=limited("提请直接聘任理由", 1000))
    test_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    age_override_reason: Mapped[str | None] = mapped_column(Text, info=limited("年龄超限说明", 1000))
    age_override_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    expert: Mapped["Expert"] = relationship()
    recommending_unit: Mapped[Optional["OrgUnit"]] = relationship()
    steps: Mapped[list["ReviewStep"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ReviewStep.id"
    )

    @property
    def channel_label(self) -> str:
        return APPLICATION_CHANNELS.get(self.channel, self.channel)

    @property
    def state_label(self) -> str:
        return APPLICATION_STATES.get(self.state, self.state)

    def __str__(self) -> str:
        return self.receipt_no


class ReviewStep(db.Model):
    """One step of the review trail: who, when, from which state to which, and the opinion."""

    __tablename__ = "review_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    opinion: Mapped[str | None] = mapped_column(Text, info=limited("意见", 2000))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    application: Mapped[Application] = relationship(back_populates="steps")
    actor: Mapped[Optional["User"]] = relationship()


class Term(TimestampMixin, db.Model):
    """An appointment term of 3 years (第六条) with its 届次 and 发文文号 (第七条)."""

    __tablename__ = "term"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    cohort: Mapped[int] = mapped_column(Integer)  # 届次
    doc_no: Mapped[str | None] = mapped_column(String(50))  # 发文文号
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date, index=True)
    announced_on: Mapped[date | None] = mapped_column(Date)
    is_renewal: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_on: Mapped[date | None] = mapped_column(Date)  # set when cut short (dismissal, 换届)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))

    expert: Mapped["Expert"] = relationship(back_populates="terms")

    def __str__(self) -> str:
        return f"第{self.cohort}届 {self.start_date}至{self.end_date}"


class CommitmentLetter(TimestampMixin, db.Model):
    """The signed 承诺书 (附件1); an expert without one is not dispatchable (第四条)."""

    __tablename__ = "commitment_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    signed_on: Mapped[date] = mapped_column(Date)
    scan_path: Mapped[str | None] = mapped_column(String(255))

    expert: Mapped["Expert"] = relationship(back_populates="commitment_letters")
    term: Mapped[Term | None] = relationship()


class Permit(TimestampMixin, db.Model):
    """专家工作证 (第七条): number and an unforgeable random verification token."""

    __tablename__ = "permit"
    __table_args__ = (
        # The office's 待打印 queue, counted on every admin page it opens: only the few live
        # permits not yet printed (app.services.permits.issuing.unprinted_query; migration 0022).
        Index("ix_permit_unprinted", "issued_at", sqlite_where=text("printed_at IS NULL AND revoked_at IS NULL"),
              postgresql_where=text("printed_at IS NULL AND revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    permit_no: Mapped[str] = mapped_column(String(30), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
    scan_count: Mapped[int] = mapped_column(Integer, default=0)
    # When the office printed the card (None: issued, still to print — the office's queue).
    printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    expert: Mapped["Expert"] = relationship(back_populates="permits")
    term: Mapped[Term | None] = relationship()

    def __str__(self) -> str:
        return self.permit_no


class VerifyScan(db.Model):
    """One scan of a permit QR code: time, token and a hash of the client address."""

    __tablename__ = "verify_scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    token: Mapped[str] = mapped_column(String(128))
    ip_hash: Mapped[str] = mapped_column(String(64))
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("permit.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20))


class Dismissal(TimestampMixin, VersionedMixin, db.Model):
    """A dismissal (第十三条): proposed by 基础科 or by a rule, approved by a leader."""

    __tablename__ = "dismissal"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(2))
    detail: Mapped[str | None] = mapped_column(Text, info=limited("解聘事实和依据", 10000))
    origin: Mapped[str] = mapped_column(String(20), default="manual")
    state: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text, info=limited("审批意见", 2000))
    effective_on: Mapped[date | None] = mapped_column(Date)
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcement.id"))

    expert: Mapped["Expert"] = relationship(back_populates="dismissals")

    @property
    def reason_label(self) -> str:
        return DISMISSAL_REASONS.get(self.reason, self.reason)

    @property
    def state_label(self) -> str:
        return DISMISSAL_STATES.get(self.state, self.state)

    @property
    def origin_label(self) -> str:
        return DISMISSAL_ORIGINS.get(self.origin, self.origin)


class Announcement(TimestampMixin, db.Model):
    """A public 公告: appointments, dismissals, annual results, blacklist."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    doc_no: Mapped[str | None] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text, default="", info=limited("公告正文", 20000))
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    published_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    entries: Mapped[list["AnnouncementEntry"]] = relationship(
        back_populates="announcement", cascade="all, delete-orphan", order_by="AnnouncementEntry.id"
    )

    @property
    def kind_label(self) -> str:
        return ANNOUNCEMENT_KINDS.get(self.kind, self.kind)

    def __str__(self) -> str:
        return self.title


class AnnouncementEntry(db.Model):
    """One expert named in an announcement; only public facts are kept here."""

    __tablename__ = "announcement_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcement.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(50))
    groups: Mapped[str] = mapped_column(String(200), default="")
    employer: Mapped[str] = mapped_column(String(200), default="")
    remark: Mapped[str | None] = mapped_column(String(200))

    announcement: Mapped[Announcement] = relationship(back_populates="entries")


class StatusEvent(db.Model):
    """The expert's timeline: every status change with who, when and why."""

    __tablename__ = "status_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    event: Mapped[str] = mapped_column(String(100))  # Chinese summary, e.g. 初审通过
    reason: Mapped[str | None] = mapped_column(Text, info=limited("说明", 4000))

    actor: Mapped[Optional["User"]] = relationship()
    expert: Mapped["Expert"] = relationship(back_populates="timeline")
