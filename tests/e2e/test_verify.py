"""Browser: an enterprise scans a permit on a phone (390×844) and sees the status at a glance;
files a complaint from there; the office reads it in the inbox. Screenshots of every status."""

import pytest

from app.extensions import db
from app.services.permits.issuing import reissue_permit
from app.services.uploads import store_photo
from tests import factories
from tests.permits import records

STATUSES = {
    "valid": (None, "有效"),
    "suspended": (records.suspend, "暂停"),
    "blacklisted": (records.blacklist, "黑名单"),
    "dismissed": (records.dismiss, "已解聘"),
    "expired": (records.end_term, "已过期"),
    "revoked": (lambda e: reissue_permit(e, "遗失补办"), "已作废"),
}


def _permit(app, make=None, **kw):
    with app.app_context():
        expert, permit = records.permitted_expert(**kw)
        expert.photo_path, expert.photo_thumb_path = store_photo(records.photo_bytes())
        token = permit.token
        if make:
            make(expert)
        db.session.commit()
        return token


def _fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("status", list(STATUSES))
def test_verify_page_on_a_phone(app, page, live_server, screenshot, status):
    make, word = STATUSES[status]
    token = _permit(app, make, name="王建国", groups=("化工", "有限空间"))
    page.goto(f"{live_server}/verify/{token}")
    verdict = page.locator(".verdict-word")
    assert verdict.inner_text() == word
    if status in ("suspended", "blacklisted"):
        assert page.locator(".verdict-until").inner_text().startswith("（至")
    box = verdict.bounding_box()
    assert box["y"] < 300 and box["height"] >= 40  # large, and above the fold
    assert page.locator("h1.holder-name").inner_text() == "王建国"
    assert page.evaluate("document.querySelector('.holder-photo').naturalWidth") > 0
    assert _fits_the_phone(page)
    assert page.evaluate("document.scripts.length") == 0
    screenshot(f"verify-{status}-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(f"verify-{status}-desktop")


def test_forged_permit_on_a_phone(page, live_server, screenshot):
    response = page.goto(f"{live_server}/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert response.status == 404
    assert page.locator(".verdict-word").inner_text() == "无效证件"
    assert _fits_the_phone(page)
    screenshot("verify-invalid-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot("verify-invalid-desktop")


def test_enterprise_complains_and_office_reads_it(app, page, live_server, browser_login, screenshot):
    token = _permit(app, name="赵建华")
    with app.app_context():
        factories.user(role="office", username="zhouyan")
        db.session.commit()
    page.goto(f"{live_server}/verify/{token}")
    page.click("text=在线投诉举报")
    assert "赵建华" in page.locator(".card").nth(1).inner_text()
    page.fill("#enterprise_name", "常州华润化工有限公司")
    page.fill("#contact_name", "陈经理")
    page.fill("#contact_phone", "13861234567")
    page.fill("#body", "检查结束后专家私下推荐其公司的标准化辅导服务，报价三万元。")
    assert _fits_the_phone(page)
    screenshot("complaint-form-phone")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    number = page.locator(".ticket").inner_text()
    assert number.startswith("TS")
    screenshot("complaint-done-phone")

    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login("zhouyan")
    page.goto(f"{live_server}/admin/complaint/")
    row = page.locator("tr", has_text=number)
    assert "陈经理" in row.inner_text() and "赵建华" in row.inner_text() and "待处理" in row.inner_text()
    screenshot("complaint-inbox-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("complaint-inbox-phone")
