"""Decisions made on purpose (issue 19 §4): the leader's 拟聘名单 starts with nobody chosen,
a confirmation lists who is approved and who refused with their counts before anything is
saved; the appointment 发文 can draft its 聘任公告 in one step; the applicant's status page
mentions an announcement only once it is published, with a link."""
import re

from app import clock
from app.services.lifecycle import announcements, review
from models import Announcement, Application
from tests import factories
from tests.conftest import csrf_from
from tests.lifecycle.records import make_applicant, make_application

TODAY = clock.today()


def _three_on_the_list(office):
    apps = [make_application(make_applicant(name=n), state="test_passed") for n in ("陈静", "李海涛", "王建国")]
    review.shortlist(apps, office)
    return apps


def test_no_candidate_starts_chosen(app, db, client, login_as):
    office = factories.user("office")
    _three_on_the_list(office)
    db.session.commit()
    login_as("leader")
    html = client.get("/admin/application/candidates/").get_data(as_text=True)
    radios = re.findall(r'<input type="radio" name="decision-\d+"[^>]*>', html)
    assert len(radios) == 6 and not any("checked" in r for r in radios)
    assert 'type="checkbox"' not in html


def test_choosing_one_approves_only_that_one_after_confirmation(app, db, client, login_as):
    office = factories.user("office")
    chen, li, wang = _three_on_the_list(office)
    db.session.commit()
    login_as("leader")
    token = csrf_from(client.get("/admin/application/candidates/").get_data(as_text=True))
    confirm = client.post("/admin/application/candidates/decide/", data={
        "csrf_token": token, f"decision-{li.id}": "approve", f"decision-{wang.id}": "reject"})
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "审定通过 <span class=\"badge badge-success\">1人" in html and "李海涛" in html
    assert "审定不通过 <span class=\"badge badge-danger\">1人" in html and "王建国" in html
    assert "仍留在拟聘名单上：陈静（1人）" in html
    db.session.expire_all()
    assert [a.state for a in (chen, li, wang)] == ["shortlisted"] * 3  # nothing saved yet
    # a refusal needs its reason: nothing is saved without it
    client.post("/admin/application/candidates/decide/", data={
        "csrf_token": token, "stage": "save", "approve": str(li.id), "reject": str(wang.id), "reason": ""})
    db.session.expire_all()
    assert [a.state for a in (chen, li, wang)] == ["shortlisted"] * 3
    done = client.post("/admin/application/candidates/decide/", data={
        "csrf_token": token, "stage": "save", "approve": str(li.id), "reject": str(wang.id),
        "opinion": "经局长办公会议审定，同意聘任。", "reason": "综合素质测试后本人表示工作调动，不宜聘任。"},
        follow_redirects=True)
    assert "审定通过1人：李海涛；审定不通过1人：王建国。" in done.get_data(as_text=True)
    db.session.expire_all()
    assert [db.session.get(Application, a.id).state for a in (chen, li, wang)] == ["shortlisted", "approved",
                                                                                    "rejected"]


def test_nothing_chosen_changes_nothing(app, db, client, login_as):
    office = factories.user("office")
    apps = _three_on_the_list(office)
    db.session.commit()
    login_as("leader")
    token = csrf_from(client.get("/admin/application/candidates/").get_data(as_text=True))
    html = client.post("/admin/application/candidates/decide/", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "未作任何修改" in html
    db.session.expire_all()
    assert {db.session.get(Application, a.id).state for a in apps} == {"shortlisted"}


def test_the_appointment_drafts_its_announcement_in_one_step(app, db, client, login_as):
    login_as("office")
    a = make_application(make_applicant(name="陈静"), state="approved")
    db.session.commit()
    html = client.get("/admin/application/appoint/").get_data(as_text=True)
    assert not re.search(r'name="ids"[^>]*checked', html)  # nobody ticked in advance
    assert "确认聘任并起草聘任公告" in html
    response = client.post("/admin/application/appoint/", data={
        "csrf_token": csrf_from(html), "ids": str(a.id), "cohort": "2", "doc_no": "武应急〔2026〕60号",
        "start_date": TODAY.isoformat(), "then": "announce"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    ann = db.session.query(Announcement).one()
    assert ann.kind == "appointment" and ann.doc_no == "武应急〔2026〕60号" and not ann.published
    assert "已聘任1人（陈静）" in text and f"/admin/announcement/details/?id={ann.id}" in text
    assert "请起草并发布聘任公告" not in text


def test_status_page_mentions_the_announcement_only_once_published(app, db, client):
    office = factories.user("office")
    a = make_application(make_applicant(name="陈静"), state="approved", receipt_no=review.next_receipt_no("town"))
    term = review.appoint(a, office, cohort=1, doc_no="武应急〔2026〕60号", start_date=TODAY)
    db.session.commit()
    last4 = a.expert.id_number[-4:]

    def status():
        return client.get(f"/apply/status?receipt_no={a.receipt_no}&id_last4={last4}").get_data(as_text=True)

    assert "聘任公告发布后，将在此处显示" in status() and "/announcements/" not in status()
    ann = announcements.create_appointment_announcement([term], office)
    db.session.commit()
    assert "/announcements/" not in status()  # a draft is not mentioned
    announcements.publish_announcement(ann, office, on=TODAY)
    db.session.commit()
    html = status()
    assert f"/announcements/{ann.id}" in html and "武应急〔2026〕60号" in html


def test_decision_announcements_need_their_doc_no(app, db, client, login_as):
    import pytest

    from app.services.errors import DomainError
    from app.services.lifecycle import dismissal

    office = factories.user("office")
    leader = factories.user("leader")
    expert = factories.appointed_expert(name="解聘甲")
    proposal = dismissal.propose_by_office(expert, "1", "本人申请", office)
    dismissal.approve_dismissal(proposal, leader, effective_on=TODAY)
    ann = announcements.create_dismissal_announcement([proposal], office)
    with pytest.raises(DomainError, match="须填写文号"):
        announcements.publish_announcement(ann, office)
    announcements.update_draft(ann, office, title=ann.title, doc_no="武应急〔2026〕61号", body=ann.body)
    announcements.publish_announcement(ann, office, on=TODAY)
    assert ann.published and ann.doc_no == "武应急〔2026〕61号" and ann.published_on == TODAY
