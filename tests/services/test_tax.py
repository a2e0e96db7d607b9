"""Labour-remuneration withholding (第二十条, SPEC §3.10)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.errors import DomainError
from app.services.fees.tax import month_withholding, taxable_income, withholding_tax

D = Decimal


@pytest.mark.parametrize(
    ("income", "tax"),
    [
        # Worked examples of the national rule (STACK-NOTES "Rules of the land").
        ("0", "0.00"),
        ("500", "0.00"),
        ("1000", "40.00"),  # (1000 − 800) × 20%
        ("3000", "440.00"),  # (3000 − 800) × 20%
        ("4000", "640.00"),  # (4000 − 800) × 20%
        ("4500", "720.00"),  # 4500 × 80% × 20%
        ("25000", "4000.00"),  # 20000 × 20%
        ("60000", "12400.00"),  # 48000 × 30% − 2000
        # ≤ 800: nothing taxable.
        ("800", "0.00"),
        ("800.01", "0.00"),  # 0.01 × 20% = 0.002 → 0.00
        ("800.03", "0.01"),  # 0.006 → 0.01 (HALF_UP)
        ("800.05", "0.01"),  # 0.01 exactly
        # The 4000 switch from −800 to ×80%: the two formulas meet at 3200.
        ("3999.99", "640.00"),  # 3199.99 × 20% = 639.998 → 640.00
        ("3999.95", "639.99"),  # 3199.95 × 20% = 639.99
        ("4000.01", "640.00"),  # 3200.008 × 20% = 640.0016
        # Taxable exactly 20 000 (income 25 000) and one cent either side.
        ("24999.99", "4000.00"),  # 19999.992 × 20% = 3999.9984
        ("25000.01", "4000.00"),  # 20000.008 × 30% − 2000 = 4000.0024
        # Taxable exactly 50 000 (income 62 500) and one cent either side.
        ("62499.99", "13000.00"),  # 49999.992 × 30% − 2000 = 12999.9976
        ("62499.95", "12999.99"),  # 49999.96 × 30% − 2000 = 12999.988
        ("62500", "13000.00"),  # 50000 × 30% − 2000
        ("62500.01", "13000.00"),  # 50000.008 × 40% − 7000 = 13000.0032
        ("100000", "25000.00"),  # 80000 × 40% − 7000
    ],
)
def test_withholding_tax(income, tax):
    result = withholding_tax(D(income))
    assert result == D(tax)
    assert result.as_tuple().exponent == -2  # always in 分


@pytest.mark.parametrize(
    ("income", "taxable"),
    [
        ("800", "0"),
        ("4000", "3200"),
        ("4000.01", "3200.008"),
        ("25000", "20000.0"),
        ("62500", "50000.0"),
    ],
)
def test_taxable_income_is_exact(income, taxable):
    assert taxable_income(D(income)) == D(taxable)


def test_int_income_is_accepted():
    assert withholding_tax(4500) == D("720.00")


@pytest.mark.parametrize(
    ("income", "message"),
    [
        (D("-1"), "不能为负数"),
        (1000.0, "不接受浮点数"),
        ("1000", "不接受浮点数或其他类型"),
        (True, "不接受浮点数或其他类型"),
        (D("NaN"), "不是有效的金额"),
        (D("Infinity"), "不是有效的金额"),
        (D("1000.005"), "只能精确到分"),
    ],
)
def test_invalid_income_is_refused(income, message):
    with pytest.raises(DomainError, match=message):
        withholding_tax(income)


def test_decimal_not_float():
    """Two payouts of 1000.10 and 1000.20 in one month.

    In binary floating point the month's total is not 2000.30 but
    2000.3000000000002 (the ``0.1 + 0.2`` error); in Decimal the aggregate is
    exact, and so is every step of the withholding.
    """
    assert 1000.10 + 1000.20 != 2000.30
    first = month_withholding(D("0"), D("0"), D("1000.10"))
    second = month_withholding(D("1000.10"), first.month_total_tax, D("1000.20"))
    assert first == (D("40.02"), D("40.02"))  # 200.10 × 20%
    assert second == (D("200.04"), D("240.06"))  # 1200.30 × 20% = 240.06
    assert second.month_total_tax == withholding_tax(D("2000.30"))


@pytest.mark.parametrize(
    ("previous_income", "previous_tax", "new_income", "tax_now", "month_total"),
    [
        # First payout of the month: the plain per-次 tax.
        ("0", "0", "3000", "440.00", "440.00"),
        # 3000 then 1500 in the same month: tax on 4500 (720) less 440 withheld.
        ("3000", "440.00", "1500", "280.00", "720.00"),
        # 500 then 500: nothing at first, then tax on 1000.
        ("500", "0.00", "500", "40.00", "40.00"),
        # Two 20 000 payouts cross into the 30% bracket on the total.
        # (40000 × 80% × 30% − 2000 = 7600, less 20000 × 80% × 20% = 3200.)
        ("20000", "3200.00", "20000", "4400.00", "7600.00"),
        # An earlier under-withholding is caught up by the difference.
        ("3000", "400.00", "0", "40.00", "440.00"),
        # A correction that lowers the month's income gives a negative
        # difference: the tax over-withheld, to be refunded or offset.
        ("4500", "720.00", "-1500", "-280.00", "440.00"),
        ("1000", "40.00", "-1000", "-40.00", "0.00"),
    ],
)
def test_month_withholding(previous_income, previous_tax, new_income, tax_now, month_total):
    result = month_withholding(D(previous_income), D(previous_tax), D(new_income))
    assert result == (D(tax_now), D(month_total))
    assert D(previous_tax) + result.tax_now == result.month_total_tax


def test_split_payouts_withhold_the_same_as_one():
    """Splitting a month's income into payouts does not lower the tax."""
    whole = withholding_tax(D("9000"))
    first = month_withholding(D("0"), D("0"), D("3000"))
    second = month_withholding(D("3000"), first.tax_now, D("2500"))
    third = month_withholding(D("5500"), first.tax_now + second.tax_now, D("3500"))
    assert first.tax_now + second.tax_now + third.tax_now == whole == D("1440.00")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("1000", "40", "-1000.01"), "冲减金额不能超过本月已发放收入"),
        (("-1", "0", "100"), "本月已发放收入不能为负数"),
        (("1000", "-40", "100"), "本月已扣缴税款不能为负数"),
    ],
)
def test_month_withholding_refuses(args, message):
    with pytest.raises(DomainError, match=message):
        month_withholding(*(D(a) for a in args))


def test_month_withholding_refuses_float():
    with pytest.raises(DomainError, match="不接受浮点数"):
        month_withholding(D("1000"), D("40"), 100.5)


# Any amount in 分 up to 1 000 000 元.
amounts = st.integers(min_value=0, max_value=100_000_000).map(lambda fen: D(fen) / 100)


@given(amounts, amounts)
def test_more_income_never_means_less_tax(a, b):
    low, high = sorted((a, b))
    assert withholding_tax(low) <= withholding_tax(high)


@given(amounts, amounts)
def test_splitting_a_month_never_changes_its_tax(first, second):
    one = month_withholding(D(0), D(0), first)
    two = month_withholding(first, one.tax_now, second)
    assert one.tax_now + two.tax_now == withholding_tax(first + second)
    assert two.month_total_tax == withholding_tax(first + second)
