"""Login: Chinese page, argon2id hashes, throttling, safe ``next``, sessions ended on logout."""
import pytest

from app.auth.login import safe_next
from models import User
from tests import factories
from tests.conftest import csrf_from


def _post_login(client, username, password, next_=""):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": next_})


def test_login_page_is_chinese(client):
    html = client.get("/login").get_data(as_text=True)
    assert "系统登录" in html and "用户名" in html and "密码" in html


def test_password_is_stored_as_argon2id(app, db):
    user = factories.user(role="office")
    assert user.password_hash.startswith("$argon2id$")


def test_good_login_goes_to_admin_and_expert_to_phone(app, db, client):
    factories.user(role="office", username="zhou")
    response = _post_login(client, "zhou", factories.PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")


def test_expert_lands_on_phone_pages(app, db, client):
    factories.user(role="expert", username="wang")
    db.session.commit()
    response = _post_login(client, "wang", factories.PASSWORD)
    assert response.headers["Location"].endswith("/m/")


def test_wrong_password_is_refused_in_chinese(app, db, client):
    factories.user(role="office", username="zhou")
    db.session.commit()
    response = _post_login(client, "zhou", "wrong-password-123")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_repeated_failures_lock_the_account(app, db, client):
    factories.user(role="office", username="zhou")
    db.session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _post_login(client, "zhou", "wrong-password-123")
    # Even the right password is refused while locked (with the same words as a wrong one).
    response = _post_login(client, "zhou", factories.PASSWORD)
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert response.status_code == 200


def test_disabled_account_cannot_log_in(app, db, client):
    user = factories.user(role="office", username="zhou")
    user.active = False
    db.session.commit()
    response = _post_login(client, "zhou", factories.PASSWORD)
    assert response.status_code == 200 and "停用" in response.get_data(as_text=True)


@pytest.mark.parametrize("target,expected", [
    ("/admin/expert/", "/admin/expert/"),
    ("https://evil.example/", "/fallback"),
    ("//evil.example/", "/fallback"),
    ("/\\evil.example", "/fallback"),
    ("javascript:alert(1)", "/fallback"),
    ("", "/fallback"),
    (None, "/fallback"),
])
def test_safe_next(target, expected):
    assert safe_next(target, "/fallback") == expected


def test_open_redirect_through_next_is_refused(app, db, client):
    factories.user(role="office", username="zhou")
    db.session.commit()
    response = _post_login(client, "zhou", factories.PASSWORD, next_="https://evil.example/")
    assert response.headers["Location"].endswith("/admin/")


def test_logout_ends_every_session(app, db):
    factories.user(role="office", username="zhou")
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert _post_login(c, "zhou", factories.PASSWORD).status_code == 302
    token = csrf_from(first.get("/m/").get_data(as_text=True))
    first.post("/logout", data={"csrf_token": token})
    # The other browser is logged out too.
    assert second.get("/admin/expert/").status_code == 302


def test_create_user_command(runner, db):
    result = runner.invoke(args=["create-user", "lisi", "--role", "leader", "--password", "Lingdao#2026x"])
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(username="lisi", role="leader").one()


def test_create_user_refuses_weak_password(runner, db):
    result = runner.invoke(args=["create-user", "lisi", "--role", "leader", "--password", "12345"])
    assert result.exit_code != 0 and "密码长度" in result.output
    assert db.session.query(User).filter_by(username="lisi").count() == 0
