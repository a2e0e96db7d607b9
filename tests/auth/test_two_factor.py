"""Two-factor login (TOTP): enrolment with a QR code, the second login step, replay and lock,
enforcement for 基础科 and sysadmin when TOTP_REQUIRED, unbinding, and the reset command."""
import re
import time

import pytest

from app.auth import throttle
from app.auth.views import PENDING_SECONDS
from tests import factories
from tests.auth.conftest import code_for, login, post_form


def _secret_on_page(html: str) -> str:
    m = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', html)
    assert m, "enrolment page shows no secret"
    return m.group(1).replace(" ", "")


# --- enrolment --------------------------------------------------------------------------------

def test_enrolment_page_shows_a_qr_code_and_the_secret(login_as, client):
    login_as("office")
    html = client.get("/account/2fa").get_data(as_text=True)
    assert "启用两步验证" in html
    assert 'src="data:image/png;base64,' in html
    assert len(_secret_on_page(html)) == 32


def test_qr_code_carries_the_otpauth_uri(login_as, client):
    import base64
    import io
    from urllib.parse import parse_qs, unquote, urlsplit

    import zxingcpp
    from PIL import Image

    user = login_as("office")
    html = client.get("/account/2fa").get_data(as_text=True)
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    text = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(data))))[0].text
    parts = urlsplit(text)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path) == f"/武进区安全生产专家库:{user.username}"
    query = parse_qs(parts.query)
    assert query["secret"] == [_secret_on_page(html)]
    assert query["issuer"] == ["武进区安全生产专家库"]


def test_enrolment_with_the_right_code_binds_and_ends_other_sessions(app, db, client):
    user = factories.user(role="office", username="zhou")
    db.session.commit()
    other = app.test_client()
    login(client, "zhou")
    login(other, "zhou")
    secret = _secret_on_page(client.get("/account/2fa").get_data(as_text=True))

    response = post_form(client, "/account/2fa", {"code": code_for(secret)})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret == secret
    assert client.get("/admin/").status_code == 200  # this browser stays in
    assert other.get("/admin/").status_code == 302  # the other one is out
    html = client.get("/account/2fa").get_data(as_text=True)
    assert "已启用" in html


def test_enrolment_with_a_wrong_code_binds_nothing(app, db, login_as, client):
    user = login_as("office")
    secret = _secret_on_page(client.get("/account/2fa").get_data(as_text=True))
    wrong = f"{(int(code_for(secret)) + 1) % 1000000:06d}"
    response = post_form(client, "/account/2fa", {"code": wrong})
    assert response.status_code == 200 and "验证码不正确" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_secret is None
    # The same secret is offered again, so a scanned QR code stays valid.
    assert _secret_on_page(client.get("/account/2fa").get_data(as_text=True)) == secret


@pytest.mark.parametrize("code,message", [("12345", "6位数字"), ("abcdef", "6位数字"), ("", "请输入6位动态验证码")])
def test_malformed_codes_are_refused(login_as, client, code, message):
    login_as("office")
    response = post_form(client, "/account/2fa", {"code": code})
    assert message in response.get_data(as_text=True)


# --- login ------------------------------------------------------------------------------------

def test_password_alone_does_not_log_in_an_enrolled_user(enrolled, client):
    enrolled(username="zhou")
    response = login(client, "zhou")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/2fa")
    assert client.get("/admin/").status_code == 302  # not logged in yet
    html = client.get("/login/2fa").get_data(as_text=True)
    assert "两步验证" in html and "6位动态验证码" in html


