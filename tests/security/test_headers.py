"""Response headers and cookies: CSP (strict on light pages, nonce-based in the admin),
framing, sniffing, referrer; session cookies HttpOnly, SameSite=Lax, Secure over HTTPS —
also behind a reverse proxy with PROXY_FIX — and a bounded lifetime."""
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest

from app import create_app
from tests import factories
from tests.conftest import csrf_from

LIGHT_PAGES = ["/login", "/apply", "/apply/status", "/announcements", "/complaints/new", "/verify/not-a-token"]


def _directives(csp: str) -> dict:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("url", LIGHT_PAGES)
def test_light_pages_have_a_strict_csp_and_no_inline_script_or_style(client, url):
    response = client.get(url)
    assert response.status_code in (200, 404), url
    csp = _directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    html = response.get_data(as_text=True)
    # The policy would block these; the page must not depend on them.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
    assert not re.search(r"\sstyle=\"", html), url
    assert not re.search(r"\son[a-z]+=\"", html), url


def test_phone_home_has_no_inline_style_or_script(login_as, client):
    login_as("town")
    html = client.get("/m/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\sstyle=\"", html), "style attributes are blocked by the CSP (style-src 'self')"


@pytest.mark.parametrize("url", ["/login", "/admin/", "/admin/expert/"])
def test_common_headers(login_as, client, url):
    login_as("office")
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_admin_csp_uses_a_fresh_nonce_and_no_unsafe_inline_script(login_as, client):
    login_as("office")
    first = client.get("/admin/expert/")
    second = client.get("/admin/expert/")
    nonces = []
    for response in (first, second):
        csp = _directives(response.headers["Content-Security-Policy"])
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        assert csp["script-src-attr"] == ["'none'"]
        nonce = [s for s in csp["script-src"] if s.startswith("'nonce-")]
        assert len(nonce) == 1
        nonces.append(nonce[0][len("'nonce-"):-1])
        html = response.get_data(as_text=True)
        tags = re.findall(r"<script\b[^>]*>", html)
        assert tags, "the admin list page loads scripts"
        for tag in tags:
            assert f'nonce="{nonces[-1]}"' in tag, tag
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16


def test_every_admin_page_prints_the_nonce_on_each_inline_script(app, login_as, client):
    """Inline scripts without this request's nonce are blocked: none may exist (all views)."""
    from flask import url_for

    login_as("sysadmin")
    factories.appointed_expert()
    factories.enterprise()
    admin = app.extensions["admin"][0]
    with app.test_request_context():
        urls = [url_for(f"{v.endpoint}.{name}") for v in admin._views for name in ("index_view", "create_view")
                if f"{v.endpoint}.{name}" in app.view_functions]
    checked = 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            continue
        csp = response.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
            if "src=" not in tag:
                assert f'nonce="{nonce}"' in tag, (url, tag)
        checked += 1
    assert checked >= 20


def _set_cookies(response):
    return response.headers.getlist("Set-Cookie")


def test_session_cookie_is_httponly_and_lax_and_not_secure_over_http(app, db, client):
    factories.user(role="town", username="hutang")
    db.session.commit()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "hutang", "password": factories.PASSWORD,
                                           "csrf_token": token, "remember": "y"})
    cookies = _set_cookies(response)
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # testing config over plain HTTP
    # "保持登录" lasts a week, not Flask-Login's default year.
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    assert 6.9 < days <= 7.01
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 12 * 3600


def test_cookies_are_secure_over_https(app, db):
    factories.user(role="town", username="hutang")
    db.session.commit()
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"username": "hutang", "password": factories.PASSWORD, "csrf_token": token,
                                 "remember": "y"})
    cookies = _set_cookies(response)
    assert cookies and all("Secure" in c for c in cookies), cookies
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_cookies_are_always_secure():
    from app.config import Config

    assert Config.SESSION_COOKIE_SECURE is True and Config.REMEMBER_COOKIE_SECURE is True
    assert Config.SESSION_COOKIE_HTTPONLY and Config.SESSION_COOKIE_SAMESITE == "Lax"


@pytest.fixture
def proxied_app(tmp_path):
    return create_app({"ENV_NAME": "testing", "PROXY_FIX": True, "UPLOAD_DIR": str(tmp_path / "up")})


def test_behind_the_proxy_https_is_seen_from_x_forwarded_proto(proxied_app):
    client = proxied_app.test_client()
    behind_tls = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert all("Secure" in c for c in _set_cookies(behind_tls)) and _set_cookies(behind_tls)
    assert "Strict-Transport-Security" in behind_tls.headers
    plain = proxied_app.test_client().get("/login")
    assert _set_cookies(plain) and not any("Secure" in c for c in _set_cookies(plain))


def test_without_proxy_fix_forwarded_headers_are_not_trusted(app):
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
    assert not any("Secure" in c for c in _set_cookies(response))
