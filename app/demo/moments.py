"""When the demo's events happen: the demo calls the domain functions as staff would have,
each at its own back-dated moment, by running it under :func:`app.clock.frozen`.

So every timestamp a service writes itself (a draw's time, a review step, a permit's issue,
an audit entry, ``created_at``) is the moment the event happened, and no field is set
afterwards to make it look so.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from app import clock
from app.services.calendar_data import load_calendar
from app.services.errors import DomainError


@contextmanager
def at(day: dt.date, hour: int = 9, minute: int = 0):
    """Run the block at ``day`` ``hour:minute`` Beijing time (never later than now)."""
    moment = clock.at_local(day, dt.time(hour, minute))
    with clock.frozen(min(moment, clock.utcnow())):
        yield


@contextmanager
def at_moment(moment: dt.datetime):
    """Run the block at the aware instant ``moment`` (never later than now)."""
    with clock.frozen(min(moment, clock.utcnow())):
        yield


def working_day(day: dt.date, step: int = -1) -> dt.date:
    """``day`` or the nearest working day before (step -1) or after (step 1) it."""
    calendar = load_calendar()
    for _ in range(20):
        try:
            if calendar.is_working_day(day):
                return day
        except DomainError:  # a year without holiday data: weekdays only
            if day.weekday() < 5:
                return day
        day += dt.timedelta(days=step)
    return day


def quarter_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s calendar quarter."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
