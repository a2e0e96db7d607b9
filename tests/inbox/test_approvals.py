"""待我审批: what waits for a leader, and deciding it through the areas' own rules."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.errors import DomainError
from app.services.inbox import approvals
from app.services.permits.issuing import current_permit
from models import ReviewStep
from tests import factories


def test_every_kind_waits_for_the_leader_with_its_count(waiting):
    found = approvals.waiting()
    assert [i.name for i in found["appointment"]] == ["张三"]
    assert [i.name for i in found["direct"]] == ["李四"]
    assert "有限空间事故调查急需的检测专家" in found["direct"][0].facts
    assert [i.name for i in found["dismissal"]] == ["钱卫东"]
    assert [i.name for i in found["fee"]] == ["省库专家"]
    assert found["fee"][0].asked == "建议金额 1,800.00 元"
    assert approvals.counts() == {"appointment": 1, "direct": 1, "dismissal": 1, "fee": 1}


def test_the_leaders_badge_is_counted_in_one_statement(waiting):
    from sqlalchemy import event

    sent = []
    event.listen(db.engine, "before_cursor_execute", note := lambda _c, _cur, statement, *_a: sent.append(statement))
    try:
        assert sum(approvals.counts().values()) == 4
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert [s for s in sent if not s.startswith("BEGIN")] == sent[-1:]  # one SELECT


def test_a_fee_without_a_proposal_waits_for_the_unit_not_the_leader(waiting, office):
    from tests.fees.records import service_record

    service_record(factories.expert(name="库外专家", source="outside"), activity="other")
    db.session.commit()
    assert approvals.counts()["fee"] == 1


def test_approving_one_of_each_kind_records_who_and_when(waiting, leader):
    keys = [(kind, row.id) for kind, row in waiting.items()]
    names = approvals.decide(keys, "approve", leader, "")
    db.session.commit()
    assert names == ["张三", "李四", "钱卫东", "省库专家"]
    assert waiting["appointment"].state == "approved"
    assert waiting["direct"].state == "approved" and waiting["direct"].direct_appointment
    assert waiting["dismissal"].state == "approved" and waiting["dismissal"].decided_by_id == leader.id
    assert current_permit(waiting["dismissal"].expert) is None  # revoked at once (第十三条)
    assert waiting["fee"].approved_by_id == leader.id and waiting["fee"].amount == 1800
    assert approvals.counts() == {"appointment": 0, "direct": 0, "dismissal": 0, "fee": 0}
    recent = approvals.recent_decisions()
    assert {(d.name, d.who) for d in recent} >= {("张三", "王局长"), ("李四", "王局长"), ("钱卫东", "王局长"),
                                                 ("省库专家", "王局长")}
    assert all(d.at is not None for d in recent)


def test_refusing_needs_a_reason_and_changes_nothing_without_one(waiting, leader):
    keys = [("appointment", waiting["appointment"].id)]
    with pytest.raises(DomainError, match="须填写理由"):
        approvals.decide(keys, "refuse", leader, "  ")
    assert waiting["appointment"].state == "shortlisted"


def test_refusing_each_kind_keeps_the_reason(waiting, leader):
    keys = [(kind, row.id) for kind, row in waiting.items()]
    approvals.decide(keys, "refuse", leader, "材料不全，请补充后再报")
    db.session.commit()
    assert waiting["appointment"].state == "rejected"
    assert waiting["direct"].state == "submitted" and waiting["direct"].direct_proposed_at is None
    assert waiting["dismissal"].state == "rejected" and "材料不全" in waiting["dismissal"].decision_note
    assert waiting["fee"].proposed_amount is None and "材料不全" in waiting["fee"].note
    opinions = db.session.scalars(select(ReviewStep.opinion).where(ReviewStep.actor_id == leader.id)).all()
    assert any("材料不全" in o for o in opinions)


def test_one_refusal_saves_nothing(waiting, leader, app):
    """An item already decided elsewhere makes the whole decision refused, naming it."""
    waiting["appointment"].state = "rejected"
    db.session.commit()
    keys = [("appointment", waiting["appointment"].id), ("dismissal", waiting["dismissal"].id)]
    with pytest.raises(DomainError) as err:
        approvals.decide(keys, "approve", leader)
    assert "张三" in str(err.value) and "未作任何修改" in str(err.value)
    db.session.rollback()
    assert waiting["dismissal"].state == "proposed"


@pytest.mark.parametrize("role", ["office", "sysadmin", "department", "town", "expert"])
def test_only_a_leader_decides(waiting, role):
    user = factories.user(role=role)
    with pytest.raises(DomainError, match="只有局领导"):
        approvals.decide([("dismissal", waiting["dismissal"].id)], "approve", user)


def test_keys_from_a_form_are_parsed_and_unknown_ones_dropped():
    assert approvals.parse_keys(["appointment:3", "fee:x", "bogus:1", "appointment:3", "fee:7"]) == [
        ("appointment", 3), ("fee", 7)]
