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
