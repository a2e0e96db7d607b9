"""The procedure of 第十二条: every transition, who may take it, and the refusals."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle import review
from app.services.status import dispatchable
from models import Permit, StatusEvent, Term
from tests import factories
from tests.lifecycle.records import make_applicant, make_application, steps_of

TODAY = clock.today()


def walk_to(state, office, leader, expert=None):
    """An application taken through the real steps up to ``state``."""
    app_ = make_application(expert)
    if state == "submitted":
        return app_
    review.pass_prelim(app_, office, "材料齐全")
    if state == "prelim_passed":
        return app_
    review.record_test_result(app_, office, True, "86.5")
    if state == "test_passed":
        return app_
    review.shortlist([app_], office)
    if state == "shortlisted":
        return app_
    review.approve(app_, leader, "2026年第5次局长办公会议审定同意")
    if state == "approved":
        return app_
    raise AssertionError(state)


def test_full_path_records_who_when_and_opinion(app, office, leader):
    application = walk_to("approved", office, leader)
    term = review.appoint(application, office, cohort=3, doc_no="武应急〔2026〕12号", start_date=TODAY)
    assert application.state == "appointed"
    assert steps_of(application) == [
        ("submitted", "prelim_passed"), ("prelim_passed", "test_passed"), ("test_passed", "shortlisted"),
        ("shortlisted", "approved"), ("approved", "appointed"),
    ]
    approve_step = application.steps[3]
    assert approve_step.actor_id == leader.id and approve_step.at is not None
    assert approve_step.opinion == "2026年第5次局长办公会议审定同意"
    assert application.steps[0].actor_id == office.id
    assert application.test_score == Decimal("86.5")
    assert "86.5" in application.steps[1].opinion
    # the term, permit and pool
    assert term.cohort == 3 and term.doc_no == "武应急〔2026〕12号"
    assert term.start_date == TODAY and term.end_date == TODAY.replace(year=TODAY.year + 3) - dt.timedelta(days=1)
    assert application.expert.stage == "in_pool"
    assert db.session.scalar(select(Permit).where(Permit.term_id == term.id)).permit_no.startswith("WJAQZJ-")
    events = [e.event for e in db.session.scalars(
        select(StatusEvent).where(StatusEvent.expert_id == application.expert_id).order_by(StatusEvent.id))]
    assert events == ["初审通过", "综合素质测试合格", "列入拟聘名单", "局长办公会议审定通过", "聘任为第3届专家"]
    # without the commitment letter (附件1) the new expert is not dispatchable yet
    ok, reasons = dispatchable(application.expert)
    assert not ok and "承诺书" in reasons[0]


# Every step taken from every state it is not allowed from is refused, and nothing changes.
ALL_STATES = ["submitted", "prelim_passed", "test_passed", "shortlisted", "approved"]
STEP_CALLS = {
    "prelim_pass": lambda a, o, lead: review.pass_prelim(a, o),
    "prelim_reject": lambda a, o, lead: review.reject_prelim(a, o, "材料不全"),
    "test": lambda a, o, lead: review.record_test_result(a, o, True, 80),
    "shortlist": lambda a, o, lead: review.shortlist([a], o),
    "approve": lambda a, o, lead: review.approve(a, lead),
    "reject": lambda a, o, lead: review.reject(a, lead, "名额已满"),
    "appoint": lambda a, o, lead: review.appoint(a, o, cohort=1, doc_no="武应急〔2026〕1号", start_date=TODAY),
    "direct": lambda a, o, lead: review.direct_appoint(a, lead, "急需有限空间专家"),
    "withdraw": lambda a, o, lead: review.withdraw(a, o, "本人撤回"),
}
ALLOWED = {
    "prelim_pass": {"submitted"}, "prelim_reject": {"submitted"}, "test": {"prelim_passed"},
    "shortlist": {"test_passed"}, "approve": {"shortlisted"}, "reject": {"shortlisted"}, "appoint": {"approved"},
    "direct": {"submitted", "prelim_passed", "test_passed", "shortlisted"},
    "withdraw": {"submitted", "prelim_passed", "test_passed", "shortlisted", "approved"},
}
CASES = [(step, state) for step in STEP_CALLS for state in ALL_STATES]


@pytest.mark.parametrize("step, state", CASES)
def test_each_step_only_from_its_states(app, office, leader, step, state):
    application = walk_to(state, office, leader)
    before = steps_of(application)
    if state in ALLOWED[step]:
        STEP_CALLS[step](application, office, leader)
        assert application.state != state
        assert len(steps_of(application)) == len(before) + 1
    else:
        with pytest.raises(DomainError) as err:
            STEP_CALLS[step](application, office, leader)
        assert application.state == state
        assert steps_of(application) == before
        assert f"当前为“{application.state_label}”" in str(err.value)


@pytest.mark.parametrize("final", ["prelim_rejected", "test_failed", "rejected", "appointed", "withdrawn"])
def test_nothing_moves_a_finished_application(app, office, leader, final):
    application = make_application(state=final)
    for call in STEP_CALLS.values():
        with pytest.raises(DomainError):
            call(application, office, leader)
    assert application.state == final


def test_approval_before_the_test_result_is_refused_with_the_reason(app, office, leader):
    application = walk_to("prelim_passed", office, leader)
    with pytest.raises(DomainError) as err:
        review.approve(application, leader)
    assert "须先经初审、综合素质测试合格并列入拟聘名单" in str(err.value)
    assert application.state == "prelim_passed"


@pytest.mark.parametrize("step, wrong_role", [
    ("prelim_pass", "leader"), ("test", "leader"), ("shortlist", "leader"), ("appoint", "leader"),
    ("approve", "office"), ("reject", "office"), ("direct", "office"),
    ("prelim_pass", "department"), ("approve", "sysadmin"),
])
def test_roles(app, office, leader, step, wrong_role):
    state = next(iter(sorted(ALLOWED[step])))
    application = walk_to(state, office, leader)
    other = factories.user(role=wrong_role)
    with pytest.raises(DomainError) as err:
        STEP_CALLS[step](application, other, other)
    assert "只有" in str(err.value)
    assert application.state == state


def test_prelim_refused_for_an_ineligible_applicant(app, office):
    application = make_application(make_applicant(education="below", field_start_year=2024))
    with pytest.raises(DomainError) as err:
        review.pass_prelim(application, office, on=dt.date(2026, 6, 1))
    assert "学历" in str(err.value) and "工作经历" in str(err.value)
    assert application.state == "submitted"
    review.reject_prelim(application, office, "学历不符合第十一条（三）")
    assert application.state == "prelim_rejected"
    assert application.expert.stage == "not_appointed"


def test_rejection_needs_a_reason(app, office):
    application = make_application()
    with pytest.raises(DomainError, match="须填写意见"):
        review.reject_prelim(application, office, "  ")
    assert application.state == "submitted"


def test_over_65_needs_the_office_override(app, office, leader):
    old = make_applicant(birth=TODAY.replace(year=TODAY.year - 66) - dt.timedelta(days=1))
    application = make_application(old)
    with pytest.raises(DomainError, match="年龄"):
        review.pass_prelim(application, office)
    with pytest.raises(DomainError, match="只有基础科"):
        review.override_age(application, leader, "急需冶金煤气专家")
    with pytest.raises(DomainError, match="书面说明理由"):
        review.override_age(application, office, "")
    review.override_age(application, office, "急需冶金煤气专家，身体健康")
    assert application.age_override_reason == "急需冶金煤气专家，身体健康"
    assert application.age_override_by_id == office.id
    review.pass_prelim(application, office)
    assert application.state == "prelim_passed"


def test_override_refused_when_not_needed(app, office):
    application = make_application()
    with pytest.raises(DomainError, match="无需特批"):
        review.override_age(application, office, "理由理由")


def test_bulk_test_results_are_all_or_nothing(app, office, leader):
    a = walk_to("prelim_passed", office, leader)
    b = walk_to("prelim_passed", office, leader)
    c = walk_to("submitted", office, leader)
    with pytest.raises(DomainError) as err:
        review.record_test_results([(a, True, 90, ""), (b, False, 40, ""), (c, True, 80, "")], office)
    assert c.expert.name in str(err.value)
    assert (a.state, b.state) == ("prelim_passed", "prelim_passed")
    with pytest.raises(DomainError, match="0到100"):
        review.record_test_results([(a, True, 120, "")], office)
    review.record_test_results([(a, True, "90", ""), (b, False, 40, "笔试不合格")], office)
    assert (a.state, b.state) == ("test_passed", "test_failed")
    assert b.expert.stage == "not_appointed"


def test_test_result_must_be_chosen(app, office, leader):
    a = walk_to("prelim_passed", office, leader)
    with pytest.raises(DomainError, match="测试结果"):
        review.record_test_result(a, office, None, 80)


def test_shortlist_rechecks_every_condition(app, office, leader):
    a = walk_to("test_passed", office, leader)
    a.expert.health_declared = False
    with pytest.raises(DomainError, match="身体健康"):
        review.shortlist([a], office)
    assert a.state == "test_passed"


def test_shortlisted_is_the_candidate_list(app, office, leader):
    a = walk_to("shortlisted", office, leader)
    walk_to("test_passed", office, leader)
    assert review.shortlisted() == [a]


def test_leader_rejects_with_reason(app, office, leader):
    a = walk_to("shortlisted", office, leader)
    review.reject(a, leader, "本届机械组名额已满")
    assert a.state == "rejected" and a.expert.stage == "not_appointed"
    assert a.steps[-1].actor_id == leader.id and a.steps[-1].opinion == "本届机械组名额已满"


def test_approve_many_checks_all_first(app, office, leader):
    a = walk_to("shortlisted", office, leader)
    b = walk_to("test_passed", office, leader)
    with pytest.raises(DomainError):
        review.approve_many([a, b], leader, "同意")
    assert a.state == "shortlisted"
    c = walk_to("shortlisted", office, leader)
    review.approve_many([a, c], leader, "2026年第5次局长办公会议")
    assert a.state == c.state == "approved"


def test_direct_appointment_for_special_needs(app, office, leader):
    # 第十二条(五): no test, the meeting decides; the unmet conditions are written into the record.
    special = make_applicant(education="junior_college", title_level="junior", registered_safety_engineer=False)
    application = make_application(special)
    with pytest.raises(DomainError, match="须填写意见或理由"):
        review.direct_appoint(application, leader, "")
    review.direct_appoint(application, leader, "事故调查急需的爆破专业专家")
    assert application.state == "approved" and application.direct_appointment
    assert "职称或注册资格" in application.steps[-1].opinion
    term = review.appoint(application, office, cohort=3, doc_no="武应急〔2026〕20号", start_date=TODAY)
    assert term.expert.stage == "in_pool"


def test_appoint_many_one_document(app, office, leader):
    a = walk_to("approved", office, leader)
    b = walk_to("approved", office, leader)
    with pytest.raises(DomainError, match="发文文号"):
        review.appoint_many([a, b], office, cohort=3, doc_no="", start_date=TODAY)
    terms = review.appoint_many([a, b], office, cohort=3, doc_no="武应急〔2026〕12号", start_date=TODAY)
    assert {t.doc_no for t in terms} == {"武应急〔2026〕12号"}
    assert a.state == b.state == "appointed"


def test_appoint_refuses_a_dismissed_expert(app, office, leader):
    a = walk_to("approved", office, leader)
    a.expert.stage = "dismissed"
    with pytest.raises(DomainError, match="已被解聘"):
        review.appoint(a, office, cohort=1, doc_no="武应急〔2026〕1号", start_date=TODAY)
    assert a.state == "approved"
    assert db.session.scalar(select(Term).where(Term.expert_id == a.expert_id)) is None


def test_open_application_for_an_existing_record(app, office):
    expert = make_applicant(stage="not_appointed")
    town = factories.org_unit(name="湖塘镇", kind="town")
    section = factories.org_unit(name="综合科", kind="section")
    with pytest.raises(DomainError, match="不是镇安监科"):
        review.open_application(expert, channel="town", actor=office, recommending_unit=section,
                                opinion="同意推荐", contact="张三", phone="0519-86310627")
    with pytest.raises(DomainError, match="经办联系人"):
        review.open_application(expert, channel="town", actor=office, recommending_unit=town, opinion="同意推荐")
    application = review.open_application(expert, channel="town", actor=office, recommending_unit=town,
                                          opinion="同意推荐", contact="张三", phone="0519-86310627")
    assert application.state == "submitted" and application.receipt_no.startswith("TJ")
    assert expert.stage == "applicant" and expert.recommender_contact == "张三"
    assert application.recommending_unit_name == "湖塘镇"
    with pytest.raises(DomainError, match="进行中的申请"):
        review.open_application(expert, channel="self", actor=office)


def test_open_application_refuses_pool_member_unless_renewal(app, office):
    expert = factories.appointed_expert()
    with pytest.raises(DomainError, match="在聘期内"):
        review.open_application(expert, channel="self", actor=office)
    application = review.open_application(expert, channel="self", actor=office, is_renewal=True)
    assert application.is_renewal


def test_available_steps_per_role(app, office, leader):
    a = walk_to("shortlisted", office, leader)
    assert [s.code for s in review.available_steps(a, "leader")] == ["approve", "reject", "direct"]
    assert [s.code for s in review.available_steps(a, "office")] == ["withdraw"]
