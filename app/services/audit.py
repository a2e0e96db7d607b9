"""Audit log: every create, update and delete with who, when, from which address, and
old → new values.

Implemented once as a session hook so that no screen can forget it; ID numbers are
masked in the log itself (SPEC §3.15).
"""
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from flask import Flask, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.services.identity import mask_id, mask_phone

# High-volume or self-referential tables that are not audited.
SKIPPED_TABLES = {"audit_log", "verify_scan", "status_event", "login_throttle"}
SENSITIVE_ID = {"id_number"}
SENSITIVE_PHONE = {"mobile", "work_phone", "home_phone", "contact_phone", "phone", "recommender_phone"}
SECRET = {"password_hash", "totp_secret", "token"}


def _plain(value, key: str):
    if value is None:
        return None
    if key in SECRET:
        return "******"
    if key in SENSITIVE_ID:
        return mask_id(str(value))
    if key in SENSITIVE_PHONE:
        return mask_phone(str(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def _client_addr() -> str:
    """The client's address as the app sees it: behind nginx with ``PROXY_FIX=1`` the real
    client (``X-Forwarded-For`` as set by nginx), never the proxy's 127.0.0.1."""
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:64]


def _actor():
    if not has_request_context():
        return None, "系统"
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False):
        return current_user.id, current_user.username
    return None, "匿名"


def record_event(action: str, table_name: str, row_id: int | None, summary: str, details: dict | None = None,
                 *, session: Session | None = None) -> None:
    """Write one audit entry for something that changes no row but must be on record (SPEC
    §3.15: a unit calling or messaging a drawn expert). ``action`` is a short code (``call``,
    ``sms``); ``details`` are shown like changed fields, with phones and IDs masked.

    Flushes nothing: the entry is committed with the request's transaction.
    """
    from app.extensions import db
    from models import AuditLog

    user_id, username = _actor()
    changes = {key: [None, _plain(value, key)] for key, value in (details or {}).items()}
    (session or db.session).add(AuditLog(user_id=user_id, username=username, action=action[:10],
                                         table_name=table_name, row_id=row_id, summary=summary[:200],
                                         changes=changes, client_addr=_client_addr()))


def _changes(obj, action: str) -> dict:
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in ("created_at", "updated_at", "version"):
            continue
        hist = state.attrs[key].history
        if action == "update":
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new:
                continue
            out[key] = [_plain(old, key), _plain(new, key)]
        elif action == "create":
            value = getattr(obj, key)
            if value is not None:
                out[key] = [None, _plain(value, key)]
        else:
            out[key] = [_plain(getattr(obj, key), key), None]
    return out


@contextmanager
def suspended(session: Session):
    """Bulk loads of reference or demo data are not audited row by row."""
    session.info["audit_off"] = True
    try:
        yield
    finally:
        session.info.pop("audit_off", None)


def _before_flush(session: Session, _ctx, _instances) -> None:
    from models import AuditLog

    if session.info.get("audit_off"):
        return

    pending = []
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in SKIPPED_TABLES or isinstance(obj, AuditLog):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            pending.append((action, obj, table, changes))
    if not pending:
        return
    user_id, username = _actor()
    client_addr = _client_addr()
    for action, obj, table, changes in pending:
        entry = AuditLog(
            user_id=user_id, username=username, action=action, table_name=table,
            row_id=getattr(obj, "id", None), summary=str(obj)[:200], changes=changes, client_addr=client_addr,
        )
        session.add(entry)
        if action == "create":
            # The id is known only after the INSERT; fill it in then.
            session.info.setdefault("audit_new", []).append((entry, obj))


def _after_flush_postexec(session: Session, _ctx) -> None:
    # Runs once the new rows are persistent, so the change is flushed in the next round.
    for entry, obj in session.info.pop("audit_new", []):
        entry.row_id = getattr(obj, "id", None)


def init_app(app: Flask) -> None:
    """Install the hooks once per process (the session class is shared by every app)."""
    if getattr(Session, "_expertpool_audit", False):
        return
    Session._expertpool_audit = True
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush_postexec", _after_flush_postexec)
