"""Work permits (专家工作证, 第七条): numbering, the unforgeable verification token, printing.

The token is 192 random bits (``secrets``), stored, never derived from an id; a
re-issued permit (lost card) gets a new token and the old one reads 已作废. The
printed card carries the token as a QR code to ``/verify/<token>`` (SPEC §7); what a
scan shows is decided in ``app.services.permits.verification``.
"""
import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import exists, func, select

from app import clock
from app.clock import utcnow
from app.extensions import db
from app.services.errors import DomainError
from app.services.permits.verification import ISSUER, check_permit
from app.services.status import current_term
from app.services.uploads import read_upload
from models import Expert, Permit, Term, VerifyScan


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
    on = on or clock.today()
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


# --- printing and the office's view of a permit ----------------------------------------------

REISSUE_REASONS = ("遗失补办", "损坏换发", "信息变更换发")
#: Statuses a freshly printed card may carry: a suspended expert keeps his card (暂停 ends by
#: itself); a card that scans as 已作废, 已过期, 已解聘, 黑名单 or 无效证件 is not printed.
PRINTABLE_STATUSES = ("valid", "suspended")


def verify_url(token: str) -> str:
    """The QR target printed on the card (SPEC §7: ``GET /verify/<token>``)."""
    from flask import current_app

    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{token}"


def _card_term(permit: Permit) -> Term | None:
    if permit.term is not None:
        return permit.term
    return db.session.scalar(select(Term).where(Term.expert_id == permit.expert_id).order_by(Term.start_date.desc()))


def permit_card_facts(permit: Permit) -> dict:
    """What the card prints besides the photo: name, groups, number, term, QR target, issuer
    (the printed card and the expert's phone page show the same facts)."""
    expert = permit.expert
    term = _card_term(permit)
    return {
        "name": expert.name,
        "groups": [g.name for g in expert.groups],
        "permit_no": permit.permit_no,
        "valid_from": term.start_date if term else None,
        "valid_until": term.end_date if term else None,
        "verify_url": verify_url(permit.token),
        "issuer": ISSUER,
    }


def permit_card(permit: Permit) -> dict:
    """The plain data one card prints (keys of printables/templates/_permit.html)."""
    expert = permit.expert
    try:
        photo = read_upload(expert.photo_path) or read_upload(expert.photo_thumb_path)
    except DomainError:
        photo = None
    return {**permit_card_facts(permit), "photo": photo}


def check_printable(permits: list[Permit]) -> None:
    """Refuse, with the names, cards whose QR code would not read 有效 or 暂停."""
    bad = []
    for permit in permits:
        check = check_permit(permit.token, log=False)
        if check.status not in PRINTABLE_STATUSES:
            bad.append(f"{permit.expert.name}（{permit.permit_no}，扫码结果为“{check.label}”）")
    if bad:
        raise DomainError("以下工作证不能打印：" + "；".join(bad) + "。已作废或失效的证件请先补办或签发新证。")


def render_permit_pdf(permit: Permit, back: bool = True) -> bytes:
    """One card on a card-sized page (85.6 × 54 mm), front and back (第七条)."""
    from printables import render_pdf

    check_printable([permit])
    return render_pdf("permit.html", {"permit": permit_card(permit), "back": back})


def render_permit_sheet(permits: list[Permit], backs: bool = False) -> bytes:
    """Cards on A4, 8 a sheet with crop marks; ``backs`` adds a mirrored sheet of backs."""
    from printables import render_pdf

    if not permits:
        raise DomainError("请选择至少一张有效的工作证。")
    check_printable(permits)
    return render_pdf("permit_sheet.html", {"permits": [permit_card(p) for p in permits], "backs": backs})


def mark_printed(permits: list[Permit]) -> None:
    """Note that the office printed these cards (they leave its queue, 待我处理). Flushes."""
    now = utcnow()
    for permit in permits:
        if permit.printed_at is None:
            permit.printed_at = now
    db.session.flush()


def unprinted_query():
    """Live permits of experts in the pool that the office has not printed yet (ORM select).

    The pool membership is asked per permit (EXISTS), so the database starts from the few
    permits of the partial index ``ix_permit_unprinted`` rather than from every expert in the
    pool: 0.4 ms instead of ~60 ms at 100,000 experts with their permits, on every admin page
    the office opens (the 待我处理 badge).
    """
    in_pool = exists().where(Expert.id == Permit.expert_id, Expert.stage == "in_pool")
    return (
        select(Permit)
        .where(Permit.revoked_at.is_(None), Permit.printed_at.is_(None), in_pool)
        .order_by(Permit.issued_at, Permit.id)
    )


def issue_for_current_term(expert: Expert) -> Permit:
    """Issue a permit for the expert's term in force (office action, e.g. for earlier appointees)."""
    term = current_term(expert)
    if term is None:
        raise DomainError("该专家当前不在聘期内，不能签发工作证。")
    if current_permit(expert) is not None:
        raise DomainError("该专家已有有效的工作证；遗失或损坏请使用“补办/换发”。")
    return issue_permit(expert, term)


def reissue_with_reason(expert: Expert, reason: str) -> Permit:
    """补办/换发 with one of ``REISSUE_REASONS``; the old token then reads 已作废."""
    if reason not in REISSUE_REASONS:
        raise DomainError("请选择补办或换发的原因。")
    return reissue_permit(expert, reason)


def scan_totals(expert_ids) -> dict[int, int]:
    """Number of verification scans per expert, over all his permits."""
    ids = list(set(expert_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Permit.expert_id, func.coalesce(func.sum(Permit.scan_count), 0))
        .where(Permit.expert_id.in_(ids)).group_by(Permit.expert_id)
    )
    return {eid: int(total) for eid, total in rows}


@dataclass(frozen=True)
class PermitOverview:
    """What the expert details page shows about his permit."""

    permit: Permit | None  # the live permit, if any
    check: object | None  # verification.PermitCheck of the live permit, as a scan would show it now
    url: str | None
    scans: int  # scans over all his permits
    last_scan_at: dt.datetime | None
    revoked_count: int
    can_issue: bool  # in a term and without a live permit


def permit_overview(expert: Expert) -> PermitOverview:
    """The live permit, how it scans today, and how often the expert's permits were scanned."""
    permit = current_permit(expert)
    check = check_permit(permit.token, log=False) if permit else None
    scans = scan_totals([expert.id]).get(expert.id, 0)
    last = db.session.scalar(
        select(func.max(VerifyScan.at))
        .join(Permit, Permit.id == VerifyScan.permit_id)
        .where(Permit.expert_id == expert.id)
    )
    revoked = db.session.scalar(
        select(func.count()).select_from(Permit).where(Permit.expert_id == expert.id, Permit.revoked_at.is_not(None))
    )
    if last is not None:
        last = clock.local(last)
    can_issue = permit is None and expert.source == "district" and current_term(expert) is not None
    return PermitOverview(permit, check, verify_url(permit.token) if permit else None, scans, last, revoked, can_issue)
