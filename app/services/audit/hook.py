"""Every create, update and delete of a record, caught by one session hook so that no screen
can forget it, and written to the chain when the transaction commits.

- ``before_flush`` notes each changed object: old → new values (ID numbers and phones masked,
  secrets hidden; SPEC §3.15), the record's name;
- ``after_flush`` adds the ids the INSERTs gave and queues the entries with the transaction
  (or savepoint) they belong to — a savepoint rolled back takes its entries with it;
- ``before_commit`` flushes what is left and appends the queue to the chain
  (:func:`app.services.audit.chain.append`) in the same transaction, at its very end, so the
  chain head is locked only for the moment of the commit.

A change of a user's role, unit, linked expert or enabled state is recorded as a permission
change (``permission``). The login bookkeeping of an account (last login, failure count,
lock, session epoch) is not recorded as an edit: the login events say it in words
(:mod:`app.services.audit.events`).
"""
from __future__ import annotations

import getpass
import socket
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.services.audit import chain
from app.services.identity import mask, mask_id, mask_phone

# High-volume or self-referential tables that are not audited row by row (a backup run is
# recorded as a backup event instead).
SKIPPED_TABLES = {"audit_log", "audit_chain_head", "verify_scan", "status_event", "backup_run", "login_throttle"}
SENSITIVE_ID = {"id_number"}
SENSITIVE_PHONE = {"mobile", "work_phone", "home_phone", "contact_phone", "phone", "recommender_phone"}
#: Further personal data (encrypted at rest, SPEC §3.20): the append-only log keeps it masked
#: like the screens do, never in clear.
SENSITIVE_OTHER = {"address": "address", "wechat": "account", "qq": "account", "email": "email",
                   "sealed": "id"}  # a registry field the office marked personal data
SECRET = {"password_hash", "totp_secret", "token"}
#: Not recorded: bookkeeping, and the blind indexes (keyed hashes of ID numbers and phones).
UNTRACKED = {"created_at", "updated_at", "version", "id_number_bidx", "mobile_bidx"}
#: A user account's login bookkeeping: the login events record it (not as an edit of the account).
LOGIN_BOOKKEEPING = {"last_login_at", "failed_logins", "locked_until", "totp_last_step", "session_epoch"}
#: Columns of a user account that decide what it may do: a change of one is a permission change.
PERMISSION_COLUMNS = {"role", "org_unit_id", "expert_id", "active"}

_FLUSH_KEY = "audit_flush"
_QUEUE_KEY = "audit_queue"
#: A record may carry more for its entry in this plain attribute (label → [old, new]): rows
#: written in bulk beside it, which the hook does not see (bulk INSERTs do not pass through
#: the unit of work). A form's answers, inserted as one statement after their submission, are
#: named in the submission's entry: one entry that tells what was filled instead of twenty of
#: one answer each, at a twentieth of the hashing and the writes (bench/scoring_profile.py).
EXTRA_CHANGES = "audit_extra_changes"


