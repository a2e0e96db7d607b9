"""Login rules: throttling after repeated failures, safe redirects, session ending."""
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app import clock
from app.auth import device
from app.auth.passwords import hash_password, verify_password
from app.extensions import db
from app.services import audit
from app.services.errors import DomainError
from models import User

# A constant-time dummy check for unknown usernames, so timing does not reveal them.
_DUMMY_HASH: str | None = None


def _now() -> datetime:
    return clock.utcnow()


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def end_read_transaction() -> None:
    """End the current transaction before slow work such as password hashing.

    On SQLite every transaction starts with ``BEGIN IMMEDIATE`` (app/database.py), i.e.
    it holds the database's write lock from its first SELECT. An argon2id check takes
    0.3–1 s of CPU; holding the lock that long made concurrent logins of other users
    wait past the busy timeout (bench/load_evaluations.py: 500s with 50 phones).
    """
    db.session.commit()


def authenticate(username: str, password: str) -> User:
    """Return the user for valid credentials or raise ``DomainError`` with a Chinese reason.

    After ``LOGIN_MAX_FAILURES`` wrong passwords the account is locked for
    ``LOGIN_LOCK_MINUTES``; the lock is stored, so it holds across workers. The password
    is checked outside any database transaction (:func:`end_read_transaction`). Every
    refusal is put on the audit trail with its real reason (the caller commits).
    """
    global _DUMMY_HASH
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    stored_hash = user.password_hash if user is not None else None
    locked_until = user.locked_until if user is not None else None
    end_read_transaction()
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("dummy-password-for-timing")
        verify_password(_DUMMY_HASH, password)
        audit.login_failed(username, reason="unknown")
        raise DomainError("用户名或密码错误。")
    if locked_until and _aware(locked_until) > _now():
        minutes = max(1, int((_aware(locked_until) - _now()).total_seconds() // 60) + 1)
        audit.login_failed(username, user, reason="locked")
        raise DomainError(f"登录失败次数过多，账号已暂时锁定，请{minutes}分钟后再试。")
    if not verify_password(stored_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        if user.failed_logins >= limit:
            user.locked_until = _now() + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            audit.login_failed(username, user, reason="now_locked")
            db.session.commit()
            raise DomainError("登录失败次数过多，账号已暂时锁定，请稍后再试。")
        audit.login_failed(username, user, reason="wrong_password")
        db.session.commit()
        raise DomainError(f"用户名或密码错误。再错{limit - user.failed_logins}次账号将被暂时锁定。")
    if not user.active:
        audit.login_failed(username, user, reason="inactive")
        raise DomainError("该账号已停用，请联系系统管理员。")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = _now()
    return user


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