def test_the_right_code_completes_the_login_and_honours_next(enrolled, client):
    _, secret = enrolled(username="zhou")
    login(client, "zhou", next="/admin/expert/")
    response = post_form(client, "/login/2fa", {"code": code_for(secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/expert/")
    assert client.get("/admin/").status_code == 200


def test_a_code_from_the_previous_step_is_accepted_for_clock_drift(enrolled, client):
    _, secret = enrolled(username="zhou")
    login(client, "zhou")
    response = post_form(client, "/login/2fa", {"code": code_for(secret, -1)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")


def test_a_code_two_minutes_old_is_refused(enrolled, client):
    _, secret = enrolled(username="zhou")
    login(client, "zhou")
    old = code_for(secret, -4)
    if old in {code_for(secret, k) for k in (-1, 0, 1)}:
        pytest.skip("the old code happens to equal a current one")
    response = post_form(client, "/login/2fa", {"code": old})
    assert response.status_code == 200 and "动态验证码不正确" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_a_used_code_cannot_be_replayed(app, enrolled, client):
    _, secret = enrolled(username="zhou")
    code = code_for(secret)
    login(client, "zhou")
    assert post_form(client, "/login/2fa", {"code": code}).status_code == 302
    thief = app.test_client()
    login(thief, "zhou")
    response = post_form(thief, "/login/2fa", {"code": code})
    assert response.status_code == 200 and "已使用过" in response.get_data(as_text=True)
    assert thief.get("/admin/").status_code == 302


def test_wrong_codes_lock_the_account_and_a_correct_password_does_not_reset_the_count(app, db, enrolled, client):
    user, secret = enrolled(username="zhou")
    valid = {code_for(secret, k) for k in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in valid)
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        # Logging in with the right password again before each guess must not help.
        login(client, "zhou")
        post_form(client, "/login/2fa", {"code": wrong})
    assert throttle.is_blocked("zhou", "127.0.0.1")
    # Locked: even the right password is refused, in the same words as a wrong one.
    response = login(client, "zhou")
    assert response.status_code == 200 and "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_the_second_step_expires(enrolled, client, monkeypatch):
    _, secret = enrolled(username="zhou")
    login(client, "zhou")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + PENDING_SECONDS + 5)
    response = post_form(client, "/login/2fa", {"code": code_for(secret)}, page_url="/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    monkeypatch.undo()
    assert client.get("/admin/").status_code == 302


def test_second_step_without_a_password_goes_back_to_login(client):
    response = client.get("/login/2fa")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_ending_all_sessions_voids_a_pending_second_step(app, db, enrolled, client):
    user, secret = enrolled(username="zhou")
    login(client, "zhou")
    user.session_epoch += 1  # e.g. the account was disabled and enabled again meanwhile
    db.session.commit()
    post_form(client, "/login/2fa", {"code": code_for(secret)}, page_url="/login")
    assert client.get("/admin/").status_code == 302


# --- enforcement ------------------------------------------------------------------------------

@pytest.mark.parametrize("role,must", [("office", True), ("sysadmin", True), ("department", False),
                                       ("town", False), ("leader", False), ("expert", False)])
def test_required_roles_must_enrol_before_using_the_system(app, db, client, role, must, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    user = factories.user(role=role)
    db.session.commit()
    response = login(client, user.username)
    assert response.status_code == 302
    home = "/m/" if role == "expert" else "/admin/"
    response = client.get(home)
    if must:
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/2fa")
        assert client.get("/admin/expert/").status_code == 302
        assert "须启用两步验证" in client.get("/account/2fa").get_data(as_text=True)
    else:
        assert response.status_code == 200


def test_enrolling_opens_the_system(app, db, client, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    factories.user(role="office", username="zhou")
    db.session.commit()
    login(client, "zhou")
    assert client.get("/admin/").status_code == 302
    secret = _secret_on_page(client.get("/account/2fa").get_data(as_text=True))
    post_form(client, "/account/2fa", {"code": code_for(secret)})
    assert client.get("/admin/").status_code == 200


def test_without_the_requirement_office_uses_the_system_without_2fa(app, db, client):
    assert app.config["TOTP_REQUIRED"] is False  # testing config, like development
    factories.user(role="office", username="zhou")
    db.session.commit()
    login(client, "zhou")
    assert client.get("/admin/").status_code == 200


def test_production_config_requires_2fa():
    from app.config import Config, DevConfig, TestConfig

    assert Config.TOTP_REQUIRED is True
    assert DevConfig.TOTP_REQUIRED is False and TestConfig.TOTP_REQUIRED is False


# --- unbinding and reset ----------------------------------------------------------------------

def _login_enrolled(client, username, secret):
    login(client, username)
    assert post_form(client, "/login/2fa", {"code": code_for(secret, -1)}).status_code == 302


def test_unbinding_needs_password_and_code(app, db, enrolled, client):
    user, secret = enrolled(role="town", username="hutang")
    _login_enrolled(client, "hutang", secret)
    response = post_form(client, "/account/2fa/disable", {"password": "wrong-password-1", "code": code_for(secret)},
                         page_url="/account/2fa")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret == secret
    post_form(client, "/account/2fa/disable", {"password": factories.PASSWORD, "code": code_for(secret)},
              page_url="/account/2fa")
    db.session.refresh(user)
    assert user.totp_secret is None
    assert client.get("/m/").status_code == 200  # still logged in here
    assert login(app.test_client(), "hutang").headers["Location"].endswith("/admin/")  # password alone again


def test_unbinding_a_required_account_sends_it_to_enrol_again(app, db, enrolled, client, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    user, secret = enrolled(role="office", username="zhou")
    _login_enrolled(client, "zhou", secret)
    post_form(client, "/account/2fa/disable", {"password": factories.PASSWORD, "code": code_for(secret)},
              page_url="/account/2fa")
    assert client.get("/admin/").headers["Location"].endswith("/account/2fa")


def test_reset_2fa_command(app, db, enrolled, runner):
    user, _ = enrolled(username="zhou")
    epoch = user.session_epoch
    result = runner.invoke(args=["reset-2fa", "zhou"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.totp_secret is None and user.session_epoch == epoch + 1
    again = runner.invoke(args=["reset-2fa", "zhou"])
    assert again.exit_code != 0 and "未启用两步验证" in again.output
    assert runner.invoke(args=["reset-2fa", "nobody"]).exit_code != 0


def test_secret_never_shows_in_the_user_admin(app, db, enrolled, login_as, client):
    user, secret = enrolled(username="zhou")
    login_as("sysadmin")
    html = client.get(f"/admin/user/details/?id={user.id}").get_data(as_text=True)
    assert secret not in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_open_redirect_through_next_is_refused_after_the_second_step(enrolled, client, target):
    _, secret = enrolled(username="zhou")
    login(client, "zhou", next=target)
    response = post_form(client, "/login/2fa", {"code": code_for(secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
