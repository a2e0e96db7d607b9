"""The unit's field day (app/services/workspace.py) and /m/ that shows it (SPEC §1)."""
import datetime as dt
import re

from app.demo.signatures import receipt_filled
from app.extensions import db
from app.services import workspace
from app.services.dispatch import notices, paperwork, responses, usage_requests
from models import EnforcementPlan
from tests import factories
from tests.dispatch.records import group_ids
from tests.mobile.records import MONDAY, evaluate, finish, make_job

DAY = dt.timedelta(days=1)


def _past_job(unit, enterprise, days_ago, **kw):
    start = MONDAY - days_ago * DAY
    return make_job(unit, enterprise, start=start, today=start, **kw)


def _text(html: str) -> str:
    """The page's words without tags, blanks squeezed (to read it as a person does)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the service -----------------------------------------------------------------------------


def test_experts_to_score_are_finished_jobs_without_an_evaluation_oldest_first(app, town, other_town, pool,
                                                                               enterprise):
    scorer = factories.user(role="town", org_unit_=town)
    ended_by_date = finish(_past_job(town, enterprise, 5), complete=False)        # over, not recorded as done
    completed_long_ago = finish(_past_job(town, enterprise, 10))
    running_today = finish(make_job(town, enterprise, start=MONDAY, days=2), complete=False)   # still under way
    done_today = finish(make_job(town, enterprise, start=MONDAY, subject="今天完成的检查"))
    scored = finish(_past_job(town, enterprise, 7))
    evaluate(scorer, scored)
    declined = _past_job(town, enterprise, 3)
    responses.respond(next(a for a in declined.assignments if not a.is_backup), "declined_unjustified")
    db.session.commit()
    finish(_past_job(other_town, enterprise, 4))

    listed = workspace.experts_to_score(town.id, MONDAY)

    assert [a.id for a in listed] == [completed_long_ago.id, ended_by_date.id, done_today.id]
    assert running_today.id not in [a.id for a in listed]


def test_jobs_in_progress_show_the_experts_their_answers_and_the_backups(app, town, pool, enterprise):
    waiting = make_job(town, enterprise, drawn=False, subject="待抽取的检查")
    drawn = make_job(town, enterprise, start=MONDAY + 3 * DAY, headcount=2, backups=1)
    first = finish(drawn, complete=False)
    finish(_past_job(town, enterprise, 3))  # completed: not in progress
    cancelled = make_job(town, enterprise, start=MONDAY + 5 * DAY)
    usage_requests.cancel_request(cancelled, "企业停产，检查取消")
    db.session.commit()

    jobs = {j.request.id: j for j in workspace.jobs_in_progress(town.id)}

    assert set(jobs) == {waiting.id, drawn.id}
    assert (jobs[waiting.id].needed, jobs[waiting.id].on_job) == (1, [])
    job = jobs[drawn.id]
    assert [a.response for a in job.on_job] == ["accepted", "pending"] and job.on_job[0].id == first.id
    assert job.waiting_for_answer == 1 and len(job.backups) == 1 and job.needed == 0


def test_notices_not_sent_and_receipts_not_back(app, town, pool, enterprise):
    second = factories.enterprise(name="江苏武进精细化工股份有限公司")
    req = make_job(town, enterprise, drawn=True)
    req.enterprises.append(second)
    db.session.commit()
    assert [(r.id, [e.name for e in ents]) for r, ents in notices.unsent_notices(town.id)] == [
        (req.id, ["常州华润化工有限公司", "江苏武进精细化工股份有限公司"])]

    made = notices.issue_notices(req)
    db.session.commit()
    assert notices.unsent_notices(town.id) == []
    assert [n.id for n in notices.outstanding_receipts(town.id)] == [n.id for n in made]

    notices.confirm_receipt(made[0].token, receipt_filled("刘经理"))
    db.session.commit()
    assert [n.enterprise.name for n in notices.outstanding_receipts(town.id)] == ["江苏武进精细化工股份有限公司"]


def test_emergency_paperwork_with_its_deadline(app, town, pool, enterprise):
    late = usage_requests.create_request(
        unit=town, activity_type="inspection", subject="举报核查：违规动火", start_date=MONDAY - 10 * DAY,
        end_date=MONDAY - 10 * DAY, groups=group_ids("化工"), enterprises=[enterprise], headcount=1,
        emergency_reason="report_check", today=MONDAY)
    fresh = usage_requests.create_request(
        unit=town, activity_type="emergency", subject="危化品泄漏应急处置", start_date=MONDAY,
        end_date=MONDAY, groups=group_ids("化工"), enterprises=[enterprise], headcount=1, today=MONDAY)
    db.session.commit()

    day = workspace.field_day(town, MONDAY)

    assert [r.id for r in day.paperwork.overdue] == [late.id]
    assert [r.id for r in day.paperwork.pending] == [fresh.id]
    assert fresh.paperwork_due == paperwork.paperwork_due_for(MONDAY) == dt.date(2026, 6, 11)


def test_a_towns_period_is_the_quarter_due_on_the_25th_of_its_last_month(app, town, pool, enterprise):
    scorer = factories.user(role="town", org_unit_=town)
    used = finish(_past_job(town, enterprise, 3))

    due = workspace.submission_due(town, MONDAY)
    assert (due.cell.period.label, due.cell.due, due.days_left) == ("2026年第2季度", dt.date(2026, 6, 25), 17)
    assert (due.cell.used, due.cell.unevaluated, due.cell.status_label) == (1, 1, "待报送")

    evaluate(scorer, used)
    due = workspace.submission_due(town, MONDAY)
    assert (due.cell.unevaluated, due.cell.submitted, due.cell.status_label) == (0, 1, "按时")


def test_a_bureau_units_period_is_the_month_due_on_its_last_day(app, pool, enterprise):
    brigade = factories.org_unit(name="应急管理综合行政执法大队一中队", kind="brigade")
    due = workspace.submission_due(brigade, MONDAY)
    assert (due.cell.period.label, due.cell.due, due.days_left) == ("2026年6月", dt.date(2026, 6, 30), 22)


def test_coverage_of_the_year_against_the_enforcement_plan(app, town, pool, enterprise):
    scorer = factories.user(role="town", org_unit_=town)
    db.session.add(EnforcementPlan(unit_id=town.id, year=2026, planned_checks=40))
    evaluate(scorer, finish(_past_job(town, enterprise, 3)), variant="B")
    evaluate(scorer, finish(_past_job(town, enterprise, 5)), variant="A")  # not a service-quality check

    cov = workspace.field_day(town, MONDAY).coverage

    assert (cov.planned, cov.required, cov.evaluations, cov.all_evaluations, cov.shortfall) == (40, 8, 1, 2, 7)
    assert cov.status_label == "未达20%"


# --- the page --------------------------------------------------------------------------------


def test_the_workspace_shows_the_units_day_in_order(app, client, inspector, town, other_town, pool, enterprise):
    db.session.add(EnforcementPlan(unit_id=town.id, year=2026, planned_checks=40))
    finished = finish(_past_job(town, enterprise, 3, subject="液氨储罐专项检查"))
    running = make_job(town, enterprise, subject="危险化学品企业专项执法检查")
    notices.issue_notices(finished.request)
    usage_requests.create_request(
        unit=town, activity_type="inspection", subject="举报核查：违规动火", start_date=MONDAY - 10 * DAY,
        end_date=MONDAY - 10 * DAY, groups=group_ids("化工"), enterprises=[enterprise], headcount=1,
        emergency_reason="report_check", today=MONDAY)
    make_job(other_town, enterprise, subject="牛塘镇的检查")
    db.session.commit()

    html = client.get("/m/").get_data(as_text=True)
    text = _text(html)

    headings = ["待评价的专家", "进行中的任务", "告知书与回执", "紧急使用补办手续", "评价表报送", "2026年评价覆盖率"]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert f'href="/m/score/new?assignment={finished.id}"' in html
    assert finished.expert.name in text and "液氨储罐专项检查" in text
    assert f'href="/m/requests/{running.id}"' in html and "危险化学品企业专项执法检查" in text
    assert "告知书未发" in text and "回执未回" in text
    assert "已逾期" in text and "补办期限 2026年6月3日" in text
    assert "2026年第2季度 ：2026年6月25日前报送 （还有 17 天）" in text
    assert re.search(r'id="sub-missing">1<', html)
    assert "还差 7 份服务质量评价达到20%" not in text and "还差 8 份服务质量评价达到20%" in text
    assert "牛塘镇的检查" not in text
    assert 'href="/m/switch/desktop">电脑版管理后台' in html


def test_the_workspace_says_when_nothing_waits(app, client, inspector):
    text = _text(client.get("/m/").get_data(as_text=True))
    for words in ("已完成的任务都已评价", "没有进行中的任务", "告知书都已发放，回执都已收回",
                  "没有待补办的紧急使用手续", "执法计划尚未录入"):
        assert words in text


def test_other_roles_keep_their_short_phone_menu(app, client, login_as):
    login_as("office", org_unit_=factories.org_unit(kind="section"))
    html = client.get("/m/").get_data(as_text=True)
    assert "专家评分" in html and "待评价的专家" not in html


def test_a_unit_account_without_a_unit_gets_the_menu_not_an_error(app, client, auth):
    user = factories.user(role="town")
    user.org_unit = None
    db.session.commit()
    auth.login(user.username)
    response = client.get("/m/")
    assert response.status_code == 200 and "待评价的专家" not in response.get_data(as_text=True)
    assert client.get("/m/requests").status_code == 403
