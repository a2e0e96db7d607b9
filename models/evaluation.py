"""The 附件5 evaluation form as versioned data, evaluations, follow-up visits and
enforcement plans (第二十二条)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import TimestampMixin, limited, utcnow
from models.choices import EVAL_VARIANTS


class EvalForm(TimestampMixin, db.Model):
    """A version of the evaluation form; version 1 is 附件5 as published."""

    __tablename__ = "eval_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(100), default="武进区安全生产专家服务情况评价表")
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text, info=limited("版本说明", 1000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    items: Mapped[list["EvalItem"]] = relationship(
        back_populates="form", cascade="all, delete-orphan", order_by="EvalItem.position"
    )

    def __str__(self) -> str:
        return f"第{self.version}版"


class EvalItem(db.Model):
    """One scored line: section ``required``, ``A`` or ``B``, its wording and maximum."""

    __tablename__ = "eval_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("eval_form.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, info=limited("评价事项", 300))
    max_score: Mapped[int] = mapped_column(Integer)

    form: Mapped[EvalForm] = relationship(back_populates="items")


class Evaluation(TimestampMixin, db.Model):
    """One filled 评价表; keeps its form version. ``client_uuid`` makes re-sends idempotent."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str | None] = mapped_column(String(64), unique=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("eval_form.id"), index=True)
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
    suggestions: Mapped[str | None] = mapped_column(Text, info=limited("意见和建议", 2000))

    form: Mapped[EvalForm] = relationship()
    expert: Mapped["Expert"] = relationship(backref="evaluations")  # noqa: F821
    unit: Mapped["OrgUnit"] = relationship()  # noqa: F821
    scores: Mapped[list["EvalScore"]] = relationship(back_populates="evaluation", cascade="all, delete-orphan")

    @property
    def variant_label(self) -> str:
        return EVAL_VARIANTS.get(self.variant, self.variant)


class EvalScore(db.Model):
    """A score for one item with its 发现问题 note."""

    __tablename__ = "eval_score"
    __table_args__ = (UniqueConstraint("evaluation_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("eval_item.id"))
    score: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(Text, info=limited("发现问题", 1000))

    evaluation: Mapped[Evaluation] = relationship(back_populates="scores")
    item: Mapped[EvalItem] = relationship()


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

    expert: Mapped["Expert"] = relationship(backref="follow_ups")  # noqa: F821
    enterprise: Mapped[Optional["Enterprise"]] = relationship()  # noqa: F821


class EnforcementPlan(TimestampMixin, db.Model):
    """A unit's planned enforcement checks for a year (the 20% coverage rule)."""

    __tablename__ = "enforcement_plan"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    planned_checks: Mapped[int] = mapped_column(Integer)

    unit: Mapped["OrgUnit"] = relationship()  # noqa: F821
