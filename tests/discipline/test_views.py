"""The admin pages of this area as office staff, leaders and others use them."""
import datetime as dt

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from models import Announcement, AnnualAssessment, Dismissal, FollowUp, Interview, Violation
from tests import factories
from tests.conftest import csrf_from
from tests.discipline import records

D = dt.date
TODAY = clock.today()


def _token(client, url="/admin/violation/"):
    return csrf_from(client.get(url).get_data(as_text=True))


def _appointed(**kw):
    return factories.appointed_expert(TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=600), **kw)


def test_office_records_then_verifies_and_sees_the_sanction(app, client, login_as):
    login_as("office")
    expert = _appointed(name="张违规")
    db.session.commit()
    token = _token(client, "/admin/violation/new/")
    response = client.post("/admin/violation/new/", data={
        "csrf_token": token, "expert": str(expert.id), "found_on": (TODAY - dt.timedelta(days=3)).isoformat(),
        "finding": "以区应急管理局名义向企业推销标准化辅导"})
    assert response.status_code == 302
    v = db.session.scalar(select(Violation))
    assert v.state == "draft"

    page = client.get(f"/admin/violation/verify/?id={v.id}").get_data(as_text=True)
    assert "核实后将自动处理" in page and "警告" in page and "首次发现" in page
    # without an investigation result nothing happens
    response = client.post("/admin/violation/verify/", data={"csrf_token": csrf_from(page), "id": v.id,
                                                             "verified_on": TODAY.isoformat(), "investigation": ""})
    assert "请填写调查核实结果" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Violation, v.id).state == "draft"

    response = client.post("/admin/violation/verify/", data={
        "csrf_token": csrf_from(page), "id": v.id, "verified_on": (TODAY - dt.timedelta(days=2)).isoformat(),
        "investigation": "经调查属实"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已核实，处理结果：警告" in html and "首次发现，给予警告" in html
    db.session.expire_all()
    assert db.session.get(Violation, v.id).sanction == "warning"

    # a second one after the warning: interview + suspension shown with its dates
    second = Violation(expert_id=expert.id, found_on=TODAY, finding="接受企业宴请", state="draft")
    db.session.add(second)
    db.session.commit()
    page = client.get(f"/admin/violation/verify/?id={second.id}").get_data(as_text=True)
    assert "约谈并暂停专家资格三个月" in page
    html = client.post("/admin/violation/verify/", data={
        "csrf_token": csrf_from(page), "id": second.id, "verified_on": TODAY.isoformat(),
        "investigation": "属实"}, follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    second = db.session.get(Violation, second.id)
    last = second.sanction_end - dt.timedelta(days=1)
    assert f"{TODAY.isoformat()} 至 {last.isoformat()}（{second.sanction_end.isoformat()}起恢复）" in html
    assert db.session.scalar(select(Interview).where(Interview.violation_id == second.id)) is not None

    # the expert's page shows the suspension and the interview to hold
    html = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert "违规与处理" in html and "约谈并暂停专家资格三个月" in html and "待约谈" in html


def test_verified_violation_keeps_its_facts(app, client, login_as):
    login_as("office")
    expert = _appointed()
    v = Violation(expert=expert, found_on=TODAY - dt.timedelta(days=5), finding="迟到", state="verified",
                  sanction="warning", sanction_start=TODAY, verified_on=TODAY, investigation="属实")
    db.session.add(v)
    db.session.commit()
    page = client.get(f"/admin/violation/edit/?id={v.id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page),
        "expert": str(expert.id),
        "found_on": (TODAY - dt.timedelta(days=9)).isoformat(),
        "finding": "迟到",
        "investigation": "属实",
        "version": str(v.version),
    }
    html = client.post(f"/admin/violation/edit/?id={v.id}", data=data, follow_redirects=True).get_data(as_text=True)
    assert "不能再修改发现日期" in html
    db.session.expire_all()
    assert db.session.get(Violation, v.id).found_on == TODAY - dt.timedelta(days=5)


def test_dismiss_flow(app, client, login_as):
    login_as("office")
    expert = _appointed()
    v = Violation(expert=expert, found_on=TODAY, finding="企业反映专家态度恶劣", state="draft")
    db.session.add(v)
    db.session.commit()
    page = client.get(f"/admin/violation/dismiss/?id={v.id}").get_data(as_text=True)
    html = client.post(
        "/admin/violation/dismiss/",
        data={"csrf_token": csrf_from(page), "id": v.id, "reason": "经核查不属实"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已不予认定" in html
    db.session.expire_all()
    assert db.session.get(Violation, v.id).state == "dismissed"


def test_propose_dismissal_from_a_verified_violation(app, client, login_as):
    login_as("office")
    expert = _appointed()
    v = Violation(expert=expert, found_on=TODAY, finding="暂停期间以专家身份开展中介活动", state="verified",
                  verified_on=TODAY, investigation="属实", ladder_note="恢复专家资格前发现")
    db.session.add(v)
    db.session.commit()
    page = client.get(f"/admin/violation/details/?id={v.id}").get_data(as_text=True)
    assert "提出解聘建议（第十三条(七)）" in page
    client.post("/admin/violation/propose_dismissal/", data={"csrf_token": csrf_from(page), "id": v.id})
    proposal = db.session.scalar(select(Dismissal))
    assert (proposal.expert_id, proposal.reason, proposal.state) == (expert.id, "7", "proposed")


def test_leader_reads_but_cannot_verify(app, client, login_as):
    expert = _appointed()
    v = Violation(expert=expert, found_on=TODAY, finding="迟到", state="draft")
    db.session.add(v)
    db.session.commit()
    login_as("leader")
    page = client.get("/admin/violation/").get_data(as_text=True)
    assert "迟到" in page and "verify" not in page
    assert client.get(f"/admin/violation/verify/?id={v.id}").status_code == 403
    token = csrf_from(page)
    assert client.post("/admin/violation/verify/", data={"csrf_token": token, "id": v.id,
                                                         "investigation": "属实"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Violation, v.id).state == "draft"


@pytest.mark.parametrize("role", ["department", "town"])
def test_units_see_no_violations_on_the_expert_page(app, client, login_as, role):
    expert = _appointed()
    db.session.add(Violation(expert=expert, found_on=TODAY, finding="秘密的违规情形", state="draft"))
    db.session.commit()
    login_as(role)
    assert client.get("/admin/violation/").status_code == 403
    html = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert "秘密的违规情形" not in html and "违规与处理" not in html


def test_office_runs_and_publishes_the_assessment(app, client, login_as):
    year = TODAY.year - 1
    good = factories.appointed_expert(D(year, 1, 1), D(year + 2, 12, 31), name="王优秀")
    bad = factories.appointed_expert(D(year, 1, 1), D(year + 2, 12, 31), name="李较差")
    records.evaluation(good, D(year, 5, 1), 96)
    records.evaluation(bad, D(year, 5, 1), 52)
    db.session.commit()
    login_as("office")
    page = client.get(f"/admin/annual_assessment/?year={year}").get_data(as_text=True)
    assert f"评定{year}年度" in page
    html = client.post("/admin/annual_assessment/run/", data={"csrf_token": csrf_from(page), "year": year},
                       follow_redirects=True).get_data(as_text=True)
    assert f"{year}年度考核已评定：共2名专家" in html
    assert "王优秀" in html and "优秀" in html and "不合格" in html and "公示考核结果" in html
    html = client.post("/admin/annual_assessment/publish/", data={"csrf_token": csrf_from(page), "year": year},
                       follow_redirects=True).get_data(as_text=True)
    assert "请填写公示的文号" in html  # the 公示 of a decision carries its 文号
    html = client.post("/admin/annual_assessment/publish/", data={"csrf_token": csrf_from(page), "year": year,
                                                                   "doc_no": f"武应急〔{year + 1}〕5号"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已发布公告" in html and f"武应急〔{year + 1}〕5号" in html and "1名不合格专家已生成待约谈记录" in html
    assert "查看约谈记录" in html and "查看公开页面" in html
    ann = db.session.scalar(select(Announcement).where(Announcement.kind == "assessment"))
    assert ann.published and [e.remark for e in ann.entries] == ["优秀", "不合格"]
    assert f"评定{year}年度" not in html  # published: no re-run button

    # the interview concludes 仍无法达到工作要求 → dismissal proposal
    interview = db.session.scalar(select(Interview).where(Interview.expert_id == bad.id))
    page = client.get(f"/admin/interview/edit/?id={interview.id}").get_data(as_text=True)
    client.post(f"/admin/interview/edit/?id={interview.id}", data={
        "csrf_token": csrf_from(page), "held_on": TODAY.isoformat(), "outcome": "still_unqualified",
        "notes": "约谈后仍不能按要求开展工作"})
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).held_on == TODAY
    proposal = db.session.scalar(select(Dismissal).where(Dismissal.expert_id == bad.id))
    assert proposal is not None and proposal.reason == "6"


def test_only_the_office_runs_the_assessment(app, client, login_as):
    login_as("leader")
    page = client.get("/admin/annual_assessment/").get_data(as_text=True)
    assert "评定" not in page.split("考核年度")[1][:400]
    assert client.post("/admin/annual_assessment/run/", data={"csrf_token": csrf_from(page),
                                                              "year": TODAY.year - 1}).status_code == 403
    assert db.session.scalar(select(AnnualAssessment.id)) is None


def test_expert_sees_only_his_own_assessments(app, client, login_as):
    me = _appointed(name="周本人")
    other = _appointed(name="吴他人")
    for e in (me, other):
        db.session.add(AnnualAssessment(expert=e, year=TODAY.year - 1, grade="qualified", evaluation_count=2))
    db.session.commit()
    login_as("expert", expert_=me)
    html = client.get("/admin/annual_assessment/").get_data(as_text=True)
    assert "周本人" in html and "吴他人" not in html
    other_row = db.session.scalar(select(AnnualAssessment.id).where(AnnualAssessment.expert_id == other.id))
    assert client.get(f"/admin/annual_assessment/details/?id={other_row}").status_code in (302, 404)


def test_follow_up_is_recorded_by_staff(app, client, login_as):
    user = login_as("office")
    expert = _appointed()
    ent = factories.enterprise()
    db.session.commit()
    page = client.get("/admin/follow_up/new/").get_data(as_text=True)
    assert "非常满意" in page
    future = (TODAY + dt.timedelta(days=1)).isoformat()
    data = {"csrf_token": csrf_from(page), "expert": str(expert.id), "enterprise": str(ent.id),
            "visited_on": future, "satisfaction": "3", "comment": "专家指出问题准确，态度一般"}
    html = client.post("/admin/follow_up/new/", data=data).get_data(as_text=True)
    assert "日期不能晚于今天" in html and db.session.scalar(select(FollowUp.id)) is None
    data["visited_on"] = TODAY.isoformat()
    assert client.post("/admin/follow_up/new/", data=data).status_code == 302
    fu = db.session.scalar(select(FollowUp))
    assert (fu.satisfaction, fu.recorded_by_id, fu.enterprise_id) == (3, user.id, ent.id)
    assert "3分 基本满意" in client.get("/admin/follow_up/").get_data(as_text=True)


def test_dashboard_shows_the_score_charts_and_a_unit_its_own_coverage(app, client, login_as):
    from models import EnforcementPlan

    year = clock.today().year  # the bureau's year
    mine = factories.org_unit("湖塘镇", kind="town")
    theirs = factories.org_unit("牛塘镇", kind="town")
    db.session.add_all([EnforcementPlan(unit=mine, year=year, planned_checks=10),
                        EnforcementPlan(unit=theirs, year=year, planned_checks=20)])
    expert = _appointed(groups=("电气",))
    for total in (95, 55):
        ev = records.evaluation(expert, D(year, 1, 2), total, variant="B", unit=mine)
        ev.is_service_quality = True
    db.session.commit()
    login_as("office")
    html = client.get("/admin/").get_data(as_text=True)
    assert "评价平均分（按组别" in html and "75.0分（2份）" in html
    assert "评价得分分布" in html and "共2份" in html
    assert "湖塘镇" in html and "20.0%（2/10）" in html and "0.0%（0/20）" in html and "1个单位未达20%" in html

    client.post("/logout", data={"csrf_token": csrf_from(html)})
    login_as("town", org_unit_=mine)
    html = client.get("/admin/").get_data(as_text=True)
    assert "20.0%（2/10）" in html and "牛塘镇" not in html


def test_blacklist_announcement_drafted_from_the_violation(app, client, login_as):
    login_as("office")
    expert = _appointed(name="钱黑名")
    v = Violation(expert=expert, found_on=TODAY, finding="恢复专家资格后开展中介活动", state="verified",
                  verified_on=TODAY, investigation="属实", sanction="blacklist", sanction_start=TODAY,
                  sanction_end=TODAY + dt.timedelta(days=1095))
    db.session.add(v)
    db.session.commit()
    page = client.get(f"/admin/violation/details/?id={v.id}").get_data(as_text=True)
    assert "起草黑名单公告" in page
    response = client.post("/admin/violation/blacklist_announcement/", data={"csrf_token": csrf_from(page), "id": v.id})
    ann = db.session.scalar(select(Announcement).where(Announcement.kind == "blacklist"))
    assert ann is not None and not ann.published and ann.entries[0].name == "钱黑名"
    assert response.headers["Location"].endswith(f"/admin/announcement/details/?id={ann.id}")


def test_violation_interview_is_recorded_without_an_outcome(app, client, login_as):
    login_as("office")
    expert = _appointed()
    v = Violation(expert=expert, found_on=TODAY, finding="迟到", state="verified", verified_on=TODAY,
                  investigation="属实", sanction="suspension", sanction_start=TODAY,
                  sanction_end=TODAY + dt.timedelta(days=90))
    db.session.add(v)
    db.session.flush()
    interview = Interview(expert=expert, reason="第二十一条：约谈", violation_id=v.id)
    db.session.add(interview)
    db.session.commit()
    page = client.get(f"/admin/interview/edit/?id={interview.id}").get_data(as_text=True)
    assert 'name="outcome"' not in page
    client.post(f"/admin/interview/edit/?id={interview.id}", data={
        "csrf_token": csrf_from(page), "held_on": TODAY.isoformat(), "notes": "告知暂停及后果"})
    db.session.expire_all()
    got = db.session.get(Interview, interview.id)
    assert (got.held_on, got.notes, got.outcome) == (TODAY, "告知暂停及后果", None)
    assert db.session.scalar(select(Dismissal.id)) is None
