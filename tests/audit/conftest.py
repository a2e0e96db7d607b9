"""Helpers of the audit-trail tests: a chain of entries, and tampering as someone with direct
database access would do it (through the driver, past every guard of the application)."""
import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.services import audit
from app.services.audit.chain import entry_hash
from models import AuditChainHead, AuditLog


def tamper(sql: str, params: tuple = ()) -> None:
    """Run ``sql`` (``?`` placeholders) straight through the database driver and commit."""
    _db.session.remove()
    raw = _db.engine.raw_connection()
    try:
        if _db.engine.dialect.name == "postgresql":
            sql = sql.replace("?", "%s")
        cursor = raw.cursor()
        cursor.execute(sql, params)
        raw.commit()
    finally:
        raw.close()


def stored(entry_id: int) -> dict:
    """An entry as stored, as a dict of its columns."""
    _db.session.remove()
    row = _db.session.execute(select(AuditLog.__table__).where(AuditLog.id == entry_id)).mappings().one()
    return dict(row)


def forge(values: dict) -> dict:
    """An entry whose hash is right for its content (an attacker who knows the format)."""
    return {**values, "hash": entry_hash(values)}


def insert_raw(values: dict) -> None:
    import json

    from app.services.audit.chain import utc_text

    at = values["at"]
    if _db.engine.dialect.name == "sqlite":  # as SQLAlchemy stores it there: UTC, no zone
        at = utc_text(at).replace("T", " ").rstrip("Z")
    tamper("INSERT INTO audit_log (id, at, user_id, username, action, table_name, row_id, summary, changes, "
           "client_addr, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           (values["id"], at, values["user_id"], values["username"],
            values["action"], values["table_name"], values["row_id"], values["summary"],
            json.dumps(values["changes"], ensure_ascii=False), values["client_addr"], values["prev_hash"],
            values["hash"]))


def head():
    _db.session.remove()
    return _db.session.get(AuditChainHead, 1)


@pytest.fixture
def chain_of(app, db):
    """``chain_of(n)``: n entries on the trail, each appended by its own commit."""

    def _make(n: int) -> list[int]:
        for i in range(1, n + 1):
            audit.record_event("backup", f"第{i}次测试备份", details={"序号": i})
            db.session.commit()
        return list(db.session.scalars(select(AuditLog.id).order_by(AuditLog.id)))

    return _make
