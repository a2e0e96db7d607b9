"""企业回访 (issue 17 §1): once per notice, after completion, within 30 days, confidential;
a reported fee opens a linked complaint; refusals change nothing."""
import datetime as dt
from decimal import Decimal

import pytest

from app import clock
from app.demo.signatures import drawn_signature
from app.extensions import db
from app.services.discipline import assessment, followups
from app.services.dispatch import completion, draws, notices, responses, usage_requests
from app.services.errors import DomainError
from app.services.forms.validation import Filled, FormInvalid
from models import Complaint, FormSubmission, Setting
from tests import factories
from tests.conftest import csrf_from
from tests.discipline import records

TODAY = clock.today()


@pytest.fixture
def job(app):
    """A completed job of a brigade with one expert, its notice's receipt confirmed online."""
    unit = factories.org_unit(name="执法大队一中队", kind="brigade")
    clerk = factories.user("department", org_unit_=unit)
    expert = factories.appointed_expert(name="张建国")
    ent = factories.enterprise(name="常州市武进红光无纺布有限公司")
    day = TODAY - dt.timedelta(days=2)
    req = usage_requests.create_request(
        unit=unit, activity_type="inspection", subject="纺织企业执法检查", start_date=day, end_date=day,
        groups=[expert.groups[0].id], enterprises=[ent.id], headcount=1, backups=0, created_by=clerk,
        today=TODAY - dt.timedelta(days=5))
    draws.draw(req, clerk, seed="0" * 32)
    assignment = req.assignments[0]
    responses.respond(assignment, "accepted", actor=clerk)
    notice, = notices.issue_notices(req)
    sig = drawn_signature("王海燕")
    notices.confirm_receipt(notice.token, Filled(values={"signer_name": "王海燕"}, files={"signature": sig}))
    completion.complete_assignment(assignment, attended=True, units=1, actor=clerk)
    db.session.commit()
    return {"notice": notice, "req": req, "expert": expert, "unit": unit, "clerk": clerk, "assignment": assignment}


def _filled(fee="0", comment="专家检查认真，意见具体。", contact="李明 13912345678", **extra):
    values = {"punctuality": "5", "professionalism": "4", "fee_asked": fee, "comment": comment, "contact": contact}
    values.update(extra)
    return Filled(values=values)


def _count():
    return db.session.query(FormSubmission).filter(FormSubmission.form_id == followups.followup_form().id).count()


def test_followup_saved_once_and_second_refused(job):
    notice = job["notice"]
    assert followups.followup_state(notice) == "open"
    sub = followups.submit_followup(notice.token, _filled())
    db.session.commit()
    assert sub.notice_id == notice.id and sub.unit_id is None and sub.submitted_by_id is None
    assert followups.followup_state(notice) == "done"
    with pytest.raises(followups.FollowupRefused, match="只能回访一次"):
        followups.submit_followup(notice.token, _filled())
    db.session.rollback()
    assert _count() == 1
    assert db.session.query(Complaint).count() == 0  # no fee asked: no complaint


def test_forged_and_unknown_tokens_refused(job):
    real = job["notice"].token
    forged = real[:-1] + ("B" if real[-1] == "A" else "A")  # one character changed
    for token in ("x" * 43, "", forged):
        with pytest.raises(notices.ReceiptNotFound):
            followups.submit_followup(token, _filled())
    assert _count() == 0


def test_not_before_completion_nor_after_thirty_days(job):
    notice, assignment = job["notice"], job["assignment"]
    done = followups.completed_at(notice)
    late = done + dt.timedelta(days=30, seconds=1)
    with pytest.raises(followups.FollowupRefused, match="回访已截止"):
        followups.submit_followup(notice.token, _filled(), now=late)
    assert _count() == 0
    # the last moment still counts
    followups.submit_followup(notice.token, _filled(), now=done + dt.timedelta(days=30))
    db.session.rollback()
    assignment.completed_at = None
    job["req"].state = "dispatched"
    db.session.flush()
    with pytest.raises(followups.FollowupRefused, match="尚未完成"):
        followups.submit_followup(notice.token, _filled())
    assert _count() == 0


def test_text_over_its_limit_and_missing_ratings_refused(job):
    with pytest.raises(FormInvalid) as err:
        followups.submit_followup(job["notice"].token, _filled(comment="很" * 1001))
    assert "1000" in str(err.value)
    with pytest.raises(FormInvalid, match="未评分"):
        followups.submit_followup(job["notice"].token, Filled(values={"fee_asked": "0"}))
    with pytest.raises(FormInvalid):
        followups.submit_followup(job["notice"].token, _filled(punctuality="6"))
    db.session.rollback()
    assert _count() == 0


def test_fee_asked_opens_a_linked_complaint_in_the_office_inbox(job):
    from app.services.inbox import office

    sub = followups.submit_followup(job["notice"].token, _filled(fee="1", comment="专家要求我们购买他推荐的灭火器。"))
    db.session.commit()
    complaint, = db.session.query(Complaint).all()
    assert complaint.followup_id == sub.id and complaint.state == "new"
    assert complaint.expert_id == job["expert"].id and complaint.request_id == job["req"].id
    assert "灭火器" not in complaint.body  # linked, not copied
    assert complaint.enterprise_name == "常州市武进红光无纺布有限公司"
    sections = office.complaints(5)
    assert sections and sections[0].count == 1 and complaint.complaint_no in str(sections[0].entries)


