"""PostgreSQL (run with TEST_DATABASE_URL, see scripts/pg-test-server.sh): the trigger of migration
0018 refuses UPDATE, DELETE and TRUNCATE of the audit log in the database itself — also to a
client that is not this application — except the archive command's DELETE of entries older
than 6 months; and writers appending at once never fork the chain."""
import datetime as dt
import os
import threading

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from app import clock, create_app
from app.extensions import db
from app.services import audit
from app.services.audit.verify import verify_chain
from models import AuditLog

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not URL.startswith("postgresql"), reason="needs TEST_DATABASE_URL on PostgreSQL")


def _clean():
    engine = create_engine(URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def migrated(tmp_path):
    """A fresh database built by the migrations (with the trigger); dropped afterwards."""
    _clean()
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": URL,
                      "AUDIT_ARCHIVE_DIR": str(tmp_path / "archive")})
    try:
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        _clean()


def _psql(sql: str):
    """Run ``sql`` as a plain client of the database (not through the application)."""
    with psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(sql)


def _event(summary: str, at: dt.datetime | None = None):
    with clock.frozen(at or dt.datetime(2026, 9, 1, tzinfo=dt.UTC)):
        audit.record_event("backup", summary)
        db.session.commit()


@pytest.mark.parametrize("sql", [
    "UPDATE audit_log SET summary = '改过' WHERE id = 1",
    "DELETE FROM audit_log WHERE id = 1",
    "TRUNCATE audit_log",
    "BEGIN; SET LOCAL expertpool.audit_archive = 'on'; UPDATE audit_log SET summary = '改过'; COMMIT",
    # the archive permit does not reach entries younger than 6 months
    "BEGIN; SET LOCAL expertpool.audit_archive = 'on'; DELETE FROM audit_log WHERE id = 2; COMMIT",
], ids=["update", "delete", "truncate", "update-with-permit", "delete-young-with-permit"])
def test_the_trigger_refuses_changes_from_any_client(migrated, sql):
    _event("很早的记录", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    _event("新的记录", dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="操作日志只能追加"):
        _psql(sql)
    db.session.remove()
    assert db.session.scalars(select(AuditLog.summary).order_by(AuditLog.id)).all() == ["很早的记录", "新的记录"]


def test_the_archive_command_may_delete_what_it_archived(migrated):
    runner = migrated.test_cli_runner()
    for i in range(3):
        _event(f"旧{i}", dt.datetime(2025, 1, 1 + i, tzinfo=dt.UTC))
    _event("新", dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    out = runner.invoke(args=["audit-archive", "--before", "2025-06-01"])
    assert out.exit_code == 0, out.output
    db.session.remove()
    assert db.session.scalars(select(AuditLog.id).order_by(AuditLog.id)).all() == [4, 5]
    assert runner.invoke(args=["audit-verify"]).exit_code == 0


def test_writers_appending_at_once_do_not_fork_the_chain(app, db):
    """Two threads, each its own connection and transactions, append 25 entries each at once;
    the first appends also race to create the chain head."""
    start = threading.Barrier(2)
    errors = []

    def writer(name):
        try:
            with app.app_context():
                start.wait()
                for i in range(25):
                    audit.record_event("export", f"{name}{i}")
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.remove()
    ids = db.session.scalars(select(AuditLog.id).order_by(AuditLog.id)).all()
    assert ids == list(range(1, 51))
    assert db.session.scalar(select(func.count(func.distinct(AuditLog.prev_hash)))) == 50
    result = verify_chain()
    assert result.ok, result.finding
