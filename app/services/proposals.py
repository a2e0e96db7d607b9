"""The dismissal-proposal list (拟解聘名单, 第十三条): rules of several areas put experts on it.

The absence rule (第十三条(四), dispatch), the annual assessment (reason 6, discipline),
换届 (reason 2, lifecycle) and 基础科 by hand add to one list through
:func:`propose_dismissal`; a leader decides each proposal in
:mod:`app.services.lifecycle.dismissal`. The list sits at the top of the services, beside
the timeline it writes to, because areas that the dismissal itself acts on (dispatch:
jobs released when a dismissal is approved) add to it too.
"""
from sqlalchemy import select

from app.extensions import db
from app.services.errors import DomainError
from app.services.timeline import record_event
from models import Dismissal, Expert
from models.choices import DISMISSAL_ORIGINS, DISMISSAL_REASONS


def open_proposal(expert: Expert, reason: str | None = None) -> Dismissal | None:
    """The expert's pending proposal (for ``reason``, if given)."""
    query = select(Dismissal).where(Dismissal.expert_id == expert.id, Dismissal.state == "proposed")
    if reason:
        query = query.where(Dismissal.reason == reason)
    return db.session.scalar(query)


def propose_dismissal(expert: Expert, reason: str, *, origin: str = "manual", detail: str | None = None,
                      actor_id: int | None = None) -> Dismissal:
    """Put the expert on the dismissal-proposal list; an open proposal for the same reason is reused."""
    if reason not in DISMISSAL_REASONS:
        raise DomainError("解聘理由须为第十三条所列七种情形之一。")
    if origin not in DISMISSAL_ORIGINS:
        raise DomainError("未知的解聘提议来源。")
    existing = open_proposal(expert, reason)
    if existing is not None:
        if detail and detail not in (existing.detail or ""):
            existing.detail = ((existing.detail + "\n") if existing.detail else "") + detail
        return existing
    proposal = Dismissal(expert=expert, reason=reason, origin=origin, detail=detail, proposed_by_id=actor_id,
                         state="proposed")
    db.session.add(proposal)
    db.session.flush()
    record_event(expert, "列入拟解聘名单",
                 f"第十三条（{cn_number(reason)}）{DISMISSAL_REASONS[reason]}；{DISMISSAL_ORIGINS[origin]}"
                 + (f"：{detail}" if detail else ""), actor_id)
    return proposal


def reason_text(reason: str) -> str:
    """第十三条（四）无正当理由，… — the item and its wording."""
    return f"第十三条（{cn_number(reason)}）{DISMISSAL_REASONS.get(reason, reason)}"


_CN_DIGITS = "零一二三四五六七八九"


def cn_number(reason: str) -> str:
    """"4" → "四" (the item numbers of 第十三条)."""
    return _CN_DIGITS[int(reason)] if reason.isdigit() and len(reason) == 1 else reason
