"""Work permits (专家工作证, 第七条): numbering and the unforgeable verification token.

The token is 192 random bits (``secrets``), stored, never derived from an id; a
re-issued permit (lost card) gets a new token and the old one reads 已作废.
"""
import datetime as dt
import secrets

from sqlalchemy import func, select

from app.extensions import db
from app.services.errors import DomainError
from models import Expert, Permit, Term
from models.base import utcnow


def new_token() -> str:
    """A fresh URL-safe token of 192 random bits (32 characters)."""
    return secrets.token_urlsafe(24)


def next_permit_no(year: int) -> str:
    """The next permit number of ``year``: WJAQZJ-2026-0001 (sequence per year)."""
    prefix = f"WJAQZJ-{year}-"
    last = db.session.scalar(select(func.max(Permit.permit_no)).where(Permit.permit_no.like(prefix + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def current_permit(expert: Expert) -> Permit | None:
    """The expert's permit that is not revoked (the newest one)."""
    return db.session.scalar(
        select(Permit).where(Permit.expert_id == expert.id, Permit.revoked_at.is_(None)).order_by(Permit.id.desc())
    )


def issue_permit(expert: Expert, term: Term | None = None, on: dt.date | None = None) -> Permit:
    """Issue a permit for ``term`` (第七条: 制作专家工作证); any earlier live permit is revoked."""
    if expert.source != "district":
        raise DomainError("只有区库专家发放专家工作证。")
    on = on or dt.date.today()
    for old in db.session.scalars(select(Permit).where(Permit.expert_id == expert.id, Permit.revoked_at.is_(None))):
        old.revoked_at = utcnow()
        old.revoke_reason = "已换发新证"
    permit = Permit(expert=expert, term=term, permit_no=next_permit_no(on.year), token=new_token())
    db.session.add(permit)
    db.session.flush()
    return permit


def reissue_permit(expert: Expert, reason: str = "遗失补办") -> Permit:
    """Re-issue (e.g. a lost card): same number, new token; the old token shows 已作废."""
    old = current_permit(expert)
    if old is None:
        raise DomainError("该专家没有有效的工作证，无法补办。")
    old.revoked_at = utcnow()
    old.revoke_reason = reason
    permit = Permit(expert=expert, term=old.term, permit_no=old.permit_no, token=new_token())
    db.session.add(permit)
    db.session.flush()
    return permit


def revoke_permits(expert: Expert, reason: str) -> None:
    """Revoke every live permit of the expert at once (dismissal, 第十三条)."""
    for permit in db.session.scalars(select(Permit).where(Permit.expert_id == expert.id, Permit.revoked_at.is_(None))):
        permit.revoked_at = utcnow()
        permit.revoke_reason = reason
    db.session.flush()
