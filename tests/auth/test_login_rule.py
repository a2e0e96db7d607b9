"""Login that neither tells nor locks out (SPEC §3.18; docs/security.md).

An unknown username, a wrong password and a locked account get the same words and the same
work; failures are counted per account and address, and per address, so a stranger guessing
from another address cannot keep the owner out. Two-factor secrets are stored encrypted.
"""
import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy import text

from app import clock
from app.auth import login as login_module
from app.auth import throttle
from app.extensions import db
from tests import factories
from tests.auth.conftest import code_for
from tests.conftest import csrf_from

STRANGER = "198.51.100.7"
OWNER = "203.0.113.9"


def _post(client, username, password, address):
    env = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=env)


def _answer(response) -> str:
    found = re.findall(r'class="[^"]*(?:flash|alert)[^"]*"[^>]*>\s*(.*?)\s*<', response.get_data(as_text=True), re.S)
    return " ".join(t for t in found if t)


@pytest.fixture
def zhou(app, db):
    user = factories.user(role="office", username="zhou")
    db.session.commit()
    return user


def test_unknown_user_wrong_password_and_locked_account_get_the_same_words(app, client, zhou):
    unknown = _answer(_post(client, "nobody", "Whatever#2026x", STRANGER))
    wrong = _answer(_post(client, "zhou", "Whatever#2026x", STRANGER))
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _post(client, "zhou", "Whatever#2026x", STRANGER)
    locked = _post(client, "zhou", factories.PASSWORD, STRANGER)  # the right password, while locked
    assert locked.status_code == 200
    assert unknown == wrong == _answer(locked) != ""
    assert "用户名或密码错误" in unknown and "再错" not in unknown and "锁定" not in unknown


@pytest.mark.parametrize("case", ["unknown", "wrong", "locked"])
def test_every_failure_does_the_same_work(app, zhou, monkeypatch, case):
    """One password-hash check and one count each: the time does not tell the cases apart."""
    checks, counts = [], []
    real_verify, real_record = login_module.verify_password, throttle.record_failure
    monkeypatch.setattr(login_module, "verify_password", lambda h, p: checks.append(h) or real_verify(h, p))
    monkeypatch.setattr(throttle, "record_failure", lambda *a, **k: counts.append(a) or real_record(*a, **k))
    if case == "locked":
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            throttle.record_failure("zhou", STRANGER)
        counts.clear()
    username = "nobody" if case == "unknown" else "zhou"
    password = factories.PASSWORD if case == "locked" else "Whatever#2026x"
    with pytest.raises(Exception, match="用户名或密码错误"):
        login_module.authenticate(username, password, STRANGER)
    assert len(checks) == 1 and checks[0].startswith("$argon2id$")
    assert len(counts) == 1


def test_a_stranger_guessing_elsewhere_does_not_lock_the_owner_out(app, client, zhou):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] * 3):
        _post(client, "zhou", "Guess#12345678", STRANGER)
    assert _post(client, "zhou", factories.PASSWORD, STRANGER).status_code == 200  # the stranger: stopped
    owner = app.test_client()
    response = _post(owner, "zhou", factories.PASSWORD, OWNER)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")


def test_an_address_trying_many_accounts_is_stopped_for_all(app, client, zhou):
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        _post(client, f"user{n % 4}", "Guess#12345678", STRANGER)  # 4 names, 5 tries each
    assert _post(client, "zhou", factories.PASSWORD, STRANGER).status_code == 200
    assert _post(app.test_client(), "zhou", factories.PASSWORD, OWNER).status_code == 302


def test_a_lock_ends_after_its_minutes(app, client, zhou):
    start = clock.utcnow()
    with clock.frozen(start):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            _post(client, "zhou", "Guess#12345678", STRANGER)
        assert _post(client, "zhou", factories.PASSWORD, STRANGER).status_code == 200
    with clock.frozen(start + dt.timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"], seconds=1)):
        assert _post(client, "zhou", factories.PASSWORD, STRANGER).status_code == 302


def test_wrong_codes_lock_only_the_address_they_came_from(app, client, zhou):
    secret = pyotp.random_base32()
    zhou.totp_secret = secret
    db.session.commit()
    valid = {code_for(secret, k) for k in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in valid)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _post(client, "zhou", factories.PASSWORD, STRANGER)
        page = client.get("/login/2fa", environ_base={"REMOTE_ADDR": STRANGER}).get_data(as_text=True)
        client.post("/login/2fa", data={"code": wrong, "csrf_token": csrf_from(page)},
                    environ_base={"REMOTE_ADDR": STRANGER})
    assert throttle.is_blocked("zhou", STRANGER) and not throttle.is_blocked("zhou", OWNER)
    owner = app.test_client()
    assert _post(owner, "zhou", factories.PASSWORD, OWNER).status_code == 302
    page = owner.get("/login/2fa", environ_base={"REMOTE_ADDR": OWNER}).get_data(as_text=True)
    response = owner.post("/login/2fa", data={"code": code_for(secret), "csrf_token": csrf_from(page)},
                          environ_base={"REMOTE_ADDR": OWNER})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")


def test_two_factor_secrets_are_encrypted_at_rest(app, zhou):
    secret = pyotp.random_base32()
    zhou.totp_secret = secret
    db.session.commit()
    stored = db.session.execute(text('SELECT totp_secret FROM "user" WHERE id = :i'), {"i": zhou.id}).scalar()
    assert stored.startswith("sm4gcm:1:") and secret not in stored
    db.session.expire_all()
    assert db.session.get(type(zhou), zhou.id).totp_secret == secret
