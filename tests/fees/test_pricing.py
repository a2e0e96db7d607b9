"""Pricing a stored service record (附件4, 第二十条, SPEC §3.9): the standard in force on the
service date, the editable holiday table, the night window setting, leader approval.

The pure fee rule has its own tests (tests/services/test_fees.py); these go through the
database: a ServiceRecord, the fee_standard rows, the holiday/calendar_year tables and
the night_start/night_end settings.
"""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.errors import DomainError
from app.services.fees import payouts, pricing
from app.services.fees.record_status import record_status
from app.services.fees.records import payer_for_unit
from models import CalendarYear, FeeStandard, Holiday, Setting
from tests import factories
from tests.fees import records

TUESDAY = dt.date(2026, 5, 12)  # an ordinary working day
LABOUR_DAY = dt.date(2026, 5, 1)  # Friday, 劳动节: a weekday that is a holiday
MAKEUP_SATURDAY = dt.date(2026, 5, 9)  # Saturday, 劳动节调休上班: a working day
PLAIN_SATURDAY = dt.date(2026, 5, 16)


def at(day, hh, mm):
    return dt.datetime.combine(day, dt.time(hh, mm))


@pytest.fixture
def expert(app):
    return factories.appointed_expert(name="王建国")


# 附件4 row by row; 隐患排查 and 重大隐患整改验收 are paid as 执法检查 (第八条(一)).
@pytest.mark.parametrize(
    "activity, units, amount, basis_start",
    [
        ("inspection", 1, "1000.00", "执法检查 1000元/天 × 1天"),
        ("inspection", 3, "3000.00", "执法检查 1000元/天 × 3天"),
        ("hazard_check", 2, "2000.00", "隐患排查（按执法检查标准） 1000元/天 × 2天"),
        ("rectification_acceptance", 1, "1000.00", "重大隐患整改验收（按执法检查标准）"),
        ("accident_investigation", 1, "1000.00", "事故调查 1000元/次 × 1次"),
        ("accident_investigation", 2, "2000.00", "事故调查 1000元/次 × 2次"),
        ("emergency", 1, "1000.00", "应急救援处置 1000元/起 × 1起"),
    ],
)
def test_standard_priced_activities(expert, activity, units, amount, basis_start):
    r = records.service_record(expert, activity=activity, day=TUESDAY, units=units)
    pricing.price_record(r)
    assert r.amount == Decimal(amount)
    assert r.basis.startswith(basis_start)


def test_standardization_is_the_amount_entered_per_the_higher_standard(expert, office):
    r = records.service_record(expert, activity="standardization", day=TUESDAY)
    with pytest.raises(DomainError, match="按上级标准执行，请填写金额"):
        pricing.price_record(r)
    pricing.propose_amount(r, office, "2800.50")
    assert r.amount == Decimal("2800.50")  # no leader approval needed
    assert "按上级标准" in r.basis


@pytest.mark.parametrize("activity", ["other", "training"])
def test_other_is_a_proposed_amount_approved_by_a_leader(expert, office, leader, activity):
    r = records.service_record(expert, activity=activity, day=TUESDAY)
    report = pricing.price_records([r])
    assert r.amount is None and "另行确定" in report.failed[0][1]
    pricing.propose_amount(r, office, Decimal("1800"), "授课半天")
    assert r.amount is None and record_status(r) == "待局领导批准"
    pricing.approve_amount(r, leader)
    assert r.amount == Decimal("1800.00")
    assert r.approved_by_id == leader.id and "经局领导批准" in r.basis


@pytest.mark.parametrize("level", ["national", "provincial", "city"])
def test_experts_from_upper_pools_need_approval_even_for_inspections(app, office, leader, level):
    upper = factories.expert(name="省库专家", source="upper", upper_pool_level=level)
    r = records.service_record(upper, activity="inspection", day=TUESDAY, units=2)
    assert pricing.price_records([r]).failed
    assert r.amount is None
    pricing.propose_amount(r, office, "5000")
    pricing.approve_amount(r, leader)
    assert r.amount == Decimal("5000.00")
    assert "上级库" in r.basis


