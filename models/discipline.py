"""Violations and the discipline ladder, interviews and annual assessments
(第二十一、二十二条)."""
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import TimestampMixin, VersionedMixin, limited, utcnow
from models.choices import ASSESSMENT_GRADES, INTERVIEW_OUTCOMES, SANCTIONS, VIOLATION_STATES

if TYPE_CHECKING:
    from models.evaluation import Evaluation
    from models.expert import Expert
    from models.lifecycle import Announcement
    from models.org import User


class Violation(TimestampMixin, VersionedMixin, db.Model):
    """A violation of an expert's duties and, once verified, the sanction it drew."""

    __tablename__ = "violation"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    found_on: Mapped[date] = mapped_column(Date)
    finding: Mapped[str] = mapped_column(Text, info=limited("违规情形", 2000))
    investigation: Mapped[str | None] = mapped_column(Text, info=limited("调查核实结果", 2000))
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    verified_on: Mapped[date | None] = mapped_column(Date)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sanction: Mapped[str | None] = mapped_column(String(20))
    sanction_start: Mapped[date | None] = mapped_column(Date)
    sanction_end: Mapped[date | None] = mapped_column(Date)  # first day the expert is usable again
    illegal_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    referral_note: Mapped[str | None] = mapped_column(Text, info=limited("移送情况", 500))
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation.id", ondelete="SET NULL"))
    # The ladder's decision in words, written on verification (e.g. why nothing was escalated).
    ladder_note: Mapped[str | None] = mapped_column(String(300))

    expert: Mapped["Expert"] = relationship(back_populates="violations")
    evaluation: Mapped[Optional["Evaluation"]] = relationship()
    verified_by: Mapped[Optional["User"]] = relationship()

    @property
    def state_label(self) -> str:
        return VIOLATION_STATES.get(self.state, self.state)

    @property
    def sanction_label(self) -> str:
        return SANCTIONS.get(self.sanction, "") if self.sanction else ""


class Interview(TimestampMixin, db.Model):
    """约谈: after a second violation, or for an expert assessed unqualified.

    Created by the rule that calls for it with ``held_on`` empty (待约谈); the office
    fills in the date, notes and, for an assessment interview, the outcome.
    """

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    violation_id: Mapped[int | None] = mapped_column(ForeignKey("violation.id", ondelete="SET NULL"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("annual_assessment.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text, info=limited("约谈记录", 2000))
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))  # assessment interviews: INTERVIEW_OUTCOMES

    expert: Mapped["Expert"] = relationship(back_populates="interviews")
    violation: Mapped[Violation | None] = relationship()
    assessment: Mapped[Optional["AnnualAssessment"]] = relationship()
    interviewer: Mapped[Optional["User"]] = relationship()

    @property
    def outcome_label(self) -> str:
        return INTERVIEW_OUTCOMES.get(self.outcome, "") if self.outcome else ""


class AnnualAssessment(TimestampMixin, db.Model):
    """年度考核 per expert and year: the figures, the grade and its publication."""

    __tablename__ = "annual_assessment"
    __table_args__ = (UniqueConstraint("expert_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    evaluation_count: Mapped[int] = mapped_column(Integer, default=0)
    average_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    follow_up_count: Mapped[int] = mapped_column(Integer, default=0)
    follow_up_average: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    violation_count: Mapped[int] = mapped_column(Integer, default=0)
    assignments: Mapped[int] = mapped_column(Integer, default=0)
    attended: Mapped[int] = mapped_column(Integer, default=0)
    absences: Mapped[int] = mapped_column(Integer, default=0)  # unjustified declines and no-shows
    grade: Mapped[str] = mapped_column(String(20))
    grade_reason: Mapped[str | None] = mapped_column(Text, info=limited("评定理由", 1000))
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcement.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    expert: Mapped["Expert"] = relationship(back_populates="assessments")
    announcement: Mapped[Optional["Announcement"]] = relationship()

    @property
    def grade_label(self) -> str:
        return ASSESSMENT_GRADES.get(self.grade, self.grade)
