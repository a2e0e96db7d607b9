"""Dismissal (解聘, 第十三条): proposals by 基础科 or by rules, approval by a leader.

Other rules add to the proposal list through ``propose_dismissal`` (absences: reason 4,
第十三条(四); annual assessment: reason 6). Dismissal itself always needs approval.
"""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.services.errors import DomainError
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
    return proposal
