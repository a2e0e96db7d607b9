"""告知书 and 回执 (第十六条, 附件3): one notice per enterprise per job, and its receipt.

第十六条: "使用专家的科室、大队应下发《武进区安全生产专家检查告知书》（附件3）至企业……并做好
回执回收工作". Each notice carries an unguessable token (192 random bits, stored, never
derived from an id); the tear-off 回执 prints it as a QR code to ``/receipt/<token>``
where the enterprise confirms receipt on a phone. A paper 回执 can be scanned and
uploaded instead. Either way the notice turns from 未回收 to 已回收 once, and only once.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import clock
from app.clock import utcnow
from app.extensions import db
from app.services.errors import DomainError
from app.services.uploads import store_document
from models import Notice, UsageRequest
from models.choices import RECEIPT_METHODS

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_SCAN_BYTES = 5 * 1024 * 1024


class ReceiptNotFound(DomainError):
    """The token names no notice (mistyped, forged or withdrawn)."""


class ReceiptAlreadyConfirmed(DomainError):
    """The receipt was confirmed before; nothing is changed."""


def new_token() -> str:
    """A fresh URL-safe token of 192 random bits (32 characters)."""
    return secrets.token_urlsafe(24)


def local_time(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) time as Beijing time, for display."""
    return clock.local(moment)