@pytest.mark.parametrize("role", ["office", "sysadmin", "department", "town", "expert"])
def test_only_a_leader_approves(app, office, role):
    upper = factories.expert(source="upper")
    r = records.service_record(upper, activity="other", day=TUESDAY)
    pricing.propose_amount(r, office, "1200")
    with pytest.raises(DomainError, match="只有局领导"):
        pricing.approve_amount(r, factories.user(role=role))
    assert r.amount is None and r.approved_by_id is None


def test_leader_returns_a_proposal_with_a_reason(expert, office, leader):
    r = records.service_record(expert, activity="other", day=TUESDAY)
    pricing.propose_amount(r, office, "9000")
    with pytest.raises(DomainError, match="请填写理由"):
        pricing.return_proposal(r, leader, " ")
    pricing.return_proposal(r, leader, "金额偏高，请按半天核定")
    assert r.proposed_amount is None and "金额偏高" in r.note
    assert record_status(r) == "待提出建议金额"


def test_a_priced_activity_refuses_a_proposed_amount(expert, office):
    r = records.service_record(expert, activity="inspection", day=TUESDAY)
    with pytest.raises(DomainError, match="按费用标准计费"):
        pricing.propose_amount(r, office, "5000")


# 夜间 is 22:00–06:00 (a setting): the boundaries decide 1000 or 1500.
@pytest.mark.parametrize(
    "started, amount, night",
    [
        (at(TUESDAY, 21, 59), "1000.00", False),
        (at(TUESDAY, 22, 0), "1500.00", True),
        (at(TUESDAY, 5, 59), "1500.00", True),
        (at(TUESDAY, 6, 0), "1000.00", False),
        (at(TUESDAY, 0, 0), "1500.00", True),
        (at(TUESDAY, 12, 0), "1000.00", False),
    ],
)
def test_emergency_night_boundaries(expert, started, amount, night):
    r = records.service_record(expert, activity="emergency", day=started.date(), started_at=started)
    pricing.price_record(r)
    assert (r.amount, r.is_night) == (Decimal(amount), night)


@pytest.mark.parametrize(
    "day, amount, holiday",
    [
        (MAKEUP_SATURDAY, "1000.00", False),  # a Saturday that is a 调休 working day
        (LABOUR_DAY, "1500.00", True),  # a weekday that is a holiday
        (PLAIN_SATURDAY, "1500.00", True),
        (TUESDAY, "1000.00", False),
    ],
)
def test_emergency_holiday_from_the_official_calendar(expert, day, amount, holiday):
    r = records.service_record(expert, activity="emergency", day=day, started_at=at(day, 10, 0))
    pricing.price_record(r)
    assert (r.amount, r.is_holiday) == (Decimal(amount), holiday)
    if holiday:
        assert "节假日" in r.basis


def test_the_holiday_table_is_data_not_code(expert):
    # The sysadmin marks an ordinary Tuesday a day off (e.g. a late State Council notice).
    db.session.add(Holiday(day=TUESDAY, is_workday=False, name="临时调整"))
    db.session.flush()
    r = records.service_record(expert, activity="emergency", day=TUESDAY, started_at=at(TUESDAY, 10, 0))
    pricing.price_record(r)
    assert r.amount == Decimal("1500.00")


def test_a_year_without_calendar_data_is_refused(expert):
    assert db.session.get(CalendarYear, 2027) is None  # chinesecalendar stops at 2026
    day = dt.date(2027, 3, 10)
    r = records.service_record(expert, activity="emergency", day=day, started_at=at(day, 10, 0))
    with pytest.raises(DomainError, match="2027年的节假日数据尚未维护"):
        pricing.price_record(r)
    assert r.amount is None
    report = pricing.price_records([r])
    assert "2027年的节假日数据尚未维护" in report.failed[0][1]
    # Non-emergency work in that year does not depend on the calendar.
    other = records.service_record(expert, activity="inspection", day=day)
    pricing.price_record(other)
    assert other.amount == Decimal("1000.00")
    # Once the sysadmin maintains 2027, the same record is priced.
    db.session.add(CalendarYear(year=2027))
    db.session.flush()
    pricing.price_record(r)
    assert r.amount == Decimal("1000.00")


