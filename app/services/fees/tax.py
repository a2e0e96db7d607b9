"""Individual income tax withheld from experts' fees (第二十条, SPEC §3.10).

第二十条: 专家服务费个人所得税按国家规定扣缴. Experts' fees are labour
remuneration (劳务报酬所得), withheld per 次 under the current national rule:

* income ≤ 4000: taxable = income − 800 (never below 0);
* income > 4000: taxable = income × 80%;
* tax = taxable × 20%            for taxable ≤ 20 000,
        taxable × 30% − 2 000    for taxable ≤ 50 000,
        taxable × 40% − 7 000    above.

What one expert receives in one calendar month is one 次, so a second payout in
the same month recomputes the tax on the month's total and withholds only the
difference (:func:`month_withholding`).

Amounts are ``Decimal`` end to end, in 元 with 分 precision; the tax is rounded
to 分 (ROUND_HALF_UP) once, at the end.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from app.services.errors import DomainError

CENT = Decimal("0.01")

#: Up to this income a flat 800 is deducted; above it, 20% of the income.
FLAT_DEDUCTION_LIMIT = Decimal("4000")
FLAT_DEDUCTION = Decimal("800")
PROPORTIONAL_SHARE = Decimal("0.8")

#: (upper bound of taxable income or None, rate, quick deduction), in order.
BRACKETS: tuple[tuple[Decimal | None, Decimal, Decimal], ...] = (
    (Decimal("20000"), Decimal("0.20"), Decimal("0")),
    (Decimal("50000"), Decimal("0.30"), Decimal("2000")),
    (None, Decimal("0.40"), Decimal("7000")),
)


class MonthWithholding(NamedTuple):
    """Tax to withhold from this payout and the month's total tax after it."""

    tax_now: Decimal
    month_total_tax: Decimal


def as_money(value: object, label: str, *, allow_negative: bool = False) -> Decimal:
    """``value`` as an exact Decimal amount in 元, or refuse it (SPEC §3.10: 分, Decimal).

    ``label`` names the amount in the Chinese message (e.g. "本次发放收入").

    ``float`` is refused outright: it cannot hold most amounts in 分 exactly
    (``0.1 + 0.2 != 0.3``). Amounts finer than 分 are refused too — money in
    this system is always a whole number of 分, so a third decimal means a bug
    upstream, not a real payment.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise DomainError(f"{label}必须是精确的金额（Decimal），不接受浮点数或其他类型")
    amount = Decimal(value)
    if not amount.is_finite():
        raise DomainError(f"{label}不是有效的金额")
    try:
        in_cents = amount.quantize(CENT)
    except InvalidOperation:  # more digits than the context holds
        raise DomainError(f"{label}超出可处理的范围") from None
    if amount != in_cents:
        raise DomainError(f"{label}只能精确到分（最多两位小数）：{amount}")
    if amount < 0 and not allow_negative:
        raise DomainError(f"{label}不能为负数：{amount}")
    return amount


def taxable_income(income: Decimal) -> Decimal:
    """The taxable part of one 次 of labour remuneration (第二十条, SPEC §3.10).

    ≤ 4000: income − 800, floored at 0; > 4000: income × 80%. Exact, unrounded.
    """
    income = as_money(income, "劳务报酬收入")
    if income <= FLAT_DEDUCTION_LIMIT:
        return max(income - FLAT_DEDUCTION, Decimal(0))
    return income * PROPORTIONAL_SHARE


def withholding_tax(income: Decimal) -> Decimal:
    """Income tax to withhold on one 次 of labour remuneration (第二十条, SPEC §3.10).

    ``income`` is the gross amount of the 次 in 元 (a ``Decimal`` or ``int``
    with at most two decimals, ≥ 0). Returns the tax rounded to 分, HALF_UP.
    Raises :class:`DomainError` for a negative, float or sub-分 amount.

    >>> withholding_tax(Decimal("4500"))
    Decimal('720.00')
    """
    taxable = taxable_income(income)
    for upper, rate, quick_deduction in BRACKETS:
        if upper is None or taxable <= upper:
            tax = taxable * rate - quick_deduction
            break
    return max(tax, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def month_withholding(
    previous_income: Decimal, previous_tax: Decimal, new_income: Decimal
) -> MonthWithholding:
    """Tax to withhold from a further payout in a calendar month (第二十条, SPEC §3.10).

    The month's income is one 次: the tax is recomputed on ``previous_income +
    new_income`` and only the difference from ``previous_tax`` (what was
    actually withheld earlier in the month) is withheld now.

    Because the difference is taken against what was really withheld, the
    month's total always ends up at ``withholding_tax(month income)``, even if
    an earlier withholding was off.

    ``new_income`` may be negative to record a correction that lowers the
    month's income (e.g. a fee reduced on review); ``tax_now`` is then negative
    too: the tax over-withheld, to be refunded or offset. The month's total
    income may not drop below zero.

    Returns ``MonthWithholding(tax_now, month_total_tax)``, both rounded to 分.
    """
    previous_income = as_money(previous_income, "本月已发放收入")
    previous_tax = as_money(previous_tax, "本月已扣缴税款")
    new_income = as_money(new_income, "本次发放收入", allow_negative=True)
    month_income = previous_income + new_income
    if month_income < 0:
        raise DomainError(
            f"冲减后本月收入为负数（{month_income}元），冲减金额不能超过本月已发放收入"
        )
    month_total_tax = withholding_tax(month_income)
    return MonthWithholding(month_total_tax - previous_tax, month_total_tax)
