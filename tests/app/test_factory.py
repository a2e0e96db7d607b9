"""The factory: configuration and the refusal to start without a secret key."""
import pytest

from app import create_app


def test_testing_config(app):
    assert app.config["TESTING"]


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from app import config

    monkeypatch.setattr(config.Config, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_two_apps_can_be_built_in_one_process():
    # A module-level Admin would fail here with "already registered" (STYLE.md anti-pattern 1).
    a = create_app({"ENV_NAME": "testing"})
    b = create_app({"ENV_NAME": "testing"})
    assert a is not b


def test_error_pages_are_chinese(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_security_headers_on_public_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in csp
        and "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