def format_time(moment: dt.datetime | None) -> str:
    """``2026年3月5日 14:30`` in Beijing time; empty for None."""
    local = local_time(moment)
    if local is None:
        return ""
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def next_notice_no(year: int) -> str:
    """The next notice number of ``year``: WJGZ-2026-0001 (printed as 回执编号)."""
    prefix = f"WJGZ-{year}-"
    last = db.session.scalar(select(func.max(Notice.notice_no)).where(Notice.notice_no.like(prefix + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def issue_notices(req: UsageRequest, today: dt.date | None = None) -> list[Notice]:
    """One notice per enterprise of the job that has none yet (第十六条); returns the new ones."""
    today = today or clock.today()
    if req.state == "cancelled":
        raise DomainError("该申请已取消，不能发放告知书。")
    if req.state == "submitted":
        raise DomainError("请先选派专家，再向企业发放告知书。")
    have = {n.enterprise_id for n in db.session.scalars(select(Notice).where(Notice.request_id == req.id))}
    made = []
    for ent in req.enterprises:
        if ent.id in have:
            continue
        notice = Notice(notice_no=next_notice_no(today.year), request_id=req.id, enterprise=ent,
                        token=new_token(), issued_on=today, receipt_state="pending")
        db.session.add(notice)
        db.session.flush()
        made.append(notice)
    if not made and not have:
        raise DomainError("该申请没有服务企业，无法发放告知书。")
    return made


def unsent_notices(unit_id: int) -> list[tuple[UsageRequest, list]]:
    """The unit's jobs with experts chosen whose enterprises still lack a 告知书 (第十六条):
    (request, enterprises without one), by the job's first day."""
    requests = db.session.scalars(
        select(UsageRequest).where(UsageRequest.unit_id == unit_id, UsageRequest.state.in_(("dispatched", "completed")))
        .options(selectinload(UsageRequest.enterprises)).order_by(UsageRequest.start_date, UsageRequest.id)
    ).all()
    if not requests:
        return []
    have: dict[int, set[int]] = {}
    for request_id, enterprise_id in db.session.execute(
        select(Notice.request_id, Notice.enterprise_id).where(Notice.request_id.in_([r.id for r in requests]))
    ):
        have.setdefault(request_id, set()).add(enterprise_id)
    out = []
    for req in requests:
        missing = [e for e in req.enterprises if e.id not in have.get(req.id, set())]
        if missing:
            out.append((req, missing))
    return out


def outstanding_receipts(unit_id: int) -> list[Notice]:
    """The unit's notices whose 回执 is not back yet (未回收), oldest first; cancelled jobs left out."""
    return list(db.session.scalars(
        select(Notice).join(UsageRequest, Notice.request_id == UsageRequest.id)
        .where(UsageRequest.unit_id == unit_id, UsageRequest.state != "cancelled", Notice.receipt_state == "pending")
        .options(selectinload(Notice.enterprise), selectinload(Notice.request))
        .order_by(Notice.issued_on, Notice.id)
    ))


def withdraw_notices(req: UsageRequest, enterprise_ids) -> int:
    """Delete the unreceived notices of enterprises no longer on the job; received ones stay."""
    count = 0
    for notice in db.session.scalars(
        select(Notice).where(Notice.request_id == req.id, Notice.enterprise_id.in_(list(enterprise_ids)),
                             Notice.receipt_state == "pending")
    ):
        db.session.delete(notice)
        count += 1
    db.session.flush()
    return count


def receipt_url(notice: Notice) -> str:
    """The address printed as the QR code of the 回执 (``PUBLIC_BASE_URL``/receipt/<token>)."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}/receipt/{notice.token}"


def notice_context(notice: Notice) -> dict:
    """The context of ``printables/templates/notice.html`` (附件3) for one notice."""
    return {
        "enterprise_name": notice.enterprise.name,
        "issued_on": notice.issued_on,
        "receipt_url": receipt_url(notice),
        "receipt_no": notice.notice_no,
    }


def notice_pdf(notice: Notice) -> bytes:
    """The 告知书 with its 回执 as PDF bytes."""
    from printables import render_pdf

    return render_pdf("notice.html", notice_context(notice))


def notice_filename(notice: Notice) -> str:
    """告知书_<enterprise>_<notice no>.pdf"""
    return f"告知书_{notice.enterprise.name}_{notice.notice_no}.pdf"


def find_notice(token: str | None) -> Notice | None:
    """The notice a QR token names, or None (malformed tokens never reach the database)."""
    if not token or not TOKEN_RE.match(token):
        return None
    return db.session.scalar(select(Notice).where(Notice.token == token))


def _check_signer(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("请填写签收人姓名。")
    if len(name) < 2 or len(name) > 30:
        raise DomainError("签收人姓名应为2至30个字。")
    if any(ch in name for ch in "<>{}\\/@#$%^&*=|"):
        raise DomainError("签收人姓名含有无效字符。")
    return name


def _already(notice: Notice) -> ReceiptAlreadyConfirmed:
    how = RECEIPT_METHODS.get(notice.receipt_method or "", "")
    who = f"由{notice.signer_name}" if notice.signer_name else ""
    when = format_time(notice.signed_at)
    return ReceiptAlreadyConfirmed(f"该回执已于{when}{who}确认签收（{how}），无需重复确认。")


def confirm_receipt(token: str, signer_name: str, now: dt.datetime | None = None) -> Notice:
    """The enterprise confirms receipt online (附件3 回执): signer's name, time recorded.

    An unknown or forged token raises :class:`ReceiptNotFound`; a receipt already
    confirmed raises :class:`ReceiptAlreadyConfirmed`; neither changes anything.
    """
    notice = find_notice(token)
    if notice is None:
        raise ReceiptNotFound("回执二维码无效：未找到对应的告知书。请核对二维码，或联系发放告知书的单位。")
    if notice.receipt_state == "received":
        raise _already(notice)
    if notice.request.state == "cancelled":
        raise DomainError("该告知书对应的任务已取消，无需签收。")
    signer = _check_signer(signer_name)
    notice.receipt_state = "received"
    notice.receipt_method = "online"
    notice.signer_name = signer
    notice.signed_at = now or utcnow()
    db.session.flush()
    return notice


def record_paper_receipt(notice: Notice, data: bytes, *, signer_name: str | None = None,
                         signed_on: dt.date | None = None, today: dt.date | None = None) -> Notice:
    """Upload the scan of a signed paper 回执 (JPEG, PNG or PDF); the notice becomes 已回收."""
    today = today or clock.today()
    if notice.receipt_state == "received":
        raise _already(notice)
    if not data:
        raise DomainError("请选择回执扫描件（JPEG、PNG或PDF）。")
    if len(data) > MAX_SCAN_BYTES:
        raise DomainError("回执扫描件不能超过5MB。")
    signer = _check_signer(signer_name) if (signer_name or "").strip() else None
    if signed_on is not None:
        if signed_on > today:
            raise DomainError("签收日期不能晚于今天。")
        if signed_on < notice.issued_on:
            raise DomainError("签收日期不能早于告知书发放日期。")
    path, _mime = store_document(data)
    notice.scan_path = path
    notice.receipt_state = "received"
    notice.receipt_method = "paper"
    notice.signer_name = signer
    notice.signed_at = (clock.at_local(signed_on) if signed_on else utcnow())
    db.session.flush()
    return notice
