"""Failed logins counted per account and address, and per address (SPEC §3.18; docs/security.md).

The rule:

* **Account and address.** ``LOGIN_MAX_FAILURES`` (5) wrong passwords or wrong two-factor codes
  for one username from one address within ``LOGIN_LOCK_MINUTES`` (15) stop further logins to
  that username *from that address* for ``LOGIN_LOCK_MINUTES``. The owner, logging in from his
  own address, is not locked out by a stranger guessing elsewhere.
* **Address.** ``LOGIN_MAX_FAILURES_PER_ADDRESS`` (20) failures from one address within the same
  window, whatever the usernames, stop every login from that address for ``LOGIN_LOCK_MINUTES``
  (someone trying many accounts).
* Usernames that do not exist are counted exactly like those that do, so neither the answer nor
  a lock tells which accounts exist. A successful login (both steps) clears the counter of its
  account and address; the address's own counter runs out with its window.
* The counters live in the database (``login_throttle``), so every worker and host shares them.
  The login form is also limited to 20 posts a minute per address (Flask-Limiter).

Functions flush; the caller commits.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from models import LoginThrottle


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


def account_key(username: str, address: str | None) -> str:
    name = (username or "").strip().lower()[:100]
    return f"acct:{name}|{address or '-'}"


def address_key(address: str | None) -> str:
    return f"addr:{address or '-'}"


def _limits() -> dict[str, int]:
    config = current_app.config
    return {"acct": int(config["LOGIN_MAX_FAILURES"]), "addr": int(config.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 20))}


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))


def is_blocked(username: str, address: str | None, now: dt.datetime | None = None) -> bool:
    """True while logins to ``username`` from ``address`` are stopped (either counter)."""
    now = now or clock.utcnow()
    rows = db.session.scalars(select(LoginThrottle.locked_until).where(
        LoginThrottle.key.in_((account_key(username, address), address_key(address))),
        LoginThrottle.locked_until.is_not(None)))
    return any(_aware(until) > now for until in rows)


def _row(key: str, now: dt.datetime) -> LoginThrottle:
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    if row is not None:
        return row
    row = LoginThrottle(key=key, failures=0, window_start=now)
    try:
        with db.session.begin_nested():  # another worker may insert the same key at this moment
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    return row


def record_failure(username: str, address: str | None, now: dt.datetime | None = None) -> None:
    """Count one failed login (password or code) for the account and address and for the address.

    Failures while a lock holds neither extend it nor count: the lock ends when it said.
    """
    now = now or clock.utcnow()
    window = _window()
    limits = _limits()
    for kind, key in (("acct", account_key(username, address)), ("addr", address_key(address))):
        row = _row(key, now)
        if row.locked_until is not None and _aware(row.locked_until) > now:
            continue
        if row.locked_until is not None or _aware(row.window_start) + window <= now:
            row.failures, row.window_start, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limits[kind]:
            row.locked_until = now + window
    db.session.flush()


def clear(username: str, address: str | None) -> None:
    """A successful login: the account and address start afresh."""
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == account_key(username, address)))
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def clear_account(username: str) -> int:
    """Lift every lock of ``username`` (all addresses), e.g. for the security administrator."""
    prefix = account_key(username, "").rsplit("|", 1)[0] + "|"
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.startswith(prefix, autoescape=True)))
    count = 0
    for row in rows:
        db.session.delete(row)
        count += 1
    db.session.flush()
    return count


def purge_expired(now: dt.datetime | None = None) -> None:
    """Drop counters whose window and lock have both run out (keeps the table small)."""
    now = now or clock.utcnow()
    cutoff = now - _window()
    for row in db.session.scalars(select(LoginThrottle).where(
            LoginThrottle.window_start < cutoff,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now))):
        db.session.delete(row)
    db.session.flush()
