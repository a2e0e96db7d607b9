"""主要工作经历: the dated rows of 附件2 and the years in the field (第十一条(三)).

附件2 填表说明: 起止年月 are Gregorian, "用6位数字表示，用“.”分隔年月 … 起止年月
用“-”分隔，例1988.09－1992.07", and 主要工作经历 is written "按时间先后顺序".
第十一条(三) requires 从事相关专业工作经历5年以上.

A period is written ``1988.09-1992.07``; the dash may be the ASCII "-", the
full-width "－" (as in 附件2 itself), "—"/"——", "–" or "~", and an open end is
"至今" (``1988.09-至今`` or ``1988.09至今``). A one-digit month ("1988.9") is
accepted and normalised.

Decision on touching periods: CVs commonly end one job and start the next in
the same month (``1988.09-1992.07`` then ``1992.07-1995.03``), so a shared
boundary month is not an overlap. Months are counted inclusively (both the
start and the end month were worked), and a month shared by two rows is
counted once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from app.services.errors import DomainError

YearMonth = tuple[int, int]
Period = tuple[YearMonth, YearMonth | None]

EXAMPLE = "1988.09-1992.07"
OPEN_END = "至今"

_PERIOD = re.compile(
    r"""
    (?P<sy>\d{4}) \. (?P<sm>\d{1,2})
    (?: \s* (?:[-—–~]+|至) \s* (?P<ey>\d{4}) \. (?P<em>\d{1,2})
      | \s* [-—–~]* \s* (?P<open>至今)
    )
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class RowError:
    """A problem with one row of 主要工作经历; ``index`` counts from 0, the message from 第1行."""

    index: int
    message: str


def parse_period(text: str) -> Period:
    """Parse a 起止年月 of 附件2 (填表说明1) into ``((y, m), (y, m) | None)``.

    ``None`` as the end means "至今". Raises :class:`DomainError` for anything
    not written like ``1988.09-1992.07`` or with a month outside 1–12; the
    order of start and end is left to :func:`check_history`.
    """
    if not isinstance(text, str) or not text.strip():
        raise DomainError(f"请填写起止年月，例如 {EXAMPLE}")
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _PERIOD.fullmatch(folded)
    if match is None:
        raise DomainError(
            f"起止年月“{text.strip()}”格式不正确，应写作 {EXAMPLE}"
            f"（仍在职写“{EXAMPLE[:7]}-{OPEN_END}”）"
        )
    start = _year_month(match["sy"], match["sm"])
    end = None if match["open"] else _year_month(match["ey"], match["em"])
    return start, end


def _year_month(year: str, month: str) -> YearMonth:
    y, m = int(year), int(month)
    if not 1 <= m <= 12:
        raise DomainError(f"月份应在01至12之间：{year}.{month}")
    if not 1900 <= y <= 2100:
        raise DomainError(f"年份不合理：{year}")
    return y, m


def format_period(start: YearMonth, end: YearMonth | None) -> str:
    """A period written the 附件2 way: ``1988.09-1992.07`` or ``1988.09-至今``."""
    head = f"{start[0]:04d}.{start[1]:02d}"
    return f"{head}-{OPEN_END}" if end is None else f"{head}-{end[0]:04d}.{end[1]:02d}"


def _month_number(ym: YearMonth) -> int:
    return ym[0] * 12 + ym[1] - 1


def _label(ym: YearMonth) -> str:
    return f"{ym[0]:04d}.{ym[1]:02d}"


def check_history(rows: Sequence[str], today: dt.date) -> list[RowError]:
    """Check the 起止年月 of 主要工作经历 rows (附件2 填表说明1 and 9); return the problems.

    Each row must be well formed, start no later than it ends, lie no later
    than the current month, and follow the previous row in time
    ("按时间先后顺序") without overlapping it — a shared boundary month is
    allowed (see the module docstring). Only the last row may be open ("至今").
    An empty list means the rows are fine.
    """
    errors: list[RowError] = []
    current = _month_number((today.year, today.month))
    previous: tuple[int, int, int] | None = None  # (row index, start, end) of the last good row

    def refuse(index: int, message: str) -> None:
        errors.append(RowError(index, f"第{index + 1}行：{message}"))

    for index, text in enumerate(rows):
        try:
            start, end = parse_period(text)
        except DomainError as err:
            refuse(index, str(err))
            continue
        first = _month_number(start)
        last = current if end is None else _month_number(end)
        problems_before = len(errors)
        if first > current:
            refuse(index, f"开始年月{_label(start)}晚于当前月份")
        if end is not None and last > current:
            refuse(index, f"结束年月{_label(end)}晚于当前月份（仍在职请写“{OPEN_END}”）")
        if end is not None and first > last:
            refuse(index, f"开始年月{_label(start)}晚于结束年月{_label(end)}")
        if end is None and index != len(rows) - 1:
            refuse(index, f"只有最后一行（当前工作）可以写“{OPEN_END}”")
        if len(errors) > problems_before:
            continue
        if previous is not None:
            prev_index, prev_first, prev_last = previous
            if first < prev_first:
                refuse(index, f"应按时间先后顺序填写，本行开始早于第{prev_index + 1}行")
                continue
            if first < prev_last:
                refuse(index, f"与第{prev_index + 1}行的时间重叠")
                continue
        previous = (index, first, last)
    return errors


def months_in_field(rows: Sequence[str], today: dt.date) -> int:
    """Months covered by the given periods, each month once (第十一条(三)).

    Pass only the rows that count as 相关专业工作经历. Both end months count, a
    month in two rows counts once, "至今" runs to the current month and
    anything after the current month is ignored. A malformed row or one that
    ends before it starts raises :class:`DomainError`.
    """
    current = _month_number((today.year, today.month))
    months: set[int] = set()
    for index, text in enumerate(rows):
        try:
            start, end = parse_period(text)
        except DomainError as err:
            raise DomainError(f"第{index + 1}行：{err}") from None
        first = _month_number(start)
        last = current if end is None else _month_number(end)
        if end is not None and first > last:
            raise DomainError(
                f"第{index + 1}行：开始年月{_label(start)}晚于结束年月{_label(end)}"
            )
        months.update(range(first, min(last, current) + 1))
    return len(months)


def years_in_field(rows: Sequence[str], today: dt.date) -> int:
    """Completed years of 相关专业工作经历 (第十一条(三): 5年以上, which includes 5).

    Whole years of :func:`months_in_field`: 59 months is 4 years and fails
    the rule, 60 months is 5 and passes it.
    """
    return months_in_field(rows, today) // 12
