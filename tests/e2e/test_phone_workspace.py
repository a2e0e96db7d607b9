"""Browser: a town inspector's day on the phone (issue 13 §4), at 390×844.

Log in → /m/ → create a request (enterprise found by typing) → candidates → draw → call the
drawn expert → notice (QR code read back from the screen) → paper receipt → record the
expert's acceptance → complete → score on the scoring page → the period's report on /m/ no
longer misses an evaluation. Every workspace page passes axe-core with no serious or critical
violation, is no wider than the screen and shows no text under 14 px.
"""
import datetime as dt
import io
import re

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from app import clock
from app.extensions import db
from models import AuditLog, Evaluation, Notice, ServiceRecord, UsageRequest
from tests import factories
from tests.e2e.axe import violations

PAGE_BUDGET = 50 * 1024  # the scoring page, the lightest phone page with a form, is ~44 KB

_LAYOUT = """() => {
  const small = [];
  for (const el of document.querySelectorAll('body *')) {
    const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (text && box.width > 0 && parseFloat(getComputedStyle(el).fontSize) < 14) {
      small.push(el.tagName + ' ' + el.textContent.trim().slice(0, 20));
    }
  }
  const controls = 'button, .btn, select, summary, label.option, '
    + 'input:not([type=hidden]):not([type=checkbox]):not([type=radio])';
  const narrow = [...document.querySelectorAll(controls)]
    .filter(el => { const b = el.getBoundingClientRect(); return b.width > 0 && b.height < 44; })
    .map(el => el.tagName + ' ' + (el.textContent || el.name || '').trim().slice(0, 20));
  return {width: document.documentElement.scrollWidth, small, narrow};
}"""


@pytest.fixture
def town_day(app):
    """湖塘镇 with its inspector, four 化工 experts, one enterprise and this year's plan."""
    from models import EnforcementPlan

    with app.app_context():
        town = factories.org_unit(name="湖塘镇", kind="town")
        factories.user(role="town", username="zhangwei", full_name="张伟", org_unit_=town)
        start = clock.today() - dt.timedelta(days=60)
        for name in ("王建国", "李志强", "赵明", "孙丽"):
            factories.appointed_expert(name=name, start=start, groups=("化工",))
        factories.appointed_expert(name="冯国栋", start=start, groups=("机械",))
        factories.enterprise(name="常州华润化工有限公司", address="武进区湖塘镇长虹路8号")
        db.session.add(EnforcementPlan(unit_id=town.id, year=clock.today().year, planned_checks=40))
        db.session.commit()


def _check_page(page, name, screenshot):
    """axe-core clean, nothing wider than the phone, no text under 14 px, controls ≥ 44 px; screenshot."""
    page.wait_for_load_state("networkidle")
    found = violations(page)
    assert found == [], (name, found)
    layout = page.evaluate(_LAYOUT)
    assert layout["width"] <= 390, (name, layout["width"])
    assert layout["small"] == [], (name, layout["small"])
    assert layout["narrow"] == [], (name, layout["narrow"])
    screenshot(f"phone-{name}")


def _go(page, target) -> None:
    """Tap a button or link that loads a new page, and wait for that page."""
    with page.expect_navigation():
        target.tap()
    page.wait_for_load_state("networkidle")


def _missing(page) -> str:
    return page.locator("#sub-missing").inner_text()


