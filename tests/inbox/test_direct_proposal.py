"""第十二条(五): the office puts a 特需专家 to the meeting; the leader appoints or declines."""
import pytest

from app.services.errors import DomainError
from app.services.lifecycle import review
from tests.lifecycle.records import make_applicant, make_application


def test_the_office_proposes_with_a_reason_and_the_state_stays(app, office):
    a = make_application(make_applicant(name="李四"))
    with pytest.raises(DomainError, match="须填写意见或理由"):
        review.propose_direct(a, office, "")
    review.propose_direct(a, office, "急需")
    assert a.state == "submitted" and review.direct_pending(a)
    assert [s.code for s in review.available_steps(a, "leader")] == ["direct", "decline_direct"]
    assert "propose_direct" not in [s.code for s in review.available_steps(a, "office")]
    with pytest.raises(DomainError, match="已提请直接聘任"):
        review.propose_direct(a, office, "再次")


def test_only_the_office_proposes_and_only_the_leader_declines(app, office, leader):
    a = make_application(make_applicant())
    with pytest.raises(DomainError, match="只有基础科"):
        review.propose_direct(a, leader, "急需")
    with pytest.raises(DomainError, match="没有待审定的直接聘任提请"):
        review.decline_direct(a, leader, "不同意")
    review.propose_direct(a, office, "急需")
    with pytest.raises(DomainError, match="只有局领导"):
        review.decline_direct(a, office, "不同意")


def test_declined_goes_on_by_the_ordinary_steps(app, office, leader):
    a = make_application(make_applicant())
    review.propose_direct(a, office, "急需")
    review.decline_direct(a, leader, "按正常程序参加测试")
    assert not review.direct_pending(a) and a.state == "submitted"
    assert "prelim_pass" in [s.code for s in review.available_steps(a, "office")]
    assert review.pending_direct() == []


def test_appointing_directly_ends_the_proposal(app, office, leader):
    a = make_application(make_applicant())
    review.propose_direct(a, office, "急需")
    review.direct_appoint(a, leader, "同意")
    assert a.state == "approved" and a.direct_appointment and not review.direct_pending(a)


def test_a_shortlisted_candidate_is_before_the_meeting_already(app, office):
    a = make_application(make_applicant(), state="shortlisted")
    with pytest.raises(DomainError, match="不能提请特需专家直接聘任"):
        review.propose_direct(a, office, "急需")


def test_the_proposal_and_the_decline_from_the_application_page(app, client, login_as, auth):
    from app.extensions import db
    from tests.conftest import csrf_from

    a = make_application(make_applicant(name="李四"))
    db.session.commit()
    login_as("office")
    page = client.get(f"/admin/application/details/?id={a.id}").get_data(as_text=True)
    assert "提请特需专家直接聘任" in page
    form = client.get(f"/admin/application/step/{a.id}/propose_direct").get_data(as_text=True)
    client.post(f"/admin/application/step/{a.id}/propose_direct",
                data={"csrf_token": csrf_from(form), "opinion": "急需的检测专家"})
    db.session.expire_all()
    assert review.direct_pending(db.session.get(type(a), a.id))
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/admin/").get_data(as_text=True))})
    login_as("leader")
    form = client.get(f"/admin/application/step/{a.id}/decline_direct").get_data(as_text=True)
    client.post(f"/admin/application/step/{a.id}/decline_direct",
                data={"csrf_token": csrf_from(form), "opinion": "按正常程序"})
    db.session.expire_all()
    assert not review.direct_pending(db.session.get(type(a), a.id))
