"""Audit log (append-only, hash-chained) and editable settings."""
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import utcnow

if TYPE_CHECKING:
    from models.org import User


class AuditLog(db.Model):
    """Who changed what and when, with each field's old → new value (ID numbers masked), and
    the events that change no record (logins, exports, backups…).

    Entries are only ever appended, by ``app.services.audit.chain``: each carries the SM3 hash
    of its content and of the entry before it (``prev_hash``), so a changed, inserted or
    removed entry breaks the chain. ``user_id`` is deliberately no foreign key: the log
    outlives the accounts it names, and a database cascade must never rewrite an entry.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(50), default="")
    # create / update / delete / permission for records; login, export, backup… for events
    # (app.services.audit.ACTION_LABELS).
    action: Mapped[str] = mapped_column(String(20), index=True)
    table_name: Mapped[str] = mapped_column(String(50), index=True)
    row_id: Mapped[int | None] = mapped_column(Integer, index=True)
    summary: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    # The client's address as the app sees it (behind nginx: X-Forwarded-For via PROXY_FIX);
    # for commands run on the server, 命令行 and the operating-system account.
    client_addr: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # SM3 (hex) of the previous entry's hash and this entry's content; see the chain module.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    user: Mapped[Optional["User"]] = relationship(
        primaryjoin="foreign(AuditLog.user_id) == User.id", viewonly=True)


class AuditChainHead(db.Model):
    """The chain's last entry (one row, id 1), sealed with an HMAC-SM3 under a key that is not
    in the database: it shows entries removed from the end, and appending locks this row so
    that two transactions can never fork the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str] = mapped_column(String(64))


class Setting(db.Model):
    """A named setting (night hours, paperwork days, grade thresholds...), as text."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100), default="")
