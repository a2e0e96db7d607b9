"""The audit chain (SPEC §3.20): entries are appended, never changed, and each one carries the
SM3 hash of its content and of the entry before it.

- :func:`entry_hash` — SM3 over the entry's canonical JSON, which includes ``prev_hash``;
  the first entry's ``prev_hash`` is :data:`GENESIS`.
- :func:`append` — the only way an entry is written: inside the caller's transaction it
  locks the chain head (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every writing
  transaction already holds the database's write lock, ``BEGIN IMMEDIATE``), numbers the
  entries after the head's last one, chains their hashes, INSERTs them and moves the head.
  Two transactions appending at once therefore never fork the chain: the second waits for
  the first to commit and continues from its last entry.
- The head carries an HMAC-SM3 seal under :func:`audit_key`, a key that is not in the
  database: entries removed from the end, or a chain recomputed by someone who can write to
  the database, leave a head whose seal does not match.
- :func:`install_guards` — the ORM refuses to insert, update or delete ``AuditLog`` rows,
  and every UPDATE or DELETE of ``audit_log`` sent through SQLAlchemy is refused, except the
  archive command's and the migration's (:data:`MAINTENANCE_OPTION`). On PostgreSQL a
  trigger made by the migration refuses them in the database as well.
"""
from __future__ import annotations

import datetime as dt
import functools
import hmac as std_hmac
import json
import re
from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives import hashes, hmac
from flask import current_app
from sqlalchemy import Connection, event, func, insert, select, update
from sqlalchemy.engine import Engine

from app import clock
from app.services.errors import DomainError
from models import AuditChainHead, AuditLog

#: ``prev_hash`` of the very first entry.
GENESIS = "0" * 64
#: Version of the canonical form; part of every hash, so a future change cannot pass for this one.
FORMAT = 1
#: The stored fields every hash covers, besides ``prev_hash``.
HASHED = ("id", "at", "user_id", "username", "action", "table_name", "row_id", "summary", "changes", "client_addr")
#: Column sizes: values are cut before hashing, so that what is stored is what was hashed.
LIMITS = {"username": 50, "action": 20, "table_name": 50, "summary": 200, "client_addr": 64}
#: Statement execution option that lets the archive command delete archived entries (and the
#: migration that hashed the entries of older installations fill their hashes in).
MAINTENANCE_OPTION = "expertpool_audit_maintenance"
HEAD_ID = 1

APPEND_ONLY = "操作日志只能追加，不能修改或删除。"
#: What a chain note (an entry the chain writes about itself) says.
HEAD_REBUILT = "链头记录缺失（在本系统之外被删除），已按日志最后一条（第{last}条）重建"
SEAL_MISMATCH = "链头封印不符：链头记录在本系统之外被改动，或签名密钥已更换（链头所记最后一条为第{last}条）"


class AppendOnlyError(DomainError):
    """An attempt to change or delete an audit entry, or to write one past the chain."""

    def __init__(self, message: str = APPEND_ONLY):
        super().__init__(message)


# --- hashing --------------------------------------------------------------------------------------

def utc_text(moment: dt.datetime | None) -> str | None:
    """An instant as UTC text to the microsecond (SQLite gives stored instants back naive: UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"  # = strftime("%Y-%m-%dT%H:%M:%S.%fZ"), faster


def canonical(values: Mapping) -> bytes:
    """The bytes an entry's hash covers: its stored fields and ``prev_hash`` as compact JSON
    with sorted keys (the same on SQLite and PostgreSQL, whatever order JSON comes back in)."""
    body = {key: values.get(key) for key in HASHED}
    body["at"] = utc_text(values.get("at"))
    body["changes"] = values.get("changes") or {}
    body["prev_hash"] = values.get("prev_hash")
    body["v"] = FORMAT
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def entry_hash(values: Mapping) -> str:
    """SM3 (hex) of :func:`canonical` — what an entry's ``hash`` must be."""
    return sm3_hex(canonical(values))


def audit_key() -> bytes:
    """The key of the head seal and of archive signatures. Never stored in the database:
    ``AUDIT_HMAC_KEY`` if set, otherwise derived from ``SECRET_KEY``."""
    own = current_app.config.get("AUDIT_HMAC_KEY")
    if own:
        return str(own).encode()
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    return _derived_key(secret)


@functools.lru_cache(maxsize=4)
def _derived_key(secret: bytes) -> bytes:
    return bytes.fromhex(mac(secret, b"expertpool-audit-key"))


def mac(key: bytes, data: bytes) -> str:
    """HMAC-SM3 (hex)."""
    signer = hmac.HMAC(key, hashes.SM3())
    signer.update(data)
    return signer.finalize().hex()


def key_fingerprint(key: bytes | None = None) -> str:
    """A short name of the key, printed on archives: tells "another key" from "tampered"."""
    return sm3_hex(b"fingerprint:" + (key if key is not None else audit_key()))[:16]


def head_seal(last_id: int, last_hash: str, key: bytes | None = None) -> str:
    return mac(key if key is not None else audit_key(), f"audit-head:{last_id}:{last_hash}".encode())


def seal_ok(last_id: int, last_hash: str, seal: str) -> bool:
    return std_hmac.compare_digest(head_seal(last_id, last_hash), seal or "")


