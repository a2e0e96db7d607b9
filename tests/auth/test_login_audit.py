"""Logins on the audit trail (SPEC §3.20): every outcome as an event in Chinese with the
client's address — a good login, each kind of failed one (also for an unknown username and a
locked or disabled account), a wrong authenticator code, a logout — and commands run on the
server marked as such. The login bookkeeping is not recorded as an edit of the account."""
import datetime as dt

from sqlalchemy import select

from app import clock
from models import AuditLog
from tests import factories
from tests.auth.conftest import code_for, login, post_form
from tests.conftest import csrf_from


def _entries(db, *actions):
    query = select(AuditLog).order_by(AuditLog.id)
    if actions:
        query = query.where(AuditLog.action.in_(actions))
    return db.session.scalars(query).all()


def test_a_failed_and_a_good_login_are_audited_with_the_client_address(app, db):
    user = factories.user(role="leader", username="lisi")
    db.session.commit()
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    assert login(client, "lisi", "wrong-password-1").status_code == 200
    assert login(client, "lisi").status_code == 302
    failed, good = _entries(db, "login_fail"), _entries(db, "login")
    assert [e.summary for e in failed] == ["登录失败：密码错误"]
    assert failed[0].changes["连续失败次数"] == [None, 1] and failed[0].username == "lisi"
    assert [e.summary for e in good] == ["登录成功"] and good[0].user_id == user.id
    assert {e.client_addr for e in failed + good} == {"10.20.30.40"}
    # The failure count and last-login time are not recorded a second time as edits of the account.
    assert _entries(db, "update") == []


def test_an_unknown_username_is_audited_as_typed(app, db):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert login(client, "nosuchuser", "whatever-123").status_code == 200
    (entry,) = _entries(db, "login_fail")
    assert entry.username == "nosuchuser" and entry.user_id is None
    assert entry.summary == "登录失败：用户名不存在" and entry.client_addr == "198.51.100.9"


def test_the_lock_and_a_login_while_locked_are_audited(app, db):
    app.config["LOGIN_MAX_FAILURES"] = 2
    factories.user(role="town", username="hutang")
    db.session.commit()
    client = app.test_client()
    login(client, "hutang", "wrong-password-1")
    login(client, "hutang", "wrong-password-2")
    login(client, "hutang")  # the right password, but locked
    assert [e.summary for e in _entries(db, "login_fail")] == [
        "登录失败：密码错误", "登录失败：密码错误次数过多，账号被暂时锁定", "登录失败：账号处于暂时锁定中"]
    assert _entries(db, "login") == []


def test_a_disabled_account_is_audited(app, db):
    factories.user(role="leader", username="tingyong").active = False
    db.session.commit()
    login(app.test_client(), "tingyong")
    assert [e.summary for e in _entries(db, "login_fail")] == ["登录失败：账号已停用"]


def test_a_two_factor_login_and_a_wrong_code_are_audited_with_the_address(app, db, enrolled):
    user, secret = enrolled("office", username="zhou")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert login(client, "zhou").status_code == 302
    assert _entries(db, "login") == []  # the password alone is not a login
    post_form(client, "/login/2fa", {"code": "000000" if code_for(secret) != "000000" else "111111"})
    assert post_form(client, "/login/2fa", {"code": code_for(secret)}).status_code == 302
    assert [e.summary for e in _entries(db, "login_fail")] == ["登录失败：动态验证码错误"]
    (good,) = _entries(db, "login")
    assert good.summary == "登录成功（密码和动态验证码）" and good.client_addr == "192.0.2.7"
    assert good.username == "zhou" and good.user_id == user.id


def test_logout_is_audited(app, db, client, auth):
    factories.user(role="leader", username="lingdao")
    db.session.commit()
    auth.login("lingdao")
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/admin/").get_data(as_text=True))})
    assert [(e.summary, e.username) for e in _entries(db, "logout")] == [("退出登录", "lingdao")]


def test_commands_outside_a_request_are_marked_as_the_command_line(app, db, runner, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("Lingdao#2026x\n", encoding="utf-8")
    with clock.frozen(dt.datetime(2026, 5, 6, 2, 0, tzinfo=dt.UTC)):
        result = runner.invoke(args=["create-user", "lisi", "--role", "leader", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    (created,) = _entries(db, "create")
    assert created.table_name == "user" and created.username == "系统"
    assert created.client_addr.startswith("命令行 ")
