"""三员分立 (SPEC §3.20, 等保 2.0): who administers which part of a user account.

- 系统管理员 (sysadmin) creates accounts and keeps their names, phones and passwords; a new
  account's role, unit and expert are only his proposal — the account stays disabled until
  the 安全管理员 enables it;
- 安全管理员 (secadmin) decides what an account may do (role, unit, linked expert, enabled),
  lifts a login lock and resets two-factor login; he creates no account and sets no password,
  so he cannot make himself a second account;
- nobody changes the role, unit, expert or enabled state of his own account;
- the three administrator roles are given only on the server (``flask create-user``):
  through the web nobody creates an administrator account or gives or takes an
  administrator role, so no account can make an administrator whose password it knows; and
  their passwords are changed only by their holders (a lost one is reset on the server with
  ``flask reset-password``), so the sysadmin cannot take over the auditor's account either;
  their two-factor login is required (``TOTP_ROLES``).

The rights table (``app.auth.rights``: ``RIGHTS["user"]``, ``ACCOUNT_FIELDS``) says who holds
which field; :func:`check_account_change` applies it for every path that changes an account.
"""
from __future__ import annotations

from sqlalchemy import inspect

from app.auth.rights import (
    ACCOUNT_CREATE_FIELDS,
    ACCOUNT_FIELDS,
    ADMIN_ROLES,
    PERMISSION_FIELDS,
    SELF_PASSWORD_ROLES,
    allowed,
)
from app.extensions import db
from app.services import audit
from app.services.errors import DomainError
from models.choices import ROLES

#: The account attributes the rule looks at (``password`` stands for ``password_hash``).
TRACKED = {"username": "username", "full_name": "full_name", "phone": "phone", "password": "password_hash",
           "role": "role", "org_unit": "org_unit", "expert": "expert", "active": "active"}
LABELS = {"username": "用户名", "full_name": "姓名", "phone": "手机", "password": "密码", "role": "角色",
          "org_unit": "所属单位", "expert": "关联专家", "active": "启用状态"}


def changed_fields(user) -> set[str]:
    """The tracked attributes of ``user`` changed in this session (not yet flushed)."""
    state = inspect(user)
    with db.session.no_autoflush:
        return {name for name, attr in TRACKED.items() if state.attrs[attr].history.has_changes()}


def role_before(user) -> str | None:
    """``user``'s role as stored, before any change in this session (the account being edited
    may be the editor's own: the form has already written the new role into it)."""
    if user is None:
        return None
    history = inspect(user).attrs.role.history
    return history.deleted[0] if history.deleted else user.role


def _role_label(role: str | None) -> str:
    return ROLES.get(role or "", role or "未登录用户")


def check_account_change(user, by, changed: set[str], *, created: bool = False) -> None:
    """Refuse (``DomainError``) a change of ``changed`` fields of ``user`` by the account ``by``
    that the separation of duties does not give him. Changes nothing."""
    # Loading anything now must not flush the change being judged (its history is the evidence).
    with db.session.no_autoflush:
        _check(user, role_before(user), by, role_before(by), changed, created)


def _check(user, user_role: str | None, by, role: str | None, changed: set[str], created: bool) -> None:
    if created:
        own = ACCOUNT_CREATE_FIELDS.get(role, frozenset())
        if not allowed(role, "user", "create"):
            raise DomainError(f"{_role_label(role)}不能创建账号：账号由系统管理员创建。")
    else:
        own = ACCOUNT_FIELDS.get(role, frozenset())
        if not allowed(role, "user", "edit"):
            raise DomainError(f"{_role_label(role)}不能修改账号。")
    others = sorted(changed - own, key=list(LABELS).index)
    if others:
        holder = "安全管理员" if set(others) <= PERMISSION_FIELDS else "系统管理员"
        fields = "、".join(LABELS[f] for f in others)
        raise DomainError(f"{_role_label(role)}不能修改账号的{fields}（三员分立：由{holder}办理）。")
    if not created and by is not None and user.id == by.id and changed & PERMISSION_FIELDS:
        raise DomainError("不能修改自己账号的角色、所属单位、关联专家或启用状态：须由另一名安全管理员办理。")
    if "role" in changed and ({user.role} if created else {user_role, user.role}) & ADMIN_ROLES:
        raise DomainError("系统管理员、安全管理员和安全审计员的角色只在服务器上授予（flask create-user），"
                          "不能在网页上授予或收回。")
    if "password" in changed and not created and user.id != getattr(by, "id", None):
        if user_role in SELF_PASSWORD_ROLES:
            raise DomainError("系统管理员、安全管理员和安全审计员的密码只能由本人修改；遗失时由服务器管理员用 "
                              "flask reset-password 重置。")


def open_account(user) -> None:
    """A new account created through the user form: disabled until the secadmin enables it."""
    user.active = False


def _check_secadmin_action(user, by, what: str, right: str) -> None:
    if not allowed(getattr(by, "role", None), "user", right):
        raise DomainError(f"{_role_label(getattr(by, 'role', None))}不能{what}（三员分立：由安全管理员办理）。")
    if user.id == by.id:
        raise DomainError(f"不能{what}自己的账号：须由另一名安全管理员办理。")


def unlock(user, by) -> bool:
    """Lift the temporary login lock of ``user`` (and its failure count); audited. Returns
    False (and changes nothing) if the account was not locked."""
    _check_secadmin_action(user, by, "解除账号锁定", "unlock")
    if not user.locked_until and not user.failed_logins:
        return False
    user.locked_until = None
    user.failed_logins = 0
    audit.account_unlocked(user)
    return True


def reset_two_factor(user, by) -> bool:
    """Unbind ``user``'s authenticator (a lost phone): the user enrols again at the next login,
    and every session of the account ends. Returns False if none was bound."""
    from app.auth.login import end_all_sessions
    from app.auth.totp import disable

    _check_secadmin_action(user, by, "重置两步验证", "reset_2fa")
    if not user.totp_secret:
        return False
    disable(user)
    end_all_sessions(user)
    return True
