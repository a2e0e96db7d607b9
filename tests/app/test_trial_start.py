"""The trial start is not a door (SPEC §6): no published key signs a session, seed-demo
refuses in production, and the admin warns when the printed QR address is not the one in use."""
import stat

import pytest
from flask import Flask
from flask_login.utils import _create_identifier
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from models import User
from tests import factories

PUBLISHED_KEY = "dev-only-not-secret"  # what app/config.py used to sign development sessions with


def _dev_app(tmp_path, **overrides):
    config = {"ENV_NAME": "development", "SECRET_KEY": None, "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
              "DATA_ENCRYPTION_KEY": None, "DATA_ENCRYPTION_KEY_FILE": str(tmp_path / "data.key"),
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
              "UPLOAD_DIR": str(tmp_path / "uploads"), "PASSWORD_HASH_FAST": True, "RATELIMIT_ENABLED": False}
    config.update(overrides)
    return create_app(config)


def test_development_generates_its_own_key_once_and_keeps_it_private(tmp_path):
    first = _dev_app(tmp_path)
    key = first.config["SECRET_KEY"]
    assert key != PUBLISHED_KEY and len(key) == 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data.key").stat().st_mode) == 0o600
    assert _dev_app(tmp_path).config["SECRET_KEY"] == key  # the same installation keeps its key
    other = tmp_path / "other"
    other.mkdir()
    assert _dev_app(other).config["SECRET_KEY"] != key  # another installation has another


def _forged_cookie(app, user, key):
    """A session cookie for ``user`` signed with ``key``, built with Flask's own serializer."""
    attacker = Flask("attacker")
    attacker.secret_key = key
    with app.test_request_context("/", headers={"User-Agent": "forger"}, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        identifier = _create_identifier()
    data = {"_user_id": f"{user.id}:{user.session_epoch or 0}", "_fresh": True, "_id": identifier}
    return attacker.session_interface.get_signing_serializer(attacker).dumps(data)


def test_a_cookie_signed_with_the_published_key_gets_nobody_in(tmp_path):
    app = _dev_app(tmp_path)
    with app.app_context():
        db.create_all()
        admin = factories.user(role="sysadmin", username="admin")
        db.session.commit()
        cookie = _forged_cookie(app, admin, PUBLISHED_KEY)
        genuine = _forged_cookie(app, admin, app.config["SECRET_KEY"])
    client = app.test_client()
    client.set_cookie("session", cookie)
    response = client.get("/admin/user/", headers={"User-Agent": "forger"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # The same cookie signed with the installation's own key does get in: the test forges correctly.
    client.set_cookie("session", genuine)
    assert client.get("/admin/user/", headers={"User-Agent": "forger"}).status_code == 200


def test_seed_demo_refuses_in_production_and_writes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "k" * 64, "DATA_ENCRYPTION_KEY": "ab" * 16,
                      "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == ["生产环境（APP_ENV=production）不能导入演示数据：演示账号的密码是公开的；未做任何改动。"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


# --- the printed address -------------------------------------------------------------------------

WARNING = "二维码地址与当前访问地址不一致"


@pytest.mark.parametrize("role", ["office", "sysadmin"])
def test_printers_are_warned_when_the_qr_address_is_not_the_one_in_use(app, client, login_as, role):
    # The test client opens pages at http://localhost (its cookie is kept for that host).
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    login_as(role)
    page = client.get("/admin/permit/").get_data(as_text=True)
    assert WARNING in page and "http://127.0.0.1:5000" in page and "http://localhost" in page
    app.config["PUBLIC_BASE_URL"] = "http://localhost/"
    assert WARNING not in client.get("/admin/permit/").get_data(as_text=True)


def test_default_ports_count_as_the_same_address(app, client, login_as):
    app.config["PUBLIC_BASE_URL"] = "http://localhost:80"
    login_as("office")
    assert WARNING not in client.get("/admin/").get_data(as_text=True)


def test_roles_that_do_not_print_see_no_warning(app, client, login_as):
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    login_as("department")
    page = client.get("/admin/")
    assert page.status_code == 200 and WARNING not in page.get_data(as_text=True)
