"""The clock of the system: the bureau's date and time (SPEC §3.17).

Every "today" and "now" of a rule comes from here, and every time shown or printed is
converted here, so that a server whose clock runs on UTC (the usual case) still decides in
the bureau's time zone: from 00:00 to 08:00 Beijing time the server's date is yesterday's.
This module is the only one that reads the system time (a test fails if another module
calls ``date.today()``, ``datetime.now()`` or ``datetime.utcnow()``).

- ``today()`` / ``now()``: the bureau's date and aware local time;
- ``utcnow()``: the aware UTC instant, for stored timestamps (columns hold UTC);
- ``local(moment)`` / ``local_date(moment)``: a stored instant in the bureau's zone (naive
  values, as SQLite returns them, are UTC);
- ``format_time(moment)``: what screens and documents print, to the minute (or second).

The zone is the setting ``BUREAU_TIMEZONE`` (default ``Asia/Shanghai``). Tests freeze the
clock with :func:`frozen` instead of patching the standard library.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"


def _system_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# The source of the current instant; ``frozen`` replaces it in tests.
_source: Callable[[], dt.datetime] = _system_now


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"BUREAU_TIMEZONE 设置无效：{name}（应为如 Asia/Shanghai 的时区名）。") from exc


def zone() -> ZoneInfo:
    """The bureau's time zone: the app's ``BUREAU_TIMEZONE``, else the environment's, else Shanghai."""
    name = None
    try:
        from flask import current_app

        name = current_app.config.get("BUREAU_TIMEZONE")
    except RuntimeError:  # outside an application context (scripts, pure unit tests)
        pass
    return _zone(name or os.environ.get("BUREAU_TIMEZONE") or DEFAULT_TIMEZONE)


def utcnow() -> dt.datetime:
    """The current instant, aware, in UTC (what timestamp columns store)."""
    return _source().astimezone(dt.UTC)


def now() -> dt.datetime:
    """The current time in the bureau's zone, aware."""
    return _source().astimezone(zone())


def today() -> dt.date:
    """The bureau's date today."""
    return now().date()


def local(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored instant in the bureau's zone; naive values are taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone())


def local_date(moment: dt.datetime | None) -> dt.date | None:
    """The bureau's date of a stored instant."""
    moment = local(moment)
    return moment.date() if moment else None


def at_local(day: dt.date, time: dt.time = dt.time(12, 0)) -> dt.datetime:
    """The instant (aware, UTC) of a local date and wall-clock time, e.g. a paper form's day."""
    return dt.datetime.combine(day, time, zone()).astimezone(dt.UTC)


def format_time(moment: dt.datetime | None, seconds: bool = False) -> str:
    """``2026-12-03 09:41`` (or ``…:07`` with seconds) in the bureau's zone; '' for nothing."""
    moment = local(moment)
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


@contextmanager
def frozen(instant: dt.datetime) -> Iterator[None]:
    """Run the block as if the current instant were ``instant`` (aware; naive means UTC)."""
    global _source
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    previous = _source
    _source = lambda: instant  # noqa: E731
    try:
        yield
    finally:
        _source = previous
