"""Audit events: what changes no record but must be on the trail (SPEC §3.20) — logins and
failed logins, logouts, exports, unlocking an account, key rotation, backups and restores,
archiving the log. Each is one entry with a Chinese sentence (``summary``) and its details
(``changes``, as ``{标签: [None, 值]}`` like a new record's values).

The entry joins the caller's transaction: it is written when the caller commits, and lost
with it if the caller rolls back. Functions here only queue; the request layer commits.
"""
from __future__ import annotations

from app.extensions import db
from app.services.audit import hook

#: Every action an entry can carry, in Chinese: the record changes and the events.
ACTION_LABELS = {
    "create": "新建",
    "update": "修改",
    "delete": "删除",
    "permission": "权限变更",
    "login": "登录",
    "login_fail": "登录失败",
    "logout": "退出登录",
    "export": "导出",
    "call": "拨打电话",
    "sms": "发送短信",
    "unlock": "解除锁定",
    "key_rotation": "密钥轮换",
    "backup": "备份",
    "restore": "恢复",
    "archive": "日志归档",
    "chain": "日志链",
}
EVENT_KINDS = frozenset(ACTION_LABELS) - {"create", "update", "delete", "permission"}

#: Why a login failed, in the words of the audit trail (the login page says less: SPEC §3.18).
LOGIN_FAILURES = {
    "unknown": "用户名不存在",
    "wrong_password": "密码错误",
    "now_locked": "密码错误次数过多，账号被暂时锁定",
    "locked": "账号处于暂时锁定中",
    "inactive": "账号已停用",
    "bad_code": "动态验证码错误",
    "code_locked": "动态验证码错误次数过多，账号被暂时锁定",
}


def record_event(kind: str, summary: str, *, table: str = "", row_id: int | None = None,
                 details: dict | None = None, user=None, username: str | None = None) -> None:
    """Put one event on the audit trail, in the current transaction (the caller commits).

    ``kind`` is one of :data:`EVENT_KINDS` (key rotation: ``record_event("key_rotation",
    "个人信息加密密钥已轮换：…", details={"已重新加密": n})``); ``summary`` is the Chinese
    sentence shown in the log; ``details`` are labelled values, masked like a record's columns
    of the same name (``mobile``, ``id_number``…). The actor is ``user`` (or ``username``) when
    given, else whoever is logged in, else 系统 (a command).
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}")
    user_id, name = hook.actor()
    if user is not None:
        user_id, name = user.id, user.username
    elif username is not None:
        user_id, name = None, username
    changes = {str(label): [None, hook.plain(value, str(label))] for label, value in (details or {}).items()}
    hook.enqueue(db.session(), {"user_id": user_id, "username": name, "action": kind, "table_name": table,
                              "row_id": row_id, "summary": summary, "changes": changes,
                              "client_addr": hook.client_addr()})


# --- logins (app/auth) ----------------------------------------------------------------------------

def login_succeeded(user, *, second_factor: bool = False) -> None:
    """A user logged in (password, and the authenticator code for two-factor accounts)."""
    record_event("login", "登录成功（密码和动态验证码）" if second_factor else "登录成功", table="user",
                 row_id=user.id, user=user)


def login_failed(username: str, user=None, *, reason: str) -> None:
    """A login was refused; ``reason`` is a key of :data:`LOGIN_FAILURES`. An unknown username
    is recorded as typed (cut to 50 characters), so that guessing shows on the trail."""
    text = LOGIN_FAILURES[reason]
    details = {"原因": text}
    if user is not None and reason in ("wrong_password", "bad_code"):
        details["连续失败次数"] = user.failed_logins or 0
    if user is not None:
        record_event("login_fail", f"登录失败：{text}", table="user", row_id=user.id, details=details, user=user)
    else:
        record_event("login_fail", f"登录失败：{text}", table="user", details=details,
                     username=(username or "").strip()[:50] or "（空）")


def logged_out(user) -> None:
    record_event("logout", "退出登录", table="user", row_id=user.id, user=user)


def account_unlocked(user) -> None:
    """Someone (the security administrator) lifted the temporary lock of ``user``."""
    record_event("unlock", f"解除账号“{user.username}”的登录锁定", table="user", row_id=user.id,
                 details={"账号": user.username})


# --- exports (admin_views) ------------------------------------------------------------------------

def export_made(what: str, rows: int, fmt: str, *, table: str = "", search: str = "", filters: str = "") -> None:
    """Someone exported ``rows`` rows of ``what`` (a list's name) as ``fmt``."""
    details = {"导出内容": what, "格式": fmt, "行数": rows}
    if search:
        details["搜索条件"] = search[:100]
    if filters:
        details["筛选条件"] = filters[:200]
    record_event("export", f"导出“{what}”{rows}行（{fmt}）", table=table, details=details)
