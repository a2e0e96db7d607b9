"""Penalties bite at once (SPEC §3.16; 第十三条, 第二十一条): a verified suspension or blacklisting,
or an approved dismissal, takes the expert off every open job from the day it takes effect; he
cannot accept or complete work from that day; work done before stays paid."""
import datetime as dt
import itertools
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.discipline import ladder
from app.services.dispatch import withdrawal
from app.services.dispatch.completion import complete_assignment
from app.services.dispatch.responses import respond
from app.services.errors import DomainError
from app.services.fees.pricing import price_record
from app.services.lifecycle import dismissal as dismissals
from app.services.proposals import propose_dismissal
from models import Assignment, ServiceRecord, StatusEvent, UsageRequest, Violation
from tests import factories

TODAY = clock.today()
_seq = itertools.count(1)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def job(unit, expert, on: dt.date, *, response="pending", backup=None, until: dt.date | None = None):
    """A request of ``unit`` on ``on`` (to ``until``) with ``expert`` on it and perhaps a backup."""
    req = UsageRequest(request_no=f"WD-{next(_seq):05d}", unit=unit, activity_type="inspection",
                       subject="危化品企业执法检查", start_date=on, end_date=until or on, headcount=1, backups=1,
                       state="dispatched")
    req.enterprises = [factories.enterprise()]
    db.session.add(req)
    mine = Assignment(request=req, expert=expert, response=response, rank=1)
    db.session.add(mine)
    if backup is not None:
        db.session.add(Assignment(request=req, expert=backup, response="pending", is_backup=True, rank=2))
    db.session.flush()
    return mine


def done(unit, expert, on: dt.date) -> ServiceRecord:
    """A job on ``on`` the expert accepted and completed, with its fee priced."""
    a = job(unit, expert, on, response="accepted")
    with clock.frozen(clock.at_local(on, dt.time(18))):
        record = complete_assignment(a, attended=True, units=1)
    price_record(record)
    return record


@pytest.fixture
def world(app):
    unit = factories.org_unit(name="应急管理综合行政执法大队一中队", kind="brigade")
    office = factories.user(role="office")
    leader = factories.user(role="leader")
    expert = factories.appointed_expert(start=dt.date(2026, 1, 1), name="王建国")
    backup = factories.appointed_expert(start=dt.date(2026, 1, 1), name="李志强")
    return unit, office, leader, expert, backup


def suspend(expert, office, verified_on=TODAY):
    """A first violation long ago (警告), then one found now: 约谈 + 暂停三个月 from ``verified_on``."""
    db.session.add(Violation(expert=expert, found_on=day(-200), finding="未按时到达", state="verified",
                             verified_on=day(-199), sanction="warning", sanction_start=day(-199)))
    v = ladder.record_violation(expert, verified_on, "向企业索要礼品", today=TODAY)
    step = ladder.verify_violation(v, verified_on=verified_on, investigation="经调查属实", actor=office, today=TODAY)
    assert step.sanction == "suspension"
    return step


def test_a_verified_suspension_releases_open_jobs_and_keeps_work_done_before(world):
    unit, office, _, expert, backup = world
    earlier = done(unit, expert, day(-5))
    with_backup = job(unit, expert, day(5), backup=backup)
    accepted = job(unit, expert, day(10), response="accepted")

    suspend(expert, office)

    for a in (with_backup, accepted):
        assert a.response == "withdrawn"
        assert "暂停专家资格" in a.response_reason and "第二十一条" in a.response_reason
    promoted = next(a for a in with_backup.request.assignments if a.expert_id == backup.id)
    assert promoted.is_backup is False  # the draw's backup took the place
    assert not withdrawal.needs_redraw(with_backup.request)
    assert withdrawal.needs_redraw(accepted.request)  # no backup: the unit must draw again
    assert withdrawal.requests_to_redraw(unit.id) == [accepted.request]
    # the job done before the suspension stays as it was, and paid
    assert db.session.get(Assignment, earlier.assignment_id).response == "accepted"
    assert earlier.amount == Decimal("1000.00")
    events = db.session.scalars(select(StatusEvent.event).where(StatusEvent.expert_id == expert.id)).all()
    assert sum(e.startswith("解除选派") for e in events) == 2


