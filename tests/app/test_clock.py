"""The bureau's clock (SPEC §3.17): one module reads the system time, in the bureau's zone."""
import ast
import datetime as dt
import os
import time
from pathlib import Path

import pytest

from app import clock

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "admin_views", "models", "printables")


def _calls_the_system_clock(path: Path) -> list[int]:
    """Lines calling ``date.today()``, ``datetime.now()`` or ``datetime.utcnow()``, in any spelling."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (owner_name, node.func.attr) in {("date", "today"), ("datetime", "now"), ("datetime", "utcnow")}:
                found.append(node.lineno)
    return found


def test_no_module_but_the_clock_reads_the_system_time():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path != ROOT / "app" / "clock.py":
                offenders += [f"{path.relative_to(ROOT)}:{line}" for line in _calls_the_system_clock(path)]
    assert offenders == [], "use app.clock instead: " + ", ".join(offenders)


def test_the_guard_itself_finds_a_call(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import datetime as dt\nfrom datetime import date\nx = dt.date.today()\n"
                      "y = dt.datetime.now(dt.UTC)\nz = date.today()\n", encoding="utf-8")
    assert _calls_the_system_clock(sample) == [3, 4, 5]


@pytest.fixture
def utc_process():
    """The process runs on UTC, as servers usually do."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize("utc, beijing_day", [
    (dt.datetime(2026, 12, 24, 23, 30, tzinfo=dt.UTC), dt.date(2026, 12, 25)),  # 07:30 in Beijing
    (dt.datetime(2026, 12, 25, 0, 30, tzinfo=dt.UTC), dt.date(2026, 12, 25)),
    (dt.datetime(2026, 12, 25, 15, 59, tzinfo=dt.UTC), dt.date(2026, 12, 25)),  # 23:59
    (dt.datetime(2026, 12, 25, 16, 0, tzinfo=dt.UTC), dt.date(2026, 12, 26)),  # midnight
])
def test_today_is_the_bureaus_date_whatever_the_server_says(utc_process, utc, beijing_day):
    with clock.frozen(utc):
        assert clock.today() == beijing_day
        assert clock.now().utcoffset() == dt.timedelta(hours=8)
        assert clock.utcnow() == utc


def test_the_zone_is_a_setting(app):
    app.config["BUREAU_TIMEZONE"] = "Asia/Urumqi"  # UTC+6
    with clock.frozen(dt.datetime(2026, 12, 24, 17, 30, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2026, 12, 24)
    app.config["BUREAU_TIMEZONE"] = "Asia/Shanghai"
    with clock.frozen(dt.datetime(2026, 12, 24, 17, 30, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2026, 12, 25)


def test_stored_times_are_shown_in_beijing_time_to_the_minute():
    stored = dt.datetime(2026, 12, 3, 1, 41, 7, 123456)  # naive, as SQLite returns UTC
    assert clock.format_time(stored) == "2026-12-03 09:41"
    assert clock.format_time(stored, seconds=True) == "2026-12-03 09:41:07"
    assert clock.format_time(None) == ""
    assert clock.local_date(dt.datetime(2026, 12, 2, 16, 30, tzinfo=dt.UTC)) == dt.date(2026, 12, 3)


def test_a_local_day_and_hour_is_stored_as_its_utc_instant():
    assert clock.at_local(dt.date(2026, 12, 25), dt.time(7, 0)) == dt.datetime(2026, 12, 24, 23, 0, tzinfo=dt.UTC)
