"""Audit log and editable settings."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import utcnow


class AuditLog(db.Model):
    """Who changed what and when, with each field's old → new value (ID numbers masked)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(10))  # create / update / delete
    table_name: Mapped[str] = mapped_column(String(50), index=True)
    row_id: Mapped[int | None] = mapped_column(Integer, index=True)
    summary: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    # The client's address as the app sees it (behind nginx: X-Forwarded-For via PROXY_FIX);
    # empty for commands run outside a request (backups, create-user).
    client_addr: Mapped[str] = mapped_column(String(64), default="", server_default="")

    user: Mapped[Optional["User"]] = relationship()  # noqa: F821


class Setting(db.Model):
    """A named setting (night hours, paperwork days, grade thresholds...), as text."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100), default="")