def test_a_job_that_ends_before_the_penalty_is_not_touched(world):
    unit, office, _, expert, _ = world
    # A suspension verified today but dated back: a job that ended before it is kept.
    before = job(unit, expert, day(-3), response="accepted")
    after = job(unit, expert, day(-1), response="accepted", until=day(1))  # runs into the suspension
    suspend(expert, office, verified_on=day(-2))
    assert before.response == "accepted"
    assert after.response == "withdrawn"


def test_a_released_or_suspended_expert_cannot_accept(world):
    unit, office, _, expert, _ = world
    released = job(unit, expert, day(5))
    suspend(expert, office)
    with pytest.raises(DomainError, match="已被解除本次任务"):
        respond(released, "accepted", by_expert=True)
    # asked again while suspended (e.g. designated by hand): refused, with the reason
    later = job(unit, expert, day(20))
    with pytest.raises(DomainError, match=r"王建国\d{4}年\d+月\d+日不可派遣（暂停.*第二十一条"):
        respond(later, "accepted", by_expert=True)
    # declining is still possible
    respond(later, "declined_justified", reason="资格暂停中", by_expert=True)


def test_work_dated_on_or_after_a_penalty_cannot_be_completed(world):
    unit, _, _, expert, _ = world
    # A suspension recorded without going through the ladder's release (as an older database
    # may hold it): completion still refuses work from its first day.
    db.session.add(Violation(expert=expert, found_on=day(-4), finding="x", state="verified", verified_on=day(-3),
                             sanction="suspension", sanction_start=day(-3), sanction_end=day(90)))
    inside = job(unit, expert, day(-2), response="accepted")
    with pytest.raises(DomainError, match="暂停专家资格.*不能登记完成，也不予支付"):
        complete_assignment(inside, attended=True, units=1)
    assert inside.completed_at is None
    before = job(unit, expert, day(-5), response="accepted")
    assert complete_assignment(before, attended=True, units=1) is not None  # before the penalty: fine


def test_an_approved_dismissal_releases_jobs_and_takes_back_unpaid_fees_from_its_day(world):
    unit, office, leader, expert, backup = world
    paid_before = done(unit, expert, day(-6))
    recorded_after = done(unit, expert, day(-2))  # recorded before the decision, dated after its effect
    open_job = job(unit, expert, day(3), backup=backup)
    proposal = propose_dismissal(expert, "1", detail="本人申请不再参加专家组工作")
    proposal.proposed_at = clock.at_local(day(-10))

    dismissals.approve_dismissal(proposal, leader, effective_on=day(-3), today=TODAY)

    assert open_job.response == "withdrawn" and "解聘" in open_job.response_reason
    assert "第十三条" in open_job.response_reason
    assert paid_before.amount == Decimal("1000.00")  # work before stays paid
    assert recorded_after.amount is None  # taken back: not paid
    with pytest.raises(DomainError, match="解聘.*不予支付"):
        price_record(recorded_after)


def test_a_blacklisting_releases_jobs_too(world):
    unit, office, _, expert, _ = world
    db.session.add(Violation(expert=expert, found_on=day(-300), finding="a", state="verified", verified_on=day(-300),
                             sanction="warning", sanction_start=day(-300)))
    db.session.add(Violation(expert=expert, found_on=day(-250), finding="b", state="verified", verified_on=day(-250),
                             sanction="suspension", sanction_start=day(-250), sanction_end=day(-160)))
    open_job = job(unit, expert, day(2))
    v = ladder.record_violation(expert, TODAY, "再次违反专家义务", today=TODAY)
    step = ladder.verify_violation(v, investigation="属实", actor=office, today=TODAY)
    assert step.sanction == "blacklist"
    assert open_job.response == "withdrawn" and "列入黑名单" in open_job.response_reason


def test_a_warning_releases_nothing(world):
    unit, office, _, expert, _ = world
    open_job = job(unit, expert, day(2))
    v = ladder.record_violation(expert, TODAY, "未佩戴工作证", today=TODAY)
    assert ladder.verify_violation(v, investigation="属实", actor=office, today=TODAY).sanction == "warning"
    assert open_job.response == "pending"
