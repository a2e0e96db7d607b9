"""Browser: log in at phone size → expert list → open an expert (issue: foundation)."""
from tests import factories


def test_office_logs_in_and_opens_an_expert(app, page, live_server, browser_login, screenshot):
    with app.app_context():
        factories.user(role="office", username="zhouyan")
        factories.appointed_expert(name="王建国", employer="江苏常州化工研究所有限公司")
        from app.extensions import db

        db.session.commit()
    browser_login("zhouyan")
    assert "/admin/" in page.url
    page.goto(f"{live_server}/admin/expert/")
    assert page.locator("text=王建国").first.is_visible()
    screenshot("admin-expert-list-phone")
    page.goto(f"{live_server}/admin/expert/details/?id=1")
    assert page.locator("text=江苏常州化工研究所有限公司").first.is_visible()
    assert page.locator("text=当前状态").first.is_visible()
    screenshot("admin-expert-details-phone")


def test_a_lists_menus_and_search_fit_a_phone(app, page, live_server, browser_login, screenshot):
    """At 390 px the list's tabs wrap: every filter of 添加筛选器 can be seen and tapped (a
    scrolling tab strip cut the menu to its own height), and the search box is a full line."""
    with app.app_context():
        factories.user(role="office", username="zhouyan")
        factories.appointed_expert(name="王建国")
        from app.extensions import db

        db.session.commit()
    browser_login("zhouyan")
    page.goto(f"{live_server}/admin/expert/")
    search = page.locator("input[name=search]")
    assert search.is_visible() and search.bounding_box()["width"] >= 250
    page.locator(".nav-tabs a.dropdown-toggle", has_text="添加筛选器").click()
    last = page.locator(".nav-tabs .dropdown-menu.show a").last
    last.wait_for()
    assert last.inner_text() == "已退休"
    box = last.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    # the point the user taps shows that item, not something clipped over it
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).textContent.trim()",
                        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert hit == "已退休"
    screenshot("admin-expert-list-filters-phone")
    last.click()  # adds the filter's row to the form above the list
    row = page.locator("table.filters tr", has_text="已退休")
    row.wait_for()
    assert row.is_visible()
