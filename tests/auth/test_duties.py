"""三员分立 (SPEC §3.20): the system administrator keeps accounts but neither reads the audit log
nor decides what an account may do; the security administrator decides roles, units and
enabling, lifts locks and resets two-factor login, but creates no account and sets no password;
the auditor reads and changes nothing. No account grants itself a role — not through the user
form, not through the command line — and nobody removes an audit entry."""
import pytest
from sqlalchemy import func, select

from app.auth.passwords import verify_password
from app.services import duties
from app.services.errors import DomainError
from models import AuditLog, User
from tests import factories
from tests.conftest import AuthActions, csrf_from


def _form(client, url):
    return csrf_from(client.get(url).get_data(as_text=True))


def _edit(client, user_id, **fields):
    url = f"/admin/user/edit/?id={user_id}"
    data = {"csrf_token": _form(client, url), **fields}
    return client.post(url, data=data)


def _entries(db, action=None):
    query = select(AuditLog).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    return db.session.scalars(query).all()


def _reload(db, user):
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- who reads the audit log ------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "reads"), [("sysadmin", False), ("secadmin", False), ("auditor", True),
                                             ("office", True), ("leader", False)])
def test_who_reads_the_audit_log(client, login_as, role, reads):
    login_as(role)
    for url in ("/admin/audit_log/", "/admin/export_log/", "/admin/audit_verify/"):
        assert client.get(url).status_code == (200 if reads else 403), (role, url)
    assert ("安全审计" in client.get("/admin/").get_data(as_text=True)) is reads


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor", "office"])
def test_nobody_removes_an_audit_entry_through_the_admin(app, db, client, login_as, role):
    me = login_as(role)
    mine = [e.id for e in _entries(db) if e.user_id == me.id]
    assert mine, "the login is on the trail"
    before = db.session.scalar(select(func.count()).select_from(AuditLog))
    token = _form(client, "/account/password")
    assert client.post("/admin/audit_log/delete/", data={"id": mine[0], "csrf_token": token}).status_code == 403
    assert client.post("/admin/audit_log/action/", data={"action": "delete", "rowid": mine,
                                                        "csrf_token": token}).status_code == 403
    assert client.post(f"/admin/audit_log/edit/?id={mine[0]}", data={"summary": "x",
                                                                      "csrf_token": token}).status_code == 403
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) >= before
    assert [e.id for e in _entries(db) if e.user_id == me.id][:len(mine)] == mine


def test_the_auditor_reads_the_export_records(app, db, client, login_as):
    login_as("office")
    assert client.get("/admin/org_unit/export/csv/").status_code == 200
    auditor = app.test_client()
    factories.user(role="auditor", username="shenji")
    db.session.commit()
    assert AuthActions(auditor).login("shenji").status_code == 302
    html = auditor.get("/admin/export_log/").get_data(as_text=True)
    assert "导出“单位”" in html and "（csv）" in html
    assert "登录成功" not in html  # only exports
    (entry,) = _entries(db, "export")
    assert entry.changes["行数"][1] >= 0 and entry.table_name == "org_unit"


# --- accounts: the sysadmin -----------------------------------------------------------------------

def test_a_new_account_waits_for_the_security_administrator(app, db, client, login_as, auth):
    unit = factories.org_unit(kind="town", name="湖塘镇")
    db.session.commit()
    admin = login_as("sysadmin")
    url = "/admin/user/new/"
    page = client.get(url).get_data(as_text=True)
    assert 'name="role"' in page and 'name="active"' not in page
    response = client.post(url, data={"csrf_token": csrf_from(page), "username": "xinren", "full_name": "新人",
                                      "role": "town", "org_unit": unit.id, "new_password": "Qiyong#2026ok"})
    assert response.status_code == 302
    new = db.session.scalar(select(User).where(User.username == "xinren"))
    assert new.active is False and new.role == "town"
    # The security administrator enables it.
    secadmin = factories.user(role="secadmin", username="anquan")
    db.session.commit()
    other = app.test_client()
    assert AuthActions(other).login("anquan").status_code == 302
    assert _edit(other, new.id, role="town", org_unit=unit.id, active="y").status_code == 302
    assert _reload(db, new).active is True
    (created,) = [e for e in _entries(db, "create") if e.table_name == "user" and e.row_id == new.id]
    assert created.user_id == admin.id and created.changes["active"] == [None, False]
    enabled = _entries(db, "permission")[-1]
    assert enabled.user_id == secadmin.id and enabled.changes["active"] == [False, True]


