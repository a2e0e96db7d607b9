"""Browser at 1366×768 (issue 19): the office imports a roster from the template, the leader
decides the 拟聘名单 one by one with a confirmation, the date pickers speak Chinese, and the
violation preview follows the verification date."""
import datetime as dt
import os

import openpyxl
import pytest
from playwright.sync_api import expect

from app import clock
from app.extensions import db
from app.services.discipline import ladder
from app.services.lifecycle import review
from models import Application, Expert
from tests import factories
from tests.admin_views.test_roster_import import _row
from tests.e2e.conftest import SHOTS
from tests.lifecycle.records import make_applicant, make_application

DESKTOP = {"width": 1366, "height": 768}
TODAY = clock.today()


@pytest.fixture
def desk(browser, live_server):
    """A desktop browser page, and a login through the real form."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    page = context.new_page()

    def login(username):
        from tests.factories import PASSWORD

        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

    def shot(name, full_page=True):
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, f"{name}.png")
        page.screenshot(path=path, full_page=full_page)
        return path

    yield page, login, shot
    context.close()


def test_office_imports_the_roster_and_the_example_never_comes_in(app, desk, live_server, tmp_path):
    page, login, shot = desk
    with app.app_context():
        factories.user(role="office", username="zhouyan")
        db.session.commit()
    login("zhouyan")
    page.goto(f"{live_server}/admin/expert/import/")
    with page.expect_download() as download:
        page.click("text=专家名单导入模板.xlsx")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    page.set_input_files("input[name=file]", str(template))
    page.click("button:has-text('上传并导入')")
    page.wait_for_load_state("networkidle")
    assert "模板中没有可导入的数据" in page.inner_text("body")
    shot("import-untouched-template-desktop")
    book = openpyxl.load_workbook(template)
    for row in (_row(), _row(姓名="邓志强", birth=dt.date(1968, 8, 1), 手机="13900002222")):
        book["专家名单"].append([row[h] for h in row])
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    page.set_input_files("input[name=file]", str(filled))
    page.click("button:has-text('上传并导入')")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert "已导入2名专家：陈国华、邓志强" in body and "刘大地" not in body
    assert "未聘任" in body  # the list says what their own pages say
    shot("import-done-desktop")
    with app.app_context():
        assert sorted(e.name for e in db.session.query(Expert)) == ["邓志强", "陈国华"]


def test_leader_approves_one_of_three_after_confirming(app, desk, live_server):
    page, login, shot = desk
    with app.app_context():
        office = factories.user(role="office")
        factories.user(role="leader", username="juzhang")
        apps = [make_application(make_applicant(name=n), state="test_passed") for n in ("陈静", "李海涛", "王建国")]
        review.shortlist(apps, office)
        db.session.commit()
        ids = [a.id for a in apps]
    login("juzhang")
    page.goto(f"{live_server}/admin/application/candidates/")
    assert page.locator("input[type=radio]:checked").count() == 0
    shot("candidates-leader-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("candidates-leader-phone")
    page.set_viewport_size(DESKTOP)
    page.check(f"input[name='decision-{ids[1]}'][value=approve]")
    page.click("button:has-text('下一步：核对审定结果')")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "审定通过" in body and "1人" in body and "李海涛" in body and "仍留在拟聘名单上：王建国、陈静（2人）" in body
    shot("candidates-confirm-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("candidates-confirm-phone")
    page.set_viewport_size(DESKTOP)
    with app.app_context():
        assert {db.session.get(Application, i).state for i in ids} == {"shortlisted"}
    page.click("button:has-text('确认：通过1人，不通过0人')")
    page.wait_for_load_state("networkidle")
    assert "审定通过1人：李海涛。" in page.inner_text("body")
    shot("candidates-done-desktop")
    with app.app_context():
        assert [db.session.get(Application, i).state for i in ids] == ["shortlisted", "approved", "shortlisted"]


def test_the_date_picker_speaks_chinese(app, desk, live_server):
    page, login, shot = desk
    with app.app_context():
        factories.user(role="office", username="zhouyan")
        db.session.commit()
    login("zhouyan")
    page.goto(f"{live_server}/admin/expert/new/")
    page.click("input[name=birth_date]")
    picker = page.locator(".daterangepicker").first
    picker.wait_for(state="visible")
    text = picker.inner_text()
    weekdays = [t.strip() for t in picker.locator("th").all_inner_texts()]
    assert "一" in weekdays and "日" in weekdays and weekdays.index("一") < weekdays.index("日")  # weeks from Monday
    assert "月" in text and not any(w in text for w in ("Su", "Mo", "Dec", "Jan", "Apply"))
    shot("datepicker-zh-desktop", full_page=False)


def test_the_violation_preview_follows_the_date(app, desk, live_server):
    page, login, shot = desk
    with app.app_context():
        office = factories.user(role="office", username="zhouyan")
        expert = factories.appointed_expert(name="张违规", start=TODAY - dt.timedelta(days=400))
        first = ladder.record_violation(expert, TODAY - dt.timedelta(days=30), "迟到", today=TODAY)
        ladder.verify_violation(first, investigation="属实", actor=office, verified_on=TODAY - dt.timedelta(days=25),
                                today=TODAY)
        second = ladder.record_violation(expert, TODAY - dt.timedelta(days=3), "接受宴请", today=TODAY)
        db.session.commit()
        vid = second.id
    login("zhouyan")
    page.goto(f"{live_server}/admin/violation/verify/?id={vid}")
    assert f"以核实日期{TODAY}计算" in page.inner_text("#ladder-preview")
    day = TODAY - dt.timedelta(days=2)
    page.fill("#verified_on", day.isoformat())
    page.locator("#verified_on").dispatch_event("change")
    # A locator assertion polls without eval (wait_for_function with a string needs the page's
    # eval, which the CSP forbids: it failed whenever the preview was not already updated).
    expect(page.locator(".preview-basis")).to_contain_text(str(day))
    assert f"{day.year}年{day.month}月{day.day}日至" in page.inner_text("#ladder-preview")
    shot("violation-preview-desktop")
