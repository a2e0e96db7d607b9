"""Rate limits for public pages (Flask-Limiter; storage from ``RATELIMIT_STORAGE_URI``)."""
from flask import current_app


def public_limit() -> str:
    """The per-client limit on every public page, from config ``PUBLIC_RATE_LIMIT``."""
    return current_app.config["PUBLIC_RATE_LIMIT"]
