"""Who acts in the demo: the demo logins, and for units without one a staff account made
as the system administrator makes accounts (it cannot log in: its password is random)."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from app.auth.passwords import hash_password
from app.extensions import db
from models import OrgUnit, User


def user(username: str) -> User | None:
    """A demo login by its user name."""
    return db.session.scalar(select(User).where(User.username == username))


_LOCKED: list[str] = []


def _unusable_hash() -> str:
    """A hash of a random password nobody knows (computed once: argon2id is slow on purpose)."""
    if not _LOCKED:
        _LOCKED.append(hash_password(secrets.token_urlsafe(24)))
    return _LOCKED[0]


def staff_of(unit: OrgUnit) -> User:
    """A user of ``unit`` (town staff score and request as ``town``, brigade staff as ``department``)."""
    found = db.session.scalar(select(User).where(User.org_unit_id == unit.id, User.active.is_(True)).order_by(User.id))
    if found is not None:
        return found
    role = "town" if unit.is_town_level else "department"
    account = User(username=f"unit{unit.id:03d}", full_name=f"{unit.name}工作人员", role=role, org_unit=unit,
                   password_hash=_unusable_hash(), active=True)
    db.session.add(account)
    db.session.flush()
    return account
