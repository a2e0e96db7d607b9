"""/account/password: every logged-in user changes his own password (old once, new twice)."""
import pytest

from app.auth.passwords import verify_password
from tests import factories
from tests.auth.conftest import login, post_form

NEW = "Xinmima#2026ok"


def _change(client, old, new, new2=None):
    return post_form(client, "/account/password",
                     {"old_password": old, "new_password": new, "new_password2": new if new2 is None else new2})


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor", "office", "department", "town", "leader",
                                  "expert"])
def test_every_role_can_open_the_page(login_as, client, role):
    login_as(role)
    html = client.get("/account/password").get_data(as_text=True)
    assert "修改密码" in html and "当前密码" in html and "再次输入新密码" in html


def test_page_needs_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_change_keeps_this_session_and_ends_the_others(app, db, client):
    user = factories.user(role="town", username="hutang")
    db.session.commit()
    other = app.test_client()
    assert login(client, "hutang").status_code == 302
    assert login(other, "hutang").status_code == 302
    assert other.get("/m/").status_code == 200

    response = _change(client, factories.PASSWORD, NEW)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")

    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW)
    assert client.get("/m/").status_code == 200  # still logged in here
    assert other.get("/m/").status_code == 302  # the other browser is out

    # The old password no longer opens the account; the new one does.
    third = app.test_client()
    assert "用户名或密码错误" in login(third, "hutang").get_data(as_text=True)
    assert login(third, "hutang", NEW).status_code == 302


@pytest.mark.parametrize("old,new,new2,message", [
    ("wrong-password-1", NEW, None, "当前密码不正确"),
    (factories.PASSWORD, NEW, "Xinmima#2026no", "两次输入的新密码不一致"),
    (factories.PASSWORD, "short1#", None, "密码长度不能少于10位"),
    (factories.PASSWORD, "password123", None, "密码过于常见"),
    (factories.PASSWORD, "qwertyuiop", None, "密码过于常见"),
    (factories.PASSWORD, "aaaaaaaaaaaa", None, "密码过于常见"),
    (factories.PASSWORD, "hutang#20261", None, "密码不能包含用户名"),
    (factories.PASSWORD, factories.PASSWORD, None, "新密码不能与当前密码相同"),
])
def test_refusals_change_nothing(app, db, client, old, new, new2, message):
    user = factories.user(role="town", username="hutang")
    db.session.commit()
    before = (user.password_hash, user.session_epoch)
    login(client, "hutang")
    response = _change(client, old, new, new2)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.password_hash, user.session_epoch) == before
    assert client.get("/m/").status_code == 200


def test_change_without_csrf_token_is_refused(app, db, client):
    user = factories.user(role="town", username="hutang")
    db.session.commit()
    login(client, "hutang")
    before = user.password_hash
    response = client.post("/account/password",
                           data={"old_password": factories.PASSWORD, "new_password": NEW, "new_password2": NEW})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.password_hash == before
