"""The audit trail (SPEC §2 操作日志, §3.20): who changed what and when, and the events that
change no record — append-only and hash-chained with SM3, verifiable, archived after 6 months.

- :mod:`.hook` — every create/update/delete, caught by one session hook;
- :mod:`.events` — logins, exports, backups, key rotation… (:func:`record_event`);
- :mod:`.chain` — the only writer: hashes, the locked chain head, the append-only guards;
- :mod:`.verify` — the check behind ``flask audit-verify`` and the auditor's page;
- :mod:`.archive` — moving entries older than 6 months to a signed file.
"""
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.services.audit import chain, hook
from app.services.audit.chain import AppendOnlyError
from app.services.audit.events import (
    ACTION_LABELS,
    EVENT_KINDS,
    account_unlocked,
    export_made,
    logged_out,
    login_failed,
    login_succeeded,
    record_event,
)
from app.services.audit.hook import suspended

__all__ = [
    "ACTION_LABELS", "EVENT_KINDS", "AppendOnlyError", "account_unlocked", "chain_end", "export_made", "init_app",
    "logged_out", "login_failed", "login_succeeded", "record_event", "suspended",
]


def init_app(app: Flask) -> None:
    """Install the session hook and the append-only guards (once per process)."""
    hook.install()
    chain.install_guards()


def chain_end() -> tuple[int, str] | None:
    """(id, hash) of the chain's last entry as its head says, or None (no head yet, or a
    database from before the audit chain)."""
    from app.extensions import db

    try:
        head = chain.read_head(db.session.connection())
    except SQLAlchemyError:
        db.session.rollback()
        return None
    return (head.last_id, head.last_hash) if head is not None else None