def test_who_sees_what(job):
    sub = followups.submit_followup(job["notice"].token, _filled(fee="1"))
    db.session.commit()
    expert = job["expert"]
    office_user = factories.user("office")
    sysadmin = factories.user("sysadmin")
    leader = factories.user("leader")
    own_unit = job["clerk"]
    other_unit = factories.user("department", org_unit_=factories.org_unit(name="其他科室"))
    town = factories.user("town", org_unit_=factories.org_unit(name="湖塘镇", kind="town"))
    expert_user = factories.user("expert", expert_=expert)
    db.session.commit()

    assert followups.followup_access(office_user, sub) == followups.FULL
    assert followups.followup_access(sysadmin, sub) == followups.FULL
    assert followups.followup_access(leader, sub) == followups.RATINGS
    assert followups.followup_access(own_unit, sub) == followups.RATINGS
    assert followups.followup_access(other_unit, sub) is None
    assert followups.followup_access(town, sub) is None
    assert followups.followup_access(expert_user, sub) is None
    assert followups.followup_access(None, sub) is None

    full = followups.view_for(office_user, sub)
    assert full.enterprise == "常州市武进红光无纺布有限公司" and full.contact == "李明 13912345678"
    assert full.fee_asked is True and full.complaint_no
    seen = followups.view_for(own_unit, sub)
    assert (seen.punctuality, seen.professionalism) == (5, 4)
    assert seen.enterprise is None and seen.comment is None and seen.contact is None and seen.fee_asked is None
    assert followups.followups_for_expert(expert_user, expert.id) == []
    assert len(followups.followups_for_expert(office_user, expert.id)) == 1


def test_office_sees_followups_on_the_expert_page_and_the_expert_nothing(job, client, login_as, auth):
    followups.submit_followup(job["notice"].token, _filled(comment="专家检查认真细致"))
    db.session.commit()
    expert = job["expert"]
    login_as("office")
    html = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert "企业回访" in html and "专家检查认真细致" in html and "常州市武进红光无纺布有限公司" in html
    auth.logout()
    user = factories.user("expert", expert_=expert)
    db.session.commit()
    auth.login(user.username)
    listing = client.get("/admin/form_submission/").get_data(as_text=True)
    assert "专家检查认真细致" not in listing and "企业回访" not in listing


def test_assessment_shows_count_and_average_without_changing_the_grade(job):
    followups.submit_followup(job["notice"].token, _filled())
    db.session.commit()
    summary = followups.followup_summary(job["expert"].id, clock.local_date(clock.utcnow()).year)
    assert summary.count == 1 and str(summary.average) == "4.5"
    assert summary.label == "企业回访1份，平均4.5分（满分5分）"
    assert hasattr(assessment, "followup_info")


@pytest.mark.parametrize("counts, follow_ups, grade", [
    ("否", (0, None), "excellent"),  # the default: information beside the grade only
    ("是", (1, Decimal("2.00")), "qualified"),  # rated 2 of 5: one step down, and not 优秀
])
def test_enterprise_followups_change_the_grade_only_where_the_setting_says_so(job, counts, follow_ups, grade):
    expert, year = job["expert"], TODAY.year
    for total in (96, 94):
        records.evaluation(expert, TODAY, total)
    followups.submit_followup(job["notice"].token, _filled(punctuality="2", professionalism="2"))
    db.session.get(Setting, "grade_counts_enterprise_followups").value = counts
    db.session.commit()
    row, = [a for a in assessment.run_assessment(year) if a.expert_id == expert.id]
    assert (row.follow_up_count, row.follow_up_average, row.grade) == (*follow_ups, grade)
    assert ("回访测评平均满意度2.00，低于3" in row.grade_reason) == (counts == "是")


def test_the_setting_takes_only_yes_or_no(job):
    db.session.get(Setting, "grade_counts_enterprise_followups").value = "计入"
    with pytest.raises(DomainError, match="只能填“是”或“否”"):
        assessment.thresholds_from_settings()


def test_receipt_page_offers_the_followup_then_refuses_a_second(job, client):
    path = f"/receipt/{job['notice'].token}"
    html = client.get(path).get_data(as_text=True)
    assert "企业回访" in html and "提交回访" in html
    data = {"csrf_token": csrf_from(html), "f_punctuality": "5", "n_punctuality": "", "f_professionalism": "5",
            "f_fee_asked": "0", "f_comment": "很好", "f_contact": ""}
    assert client.post(path + "/followup", data=data).status_code == 303
    html = client.get(path).get_data(as_text=True)
    assert "已提交过回访" in html and "提交回访" not in html
    again = client.post(path + "/followup", data=data)
    assert again.status_code == 409 and "只能回访一次" in again.get_data(as_text=True)
    over = client.post(f"/receipt/{'Z' * 43}/followup", data=data)
    assert over.status_code == 404 and "回执二维码无效" in over.get_data(as_text=True)
    assert _count() == 1


def test_over_limit_text_on_the_page_is_a_chinese_refusal(job, client):
    path = f"/receipt/{job['notice'].token}"
    html = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "f_punctuality": "5", "f_professionalism": "5", "f_fee_asked": "0",
            "f_comment": "长" * 1200}
    response = client.post(path + "/followup", data=data)
    assert response.status_code == 422 and "回访未能提交" in response.get_data(as_text=True)
    assert _count() == 0
