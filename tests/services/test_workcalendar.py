"""Working-day calendar and night window (附件4, 第十五条, SPEC §3.9)."""

import datetime as dt

import pytest

from app.services.errors import DomainError
from app.services.workcalendar import (
    HolidayCalendar,
    add_working_days,
    is_night,
    seed_rows,
    supported_years,
)

D = dt.date


@pytest.fixture(scope="module")
def calendar():
    return HolidayCalendar(seed_rows([2025, 2026]), [2025, 2026])


@pytest.mark.parametrize(
    ("day", "weekday", "non_working", "name"),
    [
        (D(2026, 9, 30), "Wed", False, None),  # ordinary weekday
        (D(2026, 9, 12), "Sat", True, None),  # ordinary weekend
        (D(2026, 9, 26), "Sat", True, "中秋"),  # weekend inside 中秋 (25–27 Sep)
        (D(2026, 10, 1), "Thu", True, "国庆节"),  # weekday that is a holiday
        (D(2026, 10, 3), "Sat", True, "国庆节"),  # weekend inside the holiday
        (D(2026, 10, 10), "Sat", False, "国庆节调休上班"),  # 调休: a working Saturday
        (D(2026, 1, 4), "Sun", False, "元旦调休上班"),  # 调休: a working Sunday
        (D(2026, 2, 14), "Sat", False, "春节调休上班"),
        (D(2026, 1, 1), "Thu", True, "元旦"),
        (D(2025, 10, 8), "Wed", True, "国庆节"),  # 2025: 国庆 + 中秋, eight days
        (D(2025, 10, 11), "Sat", False, "国庆节调休上班"),
    ],
)
def test_is_non_working_day(calendar, day, weekday, non_working, name):
    assert day.strftime("%a") == weekday  # the table is checkable by eye
    assert calendar.is_non_working_day(day) is non_working
    assert calendar.is_working_day(day) is not non_working
    assert calendar.day_name(day) == name


def test_datetime_is_treated_as_its_date(calendar):
    assert calendar.is_non_working_day(dt.datetime(2026, 10, 1, 23, 30))
    assert not calendar.is_non_working_day(dt.datetime(2026, 10, 10, 8, 0))


def test_year_without_data_is_refused(calendar):
    with pytest.raises(DomainError, match="2027年的节假日数据尚未维护"):
        calendar.is_non_working_day(D(2027, 1, 4))
    with pytest.raises(DomainError, match="2024年的节假日数据尚未维护"):
        calendar.is_non_working_day(D(2024, 6, 3))  # data exists, but not loaded


def test_hand_maintained_rows_override_the_weekday_rule():
    """An editable table: the office may enter a year the package lacks."""
    rows = {D(2027, 1, 1): (False, "元旦"), D(2027, 1, 9): (True, "元旦调休上班")}
    calendar = HolidayCalendar(rows, [2027])
    assert calendar.is_non_working_day(D(2027, 1, 1))  # Friday, holiday
    assert not calendar.is_non_working_day(D(2027, 1, 9))  # Saturday, worked
    assert calendar.is_non_working_day(D(2027, 1, 10))  # plain Sunday
    assert not calendar.is_non_working_day(D(2027, 1, 11))  # plain Monday


def test_seed_rows_covers_the_package_years():
    years = supported_years()
    assert min(years) == 2004
    assert 2026 in years
    rows = seed_rows()
    assert {day.year for day in rows} == set(years)
    assert rows[D(2004, 10, 1)] == (False, "国庆节")


def test_seed_rows_refuses_years_the_package_lacks():
    with pytest.raises(DomainError, match="没有2099年的节假日安排"):
        seed_rows([2026, 2099])


def test_from_chinesecalendar():
    calendar = HolidayCalendar.from_chinesecalendar([2026])
    assert calendar.years == {2026}
    assert calendar.is_non_working_day(D(2026, 10, 1))


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 9, 14), 3, D(2026, 9, 17)),  # Mon → Thu
        (D(2026, 9, 11), 3, D(2026, 9, 16)),  # Fri → Wed, across a weekend
        (D(2026, 9, 12), 1, D(2026, 9, 14)),  # Sat → Mon
        # Across National Day: Tue 29 Sep; Wed 30 is the 1st working day, then
        # 1–7 Oct off, Thu 8 and Fri 9 are the 2nd and 3rd.
        (D(2026, 9, 29), 3, D(2026, 10, 9)),
        # Sat 10 Oct 2026 is a 调休 working day and counts.
        (D(2026, 10, 8), 3, D(2026, 10, 12)),  # Thu → Fri 9, Sat 10, Mon 12
        (D(2026, 9, 30), 0, D(2026, 9, 30)),
    ],
)
def test_add_working_days(calendar, start, n, due):
    assert add_working_days(start, n, calendar) == due


def test_add_working_days_into_a_year_without_data(calendar):
    with pytest.raises(DomainError, match="2027年的节假日数据尚未维护"):
        add_working_days(D(2026, 12, 30), 5, calendar)


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_add_working_days_refuses_bad_counts(calendar, n):
    with pytest.raises(DomainError, match="非负整数"):
        add_working_days(D(2026, 9, 14), n, calendar)


@pytest.mark.parametrize(
    ("moment", "night"),
    [
        (dt.time(12, 0), False),
        (dt.time(21, 59, 59), False),
        (dt.time(22, 0), True),  # 22:00 inclusive
        (dt.time(23, 59), True),
        (dt.time(0, 0), True),
        (dt.time(5, 59, 59), True),
        (dt.time(6, 0), False),  # 06:00 exclusive
        (dt.datetime(2026, 3, 2, 22, 30), True),
    ],
)
def test_is_night_default_window(moment, night):
    assert is_night(moment) is night


@pytest.mark.parametrize(
    ("moment", "start", "end", "night"),
    [
        # A setting of 21:00–05:00.
        (dt.time(21, 0), dt.time(21), dt.time(5), True),
        (dt.time(5, 0), dt.time(21), dt.time(5), False),
        # A window that does not wrap midnight.
        (dt.time(0, 30), dt.time(0), dt.time(6), True),
        (dt.time(23, 30), dt.time(0), dt.time(6), False),
        # start == end: no night.
        (dt.time(22, 0), dt.time(22), dt.time(22), False),
    ],
)
def test_is_night_configured_window(moment, start, end, night):
    assert is_night(moment, start, end) is night
