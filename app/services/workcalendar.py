"""The official working-day calendar and the night window (附件4, 第十五条, SPEC §3.9).

附件4 pays 应急处置 at the higher rate "夜间、节假日"; SPEC §3.9 defines a holiday
as a non-working day of the State Council calendar: weekends and 法定节假日,
with 调休 working days (a Saturday or Sunday made a working day) counting as
working days. Emergency paperwork (第十五条: 先行使用，事后补办使用手续) is due a
number of working days later.

The calendar is data, not code: an editable table of dated rows seeded from the
``chinesecalendar`` package (:func:`seed_rows`), plus the set of years the table
covers. A date in a year without data is refused rather than guessed, because
the State Council publishes each year's arrangement only late in the year
before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from chinese_calendar import constants as cn_calendar

from app.services.errors import DomainError

#: Default night window of 附件4 (SPEC §3.9: 22:00–06:00); a setting.
NIGHT_START = dt.time(22, 0)
NIGHT_END = dt.time(6, 0)

#: A row of the holiday table: (is_workday, name). ``is_workday`` True marks a
#: 调休 working day, False a day off.
DayRow = tuple[bool, str]


class HolidayCalendar:
    """Working and non-working days from the holiday table (SPEC §3.9).

    ``rows`` maps dates to ``(is_workday, name)``: a listed day off (a holiday,
    including the weekend days inside a holiday) or a listed 调休 working day.
    Any other date is a working day from Monday to Friday and a day off on
    Saturday and Sunday. ``years`` are the years whose arrangement is in the
    table; other years are refused.
    """

    def __init__(self, rows: Mapping[dt.date, DayRow], years: Iterable[int]):
        self._rows = {
            _as_date(day): (bool(is_workday), name) for day, (is_workday, name) in rows.items()
        }
        self.years = frozenset(years)

    @classmethod
    def from_chinesecalendar(cls, years: Iterable[int] | None = None) -> HolidayCalendar:
        """A calendar straight from the ``chinesecalendar`` package (for seeding and tests)."""
        chosen = sorted(supported_years() if years is None else set(years))
        return cls(seed_rows(chosen), chosen)

    def covers(self, year: int) -> bool:
        """Whether the table holds the holiday arrangement of ``year``."""
        return year in self.years

    def day_name(self, day: dt.date) -> str | None:
        """The table's name for ``day`` (e.g. "国庆节"), or None for an ordinary day."""
        row = self._rows.get(_as_date(day))
        return row[1] if row else None

    def is_non_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a 节假日 in the sense of 附件4 (SPEC §3.9).

        A listed holiday → True; a listed 调休 working day → False; otherwise a
        Saturday or Sunday → True. A year without data raises
        :class:`DomainError`.
        """
        day = _as_date(day)
        if not self.covers(day.year):
            raise DomainError(
                f"{day.year}年的节假日数据尚未维护，无法判断{day:%Y-%m-%d}是否为工作日，"
                f"请系统管理员先维护{day.year}年的节假日安排"
            )
        row = self._rows.get(day)
        if row is not None:
            return not row[0]
        return day.weekday() >= 5

    def is_working_day(self, day: dt.date) -> bool:
        """The opposite of :meth:`is_non_working_day` (SPEC §3.9)."""
        return not self.is_non_working_day(day)


def _as_date(day: dt.date) -> dt.date:
    # A datetime is a date subclass but never equal to one: normalise it.
    return day.date() if isinstance(day, dt.datetime) else day


def supported_years() -> frozenset[int]:
    """The years for which the installed ``chinesecalendar`` has the State Council arrangement."""
    return frozenset(day.year for day in cn_calendar.holidays)


def seed_rows(years: Iterable[int] | None = None) -> dict[dt.date, DayRow]:
    """Rows of the holiday table for ``years``, from the ``chinesecalendar`` package (SPEC §3.9).

    Holidays are named in Chinese ("国庆节"); 调休 working days are named after
    the holiday they make up for ("国庆节调休上班"). ``years`` defaults to every
    year the package covers; a year it does not cover raises
    :class:`DomainError` (its arrangement must then be entered by hand).
    """
    available = supported_years()
    wanted = available if years is None else frozenset(years)
    missing = sorted(wanted - available)
    if missing:
        listed = "、".join(f"{year}年" for year in missing)
        raise DomainError(f"节假日数据包中没有{listed}的节假日安排，请手工维护")

    chinese = {holiday.value: holiday.chinese for holiday in cn_calendar.Holiday}
    rows: dict[dt.date, DayRow] = {}
    for day, english in cn_calendar.holidays.items():
        if day.year in wanted:
            rows[day] = (False, chinese.get(english, english))
    for day, english in cn_calendar.workdays.items():
        if day.year in wanted:
            rows[day] = (True, f"{chinese.get(english, english)}调休上班")
    return dict(sorted(rows.items()))


def add_working_days(start: dt.date, n: int, calendar: HolidayCalendar) -> dt.date:
    """The date ``n`` working days after ``start`` (第十五条, SPEC §3.9).

    Used for deadlines such as emergency paperwork due within 3 working days:
    ``start`` itself is not counted, so a job on Friday with n=3 is due on
    Wednesday, and weekends, holidays and 调休 working days are honoured.
    ``n == 0`` returns ``start``. Raises :class:`DomainError` if the count runs
    into a year without holiday data.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DomainError("工作日天数必须是非负整数")
    day = _as_date(start)
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return day


def is_night(
    moment: dt.time | dt.datetime,
    start: dt.time = NIGHT_START,
    end: dt.time = NIGHT_END,
) -> bool:
    """Whether ``moment`` falls in the night window of 附件4 (SPEC §3.9: 夜间).

    The window runs from ``start`` inclusive to ``end`` exclusive and may wrap
    midnight: with the default 22:00–06:00, 21:59 is day, 22:00 is night, 05:59
    is night and 06:00 is day. ``start == end`` means no night at all. Both
    bounds are settings, so callers pass them in.
    """
    t = moment.time() if isinstance(moment, dt.datetime) else moment
    t = t.replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end
