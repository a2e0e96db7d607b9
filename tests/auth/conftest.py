"""Helpers for the account and two-factor tests."""
import time

import pyotp
import pytest

from tests import factories
from tests.conftest import csrf_from


def code_for(secret: str, offset_steps: int = 0) -> str:
    """The authenticator app's code for ``secret``, ``offset_steps`` 30-second steps from now."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def post_form(client, url: str, data: dict, page_url: str | None = None):
    """POST ``data`` with the CSRF token of the page at ``page_url`` (default ``url``)."""
    token = csrf_from(client.get(page_url or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def login(client, username, password=factories.PASSWORD, **extra):
    return post_form(client, "/login", {"username": username, "password": password, **extra})


@pytest.fixture
def enrolled(app, db):
    """An office user with two-factor login already bound; returns (user, secret)."""

    def _make(role="office", username=None):
        secret = pyotp.random_base32()
        user = factories.user(role=role, username=username)
        user.totp_secret = secret
        db.session.commit()
        return user, secret

    return _make
