"""Experts' service fees (附件4, 第二十条, SPEC §3.9)."""

import datetime as dt
from decimal import Decimal

import pytest

from app.services.errors import DomainError
from app.services.fees.standard import (
    ACTIVITY_LABELS,
    FeeBasis,
    FeeStandardRow,
    attachment4_rows,
    compute_fee,
    fee_basis,
    standard_in_force,
)
from app.services.workcalendar import HolidayCalendar

D = Decimal
ISSUED = dt.date(2020, 1, 1)
STANDARDS = attachment4_rows(ISSUED)
WEDNESDAY_NOON = dt.datetime(2026, 9, 16, 12, 0)


@pytest.fixture(scope="module")
def calendar():
    return HolidayCalendar.from_chinesecalendar([2025, 2026])


def fee(activity, units=1, start=WEDNESDAY_NOON, calendar=None, **kwargs):
    kwargs.setdefault("standards", STANDARDS)
    return compute_fee(activity, D(units), start, calendar=calendar, **kwargs)


def test_activity_codes_are_the_eight_of_the_spec():
    assert ACTIVITY_LABELS == {
        "inspection": "执法检查",
        "hazard_check": "隐患排查",
        "rectification_acceptance": "重大隐患整改验收",
        "accident_investigation": "事故调查",
        "emergency": "应急救援处置",
        "training": "教育培训授课",
        "standardization": "标准化评审",
        "other": "其他",
    }


@pytest.mark.parametrize(
    ("activity", "source", "basis"),
    [
        ("inspection", "district", FeeBasis.PER_DAY),
        ("hazard_check", "district", FeeBasis.PER_DAY),  # 第八条(一): an inspection
        ("rectification_acceptance", "district", FeeBasis.PER_DAY),  # likewise
        ("accident_investigation", "district", FeeBasis.PER_TIME),
        ("emergency", "district", FeeBasis.PER_EVENT),
        ("training", "district", FeeBasis.APPROVED),  # 其他: 另行确定
        ("standardization", "district", FeeBasis.HIGHER_STANDARD),  # 第二十条
        ("other", "district", FeeBasis.APPROVED),
        ("inspection", "upper", FeeBasis.APPROVED),  # 附件4 备注
        ("emergency", "outside", FeeBasis.APPROVED),
        ("standardization", "upper", FeeBasis.APPROVED),
    ],
)
def test_fee_basis(activity, source, basis):
    assert fee_basis(activity, source) is basis


# 附件4 rows, priced by the standard: activity, units, amount, basis line.
@pytest.mark.parametrize(
    ("activity", "units", "amount", "basis"),
    [
        ("inspection", 1, "1000.00", "执法检查 1000元/天 × 1天"),
        ("inspection", 2, "2000.00", "执法检查 1000元/天 × 2天"),
        ("hazard_check", 3, "3000.00", "隐患排查（按执法检查标准） 1000元/天 × 3天"),
        (
            "rectification_acceptance",
            1,
            "1000.00",
            "重大隐患整改验收（按执法检查标准） 1000元/天 × 1天",
        ),
        ("accident_investigation", 2, "2000.00", "事故调查 1000元/次 × 2次"),
        ("emergency", 1, "1000.00", "应急救援处置 1000元/起 × 1起"),
    ],
)
def test_standard_priced_activities(calendar, activity, units, amount, basis):
    result = fee(activity, units, calendar=calendar)
    assert result.amount == D(amount)
    assert result.basis == basis
    assert result.method is fee_basis(activity)
    assert result.rate == D("1000")
    assert result.effective_from == ISSUED
    assert result.units == D(units)


