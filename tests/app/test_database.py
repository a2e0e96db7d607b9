"""SQLite transactions (app/database.py): a page view reads without the write lock, a form post
takes it up front, and a GET that writes is caught."""
import os
import sqlite3

import pytest
from sqlalchemy import event, select

from app import create_app
from app.database import WriteInReadTransaction, writing
from app.extensions import db as _db
from models import OrgUnit
from tests.conftest import csrf_from


@pytest.fixture
def begins(app, db):
    """The BEGIN statements the app sends, in order (SQLite only)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("transaction modes are SQLite's")
    seen = []

    def record(_conn, _cursor, statement, *_args):
        if statement.upper().startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_a_page_view_reads_in_a_deferred_transaction(client, db, begins):
    db.session.commit()
    begins.clear()
    assert client.get("/announcements").status_code == 200
    assert begins == ["BEGIN"]


def test_a_form_post_writes_in_an_immediate_transaction(client, db, begins):
    token = csrf_from(client.get("/complaints/new").get_data(as_text=True))
    db.session.commit()
    begins.clear()
    response = client.post("/complaints/new", data={
        "enterprise_name": "常州测试化工有限公司", "contact_name": "张经理", "contact_phone": "13912345678",
        "body": "专家在检查中推销安全托管服务，要求企业委托辅导。", "csrf_token": token})
    assert response.status_code == 302
    assert begins[0] == "BEGIN IMMEDIATE"


@pytest.fixture
def file_app(tmp_path):
    """An app on a SQLite file (WAL), with two test-only pages that write during a GET."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("transaction modes are SQLite's")
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tx.sqlite3'}",
                      "UPLOAD_DIR": str(tmp_path / "uploads")})

    @app.get("/_test/write-in-a-read")
    def write_in_a_read():
        _db.session.add(OrgUnit(kind="town", name="读中写镇"))
        _db.session.commit()
        return "written"

    @app.get("/_test/write-on-its-own")
    def write_on_its_own():
        _db.session.scalar(select(OrgUnit.id).limit(1))
        _db.session.commit()  # end the read transaction first
        with writing():
            _db.session.add(OrgUnit(kind="town", name="单独写入镇"))
            _db.session.commit()
        return "written"

    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_a_page_view_is_answered_while_another_process_holds_the_write_lock(file_app, tmp_path):
    other = sqlite3.connect(tmp_path / "tx.sqlite3", timeout=0)
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO org_unit (kind, name, active) VALUES ('town', '另一进程镇', 1)")
    try:
        # Before: BEGIN IMMEDIATE waited the 10 s busy timeout, then "database is locked".
        response = file_app.test_client().get("/announcements")
        assert response.status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_get_that_writes_in_its_read_transaction_is_refused(file_app):
    with pytest.raises(WriteInReadTransaction):
        file_app.test_client().get("/_test/write-in-a-read")
    with file_app.app_context():
        assert _db.session.scalar(select(OrgUnit).where(OrgUnit.name == "读中写镇")) is None


def test_a_get_may_write_in_an_immediate_transaction_of_its_own(file_app):
    assert file_app.test_client().get("/_test/write-on-its-own").get_data(as_text=True) == "written"
    with file_app.app_context():
        assert _db.session.scalar(select(OrgUnit.name).where(OrgUnit.name == "单独写入镇")) == "单独写入镇"