def test_the_sysadmin_changes_no_role_not_even_by_a_forged_form(app, db, client, login_as):
    admin = login_as("sysadmin")
    page = client.get(f"/admin/user/edit/?id={admin.id}").get_data(as_text=True)
    assert 'name="role"' not in page and 'name="active"' not in page and 'name="full_name"' in page
    response = _edit(client, admin.id, username=admin.username, full_name="改个名", role="auditor", active="y")
    assert response.status_code == 302
    me = _reload(db, admin)
    assert (me.role, me.full_name) == ("sysadmin", "改个名")
    other = factories.user(role="town", username="hutang")
    db.session.commit()
    _edit(client, other.id, username="hutang", full_name=other.full_name, role="office")
    assert _reload(db, other).role == "town"
    assert _entries(db, "permission") == []


def test_the_sysadmin_sets_no_password_of_the_auditor(app, db, client, login_as):
    login_as("sysadmin")
    auditor = factories.user(role="auditor", username="shenji")
    town = factories.user(role="town", username="hutang")
    db.session.commit()
    response = _edit(client, auditor.id, username="shenji", full_name=auditor.full_name, new_password="Jieguan#2026x")
    assert "系统管理员、安全管理员和安全审计员的密码只能由本人修改" in response.get_data(as_text=True)
    assert verify_password(_reload(db, auditor).password_hash, factories.PASSWORD)
    assert _edit(client, town.id, username="hutang", full_name=town.full_name,
                 new_password="Mima#2026newpw").status_code == 302
    assert verify_password(_reload(db, town).password_hash, "Mima#2026newpw")


# --- accounts: the security administrator ----------------------------------------------------------

def test_the_security_administrator_changes_roles_but_not_his_own(app, db, client, login_as):
    me = login_as("secadmin")
    town = factories.user(role="town", username="hutang")
    db.session.commit()
    page = client.get(f"/admin/user/edit/?id={town.id}").get_data(as_text=True)
    assert 'name="role"' in page and 'name="new_password"' not in page and 'name="username"' not in page
    assert client.get("/admin/user/new/").status_code == 403
    assert _edit(client, town.id, role="leader", active="y", new_password="Steal#2026pass").status_code == 302
    changed = _reload(db, town)
    assert changed.role == "leader" and verify_password(changed.password_hash, factories.PASSWORD)
    entry = _entries(db, "permission")[-1]
    assert entry.changes["role"] == ["town", "leader"] and entry.user_id == me.id
    # His own account: no role field (an administrator's role is given on the server), and
    # switching himself off is refused; nothing changes.
    page = client.get(f"/admin/user/edit/?id={me.id}").get_data(as_text=True)
    assert 'name="role"' not in page and 'name="active"' in page
    response = _edit(client, me.id, role="auditor")
    assert "不能修改自己账号的角色、所属单位、关联专家或启用状态" in response.get_data(as_text=True)
    mine = _reload(db, me)
    assert (mine.role, mine.active) == ("secadmin", True)


def test_administrator_roles_are_given_on_the_server_only(app, db, client, login_as):
    """Through the web nobody makes an administrator: not the sysadmin by creating an account
    (whose password he would know), not the secadmin by promoting one."""
    admin = login_as("sysadmin")
    page = client.get("/admin/user/new/").get_data(as_text=True)
    assert 'value="office"' in page and 'value="auditor"' not in page and 'value="secadmin"' not in page
    client.post("/admin/user/new/", data={"csrf_token": csrf_from(page), "username": "jiade", "full_name": "假的",
                                          "role": "auditor", "new_password": "Qiyong#2026ok"})
    assert db.session.scalar(select(User).where(User.username == "jiade")) is None
    town = factories.user(role="town", username="hutang")
    auditor = factories.user(role="auditor", username="shenji")
    sec = factories.user(role="secadmin", username="anquan")
    db.session.commit()
    browser = app.test_client()
    AuthActions(browser).login("anquan")
    _edit(browser, town.id, role="auditor", active="y")
    assert _reload(db, town).role == "town"
    # An auditor who leaves is switched off by the secadmin; his role stays as it is.
    page = browser.get(f"/admin/user/edit/?id={auditor.id}").get_data(as_text=True)
    assert 'name="role"' not in page and 'name="active"' in page
    assert _edit(browser, auditor.id, role="office").status_code == 302
    gone = _reload(db, auditor)
    assert (gone.role, gone.active) == ("auditor", False)
    for role, target in (("town", town), ("auditor", auditor)):
        target = _reload(db, target)
        target.role = "auditor" if role == "town" else "office"
        with pytest.raises(DomainError, match="只在服务器上授予"):
            duties.check_account_change(target, sec, {"role"})
        db.session.rollback()
    new = User(username="x", role="auditor")
    with pytest.raises(DomainError, match="只在服务器上授予"):
        duties.check_account_change(new, admin, {"username", "role"}, created=True)


def test_a_unit_change_is_a_permission_change(app, db, client, login_as):
    login_as("secadmin")
    old, new = factories.org_unit(kind="town", name="湖塘镇"), factories.org_unit(kind="town", name="牛塘镇")
    user = factories.user(role="town", username="hutang", org_unit_=old)
    db.session.commit()
    assert _edit(client, user.id, role="town", org_unit=new.id, active="y").status_code == 302
    entry = _entries(db, "permission")[-1]
    assert entry.changes == {"org_unit_id": [old.id, new.id]}