@pytest.mark.parametrize(
    ("start", "night", "holiday", "basis"),
    [
        # Wednesday 16 Sep 2026, an ordinary working day: the night window.
        (dt.datetime(2026, 9, 16, 21, 59), False, False, "应急救援处置 1000元/起"),
        (dt.datetime(2026, 9, 16, 22, 0), True, False, "应急救援处置（夜间） 1500元/起"),
        (dt.datetime(2026, 9, 17, 5, 59), True, False, "应急救援处置（夜间） 1500元/起"),
        (dt.datetime(2026, 9, 17, 6, 0), False, False, "应急救援处置 1000元/起"),
        # Saturday 12 Sep 2026, an ordinary weekend day.
        (dt.datetime(2026, 9, 12, 10, 0), False, True, "应急救援处置（节假日） 1500元/起"),
        # Saturday 10 Oct 2026 is a 调休 working day: the day rate.
        (dt.datetime(2026, 10, 10, 10, 0), False, False, "应急救援处置 1000元/起"),
        # Thursday 1 Oct 2026, 国庆节: the holiday rate, on a weekday.
        (dt.datetime(2026, 10, 1, 10, 0), False, True, "应急救援处置（节假日） 1500元/起"),
        (
            dt.datetime(2026, 10, 1, 23, 0),
            True,
            True,
            "应急救援处置（夜间、节假日） 1500元/起",
        ),
    ],
)
def test_emergency_night_and_holiday(calendar, start, night, holiday, basis):
    result = fee("emergency", 1, start, calendar=calendar)
    assert (result.is_night, result.is_holiday) == (night, holiday)
    assert result.basis == f"{basis} × 1起"
    assert result.amount == (D("1500.00") if night or holiday else D("1000.00"))


def test_emergency_needs_the_calendar():
    with pytest.raises(ValueError, match="holiday calendar"):
        fee("emergency", calendar=None)


def test_emergency_night_window_is_a_setting(calendar):
    start = dt.datetime(2026, 9, 16, 21, 30)
    assert fee("emergency", 1, start, calendar=calendar).amount == D("1000.00")
    result = fee(
        "emergency",
        1,
        start,
        calendar=calendar,
        night_start=dt.time(21),
        night_end=dt.time(5),
    )
    assert result.amount == D("1500.00")


def test_night_and_holiday_are_not_evaluated_where_they_do_not_matter():
    """An inspection on 国庆节 night is paid per day; no calendar is consulted."""
    result = fee("inspection", 1, dt.datetime(2027, 10, 1, 23, 0), calendar=None)
    assert result.amount == D("1000.00")
    assert (result.is_night, result.is_holiday) == (None, None)


def test_emergency_in_a_year_without_calendar_data(calendar):
    with pytest.raises(DomainError, match="2027年的节假日数据尚未维护"):
        fee("emergency", 1, dt.datetime(2027, 1, 4, 10, 0), calendar=calendar)


def test_standard_without_night_rate_pays_the_day_rate(calendar):
    rows = [FeeStandardRow("emergency", "起", D("1200"), None, ISSUED)]
    result = fee("emergency", 1, dt.datetime(2026, 10, 1, 10), calendar=calendar, standards=rows)
    assert result.amount == D("1200.00")
    assert result.is_holiday is True


# A standard changed from a date: services before it keep the old rate.
CHANGE = dt.date(2026, 7, 1)
CHANGED = [
    *STANDARDS,
    FeeStandardRow("inspection", "天", D("1200"), None, CHANGE),
    FeeStandardRow("emergency", "起", D("1200"), D("1800"), CHANGE),
]


@pytest.mark.parametrize(
    ("activity", "start", "amount"),
    [
        ("inspection", dt.datetime(2026, 6, 30, 23, 59), "1000.00"),
        ("inspection", dt.datetime(2026, 7, 1, 0, 0), "1200.00"),
        ("hazard_check", dt.datetime(2026, 7, 1, 9, 0), "1200.00"),
        ("accident_investigation", dt.datetime(2026, 7, 1, 9, 0), "1000.00"),  # unchanged
        ("emergency", dt.datetime(2026, 6, 30, 22, 0), "1500.00"),
        ("emergency", dt.datetime(2026, 7, 1, 22, 0), "1800.00"),
    ],
)
def test_standard_changed_from_a_date(calendar, activity, start, amount):
    assert fee(activity, 1, start, calendar=calendar, standards=CHANGED).amount == D(amount)


def test_standard_in_force():
    assert standard_in_force(CHANGED, "inspection", dt.date(2026, 6, 30)).amount == D("1000")
    assert standard_in_force(CHANGED, "inspection", CHANGE).amount == D("1200")
    assert standard_in_force(CHANGED, "rectification_acceptance", CHANGE).activity == "inspection"


def test_no_standard_in_force():
    with pytest.raises(DomainError, match="2019-12-31没有生效的执法检查费用标准"):
        standard_in_force(STANDARDS, "inspection", dt.date(2019, 12, 31))
    with pytest.raises(DomainError, match="没有生效的事故调查费用标准"):
        standard_in_force(STANDARDS[:1], "accident_investigation", dt.date(2026, 1, 1))


