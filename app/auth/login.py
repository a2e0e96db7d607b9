"""Login rules: one answer for every failure, throttling, safe redirects, session ending.

An unknown username, a wrong password and a locked account get the same words and take about
the same time (SPEC §3.18): each runs exactly one password-hash check (against a dummy hash
when there is no account) and the same bookkeeping. Failures are counted per account *and*
address, and per address (:mod:`app.auth.throttle`), so a stranger guessing from elsewhere
cannot lock the owner out.
"""
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app import clock
from app.auth import device, throttle
from app.auth.passwords import hash_password, verify_password
from app.extensions import db
from app.services import audit
from app.services.errors import DomainError
from models import User

# A hash of nothing anyone knows, for usernames without an account: same cost as a real check.
_DUMMY_HASH: str | None = None


def failure_message() -> str:
    """The one answer to every failed login (unknown user, wrong password, locked)."""
    config = current_app.config
    return (f"用户名或密码错误。连续输错{config['LOGIN_MAX_FAILURES']}次后，"
            f"须等待{config['LOGIN_LOCK_MINUTES']}分钟才能再次登录。")


def end_read_transaction() -> None:
    """End the current transaction before slow work such as password hashing.

    On SQLite every transaction starts with ``BEGIN IMMEDIATE`` (app/database.py), i.e.
    it holds the database's write lock from its first SELECT. An argon2id check takes
    0.3–1 s of CPU; holding the lock that long made concurrent logins of other users
    wait past the busy timeout (bench/load_evaluations.py: 500s with 50 phones).
    """
    db.session.commit()


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("dummy-password-for-timing")
    return _DUMMY_HASH


def authenticate(username: str, password: str, address: str | None = None) -> User:
    """Return the user for valid credentials, or raise ``DomainError`` with :func:`failure_message`.

    Every path does the same work: one read of the account and the throttle, one password
    check outside any transaction (:func:`end_read_transaction`), and on failure one count per
    account-and-address and per address. Nothing is reset here: the caller ends a successful
    login with :func:`finish_login` (after the second factor, where there is one).
    """
    name = (username or "").strip()
    user = db.session.scalar(select(User).where(User.username == name)) if name else None
    stored_hash = user.password_hash if user is not None else None
    blocked = throttle.is_blocked(name, address)
    end_read_transaction()
    matches = verify_password(stored_hash or _dummy_hash(), password or "")
    if user is None or blocked or not matches:
        throttle.record_failure(name, address)
        if user is not None:
            user.failed_logins = (user.failed_logins or 0) + 1
        # The trail keeps the real reason; the person at the keyboard gets one answer.
        reason = "unknown" if user is None else "locked" if blocked else "wrong_password"
        if not blocked and throttle.is_blocked(name, address):
            reason = "now_locked"
        audit.login_failed(name, user, reason=reason)
        db.session.commit()
        raise DomainError(failure_message())
    if not user.active:
        audit.login_failed(username, user, reason="inactive")
        raise DomainError("该账号已停用，请联系系统管理员。")
    return user


def finish_login(user: User, address: str | None) -> None:
    """A complete login (password, and code where required): counters cleared, time noted."""
    throttle.clear(user.username, address)
    throttle.purge_expired()
    user.failed_logins = 0
    user.last_login_at = clock.utcnow()


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` only if it is a local path on this site; otherwise ``default``."""
    if not target:
        return default
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def end_all_sessions(user: User) -> None:
    """Invalidate every session of ``user`` (logout, password change, account disabled)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def home_for(user: User) -> str:
    """Where a user lands after login: phone pages for experts; the phone workspace for town
    and department staff on a phone (:mod:`app.auth.device`); the admin otherwise."""
    if user.role == "expert" or (user.role in device.WORKSPACE_ROLES and device.wants_phone()):
        return "/m/"
    return "/admin/"