def test_night_window_is_a_setting(expert):
    db.session.get(Setting, "night_start").value = "21:00"
    db.session.flush()
    r = records.service_record(expert, activity="emergency", day=TUESDAY, started_at=at(TUESDAY, 21, 30))
    pricing.price_record(r)
    assert r.amount == Decimal("1500.00")


def test_emergency_needs_its_start_time(expert):
    r = records.service_record(expert, activity="emergency", day=TUESDAY, started_at=at(TUESDAY, 9, 0))
    r.started_at = None
    with pytest.raises(DomainError, match="须填写开始时间"):
        pricing.price_record(r)


def test_a_new_standard_applies_from_its_date(expert):
    before = records.service_record(expert, activity="inspection", day=dt.date(2026, 6, 30))
    after = records.service_record(expert, activity="inspection", day=dt.date(2026, 7, 1))
    pricing.price_records([before, after])
    db.session.add(FeeStandard(activity="inspection", unit_label="一天", amount=Decimal("1200"),
                               effective_from=dt.date(2026, 7, 1)))
    db.session.flush()
    report = pricing.reprice_after_standard_change("inspection", dt.date(2026, 7, 1))
    assert report.priced == 1
    assert before.amount == Decimal("1000.00")
    assert after.amount == Decimal("1200.00")


def test_a_standard_change_never_alters_settled_amounts(expert, office):
    paid = records.service_record(expert, activity="inspection", day=dt.date(2026, 5, 12))
    pricing.price_records([paid])
    batch = payouts.build_batch(2026, 2, office, pay_date=dt.date(2026, 7, 10))
    payouts.review_batch(batch, office)
    db.session.commit()
    # Back-dating a new rate over the reviewed quarter is refused with the reason.
    db.session.add(FeeStandard(activity="inspection", unit_label="一天", amount=Decimal("1200"),
                               effective_from=dt.date(2026, 4, 1)))
    with pytest.raises(DomainError, match="已结算的金额不能改变"):
        db.session.flush()
    db.session.rollback()
    # Editing the row that priced it is refused too.
    row = db.session.scalar(select(FeeStandard).where(FeeStandard.activity == "inspection"))
    row.amount = Decimal("1100")
    with pytest.raises(DomainError, match="已结算的金额不能改变"):
        db.session.flush()
    db.session.rollback()
    # A new row dated after the settled service is accepted; the settled amount stays.
    db.session.add(FeeStandard(activity="inspection", unit_label="一天", amount=Decimal("1200"),
                               effective_from=dt.date(2026, 6, 1)))
    db.session.flush()
    pricing.reprice_after_standard_change("inspection", dt.date(2026, 6, 1))
    assert paid.amount == Decimal("1000.00")
    with pytest.raises(DomainError, match="已结算"):
        pricing.price_record(paid)


def test_other_activities_are_not_blocked_by_a_settled_inspection(expert, office):
    paid = records.service_record(expert, activity="inspection", day=dt.date(2026, 5, 12))
    pricing.price_records([paid])
    payouts.review_batch(payouts.build_batch(2026, 2, office, pay_date=dt.date(2026, 7, 10)), office)
    db.session.add(FeeStandard(activity="emergency", unit_label="一起", amount=Decimal("1100"),
                               night_holiday_amount=Decimal("1600"), effective_from=dt.date(2026, 4, 1)))
    db.session.flush()  # no settled emergency after 2026-04-01: accepted


@pytest.mark.parametrize(
    "kind, payer",
    [("section", "bureau"), ("brigade", "bureau"), ("town", "unit"), ("devzone", "unit"), ("subdistrict", "unit")],
)
def test_who_pays(app, kind, payer):
    """第十九条: towns that engage experts directly pay them; sections and brigades are the bureau's budget."""
    assert payer_for_unit(factories.org_unit(kind=kind)) == payer


def test_pricing_never_uses_float(expert):
    r = records.service_record(expert, activity="inspection", day=TUESDAY, units=2)
    pricing.price_record(r)
    assert type(r.amount) is Decimal
    with pytest.raises(DomainError, match="浮点数"):
        pricing.propose_amount(records.service_record(expert, activity="other", day=TUESDAY),
                               factories.user(role="office"), 0.1)
