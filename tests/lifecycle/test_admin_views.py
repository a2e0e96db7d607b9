"""The lifecycle through the admin, as office and leader would click it (CSRF tokens included)."""
import datetime as dt
import io

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.lifecycle import dismissal as dm
from app.services.lifecycle import review
from app.services.permits.issuing import issue_permit
from app.services.status import dispatchable
from models import Announcement, Application, CommitmentLetter, Dismissal, Term
from tests import factories
from tests.conftest import csrf_from
from tests.lifecycle.records import make_applicant, make_application

TODAY = clock.today()


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:500])
    return response.get_data(as_text=True)


def post(client, url, data, form_url=None, status=302):
    token = csrf_from(page(client, form_url or url))
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def flashes(client):
    return page(client, "/admin/application/")


# --- walking every page ---------------------------------------------------------------------------


def test_every_lifecycle_page_renders_for_office(app, client, login_as):
    login_as("office")
    factories.org_unit(name="湖塘镇", kind="town")
    a = make_application(make_applicant(name="王建国"))
    appointed = factories.appointed_expert(name="李海涛")
    term = appointed.terms[0]
    d = dm.propose_dismissal(appointed, "4", origin="absence", detail="连续三次不参加")
    ann = Announcement(kind="other", title="测试公告", body="正文")
    db.session.add(ann)
    db.session.commit()
    for url in [
        "/admin/application/", "/admin/application/new/", f"/admin/application/details/?id={a.id}",
        f"/admin/application/step/{a.id}/prelim_pass", f"/admin/application/step/{a.id}/prelim_reject",
        "/admin/application/tests/", "/admin/application/candidates/", "/admin/application/appoint/",
        f"/admin/application/reapply/{appointed.id}", f"/admin/application/bulk/prelim_pass?ids={a.id}",
        "/admin/term/", "/admin/term/ending/", f"/admin/term/renew/?id={term.id}", "/admin/term/cohort/",
        "/admin/commitment_letter/", f"/admin/commitment_letter/new/?expert_id={appointed.id}",
        "/admin/dismissal/", f"/admin/dismissal/details/?id={d.id}", f"/admin/dismissal/new/?expert_id={appointed.id}",
        "/admin/announcement/", f"/admin/announcement/details/?id={ann.id}",
        f"/admin/expert/details/?id={appointed.id}", f"/admin/expert/details/?id={a.expert_id}",
    ]:
        html = page(client, url)
        assert "Traceback" not in html
    assert "王建国" in page(client, "/admin/application/")
    details = page(client, f"/admin/application/details/?id={a.id}")
    assert "聘任条件（第十一条）" in details and "初审通过" in details and "综合素质测试" in details
    expert_page = page(client, f"/admin/expert/details/?id={appointed.id}")
    assert "履历" in expert_page and "列入拟解聘名单" in expert_page and "缺席规则" in expert_page


def test_leader_sees_the_lists_but_not_office_steps(app, client, login_as):
    login_as("leader")
    a = make_application()
    db.session.commit()
    page(client, "/admin/application/")
    page(client, f"/admin/application/details/?id={a.id}")
    page(client, "/admin/application/candidates/")
    page(client, "/admin/dismissal/")
    for url in (f"/admin/application/step/{a.id}/prelim_pass", "/admin/application/tests/",
                "/admin/application/appoint/", "/admin/application/new/", "/admin/term/cohort/"):
        page(client, url, status=403)


@pytest.mark.parametrize("role", ["department", "town", "expert"])
def test_other_roles_have_no_application_access(app, client, login_as, role):
    login_as(role)
    a = make_application()
    db.session.commit()
    for url in ("/admin/application/", f"/admin/application/details/?id={a.id}", "/admin/dismissal/",
                f"/admin/application/step/{a.id}/approve", "/admin/application/candidates.pdf"):
        page(client, url, status=403)


