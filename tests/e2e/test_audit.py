"""Browser: the auditor verifies the audit trail on his phone and at a desk (SPEC §3.20).

A tampered entry is named on the page with a link to it; the audit log lists the entries
with their numbers. Screenshots at 390×844 and 1366×768 (``E2E_SCREENSHOT_DIR``).
"""
from app.extensions import db
from app.services import audit
from tests import factories

DESK = {"width": 1366, "height": 768}


def _trail(app, tampered: bool):
    with app.app_context():
        factories.user(role="auditor", username="shenji", full_name="审计员")
        factories.appointed_expert(name="王建国")
        db.session.commit()
        for i in range(1, 4):
            audit.record_event("export", f"导出“专家”{i * 10}行（xlsx）", table="expert",
                               details={"导出内容": "专家", "格式": "xlsx", "行数": i * 10})
            db.session.commit()
        if tampered:
            db.session.remove()
            raw = db.engine.raw_connection()
            try:
                raw.cursor().execute(
                    "UPDATE audit_log SET summary = '导出“专家”1行（xlsx）' WHERE summary LIKE '%30行%'")
                raw.commit()
            finally:
                raw.close()


def test_the_auditor_sees_the_first_changed_entry(app, page, live_server, browser_login, screenshot):
    _trail(app, tampered=True)
    browser_login("shenji")
    page.goto(f"{live_server}/admin/audit_verify/")
    page.click("text=开始核验")
    page.wait_for_load_state("networkidle")
    alert = page.locator(".alert-danger")
    assert "核验未通过" in alert.inner_text() and "最先出问题的记录：第" in alert.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("audit-verify-broken-phone")
    page.set_viewport_size(DESK)
    screenshot("audit-verify-broken-desk")
    page.click("text=/查看第\\d+条/")
    page.wait_for_load_state("networkidle")
    assert "导出“专家”1行（xlsx）" in page.content()
    screenshot("audit-entry-desk")


def test_an_untouched_trail_verifies_and_the_log_lists_it(app, page, live_server, browser_login, screenshot):
    _trail(app, tampered=False)
    browser_login("shenji")
    page.goto(f"{live_server}/admin/audit_verify/?run=1")
    assert "核验通过" in page.locator(".alert-success").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("audit-verify-ok-phone")
    page.goto(f"{live_server}/admin/audit_log/")
    assert "导出“专家”30行（xlsx）" in page.content() and "登录成功" in page.content()
    screenshot("audit-log-phone")
    page.set_viewport_size(DESK)
    page.goto(f"{live_server}/admin/audit_verify/?run=1")
    screenshot("audit-verify-ok-desk")
    page.goto(f"{live_server}/admin/audit_log/")
    screenshot("audit-log-desk")
    page.goto(f"{live_server}/admin/export_log/")
    assert "导出“专家”10行（xlsx）" in page.content()
    screenshot("export-log-desk")


def test_the_security_administrators_account_pages(app, page, live_server, browser_login, screenshot):
    """三员分立 on the account pages: the secadmin's list has lock and 2FA columns and his two
    actions; his edit form holds role, unit, expert and 启用 — no name, no password."""
    with app.app_context():
        import datetime as dt

        from app import clock

        factories.user(role="secadmin", username="anquan", full_name="安全管理员")
        factories.user(role="leader", username="lingdao", full_name="局长",
                       locked_until=clock.utcnow() + dt.timedelta(minutes=10))
        town = factories.user(role="town", username="hutang", full_name="孙晓燕")
        db.session.commit()
        town_id = town.id
    browser_login("anquan")
    page.goto(f"{live_server}/admin/user/")
    assert "锁定至" in page.content() and "两步验证" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("users-secadmin-phone")
    page.goto(f"{live_server}/admin/user/edit/?id={town_id}")
    assert page.locator("select[name=role]").count() == 1 and page.locator("input[name=new_password]").count() == 0
    assert "账号：hutang（孙晓燕，镇/开发区/街道）" in page.inner_text("body")
    screenshot("user-edit-secadmin-phone")
    page.set_viewport_size(DESK)
    page.goto(f"{live_server}/admin/user/")
    screenshot("users-secadmin-desk")
    page.goto(f"{live_server}/admin/user/edit/?id={town_id}")
    screenshot("user-edit-secadmin-desk")
