"""Shared column types and mixins for every model."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Integer, Numeric, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.clock import utcnow
from app.extensions import db

# Money: 元 with 分 precision, always Decimal (SPEC §3.10).
Money = Numeric(12, 2, asdecimal=True)


class TimestampMixin:
    """Creation and last-change times."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class VersionedMixin:
    """Optimistic locking: a stale UPDATE raises ``StaleDataError`` instead of overwriting.

    The admin forms carry ``version`` and compare it on save, so a concurrent edit is
    refused with a message rather than silently lost (issue: no lost edits).
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


__all__ = ["db", "Money", "Decimal", "utcnow", "TimestampMixin", "VersionedMixin"]
