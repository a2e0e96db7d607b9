"""Shared fixtures: an app on a fresh database, a client, a runner, a logged-in user.

The database is SQLite in memory unless ``TEST_DATABASE_URL`` names a server
(CI runs the whole suite a second time on PostgreSQL).

Records are made by plain functions, called inside the ``app`` fixture: ``tests/factories.py``
for what every area needs, ``tests/<area>/records.py`` for an area's own; conftest files hold
fixtures only.
"""
import datetime as dt
import os
import re
import sqlite3

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from app import clock, create_app
from app.extensions import db as _db
from app.extensions import limiter
from app.services.forms import published
from tests import factories

# EXPERTPOOL_TEST_DAYS_AHEAD=N runs the suite as if it were N days later (the app's clock
# only; browsers and subprocesses keep the real one). It finds a test that holds only around
# the day it was written: one that dates its records from a fixed day but reads "now".
if _days_ahead := int(os.environ.get("EXPERTPOOL_TEST_DAYS_AHEAD") or 0):
    _real_source = clock._source
    clock._source = lambda: _real_source() + dt.timedelta(days=_days_ahead)


class _Database:
    """Resets the test database to "schema + reference data" before each test, quickly.

    SQLite in memory: the state is copied back from a snapshot with SQLite's backup API
    (milliseconds). A server (``TEST_DATABASE_URL``): every table is truncated and the
    reference data loaded again.
    """

    def __init__(self, app):
        self.app = app
        with app.app_context():
            _db.drop_all()
            _db.create_all()
            self._load_reference()
            self.sqlite = _db.engine.dialect.name == "sqlite"
            if self.sqlite:
                self.snapshot = sqlite3.connect(":memory:")
                self._live().backup(self.snapshot)

    @staticmethod
    def _load_reference():
        from app.services.reference import ensure_reference_data

        ensure_reference_data()
        _db.session.commit()

    @staticmethod
    def _live():
        return _db.engine.raw_connection().driver_connection

    def reset(self):
        _db.session.remove()
        published.clear()  # the worker's copies of published form versions belong to the old rows
        if self.sqlite:
            self.snapshot.backup(self._live())
            return
        # Tests that build their own app on the same server (migrations, browser tests) may
        # have dropped the schema; create whatever is missing first.
        _db.create_all()
        tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
        with _db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        self._load_reference()

    def load_demo(self):
        """Demo data (``seed_demo`` with 12 experts): seeded once, then restored from a snapshot."""
        if self.sqlite and getattr(self, "demo_snapshot", None) is not None:
            _db.session.remove()
            self.demo_snapshot.backup(self._live())
            return
        from app.demo.seed import seed_demo
        from app.services import integrity

        seed_demo(experts=12)
        found = integrity.findings()
        assert not found, "演示数据未通过数据一致性检查：" + "；".join(str(f) for f in found)
        if self.sqlite:
            _db.session.remove()
            self.demo_snapshot = sqlite3.connect(":memory:")
            self._live().backup(self.demo_snapshot)

    def drop(self):
        with self.app.app_context():
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


class BufferedClient(FlaskClient):
    """A test client that reads every response whole and closes it, as a server does: a file
    sent with ``send_file`` (photos, scans, signatures) is closed at once instead of being left
    to the garbage collector, which warnings-as-errors would turn into a failure elsewhere."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _session_app(tmp_path_factory):
    """One app for the whole run: building the admin's ~40 views per test costs seconds."""
    app = create_app({"ENV_NAME": "testing", "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
                      "PUBLIC_BASE_URL": "http://testserver"})
    app.test_client_class = BufferedClient
    database = _Database(app)
    # The Limiter object is shared by every app of the process; a test that builds its own
    # rate-limited app switches it on. Each test gets back the state it had here.
    app.extensions["_limiter_state"] = dict(vars(limiter))
    yield app, database
    database.drop()


@pytest.fixture
def app(_session_app, tmp_path):
    """The app on a database holding only the reference data; config changes are undone."""
    app, database = _session_app
    saved = dict(app.config)
    app.config.update(UPLOAD_DIR=str(tmp_path / "uploads"), PUBLIC_BASE_URL="http://testserver",
                      AUDIT_ARCHIVE_DIR=str(tmp_path / "audit-archive"))
    with app.app_context():
        database.reset()
        try:
            yield app
        finally:
            _db.session.remove()
    app.config.clear()
    app.config.update(saved)
    vars(limiter).clear()
    vars(limiter).update(app.extensions["_limiter_state"])


@pytest.fixture
def demo(app, _session_app):
    """The app's database holding the demo data of ``seed-demo`` (12 experts)."""
    _session_app[1].load_demo()
    return app


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    """The CSRF token embedded in a rendered page."""
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1) or m.group(2)


class AuthActions:
    """Log in through the real login form (flaskr style)."""

    def __init__(self, client):
        self._client = client

    def login(self, username, password=factories.PASSWORD):
        page = self._client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        return self._client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        page = self._client.get("/m/")
        token = csrf_from(page.get_data(as_text=True))
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(app, client, auth):
    """Create a user of ``role`` and log the test client in as that user."""

    def _login(role, **kwargs):
        user = factories.user(role=role, **kwargs)
        _db.session.commit()
        response = auth.login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login
