"""Audit entries carry the client's address as the app sees it — a login, a failed login,
any change made in a request — and nothing for commands run outside a request."""
from sqlalchemy import select

from models import AuditLog
from tests import factories
from tests.auth.conftest import code_for, login, post_form


def _entries(db):
    return db.session.scalars(select(AuditLog).where(AuditLog.table_name == "user").order_by(AuditLog.id)).all()


def test_a_failed_and_a_good_login_are_audited_with_the_client_address(app, db):
    factories.user(role="leader", username="lisi")
    db.session.commit()
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    assert login(client, "lisi", "wrong-password-1").status_code == 200
    assert login(client, "lisi").status_code == 302
    logins = [e for e in _entries(db) if e.action == "update"]
    failed = [e for e in logins if "failed_logins" in e.changes and e.changes["failed_logins"][1] == 1]
    good = [e for e in logins if "last_login_at" in e.changes]
    assert failed and good
    assert {e.client_addr for e in failed + good} == {"10.20.30.40"}


def test_a_two_factor_login_is_audited_with_the_address(app, db, enrolled):
    user, secret = enrolled("office", username="zhou")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert login(client, "zhou").status_code == 302
    assert post_form(client, "/login/2fa", {"code": code_for(secret)}).status_code == 302
    good = [e for e in _entries(db) if "last_login_at" in (e.changes or {})]
    assert good and good[-1].client_addr == "192.0.2.7" and good[-1].username == "zhou"


def test_commands_outside_a_request_record_no_address(app, db, runner, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("Lingdao#2026x\n", encoding="utf-8")
    result = runner.invoke(args=["create-user", "lisi", "--role", "leader", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    created = [e for e in _entries(db) if e.action == "create"]
    assert created and created[-1].client_addr == "" and created[-1].username == "系统"
