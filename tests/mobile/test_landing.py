"""Where a login lands (SPEC §1 phone workspace): town and department staff on a phone land on
/m/, on a desktop on /admin/; a choice made with the links between the two is remembered."""
import pytest

from tests import factories
from tests.conftest import csrf_from
from tests.mobile.conftest import DESKTOP_UA, MOBILE_UA

IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/17.5 Mobile/15E148 Safari/604.1")
IPAD_UA = ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
           "Version/17.5 Safari/604.1")


def _login(client, username, headers=None):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": factories.PASSWORD, "csrf_token": token},
                       headers=headers or {})


@pytest.mark.parametrize(("role", "headers", "lands"), [
    ("town", {"User-Agent": MOBILE_UA}, "/m/"),
    ("town", {"User-Agent": IPHONE_UA}, "/m/"),
    ("department", {"User-Agent": MOBILE_UA}, "/m/"),
    ("department", {"User-Agent": DESKTOP_UA, "Sec-CH-UA-Mobile": "?1"}, "/m/"),
    ("town", {"User-Agent": DESKTOP_UA}, "/admin/"),
    ("town", {"User-Agent": IPAD_UA}, "/admin/"),
    ("department", {"User-Agent": DESKTOP_UA, "Sec-CH-UA-Mobile": "?0"}, "/admin/"),
    # the workspace is the units'; other staff land as before, experts on their phone pages
    ("office", {"User-Agent": MOBILE_UA}, "/admin/"),
    ("leader", {"User-Agent": MOBILE_UA}, "/admin/"),
    ("expert", {"User-Agent": DESKTOP_UA}, "/m/"),
])
def test_a_login_lands_by_device(app, client, role, headers, lands):
    user = factories.user(role=role)
    response = _login(client, user.username, headers)
    assert response.status_code == 302
    assert response.headers["Location"] == lands


def test_a_narrow_window_counts_as_a_phone(app, client):
    """The login page stores the window width (static/viewport-hint.js) for the redirect."""
    user = factories.user(role="town")
    assert "viewport-hint.js" in client.get("/login").get_data(as_text=True)
    client.set_cookie("vw", "390")
    assert _login(client, user.username, {"User-Agent": DESKTOP_UA}).headers["Location"] == "/m/"


def test_a_wide_window_stays_on_the_desktop(app, client):
    user = factories.user(role="town")
    client.set_cookie("vw", "1366")
    assert _login(client, user.username, {"User-Agent": DESKTOP_UA}).headers["Location"] == "/admin/"


def test_the_links_between_the_two_are_remembered(app, client):
    user = factories.user(role="department")
    _login(client, user.username, {"User-Agent": MOBILE_UA})
    admin = client.get("/admin/", headers={"User-Agent": MOBILE_UA}).get_data(as_text=True)
    assert 'href="/m/switch/phone">手机工作台</a>' in admin
    home = client.get("/m/", headers={"User-Agent": MOBILE_UA}).get_data(as_text=True)
    assert 'href="/m/switch/desktop">电脑版管理后台</a>' in home

    response = client.get("/m/switch/desktop", headers={"User-Agent": MOBILE_UA})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert "workspace=desktop" in response.headers["Set-Cookie"]
    client.post("/logout", data={"csrf_token": csrf_from(admin)}, headers={"User-Agent": MOBILE_UA})
    # the choice beats the phone's user agent at the next login ...
    assert _login(client, user.username, {"User-Agent": MOBILE_UA}).headers["Location"] == "/admin/"
    # ... and the other link turns it back
    response = client.get("/m/switch/phone", headers={"User-Agent": MOBILE_UA})
    assert response.headers["Location"] == "/m/" and "workspace=phone" in response.headers["Set-Cookie"]
    page = client.get("/m/", headers={"User-Agent": MOBILE_UA}).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)}, headers={"User-Agent": DESKTOP_UA})
    assert _login(client, user.username, {"User-Agent": DESKTOP_UA}).headers["Location"] == "/m/"


def test_other_roles_have_no_phone_workspace_link_in_the_admin(app, client, login_as):
    login_as("office")
    assert "手机工作台" not in client.get("/admin/").get_data(as_text=True)


def test_the_switch_needs_a_login(app, client):
    response = client.get("/m/switch/phone")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_next_still_wins(app, client):
    user = factories.user(role="town")
    token = csrf_from(client.get("/login?next=/admin/usage_request/").get_data(as_text=True))
    response = client.post("/login", data={"username": user.username, "password": factories.PASSWORD,
                                           "csrf_token": token, "next": "/admin/usage_request/"},
                           headers={"User-Agent": MOBILE_UA})
    assert response.headers["Location"] == "/admin/usage_request/"
