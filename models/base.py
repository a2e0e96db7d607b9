"""Shared column types and mixins for every model."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from app import crypto
from app.clock import utcnow
from app.extensions import db

# Money: 元 with 分 precision, always Decimal (SPEC §3.10).
Money = Numeric(12, 2, asdecimal=True)


def limited(label: str, max_length: int) -> dict:
    """``info`` of a free-text column: its Chinese label and the most characters it takes.

    Forms add a length check from it and the flush guard (app/services/limits.py) refuses
    longer text, with a message naming the field and the limit.
    """
    return {"label": label, "max_length": max_length}


class EncryptedString(TypeDecorator):
    """Text the application reads and writes in the clear and the database holds as SM4-GCM
    ciphertext (``sm4gcm:<key id>:…``, app/crypto.py), bound to ``context`` (e.g.
    ``"user.totp_secret"``) so a value copied into another column does not decrypt there.
    The key is never in the database (SPEC §3.18, §3.20).

    ``length`` is the stored (encrypted) length: about 4/3 × the plaintext's UTF-8 bytes + 50.
    Equality searches do not work on such a column: each value has its own random nonce.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int, context: str):
        super().__init__(length)
        self.context = context

    def process_bind_param(self, value, dialect):
        return crypto.encrypt(value, self.context)

    def process_result_value(self, value, dialect):
        return crypto.decrypt(value, self.context)


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
