"""Migration 0018 on data: the entries of an existing installation are hashed in id order (gaps
in the ids kept), the head names the last one and is sealed, the chain verifies — and a change
to one of those old entries is found afterwards. A deleted account no longer rewrites entries."""
import json
import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, select, text

from app import create_app
from app.extensions import db
from app.services.audit.chain import GENESIS, entry_hash
from app.services.audit.verify import verify_chain
from models import AuditChainHead, AuditLog, User

URLS = ["sqlite"] + (["server"] if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else [])

LEGACY = [  # (id, action, summary, changes) as the earlier code wrote them; ids with gaps
    (1, "create", "张三", {"name": [None, "张三"], "id_number": [None, "3204**********0012"]}),
    (2, "update", "张三", {"employer": ["旧单位", "新单位"], "retired": [False, True]}),
    (7, "delete", "湖塘镇", {"name": ["湖塘镇", None], "amount": ["1000.00", None]}),
    (8, "update", "lisi", {"failed_logins": [0, 1]}),
]


def _clean(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.mark.parametrize("which", URLS)
def test_existing_entries_are_hashed_in_id_order(tmp_path, which):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}" if which == "sqlite" else os.environ["TEST_DATABASE_URL"]
    _clean(url)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "AUDIT_ARCHIVE_DIR": str(tmp_path / "archive")})
    try:
        with app.app_context():
            upgrade(revision="0020_audit_client_addr")
            with db.engine.begin() as conn:
                conn.execute(text(
                    'INSERT INTO "user" (id, username, full_name, password_hash, role, active, failed_logins, '
                    "session_epoch, created_at, updated_at) VALUES (5, 'lisi', '李四', 'x', 'leader', true, 0, 0, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
                for entry_id, action, summary, changes in LEGACY:
                    conn.execute(text(
                        "INSERT INTO audit_log (id, at, user_id, username, action, table_name, row_id, summary, "
                        "changes, client_addr) VALUES (:id, :at, 5, 'lisi', :action, 'expert', 3, :summary, :changes, "
                        "'10.1.2.3')"),
                        {"id": entry_id, "at": f"2026-{entry_id:02d}-01 08:00:00", "action": action,
                         "summary": summary, "changes": json.dumps(changes, ensure_ascii=False)})
            upgrade()
            rows = db.session.execute(select(AuditLog.__table__).order_by(AuditLog.id)).mappings().all()
            assert [r["id"] for r in rows] == [1, 2, 7, 8]
            assert rows[0]["prev_hash"] == GENESIS
            for before, row in zip(rows, rows[1:], strict=False):
                assert row["prev_hash"] == before["hash"]
            assert all(r["hash"] == entry_hash(r) for r in rows)
            assert rows[2]["changes"] == LEGACY[2][3] and rows[2]["client_addr"] == "10.1.2.3"
            head = db.session.get(AuditChainHead, 1)
            assert (head.last_id, head.last_hash) == (8, rows[-1]["hash"])
            result = verify_chain()
            assert result.ok and result.table_count == 4, result.finding
            # New entries continue the chain after the old ones.
            user = db.session.get(User, 5)
            user.full_name = "李思"
            db.session.commit()
            assert verify_chain().ok
            # An account with entries can go: the entries keep its name and id, unchanged.
            db.session.delete(user)
            db.session.commit()
            assert verify_chain().ok
            assert db.session.get(AuditLog, 1).user_id == 5
            # A change to an old entry, made past the application, is found.
            db.session.remove()
            raw = db.engine.raw_connection()
            try:
                if which == "server":
                    raw.cursor().execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                raw.cursor().execute("UPDATE audit_log SET summary = '李四' WHERE id = 2")
                raw.commit()
            finally:
                raw.close()
            result = verify_chain()
            assert result.finding.kind == "changed" and result.finding.first_bad == 2
            # And back down: the schema before the chain, its entries kept.
            downgrade(revision="0012_login_security")  # the schema just before the chain
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 6
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _clean(url)
