"""Browser: the office verifies a violation (the ladder shows its sanction), runs and
publishes last year's assessment, and reads the score charts on the dashboard —
at phone size (390×844) and on a desktop (1280×800)."""
import datetime as dt

from app import clock
from app.extensions import db
from app.services.discipline.ladder import record_violation, verify_violation
from models import EnforcementPlan, Violation
from tests import factories
from tests.discipline import records

TODAY = clock.today()


def _data():
    factories.user(role="office", username="zhouyan", full_name="周焱")
    unit = factories.org_unit("湖塘镇", kind="town")
    other = factories.org_unit("应急管理综合行政执法大队一中队", kind="brigade")
    db.session.add_all([EnforcementPlan(unit=unit, year=TODAY.year, planned_checks=20),
                        EnforcementPlan(unit=other, year=TODAY.year, planned_checks=40)])
    start = dt.date(TODAY.year - 1, 1, 1)
    end = dt.date(TODAY.year + 1, 12, 31)
    experts = [factories.appointed_expert(start, end, name=name, groups=groups) for name, groups in (
        ("王建国", ("化工",)), ("李志强", ("化工", "电气")), ("张海涛", ("机械",)), ("刘立新", ("有限空间",)),
        ("陈国华", ("电气",)))]
    for expert, totals in zip(experts, ((96, 92), (88, 84, 90), (74, 69), (58, 52), (91,)), strict=True):
        for k, total in enumerate(totals):
            records.evaluation(expert, dt.date(TODAY.year - 1, 3 + k, 10), total, unit=unit)
            ev = records.evaluation(expert, TODAY - dt.timedelta(days=20 + k), min(100, total + 2), variant="B",
                                 unit=unit if k % 2 == 0 else other)
            ev.is_service_quality = True
    warned = experts[1]
    first = record_violation(warned, TODAY - dt.timedelta(days=60), "现场检查时接受企业安排的午餐宴请。", today=TODAY)
    verify_violation(first, investigation="经核实属实。", today=TODAY - dt.timedelta(days=50))
    db.session.flush()
    record_violation(
        warned, TODAY - dt.timedelta(days=3), "借区应急管理局名义向被检查企业推荐安全托管服务。", today=TODAY
    )
    record_violation(experts[3], TODAY - dt.timedelta(days=1), "企业投诉：专家迟到一小时。", today=TODAY)
    db.session.commit()


def _shots(page, screenshot, name):
    screenshot(f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(f"{name}-desktop")
    page.set_viewport_size({"width": 390, "height": 844})


def test_office_verifies_assesses_and_reads_the_charts(app, page, live_server, browser_login, screenshot):
    with app.app_context():
        _data()
    browser_login("zhouyan")

    page.goto(f"{live_server}/admin/violation/")
    assert page.locator("text=待核实").first.is_visible()
    _shots(page, screenshot, "discipline-violation-list")

    page.locator("tr:has-text('推荐安全托管服务') a:has-text('核实')").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("text=约谈并暂停专家资格三个月").first.is_visible()
    _shots(page, screenshot, "discipline-violation-verify")
    page.fill("#investigation", "经调查核实，企业提供了聊天记录，情况属实。")
    page.click("button:has-text('确认核实并处理')")
    page.wait_for_load_state("networkidle")
    end = None
    with app.app_context():
        v = db.session.query(Violation).filter(Violation.finding.like("%托管服务%")).one()
        assert (v.state, v.sanction, v.sanction_start) == ("verified", "suspension", TODAY)
        end = v.sanction_end
    assert page.locator(f"text={end.isoformat()}起恢复").first.is_visible()
    _shots(page, screenshot, "discipline-violation-verified")

    year = TODAY.year - 1
    page.goto(f"{live_server}/admin/annual_assessment/?year={year}")
    page.click(f"button:has-text('评定{year}年度')")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"text={year}年度考核已评定").first.is_visible()
    _shots(page, screenshot, "discipline-assessment")
    page.on("dialog", lambda dialog: dialog.accept())
    page.fill("input[name=doc_no]", "武应急〔2026〕5号")  # the 公示 of a decision carries its 文号
    page.click("button:has-text('公示考核结果')")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=已发布公告").first.is_visible()
    _shots(page, screenshot, "discipline-assessment-published")

    page.goto(f"{live_server}/admin/")
    assert page.locator("text=评价平均分（按组别").first.is_visible()
    assert page.locator("text=服务质量考核覆盖率").first.is_visible()
    _shots(page, screenshot, "dashboard-score-charts")

    page.goto(f"{live_server}/admin/expert/details/?id=2")
    assert page.locator("text=违规与处理").first.is_visible()
    _shots(page, screenshot, "discipline-expert-panel")
