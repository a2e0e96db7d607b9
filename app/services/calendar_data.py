"""The official calendar as kept in the database (SPEC §3.9, 第十五条).

``workcalendar.HolidayCalendar`` is the pure rule over plain rows; this module reads
the editable ``holiday`` and ``calendar_year`` tables into one, so every rule that
counts working days (emergency paperwork deadlines) or asks whether a day is a
holiday (附件4 应急处置 at the holiday rate) reads the same data.
"""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.services.workcalendar import HolidayCalendar
from models import CalendarYear, Holiday


def load_calendar() -> HolidayCalendar:
    """The holiday table and its covered years as a :class:`HolidayCalendar` (two queries)."""
    rows = {
        row.day: (bool(row.is_workday), row.name or "")
        for row in db.session.execute(select(Holiday.day, Holiday.is_workday, Holiday.name))
    }
    years = db.session.scalars(select(CalendarYear.year)).all()
    return HolidayCalendar(rows, years)
