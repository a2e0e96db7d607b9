"""Browser: the leader's 待我审批 at 1366×768 and 390×844 — log in, open it from the menu,
approve one item from its card, refuse another with a reason from the ticked list, see the
counts change; and axe-core on the main admin screens (0 serious or critical violations)."""
import re

import pytest

from tests import factories
from tests.e2e.axe import violations as serious_violations

SIZES = {"desktop": ({"width": 1366, "height": 768}, False), "phone": ({"width": 390, "height": 844}, True)}


def _context(browser, size):
    viewport, mobile = SIZES[size]
    return browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="zh-CN")


def _login(page, base, username, password=factories.PASSWORD):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _menu_count(page) -> int:
    link = page.locator(".ep-queue-phone" if page.viewport_size["width"] < 1200 else "li.ep-queue a")
    text = link.inner_text()
    m = re.search(r"(\d+)", text)
    return int(m.group(1)) if m else 0


def _shot(page, name):
    import os

    from tests.e2e.conftest import SHOTS

    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_leader_approves_one_and_refuses_one_with_a_reason(app, browser, live_server, size):
    with app.app_context():
        from app.extensions import db
        from tests.inbox import conftest as inbox_fixtures

        factories.user(role="leader", username="wangju", full_name="王局长")
        office = factories.user(role="office", full_name="周焱")
        items = inbox_fixtures.make_waiting(office)
        keys = {kind: f"{kind}:{row.id}" for kind, row in items.items()}
        db.session.commit()
    context = _context(browser, size)
    page = context.new_page()
    _login(page, live_server, "wangju")
    assert _menu_count(page) == 4
    assert page.locator("#h-queue").is_visible()  # the dashboard's 待我审批 card
    page.click(".ep-queue-phone" if size == "phone" else "li.ep-queue a")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/admin/approvals/")
    assert page.locator("input[name=keys]:checked").count() == 0  # nothing is pre-ticked
    assert serious_violations(page) == []
    _shot(page, f"inbox-leader-list-{size}")

    # approve 张三 (拟聘名单) from his card
    card = page.locator(".inbox-item", has_text="张三")
    card.get_by_role("link", name="审定通过…").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "确认同意（共 1 项）"
    assert page.locator("#confirm-names li").all_inner_texts()[0].startswith("张三")
    assert serious_violations(page) == []
    _shot(page, f"inbox-leader-confirm-approve-{size}")
    page.get_by_role("button", name="确认同意这 1 项").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".alert-success", has_text="已同意1项：张三。").is_visible()
    assert _menu_count(page) == 3

    # refuse the dismissal of 钱卫东: tick it, 不同意所选…, a reason is required
    page.check(f"input[name=keys][value='{keys['dismissal']}']")
    page.get_by_role("button", name="不同意所选…").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "确认不同意（共 1 项）"
    assert "钱卫东" in page.locator("#confirm-names").inner_text()
    assert page.locator("#reason").get_attribute("required") is not None
    page.fill("#reason", "经核实本人仍在本区工作，继续留任")
    _shot(page, f"inbox-leader-confirm-refuse-{size}")
    page.get_by_role("button", name="确认不同意这 1 项").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".alert-success", has_text="已不同意1项：钱卫东。").is_visible()
    assert _menu_count(page) == 2
    assert page.locator("#h-recent ~ ul", has_text="钱卫东").is_visible()
    assert "经核实本人仍在本区工作" in page.locator("#h-recent ~ ul").inner_text()
    _shot(page, f"inbox-leader-after-{size}")
    page.goto(f"{live_server}/admin/")
    assert "拟聘名单：0" in page.locator("#h-queue ~ ul").inner_text().replace(" ", "")
    context.close()


def _demo_urls(app):
    from sqlalchemy import select

    from app.extensions import db
    from models import Application, Expert, PayoutBatch, UsageRequest

    with app.app_context():
        expert = db.session.scalar(select(Expert.id).where(Expert.stage == "in_pool").order_by(Expert.id))
        request = db.session.scalar(select(UsageRequest.id).order_by(UsageRequest.id))
        application = db.session.scalar(select(Application.id).order_by(Application.id))
        batch = db.session.scalar(select(PayoutBatch.id).order_by(PayoutBatch.id))
    return ["/admin/", "/admin/office_queue/", "/admin/expert/", f"/admin/expert/details/?id={expert}",
            f"/admin/expert/edit/?id={expert}", "/admin/usage_request/", f"/admin/usage_request/details/?id={request}",
            "/admin/application/", f"/admin/application/details/?id={application}", "/admin/payout_batch/",
            f"/admin/payout_batch/details/?id={batch}", "/admin/audit_log/", "/admin/user/new/"]


@pytest.mark.parametrize("size", list(SIZES))
def test_main_admin_screens_have_no_serious_accessibility_violations(app, browser, live_server, size):
    with app.app_context():
        from app.demo.seed import DEMO_PASSWORD, seed_demo

        seed_demo(experts=12)
    urls = _demo_urls(app)
    context = _context(browser, size)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _login(page, live_server, "office", DEMO_PASSWORD)
    found = {}
    for url in urls:
        if url.startswith("/admin/user/"):
            continue  # the sysadmin's page, below
        page.goto(f"{live_server}{url}")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        found[url] = serious_violations(page)
    context.close()
    context = _context(browser, size)
    page = context.new_page()
    _login(page, live_server, "leader", DEMO_PASSWORD)
    for url in ("/admin/", "/admin/approvals/"):
        page.goto(f"{live_server}{url}")
        page.wait_for_load_state("networkidle")
        found[f"leader {url}"] = serious_violations(page)
    context.close()
    assert {url: v for url, v in found.items() if v} == {}
    assert [e for e in errors if "favicon" in e or "404" in e] == []


def test_the_sysadmins_menu_fits_one_line_at_1366(app, browser, live_server):
    with app.app_context():
        from app.extensions import db

        factories.user(role="sysadmin", username="xitong", full_name="系统管理员")
        db.session.commit()
    context = _context(browser, "desktop")
    page = context.new_page()
    _login(page, live_server, "xitong")
    nav = page.locator("nav.ep-nav").bounding_box()
    brand = page.locator(".navbar-brand").bounding_box()
    assert nav["height"] < brand["height"] * 2.2, nav  # one line of menu, not two
    context.close()


def test_long_names_stay_on_one_line_in_the_expert_list(app, browser, live_server):
    with app.app_context():
        from app.extensions import db

        factories.user(role="office", username="zhouyan")
        factories.expert(name="欧阳慕容晓东", employer="江苏省常州市武进区某某高新技术产业开发区精密机械制造有限公司")
        db.session.commit()
    context = _context(browser, "desktop")
    page = context.new_page()
    _login(page, live_server, "zhouyan")
    page.goto(f"{live_server}/admin/expert/")
    lines = page.evaluate("""() => {
        const cell = [...document.querySelectorAll('td.col-name')].find(td => td.textContent.includes('欧阳慕容晓东'));
        const range = document.createRange(); range.selectNodeContents(cell);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    }""")
    assert lines == 1
    context.close()
