"""Browser: an inspector scores an expert on a phone (附件5), also with no signal at all, and the
office reads the submissions board and the coverage page.

Chromium at 390×844 (tests/e2e/conftest.py); the network is switched off and on with
Playwright's ``context.set_offline``.
"""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.services.scoring import evaluations as scoring
from models import Evaluation
from tests import factories

# What a phone downloads on the first visit of the scoring page (scripts and style sheets compressed,
# the signature pad included, issue 16), and what it holds once decoded.
PAGE_BUDGET = 60 * 1024
DECODED_BUDGET = 100 * 1024
DESKTOP = {"width": 1280, "height": 800}


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Evaluation))


def _inspector_with_a_job(app, username="qianlijun"):
    """A brigade inspector and a job of his brigade that 王建国 attended yesterday."""
    from models import Assignment, UsageRequest

    with app.app_context():
        unit = factories.org_unit(name="应急管理综合行政执法大队一中队", kind="brigade")
        factories.user(role="department", username=username, full_name="钱立军", org_unit_=unit)
        expert = factories.appointed_expert(name="王建国", employer="江苏常州化工研究所有限公司")
        ent = factories.enterprise(name="常州华润化工有限公司")
        day = clock.today() - dt.timedelta(days=1)
        req = UsageRequest(request_no="WJSQ-2026-0001", unit=unit, activity_type="inspection",
                           subject="危险化学品企业专项执法检查", start_date=day, end_date=day, headcount=1,
                           state="completed")
        req.enterprises = [ent]
        db.session.add(req)
        # designated (a drawn job would need its draw: flask check-integrity runs after each journey)
        job = Assignment(
            request=req,
            expert=expert,
            method="designated",
            designation_reason="熟悉危险化学品企业，指定参加",
            response="accepted",
            attended=True,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def _wait_for_service_worker(page, timeout_s=15):
    """Until the service worker controls the page (``wait_for_function`` would need eval, which
    the page's CSP forbids; ``evaluate`` goes through the debugger protocol)."""
    for _ in range(timeout_s * 10):
        if page.evaluate("() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker never took over the page")


def _tap_full_marks(page, section_selector):
    for button in page.locator(f"{section_selector} .item .full").all():
        button.tap()


def test_an_inspector_scores_an_expert_from_an_assignment_and_sees_the_total(app, page, live_server,
                                                                               browser_login, screenshot):
    job_id = _inspector_with_a_job(app)
    browser_login("qianlijun")
    page.goto(f"{live_server}/m/")
    page.get_by_text("专家评分（附件5评价表）").tap()
    page.wait_for_url("**/m/score")
    assert page.get_by_text("待评价的任务").is_visible()
    screenshot("score-index-phone")
    page.locator(f"a[href='/m/score/new?assignment={job_id}']").tap()
    page.wait_for_url(f"**/m/score/new?assignment={job_id}")
    page.wait_for_selector("#totalbar:not([hidden])")
    assert page.locator("#expert-name").inner_text().startswith("王建国")
    assert page.input_value("#f_enterprise_name") == "常州华润化工有限公司"
    assert page.locator("input[name=g_1][value=A]").is_checked()
    assert page.locator(".variant[data-variant=B]").is_hidden()
    assert page.locator("#total").inner_text() == "0"
    screenshot("score-form-empty-phone")

    # A score over the item's maximum is explained beside it, in words, and left out of the total.
    page.fill(".item:has-text('发现及分析问题') input[type=number]", "12")
    assert (
        "12分超过该项满分10分，未计入合计" in page.locator(".item:has-text('发现及分析问题') .field-error").inner_text()
    )
    assert page.locator("#total").inner_text() == "0"
    _tap_full_marks(page, ".card:has(h2:text-is('必填项（50分）'))")
    assert page.locator(".item:has-text('发现及分析问题') .field-error").is_hidden()
    page.locator(".item:has-text('发现及分析问题') .dec").tap()  # 10 → 9
    assert page.locator("#total").inner_text() == "49"
    assert page.locator("#done").inner_text() == "7" and page.locator("#needed").inner_text() == "15"
    page.locator(".item:has-text('发现及分析问题') summary").tap()
    page.fill(".item:has-text('发现及分析问题') textarea", "未发现储罐区静电接地缺失")
    page.locator(".variant[data-variant=A] .item").first.scroll_into_view_if_needed()
    screenshot("score-form-partial-phone")

    _tap_full_marks(page, ".variant[data-variant=A]")
    page.locator(".variant[data-variant=A] .item:has-text('迟到、早退') .dec").tap()
    assert page.locator("#total").inner_text() == "98"
    page.fill("#f_suggestions", "建议加强对新修订标准的学习。")
    page.locator("#submit").tap()
    page.wait_for_selector("#queue-list .state.sent")
    assert "98" in page.locator("#queue-list li").first.inner_text()
    # The confirmation says what was submitted (not "合计 0 / 100 分 已评 0/15 项").
    assert "总分 98 分" in page.locator("#done-notice").inner_text()
    bar = page.locator("#totalbar").inner_text()
    assert "已提交" in bar and "98" in bar and "已评" not in bar
    screenshot("score-form-sent-phone")

    with app.app_context():
        ev = db.session.scalar(select(Evaluation))
        assert (ev.total, ev.assignment_id, ev.variant, ev.expert.name) == (98, job_id, "A", "王建国")
        assert any(s.problem == "未发现储罐区静电接地缺失" for s in ev.scores)
    page.locator("#queue-list a", has_text="查看").tap()
    page.wait_for_url(re.compile(r"/m/score/\d+$"))
    assert page.locator("#saved-total").inner_text() == "98"
    screenshot("score-saved-phone")


def test_a_phone_whose_date_is_behind_beijing_still_takes_the_bureaus_today(app, page, live_server,
                                                                             browser_login):
    """01:30 in Beijing is still yesterday on a phone set to UTC: the 考评时间 of today (the bureau's
    date) must not be refused by the browser as a date in the future."""
    instant = dt.datetime(2026, 12, 3, 17, 30, tzinfo=dt.UTC)  # 2026-12-04 01:30 Beijing
    page.clock.set_fixed_time(instant)
    with clock.frozen(instant):
        job_id = _inspector_with_a_job(app)
        browser_login("qianlijun")
        page.goto(f"{live_server}/m/score/new?assignment={job_id}")
        page.wait_for_selector("#totalbar:not([hidden])")
        assert page.evaluate("() => new Date().toISOString().slice(0, 10)") == "2026-12-03"
        date_field = page.locator("input[data-no-future]")
        assert date_field.get_attribute("max") == "2026-12-04"
        date_field.fill("2026-12-04")  # the inspection was today, Beijing time
        _tap_full_marks(page, ".card:has(h2:text-is('必填项（50分）'))")
        _tap_full_marks(page, ".variant[data-variant=A]")
        page.locator("#submit").tap()
        page.wait_for_selector("#queue-list .state.sent")
        with app.app_context():
            assert db.session.scalar(select(Evaluation)).evaluated_on == dt.date(2026, 12, 4)


def test_an_offline_fill_is_queued_and_sent_when_the_connection_returns(app, page, context, live_server,
                                                                         browser_login, screenshot):
    job_id = _inspector_with_a_job(app)
    browser_login("qianlijun")
    url = f"{live_server}/m/score/new?assignment={job_id}"
    page.goto(url)
    # The service worker takes the page over and keeps it for offline use.
    _wait_for_service_worker(page)
    page.reload()
    page.wait_for_selector("#totalbar:not([hidden])")

    context.set_offline(True)
    reached_server = _count_bytes(app)
    page.reload()  # served by the service worker: no network at all
    page.wait_for_selector("#net:not([hidden])")
    assert page.locator("#expert-name").inner_text().startswith("王建国")
    _tap_full_marks(page, ".card:has(h2:text-is('必填项（50分）'))")
    page.locator(".item:has-text('态度诚恳') .dec").tap()
    page.fill("#f_suggestions", "地下室信号差，离线填写")
    page.reload()  # what was typed survives a reload, still offline
    page.wait_for_selector("#totalbar:not([hidden])")
    assert page.locator("#total").inner_text() == "49"
    assert page.input_value("#f_suggestions") == "地下室信号差，离线填写"

    _tap_full_marks(page, ".variant[data-variant=A]")
    page.locator("#submit").tap()
    page.wait_for_selector("#queue-list .state.pending")
    assert page.locator("#queue-list .state").first.inner_text() == "待发送"
    assert page.locator("#done-notice").is_visible()  # this job is scored: no second form for it
    assert page.locator("#fill-form").is_hidden()
    screenshot("score-offline-pending-phone")
    assert _count(app) == 0
    # Nothing of the page reached the server. (Chromium's own update check of the service
    # worker script and its import lies outside Playwright's offline emulation.)
    assert [p for p in reached_server["paths"] if p not in ("/m/sw.js", "/static/form-queue.js")] == []

    context.set_offline(False)  # the 'online' event sends the queue by itself
    page.wait_for_selector("#queue-list .state.sent", timeout=30000)
    assert page.locator("#queue-list .state").first.inner_text() == "已发送"
    screenshot("score-offline-sent-phone")
    with app.app_context():
        ev = db.session.scalar(select(Evaluation))
        assert (ev.total, ev.suggestions) == (99, "地下室信号差，离线填写")

    # A second send of the same queue entry (a retry after a lost answer) changes nothing.
    page.evaluate("""async () => {
        const items = await FormQueue.all();
        items[0].state = 'pending';
        await FormQueue.put(items[0]);
        return FormQueue.flush();
    }""")
    page.wait_for_selector("#queue-list .state.sent")
    assert _count(app) == 1


def _count_bytes(app):
    """Wrap the app so that every response body it sends is counted (all requests, the
    service worker's included)."""
    counted = {"bytes": 0, "paths": []}
    inner = app.wsgi_app

    def counting(environ, start_response):
        for chunk in inner(environ, start_response):
            counted["bytes"] += len(chunk)
            yield chunk
        counted["paths"].append(environ.get("PATH_INFO"))

    app.wsgi_app = counting
    return counted


@pytest.mark.parametrize("start", ["assignment", "scratch"])
def test_the_scoring_page_transfers_at_most_60_kb(app, page, live_server, browser_login, start):
    job_id = _inspector_with_a_job(app)
    with app.app_context():
        for n in range(80):  # a pool the size of the district's
            factories.appointed_expert(name=f"专家{n:02d}", employer=f"常州某某安全技术服务有限公司{n}")
        db.session.commit()
    browser_login("qianlijun")
    page.goto("about:blank")
    counted = _count_bytes(app)
    bodies = []
    page.on("response", lambda r: bodies.append(r))
    target = f"/m/score/new?assignment={job_id}" if start == "assignment" else "/m/score/new"
    page.goto(f"{live_server}{target}")
    _wait_for_service_worker(page)
    page.wait_for_load_state("networkidle")
    seen = sum(len(r.body()) for r in bodies if r.status == 200)
    print(f"\n{start}: browser saw {seen} bytes in {len(bodies)} responses; "
          f"server sent {counted['bytes']} bytes for {counted['paths']}")
    assert counted["bytes"] <= PAGE_BUDGET  # over the wire
    assert seen <= DECODED_BUDGET


def test_board_and_coverage_at_phone_and_desktop_width(app, page, live_server, browser_login, screenshot):
    from app.demo.seed import DEMO_PASSWORD, seed_demo

    with app.app_context():
        seed_demo(experts=30)
    browser_login("office", DEMO_PASSWORD)
    # In January and February little of this year is due yet: the board of last year then.
    today = clock.today()
    year = today.year if today.month >= 3 else today.year - 1
    for size, suffix in ((None, "phone"), (DESKTOP, "desktop")):
        if size:
            page.set_viewport_size(size)
        page.goto(f"{live_server}/admin/submissions/?year={year}")
        assert page.locator("td.cell.on_time").count() > 0
        assert page.locator("td.cell.missing").count() + page.locator("td.cell.late").count() > 0
        screenshot(f"submissions-board-{suffix}")
        page.goto(f"{live_server}/admin/coverage/")
        assert page.locator("tr.below").count() >= 1
        color = page.locator("tr.below td.pct").first.evaluate("e => getComputedStyle(e).color")
        assert color == "rgb(179, 38, 30)"  # red
        screenshot(f"coverage-{suffix}")
        for url, name in (("/admin/evaluation/", "evaluation-list"), ("/admin/evaluation/details/?id=1",
                          "evaluation-details"), ("/admin/form_definition/", "form-definition-list"),
                          ("/admin/enforcement_plan/", "enforcement-plan-list")):
            page.goto(f"{live_server}{url}")
            screenshot(f"{name}-{suffix}")

    # 附件5 is revised in the form builder: a new draft, a maximum changed, the rule said in words.
    with app.app_context():
        annex5 = scoring.annex5_form().id
    page.goto(f"{live_server}/admin/form_definition/build/?id={annex5}")
    page.get_by_role("button", name="修改（生成新草稿）").click()
    page.wait_for_load_state("networkidle")
    page.locator(".fields tr", has_text="态度诚恳，沟通顺畅").get_by_role("link", name="修改").click()
    page.get_by_label("满分（评分题）").fill("10")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert "必填项各项满分合计应为50分，现为55分" in page.locator("#problems").inner_text()
    screenshot("eval-form-revision-desktop")


def test_the_page_works_as_a_plain_form_without_javascript(app, browser, live_server, screenshot):
    """No JavaScript at all (an old phone, a script blocked): the form posts and the server checks it."""
    _inspector_with_a_job(app)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    try:
        from tests.factories import PASSWORD

        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", "qianlijun")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server}/m/score/new")
        assert page.locator(".step").first.is_hidden()  # steppers need JavaScript
        page.select_option("#expert_id", label="王建国")
        page.fill("#f_enterprise_name", "常州华润化工有限公司")
        page.fill("#f_matter", "执法检查")
        page.check("input[name=g_1][value=B]")
        with app.app_context():
            form = scoring.current_form()
            sections = scoring.form_sections(form)
            required, variant_b = sections["required"], sections["B"]
        for item in required + variant_b:
            page.fill(f"input[name=f_{item.key}]", str(item.max_score))
        page.fill(f"input[name=f_{variant_b[0].key}]", "9")  # over its maximum of 5
        page.locator("#submit").click()  # the browser's own check stops this one
        assert _count(app) == 0
        page.fill(f"input[name=f_{variant_b[0].key}]", "3")
        page.locator("#submit").click()
        page.wait_for_url(re.compile(r"/m/score/\d+$"))
        assert page.locator("#saved-total").inner_text() == "98"
        screenshot("score-nojs-saved-phone")
    finally:
        context.close()
    assert _count(app) == 1
