"""Org units and user accounts (SPEC §1, §2)."""
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import EncryptedString, PersonalString, TimestampMixin
from models.choices import ORG_KINDS, ROLES, TOWN_LEVEL_KINDS

if TYPE_CHECKING:
    from models.expert import Expert


class OrgUnit(TimestampMixin, db.Model):
    """A 局科室, 执法大队, 镇, 开发区 or 街道."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    contact_person: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True, active_history=True)

    users: Mapped[list["User"]] = relationship(back_populates="org_unit")

    @property
    def kind_label(self) -> str:
        return ORG_KINDS.get(self.kind, self.kind)

    @property
    def is_town_level(self) -> bool:
        return self.kind in TOWN_LEVEL_KINDS

    def __str__(self) -> str:
        return self.name


class User(UserMixin, TimestampMixin, db.Model):
    """A staff or expert login. ``session_epoch`` changes end every session of the user."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    full_name: Mapped[str] = mapped_column(String(50), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # What an account may do: the old value is loaded before a change, for the audit trail.
    role: Mapped[str] = mapped_column(String(20), index=True, active_history=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"), unique=True)
    phone: Mapped[str | None] = mapped_column(PersonalString(30, "user.phone"))  # encrypted at rest
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Consecutive failed logins of the account from any address (shown and audited; the lock
    # itself is per account and address, LoginThrottle). ``locked_until`` is no longer set by
    # failed logins.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # The authenticator secret, encrypted at rest (SM4-GCM, key outside the database).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString(255, context="user.totp_secret"))
    # The last accepted TOTP time step: a code is accepted once only (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    org_unit: Mapped[OrgUnit | None] = relationship(back_populates="users", active_history=True)
    expert: Mapped[Optional["Expert"]] = relationship(foreign_keys=[expert_id], active_history=True)

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot log in
        return bool(self.active)

    def get_id(self) -> str:
        # The epoch travels in the session: bumping it logs the user out everywhere.
        return f"{self.id}:{self.session_epoch or 0}"

    def __str__(self) -> str:
        return self.full_name or self.username


class LoginThrottle(db.Model):
    """Failed logins counted per account and address, and per address (app/auth/throttle.py).

    ``key`` is ``acct:<username>|<address>`` or ``addr:<address>``; usernames that do not
    exist are counted the same way, so a lock says nothing about which accounts exist.
    """

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
