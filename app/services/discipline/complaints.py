"""Complaints from enterprises (投诉举报, 附件3 第5点; SPEC §5).

附件3 第5点: an enterprise that meets an expert using an inspection for profit reports it to
the bureau, which keeps the enterprise's identity confidential. A complaint may name the
expert through the permit scanned (``?permit=<token>``), through the permit number, or
by name in free text; the office links it to the expert in its inbox, handles it and
notes the outcome. The complainant's name and phone are seen by the office only.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.identity import check_phone
from app.services.permits.verification import well_formed
from app.services.uploads import store_photo
from models import Complaint, Permit
from models.choices import COMPLAINT_STATES

BODY_MIN = 10
BODY_MAX = 2000
PERMIT_NO_RE = re.compile(r"WJAQZJ-\d{4}-\d{4}", re.IGNORECASE)


def _text(value: str | None, label: str, max_len: int, required: bool = True) -> str:
    text = " ".join((value or "").split()) if label != "情况说明" else (value or "").strip()
    if required and not text:
        raise DomainError(f"请填写{label}。")
    if len(text) > max_len:
        raise DomainError(f"{label}不能超过{max_len}个字。")
    return text


def permit_for_token(token: str | None) -> Permit | None:
    """The permit a token names (revoked ones too: a complaint about a void card is still one)."""
    if not well_formed(token):
        return None
    return db.session.scalar(select(Permit).where(Permit.token == token))


def _new_number(today: dt.date) -> str:
    while True:
        number = f"TS{today:%Y%m%d}-{secrets.token_hex(2).upper()}"
        if db.session.scalar(select(Complaint.id).where(Complaint.complaint_no == number)) is None:
            return number


def file_complaint(*, enterprise_name: str, contact_name: str, contact_phone: str, body: str,
                   permit_token: str | None = None, subject: str | None = None, photo: bytes | None = None,
                   today: dt.date | None = None) -> Complaint:
    """Record a complaint (附件3 第5点). Everything is checked before anything is stored.

    ``subject`` is what the enterprise knows about the expert when it did not come from a
    scanned permit: a permit number links the complaint to its expert, a name is kept in
    the text for the office to link.
    """
    enterprise_name = _text(enterprise_name, "企业名称", 200)
    contact_name = _text(contact_name, "联系人", 50)
    phone = check_phone(_text(contact_phone, "联系电话", 30))
    text = _text(body, "情况说明", BODY_MAX)
    if len(text) < BODY_MIN:
        raise DomainError(f"情况说明请至少写{BODY_MIN}个字，说明时间、地点和经过。")
    subject = _text(subject, "被投诉专家", 100, required=False)
    permit = permit_for_token(permit_token)
    if permit is None and subject:
        match = PERMIT_NO_RE.search(subject)
        if match:
            permit = db.session.scalar(select(Permit).where(Permit.permit_no == match.group(0).upper())
                                       .order_by(Permit.id.desc()))
    if subject and permit is None:
        text = f"【被投诉专家】{subject}\n{text}"
    photo_path = store_photo(photo)[0] if photo else None
    complaint = Complaint(
        complaint_no=_new_number(today or clock.today()), enterprise_name=enterprise_name,
        contact_name=contact_name, contact_phone=phone, body=text, photo_path=photo_path,
        permit_id=permit.id if permit else None, expert_id=permit.expert_id if permit else None, state="new",
    )
    db.session.add(complaint)
    db.session.flush()
    return complaint


def check_handling(state: str, note: str | None) -> None:
    """A complaint is closed only with a note of how it was handled (办结须有处理情况)."""
    if state not in COMPLAINT_STATES:
        raise DomainError("未知的处理状态。")
    if state == "closed" and not (note or "").strip():
        raise DomainError("办结投诉时请填写处理情况。")


def complaint_from_followup(*, followup_id: int, enterprise_name: str, contact: str | None, request_id: int,
                            expert_id: int | None, summary: str, today: dt.date | None = None) -> Complaint:
    """The complaint an enterprise's follow-up (企业回访) opens when it says a fee or favour was
    asked: new, in the office's inbox, linked to the follow-up (``followup_id``) rather than
    copying its words, about the job and its expert when the job had one."""
    contact = " ".join((contact or "").split())
    complaint = Complaint(
        complaint_no=_new_number(today or clock.today()), enterprise_name=enterprise_name[:200],
        contact_name=(contact or "企业回访（未留联系人）")[:50], contact_phone="", body=summary,
        request_id=request_id, expert_id=expert_id, followup_id=followup_id, state="new",
    )
    db.session.add(complaint)
    db.session.flush()
    return complaint