def test_unlock_and_two_factor_reset_are_the_security_administrators(app, db, client, login_as):
    import datetime as dt

    from app import clock

    locked = factories.user(role="leader", username="lingdao", failed_logins=0,
                            locked_until=clock.utcnow() + dt.timedelta(minutes=10))
    enrolled = factories.user(role="office", username="zhou", totp_secret="JBSWY3DPEHPK3PXP")
    db.session.commit()
    login_as("sysadmin")
    token = _form(client, "/admin/user/")
    assert "解除登录锁定" not in client.get("/admin/user/").get_data(as_text=True)
    client.post("/admin/user/action/", data={"action": "unlock", "rowid": [locked.id], "csrf_token": token})
    assert _reload(db, locked).locked_until is not None

    sec = factories.user(role="secadmin", username="anquan")
    db.session.commit()
    browser = app.test_client()
    AuthActions(browser).login("anquan")
    page = browser.get("/admin/user/").get_data(as_text=True)
    assert "解除登录锁定" in page and "重置两步验证" in page and "锁定至" in page
    token = csrf_from(page)
    browser.post("/admin/user/action/", data={"action": "unlock", "rowid": [locked.id], "csrf_token": token})
    assert _reload(db, locked).locked_until is None
    (event,) = _entries(db, "unlock")
    assert event.user_id == sec.id and event.summary == "解除账号“lingdao”的登录锁定"
    browser.post("/admin/user/action/", data={"action": "reset_2fa", "rowid": [enrolled.id], "csrf_token": token})
    assert _reload(db, enrolled).totp_secret is None
    # Not his own.
    browser.post("/admin/user/action/", data={"action": "reset_2fa", "rowid": [sec.id], "csrf_token": token})
    with pytest.raises(DomainError, match="不能重置两步验证自己的账号"):
        duties.reset_two_factor(sec, sec)


@pytest.mark.parametrize(("by", "changed", "created", "words"), [
    ("sysadmin", {"role"}, False, "系统管理员不能修改账号的角色（三员分立：由安全管理员办理）"),
    ("sysadmin", {"active"}, False, "启用状态"),
    ("secadmin", {"password"}, False, "安全管理员不能修改账号的密码（三员分立：由系统管理员办理）"),
    ("secadmin", {"username", "role"}, True, "安全管理员不能创建账号"),
    ("auditor", {"full_name"}, False, "安全审计员不能修改账号"),
    ("office", {"role"}, False, "基础科不能修改账号"),
])
def test_the_rule_itself(app, db, by, changed, created, words):
    actor = factories.user(role=by)
    target = factories.user(role="town")
    with pytest.raises(DomainError, match=words):
        duties.check_account_change(target, actor, changed, created=created)


def test_nobody_grants_himself_a_role_by_the_rule(app, db):
    for role in ("secadmin", "sysadmin"):
        me = factories.user(role=role)
        for field in ("role", "org_unit", "expert", "active"):
            with pytest.raises(DomainError):
                duties.check_account_change(me, me, {field})


# --- the command line ------------------------------------------------------------------------------

def test_the_command_line_gives_no_account_a_new_role(app, db, runner, tmp_path):
    admin = factories.user(role="sysadmin", username="admin")
    db.session.commit()
    secret = tmp_path / "pw"
    secret.write_text("Qiyong#2026pass\n", encoding="utf-8")
    result = runner.invoke(args=["create-user", "admin", "--role", "auditor", "--password-file", str(secret)])
    assert result.exit_code == 1 and "已存在" in result.output
    result = runner.invoke(args=["create-user", "admin", "--role", "auditor", "--password-file", str(secret),
                                 "--if-absent"])
    assert result.exit_code == 0 and "未做改动" in result.output
    assert _reload(db, admin).role == "sysadmin"


def test_create_user_makes_an_auditor_and_reset_password_is_audited(app, db, runner, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("Qiyong#2026pass\n", encoding="utf-8")
    result = runner.invoke(args=["create-user", "shenji", "--role", "auditor", "--password-file", str(secret)])
    assert result.exit_code == 0 and "（安全审计员）" in result.output
    user = db.session.scalar(select(User).where(User.username == "shenji"))
    assert user.role == "auditor" and user.active
    secret.write_text("Xinmima#2026abc\n", encoding="utf-8")
    result = runner.invoke(args=["reset-password", "shenji", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert verify_password(_reload(db, user).password_hash, "Xinmima#2026abc")
    entry = _entries(db, "update")[-1]
    assert entry.changes["password_hash"] == ["******", "******"] and entry.client_addr.startswith("命令行")
    assert runner.invoke(args=["reset-password", "nobody", "--password-file", str(secret)]).exit_code == 1
