"""Evaluations (附件5), follow-up visits and enforcement plans (第二十二条).

The 附件5 form itself is a form definition (:mod:`models.forms`, code ``annex5``); an
:class:`Evaluation` is the record the rules of 第二十一、二十二条 read, one per submission of it.
"""
from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import TimestampMixin, limited, utcnow
from models.choices import EVAL_VARIANTS
from models.forms import FormAnswer, FormSubmission, FormVersion

if TYPE_CHECKING:
    from models.enterprise import Enterprise
    from models.expert import Expert
    from models.org import OrgUnit


class Evaluation(TimestampMixin, db.Model):
    """One filled 评价表 (a submission of the ``annex5`` form), with the figures the rules read.

    ``submission`` holds every answer as filled (scores, 发现问题, 意见和建议, the signature)
    and the form version; the columns here are what the board, coverage, statistics, the
    annual assessment and the admin list read, written once by the scoring service from
    the validated submission. ``client_uuid`` makes re-sends idempotent.
    """

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str | None] = mapped_column(String(64), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("form_submission.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"), index=True)
    variant: Mapped[str] = mapped_column(String(1))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="SET NULL"))
    matter: Mapped[str] = mapped_column(String(200))  # 考评事项
    evaluator_name: Mapped[str] = mapped_column(String(50))
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    evaluated_on: Mapped[date] = mapped_column(Date, index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    is_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    is_service_quality: Mapped[bool] = mapped_column(Boolean, default=False)  # counts toward 20% coverage
    total: Mapped[int] = mapped_column(Integer)

    submission: Mapped[FormSubmission] = relationship()
    version: Mapped[FormVersion] = relationship()
    expert: Mapped["Expert"] = relationship(back_populates="evaluations")
    unit: Mapped["OrgUnit"] = relationship()

    @property
    def variant_label(self) -> str:
        return EVAL_VARIANTS.get(self.variant, self.variant)

    @property
    def scores(self) -> list[FormAnswer]:
        """The answers to the score items (``.item``, ``.score``, ``.problem``)."""
        return [a for a in self.submission.answers if a.field.kind == "score"]

    @property
    def suggestions(self) -> str | None:
        """意见和建议 as filled."""
        for answer in self.submission.answers:
            if answer.field.key == "suggestions":
                return answer.text
        return None


class FollowUp(TimestampMixin, db.Model):
    """回访测评: the enterprise's view of an expert's service, recorded by staff."""

    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    satisfaction: Mapped[int] = mapped_column(Integer)  # 1..5
    comment: Mapped[str | None] = mapped_column(Text, info=limited("回访意见", 2000))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    expert: Mapped["Expert"] = relationship(back_populates="follow_ups")
    enterprise: Mapped[Optional["Enterprise"]] = relationship()


class EnforcementPlan(TimestampMixin, db.Model):
    """A unit's planned enforcement checks for a year (the 20% coverage rule)."""

    __tablename__ = "enforcement_plan"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    planned_checks: Mapped[int] = mapped_column(Integer)

    unit: Mapped["OrgUnit"] = relationship()
