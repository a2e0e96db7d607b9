"""Two-factor login with time-based one-time codes (TOTP, RFC 6238; any authenticator app).

- 基础科 and the three administrators (``TOTP_ROLES``) must enrol when ``TOTP_REQUIRED`` is on (the
  production default); everyone else may enrol.
- A code is six digits, valid for its 30-second step and one step either side (clock
  drift); each step is accepted once only, so an overheard code cannot be replayed.
- Wrong codes count towards the same lock as wrong passwords, per account and address
  (``app.auth.throttle``).
"""
import time

import pyotp
import segno
from flask import current_app

from app.auth import throttle
from app.services.errors import DomainError
from models import User

DIGITS = 6
INTERVAL = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, user: User) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    issuer = current_app.config.get("TOTP_ISSUER", "专家库")
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=user.username, issuer_name=issuer
    )


def qr_data_uri(uri: str) -> str:
    """The enrolment QR code as a PNG data URI (allowed by the CSP's ``img-src data:``)."""
    return segno.make(uri, error="m").png_data_uri(scale=6, border=3)


def grouped(secret: str) -> str:
    """The secret in groups of four for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code equals ``code`` (now ± ``DRIFT_STEPS``), else None."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    now = time.time() if at is None else at
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def needs_totp(user: User) -> bool:
    """True if ``user``'s role must use two-factor login under the current configuration."""
    return bool(current_app.config.get("TOTP_REQUIRED")) and user.role in current_app.config.get(
        "TOTP_ROLES", ("office", "sysadmin", "secadmin", "auditor")
    )


def must_enrol(user: User) -> bool:
    """True if ``user`` must set up two-factor login before using the system."""
    return needs_totp(user) and not user.totp_secret


def locked_message() -> str:
    return f"验证失败次数过多，请{current_app.config['LOGIN_LOCK_MINUTES']}分钟后重新登录。"


def check_code(user: User, code: str, address: str | None = None) -> None:
    """Accept ``code`` for ``user`` once, or raise ``DomainError`` (counts towards the lock of
    the account at ``address``, :mod:`app.auth.throttle`).

    The caller commits: on success the used step is stored, on failure the counts.
    """
    if throttle.is_blocked(user.username, address):
        raise DomainError(locked_message())
    step = matching_step(user.totp_secret or "", code)
    if step is not None and user.totp_last_step is not None and step <= user.totp_last_step:
        step = None  # already used: a replayed code
    if step is None:
        throttle.record_failure(user.username, address)
        user.failed_logins = (user.failed_logins or 0) + 1
        if throttle.is_blocked(user.username, address):
            raise DomainError(locked_message())
        raise DomainError("动态验证码不正确或已使用过，请输入验证器上当前显示的6位数字。")
    user.totp_last_step = step


def enrol(user: User, secret: str, code: str) -> None:
    """Bind ``secret`` to ``user`` once ``code`` proves the app holds it; raises ``DomainError``."""
    step = matching_step(secret, code)
    if step is None:
        raise DomainError("验证码不正确：请确认手机时间准确，并输入验证器上当前显示的6位数字。")
    user.totp_secret = secret
    user.totp_last_step = step


def disable(user: User) -> None:
    """Remove two-factor login from ``user`` (the caller has checked password and code)."""
    user.totp_secret = None
    user.totp_last_step = None