def test_a_town_inspectors_day_on_the_phone(app, page, live_server, browser_login, screenshot, town_day):
    browser_login("zhangwei")
    assert page.url == f"{live_server}/m/"  # a phone lands on the workspace, not the desktop admin
    assert page.get_by_role("heading", name="湖塘镇").is_visible()
    assert _missing(page) == "0"
    _check_page(page, "workspace-empty", screenshot)

    # --- a new request ------------------------------------------------------------------------
    page.get_by_role("link", name="新建使用申请").tap()
    page.wait_for_url("**/m/requests/new")
    page.fill("#subject", "危险化学品企业专项执法检查")
    today = clock.today().isoformat()
    page.fill("#start_date", today)
    page.fill("#end_date", today)
    page.locator("label.option", has_text="化工").first.tap()
    page.locator("#q").press_sequentially("华润")
    page.locator("#ent-matches label", has_text="常州华润化工有限公司").tap()  # typed, found, tapped
    assert page.locator("#ent-picked input:checked").count() == 1
    _check_page(page, "request-new", screenshot)
    page.get_by_role("button", name="提交申请").tap()
    page.wait_for_url(re.compile(r"/m/requests/\d+$"))
    assert page.get_by_text("待抽取").first.is_visible()
    request_url = page.url

    # --- candidates and the draw --------------------------------------------------------------------
    page.get_by_role("link", name="候选专家及未入选原因 ›").tap()
    page.wait_for_url("**/candidates")
    assert page.get_by_text("组别不符：本次需要化工中任一组别，该专家为机械").is_visible()
    _check_page(page, "candidates", screenshot)
    page.goto(request_url)
    _check_page(page, "request-submitted", screenshot)
    _go(page, page.get_by_role("button", name="随机抽取"))
    assert page.get_by_text("已随机抽取1名专家、1名候补").is_visible()
    with app.app_context():
        req = db.session.scalar(select(UsageRequest))
        drawn = next(a for a in req.assignments if not a.is_backup)
        expert, backup = drawn.expert.name, next(a for a in req.assignments if a.is_backup).expert.name
        mobile = drawn.expert.mobile
        assignment_id, request_id = drawn.id, req.id
    card = page.locator(f"#a{assignment_id}")
    assert card.locator(".name").inner_text().startswith(expert)
    assert page.locator(".card:has(h3:text-is('候补专家')) li").inner_text() == backup
    assert mobile not in page.content()  # masked on the page
    _check_page(page, "request-drawn", screenshot)

    # --- calling the drawn expert: logged first, then the dialler -------------------------------------
    # Headless Chromium has no dialler and aborts the tel: hop; the route shows what the phone gets.
    seen = {}

    def dial(route):
        answer = route.fetch(max_redirects=0)
        seen.update(status=answer.status, location=answer.headers.get("location"))
        route.fulfill(status=204)

    page.route("**/contact/call", dial)
    card.get_by_role("button", name="打电话").tap()
    for _ in range(100):
        if seen:
            break
        page.wait_for_timeout(100)
    page.unroute("**/contact/call")
    assert seen == {"status": 303, "location": f"tel:{mobile}"}
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "call"))
        assert entry.row_id == assignment_id and entry.username == "zhangwei"
    page.goto(request_url)

    # --- the notice: QR code on the screen, then a paper receipt ---------------------------------------
    _go(page, page.get_by_role("button", name="生成告知书（每家企业一份）"))
    page.locator("#notices a.ws-item").first.tap()
    page.wait_for_url(re.compile(r"/m/notices/\d+$"))
    with app.app_context():
        notice = db.session.scalar(select(Notice))
        receipt_url = f"{live_server}/receipt/{notice.token}"
    qr = Image.open(io.BytesIO(page.locator("img.qr").screenshot()))
    assert zxingcpp.read_barcodes(qr)[0].text == receipt_url
    assert page.input_value("#share-url") == receipt_url
    _check_page(page, "notice", screenshot)
    photo = io.BytesIO()
    Image.new("RGB", (640, 400), (250, 250, 250)).save(photo, "JPEG")
    page.set_input_files("#scan", files=[{"name": "回执.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}])
    page.fill("#signer_name", "刘经理")
    _go(page, page.get_by_role("button", name="登记回执（已回收）"))
    assert page.get_by_text("状态为“已回收”").is_visible()
    screenshot("phone-notice-received")

    # --- the expert's answer and the completion ------------------------------------------------------
    page.goto(request_url)
    card = page.locator(f"#a{assignment_id}")
    _go(page, card.get_by_role("button", name="记录：专家已接受"))
    assert page.get_by_text(f"已记录{expert}的答复：已接受。").is_visible()
    _check_page(page, "request-accepted", screenshot)
    page.goto(f"{live_server}/m/")
    assert page.locator("#in-progress").get_by_text(expert).is_visible()
    page.goto(request_url)
    _go(page, page.locator(f"#a{assignment_id}").get_by_role("button", name="登记完成"))
    assert page.get_by_text(f"已登记{expert}完成：1天，已生成服务记录。").is_visible()
    with app.app_context():
        assert db.session.scalar(select(ServiceRecord)).assignment_id == assignment_id
    _check_page(page, "request-completed", screenshot)

    # --- the report still misses this evaluation ------------------------------------------------------
    page.goto(f"{live_server}/m/")
    assert _missing(page) == "1"
    assert page.locator("#submission").get_by_text("待报送").is_visible()
    assert page.locator("#to-score").get_by_text(expert).is_visible()
    _check_page(page, "workspace-to-score", screenshot)

    # --- scoring on the scoring page ----------------------------------------------------------------
    page.locator("#to-score a.ws-item").first.tap()
    page.wait_for_url(f"**/m/score/new?assignment={assignment_id}")
    page.wait_for_selector("#totalbar:not([hidden])")
    for button in page.locator(".card:has(h2:text-is('必填项（50分）')) .item .full").all():
        button.tap()
    for button in page.locator(".variant[data-variant=A] .item .full").all():
        button.tap()
    page.locator("#submit").tap()
    page.wait_for_selector("#queue-list .state.sent")
    with app.app_context():
        assert db.session.scalar(select(Evaluation)).assignment_id == assignment_id

    # --- and the deadline shows it ----------------------------------------------------------------
    page.goto(f"{live_server}/m/")
    assert _missing(page) == "0"
    assert page.locator("#submission").get_by_text("按时").first.is_visible()
    assert page.get_by_text("已完成的任务都已评价。").is_visible()
    _check_page(page, "workspace-scored", screenshot)

    page.goto(f"{live_server}/m/requests")
    _check_page(page, "requests", screenshot)
    with app.app_context():
        assert db.session.get(UsageRequest, request_id).state == "completed"


def test_the_workspace_pages_stay_light(app, page, live_server, browser_login, town_day):
    """Page weight like the scoring page (~44 KB): no framework, one small stylesheet and script.
    Every file the page loaded (the browser's resource timing), fetched again to count its bytes."""
    browser_login("zhangwei")
    for path in ("/m/", "/m/requests/new"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
        names = page.evaluate("""() => [...performance.getEntriesByType('navigation'),
                                         ...performance.getEntriesByType('resource')].map(e => e.name)""")
        files = [(name, len(page.request.get(name).body())) for name in names]
        total = sum(size for _, size in files)
        assert 10 * 1024 < total < PAGE_BUDGET, (path, total, files)
        assert not [name for name, _ in files if "jquery" in name or "bootstrap" in name]
