"""Who may open the phone workspace pages, and the shared steps of their actions.

Every workspace route declares the right it needs with :func:`unit_page` — a row of
:data:`app.auth.rights.RIGHTS` (``phone_request``, ``phone_notice``, ``phone_contact``) and an
action — so the route walk of the security tests checks each one against that table. Row
limits come next: a unit sees and acts on its own requests only; anything else is a 404,
as if it did not exist.

Forms carry the ``version`` of the record they change; a form sent twice, or after someone
else changed the record, is refused with a message instead of acting twice.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from app.auth.rights import allowed
from app.database import run_action
from app.errors import render_error
from app.extensions import db
from app.validators import parse_date, parse_datetime  # noqa: F401  (the phone pages import them from here)
from models import Assignment, Notice, UsageRequest

STALE_MESSAGE = "该记录刚刚已被更新（可能是重复提交或他人同时操作），请查看最新状态后再操作。"
NO_UNIT_MESSAGE = "您的账号没有关联所属单位，无法使用手机工作台，请联系系统管理员。"
WRONG_ROLE_MESSAGE = "手机工作台供镇（开发区、街道）和局科室、执法大队的工作人员使用。"


def unit_page(page: str, action: str):
    """The route needs ``RIGHTS[page][role] ∋ action`` and a unit; anonymous users log in first."""

    def decorator(view: Callable):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not allowed(current_user.role, page, action):
                return render_error(403, WRONG_ROLE_MESSAGE)
            if current_user.org_unit_id is None:
                return render_error(403, NO_UNIT_MESSAGE)
            return view(*args, **kwargs)

        wrapped.right = (page, action)
        return wrapped

    return decorator


def own_request(request_id: int) -> UsageRequest:
    """The request if it is the user's unit's; 404 otherwise."""
    req = db.session.get(UsageRequest, request_id)
    if req is None or req.unit_id != current_user.org_unit_id:
        abort(404)
    return req


def own_assignment(req: UsageRequest, assignment_id: int) -> Assignment:
    """An assignment of ``req``; 404 for any other."""
    found = next((a for a in req.assignments if a.id == assignment_id), None)
    if found is None:
        abort(404)
    return found


def own_notice(notice_id: int) -> Notice:
    """The notice if its job is the user's unit's; 404 otherwise."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.request.unit_id != current_user.org_unit_id:
        abort(404)
    return notice


def same_version(record) -> bool:
    """Whether the form was built on the record as it is now (``version`` field)."""
    return (request.form.get("version") or "").strip() == str(record.version)


def run(action: Callable, success: str | None = None, *, record=None):
    """Run a domain ``action`` (:func:`app.database.run_action`): commit on success, roll back
    and flash the Chinese reason on refusal. With ``record``, a form built on an older version
    is refused first.

    Returns ``(result, ok)``.
    """
    if record is not None and not same_version(record):
        flash(STALE_MESSAGE, "error")
        return None, False
    return run_action(action, success, stale_message=STALE_MESSAGE)
