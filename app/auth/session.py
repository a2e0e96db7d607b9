"""Flask-Login user loading; the session carries ``id:epoch`` so bumping the epoch logs out."""
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
