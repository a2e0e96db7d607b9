"""Emergency use first, paperwork after (第十五条); completion → service record (第十九、二十条); fairness."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.dispatch import candidates, completion, draws, fairness, paperwork, responses, usage_requests
from app.services.errors import DomainError
from models import ServiceRecord, Setting
from tests import factories
from tests.dispatch.records import group_ids, new_request, pool

FRIDAY = dt.date(2026, 6, 12)  # the next Monday–Wednesday are ordinary working days


def _emergency(unit, start=FRIDAY, **kw):
    args = dict(unit=unit, activity_type="emergency", subject="某化工企业储罐泄漏应急处置", start_date=start,
                end_date=start, groups=group_ids("化工"), enterprises=[factories.enterprise()], headcount=1,
                backups=1, today=start)
    args.update(kw)
    return usage_requests.create_request(**args)


def test_an_emergency_is_drawn_at_once_with_a_paperwork_deadline(app, section):
    pool(3)
    req = _emergency(section)
    assert req.emergency and req.emergency_reason == "emergency"
    assert req.state == "dispatched" and len(req.draws) == 1
    assert req.paperwork_due == dt.date(2026, 6, 17)  # Friday + 3 working days, over the weekend


@pytest.mark.parametrize("today, overdue", [
    (dt.date(2026, 6, 15), False),  # Monday
    (dt.date(2026, 6, 17), False),  # the due day itself
    (dt.date(2026, 6, 18), True),   # Thursday
])
def test_overdue_paperwork_across_a_weekend(app, section, town, today, overdue):
    pool(3)
    mine = _emergency(section)
    theirs = _emergency(town, emergency_reason="report_check", activity_type="inspection")
    assert theirs.paperwork_due == dt.date(2026, 6, 17)
    listed_for_section = paperwork.overdue_paperwork(section, today=today)
    listed_for_office = paperwork.overdue_paperwork(None, today=today)
    assert (mine in listed_for_section) is overdue and theirs not in listed_for_section
    assert set(listed_for_office) == ({mine, theirs} if overdue else set())


def test_the_deadline_is_a_setting(app, section):
    pool(3)
    db.session.get(Setting, "emergency_paperwork_days").value = "5"
    # 15–18 June, then 端午节 on Friday 19 June and the weekend: the fifth working day is Monday 22 June.
    assert _emergency(section).paperwork_due == dt.date(2026, 6, 22)


def test_completing_paperwork_clears_the_overdue_listing(app, section):
    pool(3)
    req = _emergency(section)
    with pytest.raises(DomainError, match="书面理由|补办手续"):
        paperwork.complete_paperwork(req, "")
    paperwork.complete_paperwork(req, "已补录事故现场情况及专家使用审批单")
    assert req not in paperwork.overdue_paperwork(None, today=dt.date(2026, 7, 1))
    assert "事后补办说明" in req.description


def test_a_normal_request_cannot_start_in_the_past(app, section):
    pool(3)
    with pytest.raises(DomainError, match="紧急情况"):
        usage_requests.create_request(unit=section, activity_type="inspection", subject="检查", start_date=FRIDAY,
                                      end_date=FRIDAY, groups=group_ids("化工"), enterprises=[factories.enterprise()],
                                      headcount=1, today=FRIDAY + dt.timedelta(days=1))


def test_completion_creates_the_service_record(app, section):
    pool(3)
    req = new_request(section, headcount=1, backups=0)
    draws.draw(req)
    a = req.assignments[0]
    responses.respond(a, "accepted")
    record = completion.complete_assignment(a, attended=True, units="2", today=req.end_date)
    assert (record.expert_id, record.unit_id, record.activity, record.units, record.payer) == (
        a.expert_id, section.id, "inspection", Decimal("2"), "bureau")
    assert record.service_date == req.start_date and record.amount is None  # fees are computed elsewhere
    assert a.attended and a.completed_at is not None and req.state == "completed"
    # Correcting the entry updates the same record.
    again = completion.complete_assignment(a, attended=True, units="3", today=req.end_date)
    assert again.id == record.id and again.units == Decimal("3")
    # 附件4 pays whole days, times and events: a half day is refused here, not later when pricing.
    with pytest.raises(DomainError, match="必须是正整数"):
        completion.complete_assignment(a, attended=True, units="1.5", today=req.end_date)
    assert db.session.get(ServiceRecord, record.id).units == Decimal("3")


def test_a_town_engaging_directly_pays_itself(app, town):
    pool(3)
    req = _emergency(town)
    a = next(x for x in req.assignments if not x.is_backup)
    responses.respond(a, "accepted")
    record = completion.complete_assignment(a, attended=True, started_at=dt.datetime(2026, 6, 12, 23, 40),
                                            today=FRIDAY)
    assert record.payer == "unit"
    assert record.started_at == dt.datetime(2026, 6, 12, 23, 40) and record.is_night and not record.is_holiday


def test_emergency_work_needs_its_date_and_time(app, section):
    pool(3)
    req = _emergency(section)
    a = next(x for x in req.assignments if not x.is_backup)
    responses.respond(a, "accepted")
    with pytest.raises(DomainError, match="日期和时间"):
        completion.complete_assignment(a, attended=True, units=1, today=FRIDAY)
    assert db.session.scalar(select(ServiceRecord)) is None


def test_holiday_emergency_is_flagged(app, section):
    pool(3)
    dragon_boat = dt.date(2026, 6, 19)
    req = _emergency(section, start=dragon_boat)
    a = next(x for x in req.assignments if not x.is_backup)
    responses.respond(a, "accepted")
    record = completion.complete_assignment(a, attended=True, started_at=dt.datetime(2026, 6, 19, 10, 0),
                                            today=dragon_boat)
    assert record.is_holiday and not record.is_night


@pytest.mark.parametrize("kw, message", [
    ({"units": "0"}, "必须是正整数"),
    ({"units": "abc"}, "须为数字"),
    ({"units": "1.5"}, "必须是正整数"),
    ({"units": "100"}, "不能超过99"),
    ({"service_date": dt.date(2026, 7, 30)}, "日期范围"),
])
def test_bad_completion_input(app, section, kw, message):
    pool(3)
    req = new_request(section, headcount=1, backups=0)
    draws.draw(req)
    a = req.assignments[0]
    responses.respond(a, "accepted")
    with pytest.raises(DomainError, match=message):
        completion.complete_assignment(a, attended=True, today=dt.date(2026, 8, 1), **kw)
    assert a.completed_at is None


def test_absent_at_completion_is_a_no_show(app, section):
    pool(3)
    req = new_request(section, headcount=1, backups=0)
    draws.draw(req)
    a = req.assignments[0]
    responses.respond(a, "accepted")
    assert completion.complete_assignment(a, attended=False, today=req.end_date) is None
    assert a.response == "no_show" and a.attended is False


def test_fairness_report_flags_twice_the_group_average(app, section):
    experts = pool(4)
    # Expert 0 is drawn 4 times (designated draws are not draws): average (4+1+1+0)/4 = 1.5.
    for i, (eid, n) in enumerate([(experts[0].id, 4), (experts[1].id, 1), (experts[2].id, 1)]):
        for k in range(n):
            day = dt.date(2026, 3, 2) + dt.timedelta(days=14 * k + i * 3)
            req = usage_requests.create_request(unit=section, activity_type="inspection", subject="检查",
                                                start_date=day, end_date=day, groups=group_ids("化工"),
                                                enterprises=[factories.enterprise()], headcount=1, backups=0,
                                                today=day)
            seed = next(s for s in (f"{x:032x}" for x in range(10_000))
                        if draws.draw_order(s, candidates.candidates(req).eligible_ids, 1, 0)[0] == [eid])
            draws.draw(req, seed=seed)
    report = {g.group.name: g for g in fairness.fairness_report(2026)}
    chem = report["化工"]
    assert chem.members == 4 and chem.total == 6 and chem.average == 1.5
    rows = {r.expert.id: r for r in chem.rows}
    assert rows[experts[0].id].drawn == 4 and rows[experts[0].id].flagged
    assert not rows[experts[1].id].flagged and rows[experts[3].id].drawn == 0
    assert fairness.fairness_report(2025) == [] or all(g.total == 0 for g in fairness.fairness_report(2025))
