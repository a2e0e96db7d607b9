"""Calling or messaging a drawn expert (第十条(三); SPEC §3.15).

Experts' phone numbers are confidential and masked for everyone but 基础科 — with one
exception: the staff of a unit may call or message an expert chosen for the unit's own job,
while he is on it (not a backup not yet called, not after he declined or was released), and
every such use is written to the audit log. The number itself reaches the user's phone only
through :func:`record_contact`, which writes the log entry first.

Functions flush nothing themselves; the caller commits (the audit entry goes with it).
"""
from __future__ import annotations

from urllib.parse import quote

from app.auth.rights import allowed
from app.services import audit
from app.services.dispatch.assignments import OPEN_RESPONSES
from app.services.errors import DomainError
from app.services.identity import check_mobile, mask_phone
from models import Assignment

#: The two ways of contacting an expert, with the words the log and the buttons use.
CONTACT_KINDS = {"call": "拨打电话", "sms": "发送短信"}


def _mobile(assignment: Assignment) -> str | None:
    try:
        return check_mobile(assignment.expert.mobile or "")
    except DomainError:
        return None


def contact_refusal(user, assignment: Assignment) -> str | None:
    """Why ``user`` may not call or message the expert of ``assignment``; None when he may.

    Only the staff of the requesting unit, only for an expert on the job: chosen (by draw,
    designation or from 上级库/库外), not a backup still waiting, answer pending or accepted,
    the request not cancelled.
    """
    req = assignment.request
    if not allowed(getattr(user, "role", None), "phone_contact", "create") or user.org_unit_id is None:
        return "只有使用单位的工作人员可以联系本单位任务选派的专家。"
    if req.unit_id != user.org_unit_id:
        return "只能联系本单位任务选派的专家。"
    if req.state == "cancelled":
        return "该申请已取消，不能再联系专家。"
    if assignment.is_backup:
        return "候补专家尚未递补，暂不联系。"
    if assignment.response not in OPEN_RESPONSES:
        return f"该专家的答复为“{assignment.response_label}”，已不在本次任务中。"
    if _mobile(assignment) is None:
        return "该专家没有登记有效的手机号码，请联系基础科。"
    return None


def may_contact(user, assignment: Assignment) -> bool:
    """True when ``user`` may call or message the expert of ``assignment`` (see :func:`contact_refusal`)."""
    return contact_refusal(user, assignment) is None


def _day(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def task_message(assignment: Assignment) -> str:
    """The text of the message to the expert: who asks, what, when, where, the task number."""
    req = assignment.request
    when = _day(req.start_date)
    if req.end_date != req.start_date:
        when += f"至{req.end_date.month}月{req.end_date.day}日"
    places = []
    for ent in req.enterprises:
        places.append(ent.name + (f"（{ent.address}）" if ent.address else ""))
    text = (f"{assignment.expert.name}专家您好：{req.unit.name}邀请您参加{req.activity_label}任务“{req.subject}”。"
            f"时间：{when}；地点：{'、'.join(places) or '另行通知'}；任务编号：{req.request_no}。")
    if assignment.response == "pending":
        text += "请登录专家库手机端答复是否参加。"
    return text + "工作时请佩戴专家工作证。"


def contact_url(assignment: Assignment, kind: str) -> str:
    """The ``tel:`` or ``sms:`` address for the expert (the ``sms:`` one with the task's text).

    ``sms:NUMBER?&body=`` is the form both Android and iOS messaging apps read.
    """
    number = _mobile(assignment)
    if number is None:
        raise DomainError("该专家没有登记有效的手机号码，请联系基础科。")
    if kind == "call":
        return f"tel:{number}"
    if kind == "sms":
        return f"sms:{number}?&body={quote(task_message(assignment), safe='')}"
    raise DomainError("联系方式无效。")


def record_contact(user, assignment: Assignment, kind: str) -> str:
    """Check the right, write the audit entry, and return the ``tel:``/``sms:`` address.

    Raises :class:`DomainError` (and writes nothing) when ``user`` may not contact him.
    """
    if kind not in CONTACT_KINDS:
        raise DomainError("联系方式无效。")
    refusal = contact_refusal(user, assignment)
    if refusal:
        raise DomainError(refusal)
    url = contact_url(assignment, kind)
    req = assignment.request
    audit.record_event(
        kind, f"{CONTACT_KINDS[kind]}：{assignment.expert.name}（{req.request_no} {req.subject}）",
        table="assignment", row_id=assignment.id,
        details={"expert": assignment.expert.name, "mobile": _mobile(assignment), "request_no": req.request_no},
    )
    return url


def masked_mobile(assignment: Assignment) -> str:
    """The expert's mobile as every screen shows it (SPEC §3.15)."""
    return mask_phone(assignment.expert.mobile)
