"""Browser: the office passes 初审 for two applications at once from the list (bulk action
menu), enters a test result, and the expert page shows the timeline (issue 3)."""
from tests import factories


def test_bulk_prelim_from_the_list_and_timeline(app, page, live_server, browser_login, screenshot):
    with app.app_context():
        from app.extensions import db
        from tests.lifecycle.records import make_applicant, make_application

        factories.user(role="office", username="zhouyan")
        first = make_application(make_applicant(name="王建国"))
        second = make_application(make_applicant(name="李海涛"))
        ids = (first.id, second.id)
        expert_id = first.expert_id
        db.session.commit()
    browser_login("zhouyan")
    page.goto(f"{live_server}/admin/application/")
    for i in ids:
        page.check(f"input.action-checkbox[value='{i}']")
    page.click("text=选中的")
    page.click("text=初审通过…")
    page.wait_for_load_state("networkidle")
    assert "/admin/application/bulk/prelim_pass" in page.url
    assert page.locator("text=王建国").first.is_visible()
    screenshot("lifecycle-bulk-prelim-phone")
    page.click("button:has-text('确认初审通过')")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=初审通过：2份申请").first.is_visible()
    page.goto(f"{live_server}/admin/application/tests/")
    page.select_option(f"select[name='result-{ids[0]}']", "1")
    page.fill(f"input[name='score-{ids[0]}']", "88.5")
    page.click("button:has-text('保存测试结果')")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=已录入1人的综合素质测试结果").first.is_visible()
    page.goto(f"{live_server}/admin/expert/details/?id={expert_id}")
    assert page.locator("text=综合素质测试合格").first.is_visible()
    assert page.locator("text=初审通过").first.is_visible()
    screenshot("lifecycle-expert-timeline-phone")
