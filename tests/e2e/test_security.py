"""Browser: the admin's nonce-based CSP blocks no script the admin needs.

Chromium enforces the real header. Every admin list and create page is opened as the
system administrator; an inline ``<script>`` without the request's nonce would show up as
a ``script-src-elem`` violation, and an ``onclick`` handler that ``static/admin-csp.js``
does not re-attach would leave a button dead. Then the re-attached handlers are used:
the delete confirmation (cancel keeps the row, OK deletes it) and a bulk action.
"""
from flask import url_for

from app.extensions import db
from models import OrgUnit
from tests import factories

COLLECT = """
document.addEventListener('securitypolicyviolation', function (e) {
  (window.__cspViolations = window.__cspViolations || []).push(
    {directive: e.effectiveDirective || e.violatedDirective, line: e.lineNumber, sample: e.sample});
});
"""
UNWIRED = """
Array.from(document.querySelectorAll('*'))
  .filter(function (el) { return Array.from(el.attributes).some(function (a) { return a.name.indexOf('on') === 0; })
                                  && !el.dataset.cspWired; })
  .map(function (el) { return el.outerHTML.slice(0, 160); })
"""


def _admin_pages(app):
    admin = app.extensions["admin"][0]
    urls = []
    with app.test_request_context():
        for view in admin._views:
            for name in ("index_view", "create_view"):
                if f"{view.endpoint}.{name}" in app.view_functions:
                    urls.append(url_for(f"{view.endpoint}.{name}"))
    return urls


def test_no_admin_page_needs_a_blocked_script(app, page, live_server, browser_login):
    with app.app_context():
        factories.user(role="sysadmin", username="sysadm")
        factories.appointed_expert(name="王建国")
        factories.enterprise()
        db.session.commit()
    page.add_init_script(COLLECT)
    browser_login("sysadm")
    problems = []
    pages = _admin_pages(app)
    assert len(pages) > 20
    for url in pages:
        response = page.goto(f"{live_server}{url}")
        if response.status == 403:
            continue
        page.wait_for_load_state("load")
        blocked = [v for v in page.evaluate("window.__cspViolations || []") if v["directive"] != "script-src-attr"]
        dead = page.evaluate(UNWIRED)
        if blocked or dead:
            problems.append((url, blocked, dead[:2]))
    assert problems == []


def test_delete_asks_first_and_bulk_delete_works(app, page, live_server, browser_login):
    with app.app_context():
        factories.user(role="sysadmin", username="sysadm")
        for name in ("甲测试科", "乙测试科"):
            db.session.add(OrgUnit(kind="section", name=name))
        db.session.commit()
    browser_login("sysadm")
    page.goto(f"{live_server}/admin/org_unit/?search=甲测试科")
    delete_button = page.locator("form.delete-row-form button, form[action*='/delete/'] button").first

    page.once("dialog", lambda dialog: dialog.dismiss())
    delete_button.click()
    page.wait_for_load_state("load")
    with app.app_context():
        assert db.session.query(OrgUnit).filter_by(name="甲测试科").count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    delete_button.click()
    page.wait_for_load_state("networkidle")
    with app.app_context():
        db.session.remove()
        assert db.session.query(OrgUnit).filter_by(name="甲测试科").count() == 0

    # Bulk action: tick the row, pick 删除 from the 选中项 menu, confirm.
    page.goto(f"{live_server}/admin/org_unit/?search=乙测试科")
    page.locator("input.action-checkbox").first.check()
    page.locator("a.dropdown-toggle", has_text="选中").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("a.dropdown-item[onclick*='modelActions']").first.click()
    page.wait_for_load_state("networkidle")
    with app.app_context():
        db.session.remove()
        assert db.session.query(OrgUnit).filter_by(name="乙测试科").count() == 0
