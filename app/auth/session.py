"""Flask-Login user loading; the session carries ``id:epoch`` so bumping the epoch logs out."""
from flask import g
from flask_login import current_user

from app.extensions import db
from models import User


def load_user(user_id: str):
    """Return the active user whose id and session epoch match the session, else None."""
    try:
        raw_id, raw_epoch = user_id.split(":", 1)
        uid, epoch = int(raw_id), int(raw_epoch)
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or (user.session_epoch or 0) != epoch:
        return None
    return user


# Per-request values that Flask-Login and Flask-WTF cache on ``g``.
_REQUEST_CACHES = ("_login_user", "csrf_token", "csrf_valid")


def forget_request_caches() -> None:
    """Drop the logged-in user and CSRF token cached on ``g`` before each request.

    ``g`` lives on the app context; when an outer app context is already pushed (tests,
    scripts), requests share it, and a cached user or token would leak between them.
    Each request must authenticate from its own cookie.
    """
    cached = vars(g._get_current_object())
    for name in _REQUEST_CACHES:
        cached.pop(name, None)


def user_in_templates() -> dict:
    """``current_user`` for templates as Flask-Login's lazy proxy.

    Flask-Login's own context processor loads the account (session, session-protection hash,
    a query) for every rendered template; through the proxy only a template that shows the
    user pays for it.
    """
    return {"current_user": current_user}
