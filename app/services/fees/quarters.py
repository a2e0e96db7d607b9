"""Calendar quarters (第二十条: 每季度审核发放一次).

Experts are paid once a quarter, so screens and services speak of a (year, quarter):
:func:`check_quarter` refuses one that is not, :func:`quarter_bounds` gives its first
and last day and :func:`quarter_of` the quarter a day falls in, :func:`shift_quarter` the quarter
before or after; :func:`quarter_label`
and :func:`month_label` are the Chinese labels of a quarter and of a pay month (the
tax month, SPEC §3.10). Pure functions: no database.
"""
from __future__ import annotations

import datetime as dt

from app.services.errors import DomainError


def check_quarter(year: object, quarter: object) -> tuple[int, int]:
    """``(year, quarter)`` as whole numbers, or a Chinese refusal."""
    try:
        y, q = int(year), int(quarter)
    except (TypeError, ValueError):
        raise DomainError("请选择有效的年度和季度") from None
    if not 2000 <= y <= 2100:
        raise DomainError(f"年度无效：{year}")
    if q not in (1, 2, 3, 4):
        raise DomainError(f"季度只能是1至4：{quarter}")
    return y, q


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of a calendar quarter."""
    year, quarter = check_quarter(year, quarter)
    first = dt.date(year, 3 * quarter - 2, 1)
    following = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, following - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> tuple[int, int]:
    """The (year, quarter) a day falls in."""
    return day.year, (day.month - 1) // 3 + 1


def shift_quarter(year: int, quarter: int, by: int) -> tuple[int, int]:
    """The quarter ``by`` quarters after (negative: before) the given one."""
    index = year * 4 + quarter - 1 + by
    return index // 4, index % 4 + 1


def quarter_label(year: int, quarter: int) -> str:
    """``2026年第2季度``."""
    return f"{year}年第{quarter}季度"


def month_label(pay_month: str) -> str:
    """``2026-04`` → ``2026年4月``."""
    year, month = pay_month.split("-")
    return f"{int(year)}年{int(month)}月"
