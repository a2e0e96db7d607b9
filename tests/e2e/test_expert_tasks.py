"""Browser at 390×844: an expert opens his tasks on the phone and accepts one (issue: using experts)."""
import datetime as dt

from app import clock
from tests import factories


def test_expert_accepts_a_task_on_the_phone(app, page, live_server, browser_login, screenshot):
    with app.app_context():
        from app.extensions import db
        from app.services.dispatch import draws, usage_requests
        from tests.dispatch.records import group_ids

        experts = [factories.appointed_expert(start=dt.date(2026, 1, 1), name=n, employer="常州大学")
                   for n in ("王建国", "李志强")]
        unit = factories.org_unit(name="应急管理综合行政执法大队一中队", kind="brigade")
        ents = [factories.enterprise(name="常州华润化工有限公司", address="常州市武进区延政路88号"),
                factories.enterprise(name="江苏武进液压启闭机有限公司")]
        day = clock.today() + dt.timedelta(days=6)
        req = usage_requests.create_request(unit=unit, activity_type="inspection", subject="危险化学品企业专项执法检查",
                                            start_date=day, end_date=day + dt.timedelta(days=1),
                                            groups=group_ids("化工"), enterprises=ents, headcount=1, backups=1)
        record = draws.draw(req)
        me = next(e for e in experts if e.id == record.chosen_ids[0])
        factories.user(role="expert", username="wangjg", expert_=me)
        assignment_id = req.assignments[0].id
        db.session.commit()

    browser_login("wangjg")
    page.goto(f"{live_server}/m/")
    assert page.locator("text=项待答复").first.is_visible()
    page.click("text=我的任务")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=待我答复（1）").is_visible()
    screenshot("expert-tasks-phone")
    page.click("text=危险化学品企业专项执法检查")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=常州华润化工有限公司").first.is_visible()
    screenshot("expert-task-phone")
    # The accept button is reachable with the thumb without horizontal scrolling.
    box = page.locator("button:has-text('接受任务')").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 44
    page.click("button:has-text('接受任务')")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=已接受任务").first.is_visible()
    assert page.locator(".tk-badge:has-text('已接受')").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("expert-task-accepted-phone")

    with app.app_context():
        from app.extensions import db
        from models import Assignment

        assert db.session.get(Assignment, assignment_id).response == "accepted"
