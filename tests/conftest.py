"""Shared fixtures: an app on a fresh database, a client, a runner, and factories.

The database is SQLite in memory unless ``TEST_DATABASE_URL`` names a server
(CI runs the whole suite a second time on PostgreSQL).
"""
import os
import re

import pytest

from app import create_app
from app.extensions import db as _db
from tests import factories


@pytest.fixture
def app(tmp_path):
    app = create_app({"ENV_NAME": "testing", "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "PUBLIC_BASE_URL": "http://testserver"})
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        from app.services.reference import ensure_reference_data

        ensure_reference_data()
        _db.session.commit()
        yield app
        _db.session.remove()
        _db.drop_all()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factory functions: ``make.expert(...)``, ``make.user(...)``..."""
    return factories


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
