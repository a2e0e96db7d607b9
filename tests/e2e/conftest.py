"""Browser tests: Debian's Chromium at phone size (390×844) through Playwright.

The app is served by a real threaded WSGI server on 127.0.0.1; on SQLite it uses a
file database so the server thread and the test share it.
"""
import os
import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db as _db

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("E2E_SCREENSHOT_DIR", "test-artifacts/screens")


@pytest.fixture
def app(tmp_path):
    overrides = {"ENV_NAME": "testing", "UPLOAD_DIR": str(tmp_path / "uploads")}
    if not os.environ.get("TEST_DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    app = create_app(overrides)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        from app.services.reference import ensure_reference_data

        ensure_reference_data()
        _db.session.commit()
        yield app
        _db.session.remove()
        # Every journey leaves records that agree with each other (flask check-integrity).
        from app.services import integrity

        found = integrity.findings()
        _db.session.remove()
        _db.drop_all()
        assert not found, "数据一致性检查：" + "；".join(str(f) for f in found)


@pytest.fixture
def live_server(app):
    """Serve ``app`` in a thread; yields its base URL."""
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under test-artifacts/screens/<name>.png."""

    def _shot(name):
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, f"{name}.png")
        page.screenshot(path=path, full_page=True)
        return path

    return _shot


@pytest.fixture
def browser_login(page, live_server):
    """Log the browser in through the real login form."""
    from tests.factories import PASSWORD

    def _login(username, password=PASSWORD):
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

    return _login
