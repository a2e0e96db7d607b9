"""Configuration classes. Secrets come only from the environment, or — for a development
installation without them — from keys generated once into ``instance/`` (app/crypto.py)."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'expertpool.sqlite3'}"
    # Heroku-style URLs name the old driver; we ship psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Production defaults. ``SECRET_KEY`` must come from the environment."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Without SECRET_KEY outside production, a random key is generated once into this file (0600).
    SECRET_KEY_FILE = os.environ.get("SECRET_KEY_FILE", str(INSTANCE_DIR / "secret_key"))
    # Field encryption (app/crypto.py): 32 hex digits; production refuses to start without it.
    DATA_ENCRYPTION_KEY = os.environ.get("DATA_ENCRYPTION_KEY")
    DATA_ENCRYPTION_KEY_ID = os.environ.get("DATA_ENCRYPTION_KEY_ID", "1")
    DATA_ENCRYPTION_KEY_FILE = os.environ.get("DATA_ENCRYPTION_KEY_FILE", str(INSTANCE_DIR / "data.key"))
    # Earlier keys still needed to read values ("<id>:<hex>,…"): during a key rotation, or
    # to restore a backup made before one (app/crypto.py, flask rotate-data-key).
    DATA_ENCRYPTION_OLD_KEYS = os.environ.get("DATA_ENCRYPTION_OLD_KEYS", "")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    PUBLIC_RATE_LIMIT = os.environ.get("PUBLIC_RATE_LIMIT", "60 per minute")
    # Permit scans are written together this long after the first of them (app/services/permits/scan_log.py).
    VERIFY_SCAN_FLUSH_SECONDS = float(os.environ.get("VERIFY_SCAN_FLUSH_SECONDS", "0.25"))
    MAX_CONTENT_LENGTH = 30 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    # The bureau's time zone: every "today" of a rule and every time shown (app/clock.py).
    BUREAU_TIMEZONE = os.environ.get("BUREAU_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_TIMEZONE = BUREAU_TIMEZONE
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies: always in production (set SESSION_COOKIE_SECURE=0 only for a trial over
    # plain HTTP); in any configuration a cookie set over HTTPS is Secure (app/security.py).
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A login lasts a working day; "保持登录" keeps a phone logged in for a week at most.
    # Ending all sessions (logout, password change, account disabled) voids both cookies.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    REMEMBER_COOKIE_DURATION = timedelta(days=7)
    # Behind nginx: trust one proxy's X-Forwarded-For/-Proto/-Host (HTTPS seen, client IP for
    # the rate limits). Only set it when a proxy really is in front, or clients could forge them.
    PROXY_FIX = os.environ.get("PROXY_FIX", "0") == "1"
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "1"))
    # Two-factor login (TOTP) is required for 基础科 and the three administrators (三员): a
    # password reset alone then never opens one of their accounts.
    TOTP_REQUIRED = os.environ.get("TOTP_REQUIRED", "1") == "1"
    TOTP_ROLES = ("office", "sysadmin", "secadmin", "auditor")
    TOTP_ISSUER = "武进区安全生产专家库"
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    # Failures from one address, whatever the usernames, before that address is stopped (app/auth/throttle.py).
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    # Audit trail (app/services/audit): the key of the chain head's seal and of archive files
    # (default: derived from SECRET_KEY; never stored in the database) and where archives go.
    AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY")
    AUDIT_ARCHIVE_DIR = os.environ.get("AUDIT_ARCHIVE_DIR", str(INSTANCE_DIR / "audit-archive"))
    FLASK_ADMIN_SWATCH = "default"


class DevConfig(Config):
    """Local development and the trial start: cookies work over plain HTTP.

    No published key: without ``SECRET_KEY`` the factory generates one for this installation
    (``SECRET_KEY_FILE``), and the data key likewise (``DATA_ENCRYPTION_KEY_FILE``).
    """

    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    # The demo accounts work without an authenticator app; enrolling is still offered.
    TOTP_REQUIRED = os.environ.get("TOTP_REQUIRED", "0") == "1"


class TestConfig(Config):
    """Tests: throw-away database, CSRF on (tests send the token), low password cost."""

    ENV_NAME = "testing"
    TESTING = True
    # Random per test run: no key of the repository ever signs anything.
    SECRET_KEY = secrets.token_hex(32)
    DATA_ENCRYPTION_KEY = secrets.token_hex(16)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_ENABLED = False
    TOTP_REQUIRED = False  # tests of two-factor login switch it on
    PROXY_FIX = False
    PASSWORD_HASH_FAST = True
    VERIFY_SCAN_FLUSH_SECONDS = 0  # scans written in the request, so tests can count them at once


CONFIGS = {"production": Config, "development": DevConfig, "testing": TestConfig}
