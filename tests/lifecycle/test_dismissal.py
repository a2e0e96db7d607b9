"""Dismissal (第十三条): proposal list, approval by a leader, immediate effect, announcement."""
import datetime as dt

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle import dismissal as dm
from app.services.permits.issuing import current_permit, issue_permit
from app.services.status import dispatchable, status_of
from models import Dismissal, Permit, StatusEvent
from models.choices import DISMISSAL_REASONS
from tests import factories

TODAY = clock.today()


@pytest.fixture
def member(app):
    expert = factories.appointed_expert(name="钱卫东")
    issue_permit(expert, expert.terms[0])
    return expert


@pytest.mark.parametrize("reason", sorted(DISMISSAL_REASONS))
def test_the_seven_reasons(app, office, member, reason):
    proposal = dm.propose_by_office(member, reason, "事实和依据", office)
    assert proposal.state == "proposed" and proposal.reason_label == DISMISSAL_REASONS[reason]


def test_unknown_reason_refused(app, office, member):
    with pytest.raises(DomainError, match="七种情形"):
        dm.propose_by_office(member, "8", "无", office)


def test_office_proposes_with_facts_only(app, office, leader, member):
    with pytest.raises(DomainError, match="事实和依据"):
        dm.propose_by_office(member, "1", "", office)
    with pytest.raises(DomainError, match="只有基础科"):
        dm.propose_by_office(member, "1", "本人申请", leader)
    dm.propose_by_office(member, "1", "本人书面申请退出", office)
    with pytest.raises(DomainError, match="同一理由"):
        dm.propose_by_office(member, "1", "再次", office)
    assert dm.pending_dismissals()[0].expert == member


def test_rules_add_to_the_list_with_the_same_signature(app, member):
    first = dm.propose_dismissal(member, "4", origin="absence", detail="连续三次无正当理由不参加")
    again = dm.propose_dismissal(member, "4", origin="absence", detail="年内累计五次")
    assert first is again and "年内累计五次" in first.detail
    assert first.proposed_by_id is None
    event = db.session.scalar(select(StatusEvent).where(StatusEvent.expert_id == member.id))
    assert event.event == "列入拟解聘名单" and "缺席规则" in event.reason and event.actor_id is None


def test_approval_removes_the_expert_from_dispatch_at_once(app, office, leader, member):
    assert dispatchable(member) == (True, ())
    proposal = dm.propose_by_office(member, "5", "事故调查中出具错误结论，造成严重后果", office)
    dm.propose_dismissal(member, "4", origin="absence", detail="连续三次不参加")
    assert dispatchable(member)[0]  # a proposal alone changes nothing
    dm.approve_dismissal(proposal, leader, note="2026年第6次局长办公会议同意")
    assert proposal.state == "approved" and proposal.decided_by_id == leader.id
    assert proposal.effective_on == TODAY
    ok, reasons = dispatchable(member)
    assert not ok and "已解聘" in reasons[0]
    assert status_of(member).code == "dismissed"
    assert member.stage == "dismissed"
    assert current_permit(member) is None
    assert all(
        p.revoked_at is not None for p in db.session.scalars(select(Permit).where(Permit.expert_id == member.id))
    )
    assert member.terms[0].ended_on == TODAY
    other = db.session.scalar(select(Dismissal).where(Dismissal.reason == "4"))
    assert other.state == "rejected" and "合并处理" in other.decision_note


def test_office_cannot_approve(app, office, member):
    proposal = dm.propose_by_office(member, "1", "本人申请", office)
    with pytest.raises(DomainError, match="只有局领导"):
        dm.approve_dismissal(proposal, office)
    assert proposal.state == "proposed" and dispatchable(member)[0]


@pytest.mark.parametrize("delta, message", [(1, "不能晚于批准当日"), (-3, "不能早于提出解聘的日期")])
def test_effective_date_bounds(app, office, leader, member, delta, message):
    proposal = dm.propose_by_office(member, "3", "工作调动至外地", office)
    with pytest.raises(DomainError, match=message):
        dm.approve_dismissal(proposal, leader, effective_on=TODAY + dt.timedelta(days=delta))
    assert proposal.state == "proposed"


def test_reject_needs_a_reason_and_keeps_the_expert(app, office, leader, member):
    proposal = dm.propose_by_office(member, "6", "年度考核不合格", office)
    with pytest.raises(DomainError, match="写明理由"):
        dm.reject_dismissal(proposal, leader, "")
    dm.reject_dismissal(proposal, leader, "经约谈已达到工作要求")
    assert proposal.state == "rejected" and member.stage == "in_pool" and dispatchable(member)[0]
    with pytest.raises(DomainError, match="已处理"):
        dm.approve_dismissal(proposal, leader)
