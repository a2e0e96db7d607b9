"""Backup runs: when each nightly (or manual) backup ended, where it went, or why it failed."""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from models.base import utcnow


class BackupRun(db.Model):
    """One run of ``flask backup``: a good archive (path, size) or a failure (message).

    Kept in the database, not in a file of one machine, so that every host and worker
    shows the same age of the last good backup (SPEC §6: hosts share state only through
    the database and Redis).
    """

    __tablename__ = "backup_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    path: Mapped[str] = mapped_column(String(500), default="")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    seconds: Mapped[float | None] = mapped_column(Float)
    host: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(String(500), default="")

    def __str__(self) -> str:
        return f"{'备份成功' if self.ok else '备份失败'} {self.path or self.message}"[:200]