def plain(value, key: str):
    """A value as the log stores it: secrets hidden, ID numbers and phones masked, dates as text."""
    if value is None:
        return None
    if key in SECRET:
        return "******"
    if key in SENSITIVE_ID:
        return mask_id(str(value))
    if key in SENSITIVE_PHONE:
        return mask_phone(str(value))
    if key in SENSITIVE_OTHER:
        return mask(SENSITIVE_OTHER[key], str(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def client_addr() -> str:
    """Where the action came from: the client's address as the app sees it (behind nginx with
    ``PROXY_FIX=1`` the real client, never the proxy's 127.0.0.1), or for a command run on
    the server ``命令行`` with the operating-system account and host."""
    if has_request_context():
        return (request.remote_addr or "")[:64]
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "?"
    return f"命令行 {who}@{socket.gethostname()}"[:64]


def actor() -> tuple[int | None, str]:
    """(user id, username) of whoever acts: the logged-in user, 匿名, or 系统 (commands)."""
    if not has_request_context():
        return None, "系统"
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False):
        return current_user.id, current_user.username
    return None, "匿名"


def _changes(obj, action: str) -> dict:
    """Old → new of every column (a new record: after its INSERT, so ids and defaults are known)."""
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in UNTRACKED:
            continue
        if action == "update":
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new:
                continue
            out[key] = [plain(old, key), plain(new, key)]
        elif action == "create":
            value = getattr(obj, key)
            if value is not None:
                out[key] = [None, plain(value, key)]
        else:
            out[key] = [plain(getattr(obj, key), key), None]
    if action == "update":
        out.update(_reference_changes(state, out))
    return out


def _reference_changes(state, columns: dict) -> dict:
    """A reference changed through its relation (``user.org_unit = unit``): its key column is
    set only during the flush, so the change is read from the relation, as old → new id."""
    out = {}
    for rel in state.mapper.relationships:
        if rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1:
            continue
        key = state.mapper.get_property_by_column(next(iter(rel.local_columns))).key
        hist = state.attrs[rel.key].history
        if key in columns or not hist.has_changes():
            continue
        old = getattr(hist.deleted[0], "id", None) if hist.deleted else None
        new = getattr(hist.added[0], "id", None) if hist.added else None
        if old != new:
            out[key] = [old, new]
    return out


def _classify(table: str, action: str, changes: dict) -> tuple[str, dict] | None:
    """The entry's action and changes, or None when the change is not recorded as an edit."""
    if table == "user" and action == "update":
        changes = {k: v for k, v in changes.items() if k not in LOGIN_BOOKKEEPING}
        if not changes:
            return None
        if PERMISSION_COLUMNS & set(changes):
            return "permission", changes
    if action == "update" and not changes:
        return None
    return action, changes


@contextmanager
def suspended(session: Session):
    """Bulk loads of reference or demo data are not audited row by row."""
    session.info["audit_off"] = True
    try:
        yield
    finally:
        session.info.pop("audit_off", None)


def _current_transaction(session: Session):
    return session.get_nested_transaction() or session.get_transaction()


def enqueue(session: Session, entry: dict) -> None:
    """Queue ``entry`` (stored fields but id, time and hashes) to be appended when the
    session's transaction commits; dropped if it (or its savepoint) is rolled back."""
    session.info.setdefault(_QUEUE_KEY, []).append((_current_transaction(session), entry))


def _before_flush(session: Session, _ctx, _instances) -> None:
    from models import AuditLog

    session.info[_FLUSH_KEY] = []
    if session.info.get("audit_off"):
        return
    noted = session.info[_FLUSH_KEY]
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in SKIPPED_TABLES or isinstance(obj, AuditLog):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            if action == "create":  # its values are read once the INSERT has run
                noted.append((action, obj, table, None, str(obj)[:200]))
                continue
            decided = _classify(table, action, _changes(obj, action))
            if decided is None:
                continue
            noted.append((decided[0], obj, table, decided[1], str(obj)[:200]))
    if noted:
        user_id, username = actor()
        addr = client_addr()
        session.info[_FLUSH_KEY] = [(a, o, t, c, s, user_id, username, addr) for a, o, t, c, s in noted]


def _after_flush(session: Session, _ctx) -> None:
    # The INSERTs have run: a new record's id is known now.
    for action, obj, table, changes, summary, user_id, username, addr in session.info.pop(_FLUSH_KEY, []):
        if changes is None:
            changes = _changes(obj, action)
        extra = vars(obj).pop(EXTRA_CHANGES, None) if hasattr(obj, "__dict__") else None
        if extra:
            changes = {**changes, **extra}
        enqueue(session, {"user_id": user_id, "username": username, "action": action, "table_name": table,
                          "row_id": getattr(obj, "id", None), "summary": summary, "changes": changes,
                          "client_addr": addr})


def _before_commit(session: Session) -> None:
    if not session.info.get(_QUEUE_KEY) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()
    queue = session.info.pop(_QUEUE_KEY, [])
    if queue:
        chain.append(session.connection(), [entry for _, entry in queue])


def _within(transaction, ended) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    queue = session.info.get(_QUEUE_KEY)
    if queue:
        root = previous_transaction.parent is None
        session.info[_QUEUE_KEY] = [(t, e) for t, e in queue
                                    if not (_within(t, previous_transaction) or (root and t is None))]


def _after_transaction_end(session: Session, transaction) -> None:
    # Whatever the outcome of the outermost transaction, its queue is done with: written by
    # before_commit, or rolled back with it.
    if transaction.parent is None:
        session.info.pop(_QUEUE_KEY, None)
        session.info.pop(_FLUSH_KEY, None)


def install() -> None:
    """Install the hooks once per process (the session class is shared by every app)."""
    for name, hook in (("before_flush", _before_flush), ("after_flush", _after_flush),
                       ("before_commit", _before_commit), ("after_soft_rollback", _after_soft_rollback),
                       ("after_transaction_end", _after_transaction_end)):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
