"""The discipline ladder of 第二十一条: 警告 → 约谈 + 暂停三个月 → 黑名单三年, with dates,
and the expert's status computed from them (no job ends a suspension)."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.discipline.ladder import (
    PastViolation,
    add_months,
    dismiss_violation,
    next_step,
    open_draft_from_low_score,
    record_violation,
    verify_violation,
)
from app.services.errors import DomainError
from app.services.status import status_of
from models import CommitmentLetter, Interview, Setting, StatusEvent, Term, Violation
from tests import factories
from tests.discipline import records

D = dt.date


@pytest.mark.parametrize("start, months, first_usable_day", [
    (D(2027, 6, 15), 3, D(2027, 9, 15)),      # the same day of the month, three months later
    (D(2027, 11, 30), 3, D(2028, 2, 29)),     # no 30 February: the month's last day, a leap day
    (D(2026, 11, 30), 3, D(2027, 2, 28)),     # ... and in a common year
    (D(2027, 11, 29), 3, D(2028, 2, 29)),
    (D(2027, 10, 31), 3, D(2028, 1, 31)),     # across the year end
    (D(2027, 5, 31), 3, D(2027, 8, 31)),
    (D(2027, 8, 31), 3, D(2027, 11, 30)),     # no 31 November
    (D(2028, 2, 29), 36, D(2031, 2, 28)),     # blacklist from a leap day: 2031 has no 29 February
    (D(2028, 2, 29), 48, D(2032, 2, 29)),
    (D(2027, 3, 1), 36, D(2030, 3, 1)),
])
def test_add_months(start, months, first_usable_day):
    assert add_months(start, months) == first_usable_day


W = PastViolation(found_on=D(2027, 1, 5), sanction="warning", start=D(2027, 1, 10))
S = PastViolation(found_on=D(2027, 2, 20), sanction="suspension", start=D(2027, 3, 1), end=D(2027, 6, 1))
B = PastViolation(found_on=D(2028, 1, 1), sanction="blacklist", start=D(2028, 1, 1), end=D(2031, 1, 1))
R = PastViolation(found_on=D(2027, 4, 1), sanction=None)  # recorded during the suspension, no step


@pytest.mark.parametrize("history, found_on, verified_on, sanction, start, end", [
    # 属首次发现的，给予警告 (a warning has no end)
    ([], D(2027, 1, 5), D(2027, 1, 10), "warning", D(2027, 1, 10), None),
    # 经警告后再次发现的，约谈并暂停专家资格三个月 (from the verification day)
    ([W], D(2027, 2, 20), D(2027, 3, 1), "suspension", D(2027, 3, 1), D(2027, 6, 1)),
    ([W], D(2027, 11, 20), D(2027, 11, 30), "suspension", D(2027, 11, 30), D(2028, 2, 29)),
    # found before or on the day of the warning: the same first discovery, no further step
    ([W], D(2027, 1, 8), D(2027, 1, 20), None, None, None),
    ([W], D(2027, 1, 10), D(2027, 1, 20), None, None, None),
    # 恢复专家资格后仍存在违反专家义务情形的，列入黑名单 (three years)
    ([W, S], D(2027, 6, 1), D(2027, 6, 3), "blacklist", D(2027, 6, 3), D(2030, 6, 3)),
    ([W, S, R], D(2028, 2, 29), D(2028, 2, 29), "blacklist", D(2028, 2, 29), D(2031, 2, 28)),
    # found before reinstatement (during the suspension, or before it began): recorded, no step
    ([W, S], D(2027, 4, 15), D(2027, 4, 20), None, None, None),
    ([W, S], D(2027, 5, 31), D(2027, 6, 5), None, None, None),
    ([W, S], D(2027, 2, 25), D(2027, 3, 20), None, None, None),
    # while blacklisted: recorded, the blacklist is not restarted; after it ran out: blacklisted again
    ([W, S, B], D(2029, 5, 1), D(2029, 5, 2), None, None, None),
    ([W, S, B], D(2031, 1, 1), D(2031, 1, 5), "blacklist", D(2031, 1, 5), D(2034, 1, 5)),
])
def test_next_step(history, found_on, verified_on, sanction, start, end):
    step = next_step(history, found_on, verified_on)
    assert (step.sanction, step.start, step.end) == (sanction, start, end)
    assert step.interview == (sanction == "suspension")  # 约谈 goes with the suspension


def _violation(expert, found_on, today):
    v = record_violation(expert, found_on, "向服务企业推销安全托管服务", today=today)
    v.investigation = "经调查核实，情况属实。"
    return v


def _two_terms():
    """An expert appointed 2026-06-01 and renewed 2029-06-01 (two 3-year terms), letters signed."""
    expert = factories.appointed_expert(D(2026, 6, 1), D(2029, 5, 31))
    db.session.add(Term(expert=expert, cohort=2, start_date=D(2029, 6, 1), end_date=D(2032, 5, 31), is_renewal=True))
    db.session.add(CommitmentLetter(expert=expert, signed_on=D(2029, 6, 1)))
    db.session.flush()
    return expert


def test_ladder_step_by_step_with_its_dates_and_status(app):
    expert = _two_terms()
    assert status_of(expert, D(2027, 1, 9)).dispatchable

    # 1. first verified violation: a warning, which restricts nothing
    v1 = _violation(expert, D(2027, 1, 5), today=D(2027, 1, 10))
    step = verify_violation(v1, today=D(2027, 1, 10))
    assert (v1.state, v1.sanction, v1.sanction_start, v1.sanction_end) == ("verified", "warning", D(2027, 1, 10), None)
    assert step.label == "警告"
    assert status_of(expert, D(2027, 1, 10)).code == "valid" and status_of(expert, D(2027, 1, 10)).dispatchable

    # 2. found again after the warning: 约谈 + suspension of three months from the verification day
    v2 = _violation(expert, D(2027, 11, 20), today=D(2027, 11, 30))
    verify_violation(v2, today=D(2027, 11, 30))
    assert (v2.sanction, v2.sanction_start, v2.sanction_end) == ("suspension", D(2027, 11, 30), D(2028, 2, 29))
    assert status_of(expert, D(2027, 11, 29)).code == "valid"
    suspended = status_of(expert, D(2027, 11, 30))
    assert suspended.code == "suspended" and not suspended.dispatchable
    assert suspended.display == "暂停（至2028年2月28日）"
    assert status_of(expert, D(2028, 2, 28)).code == "suspended"
    # the suspension ends by itself on its date (a leap day): no job, no manual step
    back = status_of(expert, D(2028, 2, 29))
    assert back.code == "valid" and back.dispatchable
    interview = db.session.scalar(select(Interview).where(Interview.violation_id == v2.id))
    assert interview is not None and interview.held_on is None  # 约谈 to be held

    # 3. still violating after reinstatement (found on the first day back): blacklist for three years
    v3 = _violation(expert, D(2028, 2, 29), today=D(2028, 2, 29))
    verify_violation(v3, today=D(2028, 2, 29))
    assert (v3.sanction, v3.sanction_start, v3.sanction_end) == ("blacklist", D(2028, 2, 29), D(2031, 2, 28))
    listed = status_of(expert, D(2028, 2, 29))
    assert listed.code == "blacklisted" and not listed.dispatchable
    assert status_of(expert, D(2030, 12, 31)).code == "blacklisted"
    assert status_of(expert, D(2031, 2, 27)).display == "黑名单（至2031年2月27日）"
    assert status_of(expert, D(2031, 2, 28)).code == "valid"

    events = [e.event for e in db.session.scalars(select(StatusEvent).where(StatusEvent.expert_id == expert.id)
                                                  .order_by(StatusEvent.id))]
    assert events == ["警告（第二十一条）", "约谈并暂停专家资格三个月（第二十一条）", "列入黑名单三年（第二十一条）"]


def test_second_violation_during_suspension_is_recorded_and_suspension_runs_on(app):
    expert = _two_terms()
    verify_violation(_violation(expert, D(2027, 1, 5), today=D(2027, 1, 10)), today=D(2027, 1, 10))
    suspension = _violation(expert, D(2027, 2, 20), today=D(2027, 3, 1))
    verify_violation(suspension, today=D(2027, 3, 1))
    assert suspension.sanction_end == D(2027, 6, 1)

    during = _violation(expert, D(2027, 4, 15), today=D(2027, 4, 20))
    step = verify_violation(during, today=D(2027, 4, 20))
    assert during.state == "verified" and during.sanction is None and step.sanction is None
    assert "不自动加重" in during.ladder_note and "第十三条(七)" in during.ladder_note
    # neither extended nor escalated: usable again on the original day
    assert suspension.sanction_end == D(2027, 6, 1)
    assert status_of(expert, D(2027, 5, 31)).code == "suspended"
    assert status_of(expert, D(2027, 6, 1)).code == "valid"
    assert db.session.scalar(select(StatusEvent.event).where(StatusEvent.expert_id == expert.id)
                             .order_by(StatusEvent.id.desc()).limit(1)) == "违规已核实（未另行处罚）（第二十一条）"

    # a violation found after reinstatement blacklists
    after = _violation(expert, D(2027, 7, 1), today=D(2027, 7, 2))
    verify_violation(after, today=D(2027, 7, 2))
    assert after.sanction == "blacklist"
    assert status_of(expert, D(2027, 7, 2)).code == "blacklisted"


def test_illegal_act_is_referred_and_the_ladder_applies_besides(app):
    expert = factories.appointed_expert(D(2026, 1, 1), D(2028, 12, 31))
    v = _violation(expert, D(2026, 10, 1), today=D(2026, 10, 9))
    v.illegal_referral = True
    with pytest.raises(DomainError, match="移送情况"):
        verify_violation(v, today=D(2026, 10, 9))
    assert v.state == "draft"
    v.referral_note = "2026年10月9日移送区市场监督管理局"
    verify_violation(v, today=D(2026, 10, 9))
    assert v.sanction == "warning" and v.illegal_referral
    events = list(db.session.scalars(select(StatusEvent.event).where(StatusEvent.expert_id == expert.id)))
    assert "违法违规行为移送处理" in events


@pytest.mark.parametrize("change, verified_on, message", [
    (lambda v: setattr(v, "investigation", ""), D(2026, 10, 9), "调查核实结果"),
    (lambda v: None, D(2026, 9, 30), "不能早于发现日期"),
    (lambda v: None, D(2026, 10, 10), "不能晚于今天"),
    (lambda v: setattr(v, "state", "dismissed"), D(2026, 10, 9), "不能再次核实"),
])
def test_verification_refusals_change_nothing(app, change, verified_on, message):
    expert = factories.appointed_expert(D(2026, 1, 1), D(2028, 12, 31))
    v = _violation(expert, D(2026, 10, 1), today=D(2026, 10, 9))
    change(v)
    state = v.state
    with pytest.raises(DomainError, match=message):
        verify_violation(v, verified_on=verified_on, today=D(2026, 10, 9))
    assert v.state == state and v.sanction is None and v.sanction_start is None
    assert db.session.scalar(select(StatusEvent.id).where(StatusEvent.expert_id == expert.id)) is None


def test_verification_may_not_go_back_before_the_previous_one(app):
    expert = factories.appointed_expert(D(2026, 1, 1), D(2028, 12, 31))
    verify_violation(_violation(expert, D(2026, 5, 1), today=D(2026, 5, 10)), today=D(2026, 5, 10))
    late = _violation(expert, D(2026, 4, 1), today=D(2026, 6, 1))
    with pytest.raises(DomainError, match="上一次违规的核实日期"):
        verify_violation(late, verified_on=D(2026, 5, 2), today=D(2026, 6, 1))


def test_dismissed_draft_has_no_consequence(app):
    expert = factories.appointed_expert(D(2026, 1, 1), D(2028, 12, 31))
    v = _violation(expert, D(2026, 5, 1), today=D(2026, 5, 10))
    with pytest.raises(DomainError, match="理由"):
        dismiss_violation(v, " ")
    dismiss_violation(v, "经调查，企业反映情况不属实。")
    assert v.state == "dismissed" and v.sanction is None
    # the next verified violation is still a first discovery
    nxt = _violation(expert, D(2026, 6, 1), today=D(2026, 6, 2))
    verify_violation(nxt, today=D(2026, 6, 2))
    assert nxt.sanction == "warning"
    with pytest.raises(DomainError):
        dismiss_violation(nxt, "理由")


def test_recording_refuses_missing_finding_and_future_dates(app):
    expert = factories.appointed_expert(D(2026, 1, 1), D(2028, 12, 31))
    with pytest.raises(DomainError, match="违规情形"):
        record_violation(expert, D(2026, 5, 1), "  ", today=D(2026, 5, 2))
    with pytest.raises(DomainError, match="发现日期"):
        record_violation(expert, D(2026, 5, 3), "迟到", today=D(2026, 5, 2))
    assert db.session.scalar(select(Violation.id)) is None


# -- a very low item score opens a draft for the office, never a sanction ---------------------

def test_low_item_score_opens_one_draft_listing_the_items(app):
    expert = factories.appointed_expert(D(2026, 1, 1), D(2028, 12, 31))
    # position 2: 发现及分析问题、隐患的能力 (10): 3 < 4; position 7: 遵纪守法…不“吃拿卡要” (5): 1 < 2
    ev = records.evaluation(expert, D(2026, 9, 1), low={2: (3, "未发现明显隐患"), 7: (1, "接受企业宴请")})
    draft = open_draft_from_low_score(ev)
    assert draft is not None and draft.state == "draft" and draft.sanction is None
    assert draft.evaluation_id == ev.id and draft.found_on == D(2026, 9, 1)
    assert "发现及分析问题、隐患的能力：3/10分（发现问题：未发现明显隐患）" in draft.finding
    assert "1/5分（发现问题：接受企业宴请）" in draft.finding
    assert open_draft_from_low_score(ev).id == draft.id  # one per evaluation
    assert db.session.scalar(select(Violation.id).where(Violation.id != draft.id)) is None
    assert status_of(expert, D(2026, 9, 1)).dispatchable  # a draft changes nothing for the expert


@pytest.mark.parametrize("ratio, item_score, opens", [
    ("0.4", 3, True),    # 3 < 4 of 10
    ("0.4", 4, False),   # exactly 40 % is not "below"
    ("0.5", 4, True),    # the threshold is a setting
    ("0", 0, False),     # 0 switches the rule off
])
def test_low_score_threshold_is_a_setting(app, ratio, item_score, opens):
    db.session.get(Setting, "low_item_ratio").value = ratio
    expert = factories.appointed_expert(D(2026, 1, 1), D(2028, 12, 31))
    ev = records.evaluation(expert, D(2026, 9, 1), low={2: (item_score, None)})
    assert (open_draft_from_low_score(ev) is not None) == opens


def test_blacklist_announcement_is_drafted_once_with_public_facts_only(app):
    from app.services.discipline.ladder import draft_blacklist_announcement

    expert = _two_terms()
    for found, verified in ((D(2027, 1, 5), D(2027, 1, 10)), (D(2027, 2, 20), D(2027, 3, 1)),
                            (D(2028, 2, 29), D(2028, 2, 29))):
        v = _violation(expert, found, today=verified)
        verify_violation(v, today=verified)
    ann = draft_blacklist_announcement(v)
    assert (ann.kind, ann.published) == ("blacklist", False)
    assert "2028年2月29日起至2031年2月27日止" in ann.body and "不得在武进区行政区域范围内开展中介活动" in ann.body
    (entry,) = ann.entries
    assert (entry.name, entry.remark) == (expert.name, "黑名单期限：2028-02-29至2031-02-27")
    assert expert.id_number not in ann.body
    assert draft_blacklist_announcement(v).id == ann.id
    warning = db.session.scalar(select(Violation).where(Violation.sanction == "warning"))
    with pytest.raises(DomainError, match="黑名单"):
        draft_blacklist_announcement(warning)