def clean(values: dict) -> dict:
    """Cut text fields to their column sizes (before hashing)."""
    out = dict(values)
    for key, limit in LIMITS.items():
        if out.get(key) is not None:
            out[key] = str(out[key])[:limit]
    return out


# --- appending ------------------------------------------------------------------------------------

def _upsert_head(conn: Connection, last_id: int, last_hash: str) -> None:
    """Create the head row unless another transaction just did (no error either way)."""
    table = AuditChainHead.__table__
    values = {"id": HEAD_ID, "last_id": last_id, "last_hash": last_hash, "seal": head_seal(last_id, last_hash)}
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    conn.execute(dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=["id"]))


_HEAD = AuditChainHead.__table__
_LOG = AuditLog.__table__
# Built once: appending runs in every committing request, and building and keying a statement
# each time cost more than running it (bench/audit_bench.py).
_READ_HEAD = select(_HEAD.c.last_id, _HEAD.c.last_hash, _HEAD.c.seal).where(_HEAD.c.id == HEAD_ID)
# The head, locked, and the table's last id (see append) in one statement.
_LOCK_HEAD = (select(_HEAD.c.last_id, _HEAD.c.last_hash, _HEAD.c.seal,
                     select(func.max(_LOG.c.id)).scalar_subquery().label("table_last"))
              .where(_HEAD.c.id == HEAD_ID).with_for_update(of=_HEAD))
_LAST_ENTRY = select(_LOG.c.id, _LOG.c.hash).order_by(_LOG.c.id.desc()).limit(1)
_INSERT = insert(_LOG)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == HEAD_ID)


def _locked_head(conn: Connection):
    return conn.execute(_LOCK_HEAD).first()


def read_head(conn: Connection):
    """(last_id, last_hash, seal) of the head, or None (read only, no lock)."""
    return conn.execute(_READ_HEAD).first()


def _note(summary: str) -> dict:
    return {"user_id": None, "username": "系统", "action": "chain", "table_name": "audit_log", "row_id": None,
            "summary": summary, "changes": {}, "client_addr": ""}


def append(conn: Connection, entries: Iterable[dict]) -> list[dict]:
    """Append ``entries`` (dicts of the stored fields but ``id``, ``at`` and the hashes) to the
    chain in ``conn``'s transaction; returns them as written. The caller commits."""
    entries = [clean(e) for e in entries]
    if not entries:
        return []
    head = _locked_head(conn)
    notes = []
    if head is None:
        last = conn.execute(_LAST_ENTRY).first()
        _upsert_head(conn, last.id if last else 0, last.hash if last else GENESIS)
        head = _locked_head(conn)
        if last is not None and head.last_id == last.id:
            notes.append(_note(HEAD_REBUILT.format(last=last.id)))
    elif not seal_ok(head.last_id, head.last_hash, head.seal):
        # Said in the chain itself, before anything else is appended, so that resealing the
        # head with this append does not hide what was done to it.
        notes.append(_note(SEAL_MISMATCH.format(last=head.last_id)))
    # Numbered after the table's last entry even when the head lags behind it (entries written
    # past the chain, a head set back): the chain goes on from the head, and the verification
    # names what does not belong to it, instead of every later write failing on a taken id.
    last_id, last_hash = max(head.last_id, head.table_last or 0), head.last_hash
    now = clock.utcnow()
    written = []
    for values in notes + entries:
        last_id += 1
        row = {**values, "id": last_id, "at": now, "prev_hash": last_hash}
        row["changes"] = row.get("changes") or {}
        row["hash"] = last_hash = entry_hash(row)
        written.append(row)
    conn.execute(_INSERT, written)
    conn.execute(_MOVE_HEAD, {"last_id": last_id, "last_hash": last_hash, "seal": head_seal(last_id, last_hash)})
    return written


def pg_archive_permit():
    """The statement that lets this PostgreSQL transaction delete archived entries: the
    trigger of migration 0018 allows a DELETE only with it, and only of entries older than
    6 months; UPDATE never."""
    from sqlalchemy import text

    return text("SET LOCAL expertpool.audit_archive = 'on'")


# --- guards ----------------------------------------------------------------------------------------

_CHANGE_SQL = re.compile(r"^\s*(?:UPDATE\s+(?:ONLY\s+)?|DELETE\s+FROM\s+(?:ONLY\s+)?)\"?audit_log\"?(?:\s|$)", re.I)


def _refuse(*_args, **_kwargs):
    raise AppendOnlyError()


def _refuse_orm_insert(*_args, **_kwargs):
    raise AppendOnlyError("操作日志只能由本系统的日志链追加（app.services.audit），不能直接写入。")


def _check_statement(conn, _cursor, statement, _parameters, context, _executemany):
    if "audit_log" not in statement or not _CHANGE_SQL.match(statement):
        return
    options = context.execution_options if context is not None else conn.get_execution_options()
    if options.get(MAINTENANCE_OPTION):
        return
    raise AppendOnlyError()


def install_guards() -> None:
    """Refuse changes to audit entries in code, once per process (idempotent)."""
    for name, guard in (("before_update", _refuse), ("before_delete", _refuse), ("before_insert", _refuse_orm_insert)):
        if not event.contains(AuditLog, name, guard):
            event.listen(AuditLog, name, guard)
    if not event.contains(Engine, "before_cursor_execute", _check_statement):
        event.listen(Engine, "before_cursor_execute", _check_statement)
