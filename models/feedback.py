"""Experts' opinions (第九条(三)) and enterprises' complaints (附件3 第5点)."""
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import TimestampMixin, limited, utcnow
from models.choices import COMPLAINT_STATES

if TYPE_CHECKING:
    from models.expert import Expert


class Opinion(TimestampMixin, db.Model):
    """An expert's opinion or suggestion to the office."""

    __tablename__ = "opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, info=limited("意见建议", 2000))
    reply: Mapped[str | None] = mapped_column(Text, info=limited("答复", 2000))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    expert: Mapped["Expert"] = relationship(back_populates="opinions")


class Complaint(TimestampMixin, db.Model):
    """A confidential complaint about an expert or a job; complainant data is for 基础科 only."""

    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_no: Mapped[str] = mapped_column(String(30), unique=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id", ondelete="SET NULL"), index=True)
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("permit.id", ondelete="SET NULL"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("usage_request.id", ondelete="SET NULL"))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text, info=limited("情况说明", 2000))
    photo_path: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default="new", index=True)
    handling_note: Mapped[str | None] = mapped_column(Text, info=limited("处理情况", 2000))
    # Opened by an enterprise's follow-up (企业回访) that reported a fee or favour asked: the
    # follow-up is linked, not copied (its text stays confidential in one place).
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("form_submission.id", ondelete="SET NULL"),
                                                    index=True)

    expert: Mapped[Optional["Expert"]] = relationship()

    @property
    def state_label(self) -> str:
        return COMPLAINT_STATES.get(self.state, self.state)