def test_anonymous_is_sent_to_login(app, client):
    response = client.get("/admin/application/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the procedure through the forms ----------------------------------------------------------------


def test_office_enters_a_recommendation(app, client, login_as):
    login_as("office")
    town = factories.org_unit(name="湖塘镇", kind="town")
    db.session.commit()
    birth = dt.date(1978, 4, 9)
    data = {
        "channel": "town", "recommending_unit": str(town.id), "recommending_unit_name": "",
        "recommender_opinion": "同意推荐", "recommender_contact": "孙晓燕", "recommender_phone": "0519-86310001",
        "name": "周建华", "gender": "male", "birth_date": birth.isoformat(), "id_number": factories.id_number(birth),
        "ethnicity": "汉族", "party": "群众", "birthplace": "江苏常州", "employer": "常州新东化工发展有限公司",
        "supervising_dept": "", "position": "安全总监", "retired": "0", "title_level": "intermediate",
        "title": "工程师", "graduated_from": "常州大学", "education": "bachelor", "full_time_education": "1",
        "profession": "化工安全", "specialty": "危化品储存安全", "mobile": "13912340001",
        "address": "常州市武进区湖塘镇", "groups": ["chemical"], "work_history-0-period": "2003.07-至今",
        "work_history-0-employer": "常州新东化工发展有限公司",
        "achievements": "参与隐患排查", "health_declared": "y", "ethics_declared": "y",
    }
    # the recommending unit's contact is required (附件2 填表说明11): nothing is saved without it
    html = post(client, "/admin/application/new/", {**data, "recommender_contact": ""}, status=200).get_data(
        as_text=True
    )
    assert "经办联系人" in html and db.session.scalar(select(Application)) is None
    response = post(client, "/admin/application/new/", data)
    application = db.session.scalar(select(Application))
    assert application.channel == "town" and application.recommending_unit_name == "湖塘镇"
    assert application.expert.recommender_contact == "孙晓燕" and application.expert.stage == "applicant"
    assert f"id={application.id}" in response.headers["Location"]


def test_step_forms_walk_the_procedure_and_refuse_out_of_order(app, client, auth, login_as):
    office = login_as("office")
    leader = factories.user(role="leader")
    a = make_application(make_applicant(name="陈静"))
    db.session.commit()
    # approval before the test result: a leader's step, and out of order
    page(client, f"/admin/application/step/{a.id}/approve", status=403)
    post(client, f"/admin/application/step/{a.id}/prelim_pass", {"opinion": "材料齐全，符合条件"})
    assert db.session.get(Application, a.id).state == "prelim_passed"
    html = post(client, f"/admin/application/step/{a.id}/shortlist", {"opinion": ""}, status=200).get_data(as_text=True)
    assert "须综合素质测试合格" in html
    assert db.session.get(Application, a.id).state == "prelim_passed"
    post(client, "/admin/application/tests/", {f"result-{a.id}": "1", f"score-{a.id}": "88.5",
                                               f"opinion-{a.id}": ""})
    assert db.session.get(Application, a.id).state == "test_passed"
    post(client, "/admin/application/bulk/shortlist", {"ids": str(a.id), "opinion": "列入"},
         form_url=f"/admin/application/bulk/shortlist?ids={a.id}")
    assert db.session.get(Application, a.id).state == "shortlisted"
    # office cannot approve; the leader can
    page(client, f"/admin/application/step/{a.id}/approve", status=403)
    token = csrf_from(page(client, "/admin/application/candidates/"))
    assert (
        client.post("/admin/application/bulk/approve", data={"ids": str(a.id), "csrf_token": token}).status_code == 403
    )
    assert db.session.get(Application, a.id).state == "shortlisted"
    client.post("/logout", data={"csrf_token": token})
    auth.login(leader.username)
    html = page(client, "/admin/application/candidates/")
    assert "下一步：核对审定结果" in html and "陈静" in html
    post(client, "/admin/application/candidates/decide/",
         {"stage": "save", "approve": str(a.id), "opinion": "2026年第5次局长办公会议审定同意"},
         form_url="/admin/application/candidates/")
    application = db.session.get(Application, a.id)
    assert application.state == "approved"
    assert application.steps[-1].actor_id == leader.id
    assert application.steps[-1].opinion == "2026年第5次局长办公会议审定同意"
    # back to the office for the 发文
    client.post("/logout", data={"csrf_token": csrf_from(page(client, "/admin/application/"))})
    auth.login(office.username)
    post(client, "/admin/application/appoint/", {"ids": str(a.id), "cohort": "3", "doc_no": "武应急〔2026〕12号",
                                                 "start_date": TODAY.isoformat()})
    term = db.session.scalar(select(Term).where(Term.expert_id == a.expert_id))
    assert term.cohort == 3 and term.doc_no == "武应急〔2026〕12号"
    assert db.session.get(Application, a.id).state == "appointed"
    # timeline on the expert's page
    html = page(client, f"/admin/expert/details/?id={a.expert_id}")
    for event in ("初审通过", "综合素质测试合格", "列入拟聘名单", "局长办公会议审定通过", "聘任为第3届专家"):
        assert event in html


def test_age_override_only_by_office_with_a_reason(app, client, login_as):
    login_as("office")
    old = make_applicant(birth=TODAY.replace(year=TODAY.year - 67))
    a = make_application(old)
    db.session.commit()
    details = page(client, f"/admin/application/details/?id={a.id}")
    assert "年龄条件特批" in details and "警告" in details
    post(client, f"/admin/application/age-override/{a.id}", {"reason": ""}, status=200)
    assert db.session.get(Application, a.id).age_override_reason is None
    post(client, f"/admin/application/age-override/{a.id}", {"reason": "冶金煤气组急需，体检合格"})
    assert db.session.get(Application, a.id).age_override_reason == "冶金煤气组急需，体检合格"
    assert "已特批" in page(client, f"/admin/application/details/?id={a.id}")


def test_leader_cannot_override_age(app, client, login_as):
    login_as("leader")
    a = make_application(make_applicant(birth=TODAY.replace(year=TODAY.year - 67)))
    db.session.commit()
    page(client, f"/admin/application/age-override/{a.id}", status=403)


def test_direct_appointment_by_leader(app, client, login_as):
    login_as("leader")
    a = make_application()
    db.session.commit()
    post(client, f"/admin/application/step/{a.id}/direct", {"opinion": ""}, status=200)
    assert db.session.get(Application, a.id).state == "submitted"
    post(client, f"/admin/application/step/{a.id}/direct", {"opinion": "事故调查急需爆破专业专家，经局长办公会议审定"})
    assert db.session.get(Application, a.id).state == "approved"


def test_candidate_list_pdf_download(app, client, login_as):
    office = login_as("office")
    a = make_application(make_applicant(name="陈静"), state="test_passed")
    review.shortlist([a], office)
    db.session.commit()
    response = client.get("/admin/application/candidates.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    response = client.get(f"/admin/application/registration/{a.expert_id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "attachment" not in response.headers.get("Content-Disposition", "")


# --- terms, letters -----------------------------------------------------------------------------------


def test_renewal_form_refuses_an_expert_who_no_longer_qualifies(app, client, login_as):
    login_as("office")
    expert = factories.appointed_expert(start=TODAY - dt.timedelta(days=1000), education="below")
    term = expert.terms[0]
    db.session.commit()
    html = page(client, f"/admin/term/renew/?id={term.id}")
    assert "不符合第十一条聘任条件" in html
    post(client, f"/admin/term/renew/?id={term.id}", {"doc_no": "武应急〔2027〕3号", "cohort": "2",
                                                     "start_date": (term.end_date + dt.timedelta(days=1)).isoformat()},
         status=200)
    assert len(db.session.scalars(select(Term).where(Term.expert_id == expert.id)).all()) == 1


def test_renewal_form_renews(app, client, login_as):
    login_as("office")
    expert = factories.appointed_expert(start=TODAY - dt.timedelta(days=1040), health_declared=True,
                                        ethics_declared=True)
    term = expert.terms[0]
    db.session.commit()
    assert expert.name in page(client, "/admin/term/ending/")
    post(client, f"/admin/term/renew/?id={term.id}", {"doc_no": "武应急〔2027〕3号", "cohort": "2",
                                                     "start_date": (term.end_date + dt.timedelta(days=1)).isoformat()})
    assert db.session.scalar(select(Term).where(Term.expert_id == expert.id, Term.cohort == 2)) is not None


def test_commitment_letter_with_scan(app, client, login_as):
    login_as("office")
    expert = factories.expert(name="刘大地")
    db.session.add(Term(expert=expert, cohort=1, doc_no="武应急〔2026〕1号", start_date=TODAY,
                        end_date=TODAY.replace(year=TODAY.year + 3) - dt.timedelta(days=1)))
    db.session.commit()
    pdf = client.get(f"/admin/commitment_letter/blank/{expert.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert not dispatchable(expert)[0]
    token = csrf_from(page(client, f"/admin/commitment_letter/new/?expert_id={expert.id}"))
    response = client.post("/admin/commitment_letter/new/", data={
        "csrf_token": token, "expert": str(expert.id), "signed_on": TODAY.isoformat(),
        "scan": (io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), "scan.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    letter = db.session.scalar(select(CommitmentLetter))
    assert letter.scan_path and letter.term_id is not None
    assert dispatchable(expert) == (True, ())
    scan = client.get(f"/admin/commitment_letter/scan/{letter.id}")
    assert scan.status_code == 200 and scan.data.startswith(b"%PDF")


# --- dismissal ------------------------------------------------------------------------------------------


def test_office_proposes_leader_approves_and_the_expert_leaves_dispatch(app, client, auth, login_as):
    office = login_as("office")
    leader = factories.user(role="leader")
    expert = factories.appointed_expert(name="钱卫东")
    issue_permit(expert, expert.terms[0])
    db.session.commit()
    post(client, "/admin/dismissal/new/", {"expert": str(expert.id), "reason": "3", "detail": "工作调动至外省"},
         form_url=f"/admin/dismissal/new/?expert_id={expert.id}")
    d = db.session.scalar(select(Dismissal))
    assert d.state == "proposed" and d.proposed_by_id == office.id
    # office may not decide
    page(client, f"/admin/dismissal/decide/?id={d.id}", status=403)
    token = csrf_from(page(client, "/admin/dismissal/"))
    assert client.post("/admin/dismissal/decide/", data={"id": d.id, "decision": "approve",
                                                         "csrf_token": token}).status_code == 403
    assert dispatchable(expert)[0]
    client.post("/logout", data={"csrf_token": token})
    auth.login(leader.username)
    html = page(client, "/admin/dismissal/")
    assert "钱卫东" in html
    decide = page(client, f"/admin/dismissal/decide/?id={d.id}")
    assert "checked" not in decide  # nothing is decided in advance
    confirm = post(client, "/admin/dismissal/decide/", {"id": str(d.id), "decision": "approve",
                                                        "effective_on": TODAY.isoformat(), "note": "同意"},
                   form_url=f"/admin/dismissal/decide/?id={d.id}", status=200).get_data(as_text=True)
    assert "请确认：批准解聘 1人——钱卫东" in confirm
    assert db.session.get(Dismissal, d.id).state == "proposed"
    post(client, "/admin/dismissal/decide/", {"id": str(d.id), "decision": "approve", "stage": "save",
                                              "effective_on": TODAY.isoformat(), "note": "同意"},
         form_url=f"/admin/dismissal/decide/?id={d.id}")
    assert db.session.get(Dismissal, d.id).state == "approved"
    ok, reasons = dispatchable(expert)
    assert not ok and "已解聘" in reasons[0]
    # the office drafts and publishes the announcement
    client.post("/logout", data={"csrf_token": csrf_from(page(client, "/admin/dismissal/"))})
    auth.login(office.username)
    token = csrf_from(page(client, "/admin/dismissal/"))
    response = client.post("/admin/dismissal/action/", data={"action": "announce", "rowid": str(d.id),
                                                             "csrf_token": token})
    assert response.status_code == 302
    ann = db.session.scalar(select(Announcement))
    assert ann.kind == "dismissal" and [e.name for e in ann.entries] == ["钱卫东"]
    pdf = client.get(f"/admin/announcement/pdf/{ann.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    post(client, "/admin/announcement/publish/", {"id": str(ann.id)},
         form_url=f"/admin/announcement/details/?id={ann.id}")
    assert not db.session.get(Announcement, ann.id).published  # a dismissal is published with its 文号
    assert "须填写文号" in page(client, f"/admin/announcement/details/?id={ann.id}")
    db.session.get(Announcement, ann.id).doc_no = "武应急〔2026〕58号"
    db.session.commit()
    post(client, "/admin/announcement/publish/", {"id": str(ann.id)},
         form_url=f"/admin/announcement/details/?id={ann.id}")
    assert db.session.get(Announcement, ann.id).published


def test_leader_rejects_with_reason(app, client, login_as):
    leader = login_as("leader")
    expert = factories.appointed_expert()
    d = dm.propose_dismissal(expert, "6", origin="assessment", detail="2025年度考核不合格")
    db.session.commit()
    post(client, "/admin/dismissal/decide/", {"id": str(d.id), "decision": "reject", "note": ""},
         form_url=f"/admin/dismissal/decide/?id={d.id}", status=200)
    assert db.session.get(Dismissal, d.id).state == "proposed"
    post(client, "/admin/dismissal/decide/", {"id": str(d.id), "decision": "reject", "note": "经约谈已达到要求",
                                              "stage": "save"}, form_url=f"/admin/dismissal/decide/?id={d.id}")
    assert db.session.get(Dismissal, d.id).state == "rejected"
    assert db.session.get(Dismissal, d.id).decided_by_id == leader.id


def test_appointment_announcement_from_terms(app, client, login_as):
    login_as("office")
    experts = [factories.appointed_expert(name=n) for n in ("甲", "乙")]
    db.session.commit()
    token = csrf_from(page(client, "/admin/term/"))
    ids = [str(e.terms[0].id) for e in experts]
    response = client.post("/admin/term/action/", data={"action": "announce", "rowid": ids, "csrf_token": token})
    assert response.status_code == 302
    ann = db.session.scalar(select(Announcement))
    assert ann.kind == "appointment" and sorted(e.name for e in ann.entries) == ["乙", "甲"]
    html = page(client, f"/admin/announcement/details/?id={ann.id}")
    assert "发布公告" in html
    for e in experts:
        assert e.id_number not in html and e.mobile not in html


# --- the edit forms offer only what may change -----------------------------------------------------


def test_edit_forms(app, client, login_as):
    office = login_as("office")
    expert = factories.appointed_expert(name="周明")
    letter = expert.commitment_letters[0]
    d = dm.propose_by_office(expert, "1", "本人申请退出", office)
    ann = Announcement(kind="other", title="关于调整专家费用标准的公告", body="正文")
    db.session.add(ann)
    db.session.commit()
    # dismissal: the facts of a pending proposal
    html = page(client, f"/admin/dismissal/edit/?id={d.id}")
    assert 'name="reason"' not in html
    post(client, f"/admin/dismissal/edit/?id={d.id}", {"detail": "过时的修改", "version": "0"}, status=200)
    assert db.session.get(Dismissal, d.id).detail == "本人申请退出"
    post(client, f"/admin/dismissal/edit/?id={d.id}", {"detail": "本人2026年11月书面申请退出专家组", "version": "1"})
    assert db.session.get(Dismissal, d.id).detail == "本人2026年11月书面申请退出专家组"
    # letter: only the scan
    token = csrf_from(page(client, f"/admin/commitment_letter/edit/?id={letter.id}"))
    response = client.post(f"/admin/commitment_letter/edit/?id={letter.id}", data={
        "csrf_token": token, "scan": (io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), "s.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.get(CommitmentLetter, letter.id).scan_path
    # announcement draft: wording
    post(client, f"/admin/announcement/edit/?id={ann.id}", {"title": "关于调整专家费用发放标准的公告", "doc_no": "",
                                                            "body": "新正文"})
    assert db.session.get(Announcement, ann.id).title == "关于调整专家费用发放标准的公告"
    # a published announcement is not rewritten
    ann.published = True
    db.session.commit()
    post(client, f"/admin/announcement/edit/?id={ann.id}", {"title": "改", "doc_no": "", "body": "改"}, status=200)
    assert db.session.get(Announcement, ann.id).title == "关于调整专家费用发放标准的公告"