def test_duplicate_standard_on_one_day_is_refused():
    rows = [*STANDARDS, FeeStandardRow("inspection", "天", D("900"), None, ISSUED)]
    with pytest.raises(DomainError, match="请删除重复的标准"):
        standard_in_force(rows, "inspection", dt.date(2026, 1, 1))


@pytest.mark.parametrize("activity", ["training", "standardization", "other"])
def test_no_standard_for_entered_activities(activity):
    with pytest.raises(DomainError, match="没有统一的费用标准"):
        standard_in_force(STANDARDS, activity, dt.date(2026, 1, 1))


# Amounts determined outside the standard: activity, source, proposed, approved.
@pytest.mark.parametrize(
    ("activity", "source", "basis"),
    [
        ("training", "district", "教育培训授课 经局领导批准 800元"),
        ("other", "district", "其他 经局领导批准 800元"),
        ("inspection", "upper", "执法检查（上级库专家） 经局领导批准 800元"),
        ("emergency", "upper", "应急救援处置（上级库专家） 经局领导批准 800元"),
        ("accident_investigation", "outside", "事故调查（库外专家） 经局领导批准 800元"),
    ],
)
def test_approved_amounts(activity, source, basis):
    result = fee(activity, source=source, proposed_amount=D("800"), approved=True)
    assert result.amount == D("800.00")
    assert result.method is FeeBasis.APPROVED
    assert result.basis == basis
    assert result.rate is None and result.effective_from is None


@pytest.mark.parametrize(
    ("activity", "source", "message"),
    [
        ("training", "district", "教育培训授课费用须经局领导批准"),
        ("other", "district", "其他费用须经局领导批准"),
        ("inspection", "upper", "上级库专家的执法检查费用须经局领导批准"),
        ("emergency", "outside", "库外专家的应急救援处置费用须经局领导批准"),
    ],
)
def test_unapproved_amounts_are_refused(activity, source, message):
    with pytest.raises(DomainError, match=message):
        fee(activity, source=source, proposed_amount=D("800"), approved=False)


def test_approved_amount_must_be_proposed():
    with pytest.raises(DomainError, match="请填写拟发放金额并报局领导批准"):
        fee("training", approved=True)


def test_standardization_is_the_entered_amount():
    result = fee("standardization", 2, proposed_amount=D("2600.50"))
    assert result.amount == D("2600.50")
    assert result.basis == "标准化评审 按上级标准 2600.50元"
    assert result.method is FeeBasis.HIGHER_STANDARD


def test_standardization_amount_is_required():
    with pytest.raises(DomainError, match="标准化评审费用按上级标准执行，请填写金额"):
        fee("standardization")


def test_standard_priced_activity_refuses_an_entered_amount():
    with pytest.raises(DomainError, match="执法检查按费用标准计费，不能另行填写金额"):
        fee("inspection", proposed_amount=D("1500"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activity": "lecture"}, "未知的服务类别：lecture"),
        ({"activity": "inspection", "source": "city"}, "未知的专家来源：city"),
        ({"activity": "inspection", "units": "0"}, "必须是正整数"),
        ({"activity": "inspection", "units": "-1"}, "必须是正整数"),
        ({"activity": "inspection", "units": "1.5"}, "必须是正整数"),
        (
            {"activity": "training", "proposed_amount": D("-5"), "approved": True},
            "不能为负数",
        ),
        (
            {"activity": "standardization", "proposed_amount": 3000.0},
            "不接受浮点数",
        ),
        (
            {"activity": "standardization", "proposed_amount": D("3000.001")},
            "只能精确到分",
        ),
    ],
)
def test_refusals(kwargs, message):
    with pytest.raises(DomainError, match=message):
        fee(**kwargs)


def test_float_units_are_refused():
    with pytest.raises(DomainError, match="不接受浮点数"):
        compute_fee(
            "inspection", 1.0, WEDNESDAY_NOON, standards=STANDARDS, calendar=None
        )


def test_amounts_are_decimal_in_fen():
    rows = [FeeStandardRow("inspection", "天", D("833.33"), None, ISSUED)]
    result = fee("inspection", 3, standards=rows)
    assert result.amount == D("2499.99")
    assert result.amount.as_tuple().exponent == -2
    assert result.basis == "执法检查 833.33元/天 × 3天"
