"""Dismissal (解聘, 第十三条): proposals by 基础科 or by rules, approval by a leader.

Other rules add to the proposal list (:mod:`app.services.proposals`, ``propose_dismissal``:
absences: reason 4, 第十三条(四); annual assessment: reason 6; 换届: reason 2). Dismissal itself always
needs approval: ``approve_dismissal`` by a leader (经区应急管理局批准) takes effect at
once — permits revoked, the term cut on the effective date, stage 已解聘 — so the
expert leaves the dispatchable pool (SPEC §3.4, §3.8). ``reject_dismissal`` closes a
proposal with the leader's reason. Approved dismissals are announced to the public
(对被解聘的专家及时向社会公告) through ``app.services.lifecycle.announcements``.
"""
import datetime as dt

from sqlalchemy import select

from app import clock
from app.auth.rights import allowed
from app.clock import utcnow
from app.extensions import db
from app.services.dispatch.withdrawal import release_for_penalty
from app.services.errors import DomainError
from app.services.permits.issuing import revoke_permits
from app.services.proposals import cn_number, open_proposal, propose_dismissal
from app.services.status import Penalty
from app.services.timeline import record_event
from models import Dismissal, Expert, Term, User


def propose_by_office(expert: Expert, reason: str, detail: str, actor: User) -> Dismissal:
    """基础科 proposes a dismissal by hand; the facts (``detail``) are required."""
    if actor is None or not allowed(actor.role, "dismissal", "create"):
        raise DomainError("只有基础科可以提出解聘。")
    if expert.stage == "dismissed":
        raise DomainError(f"{expert.name}已被解聘。")
    if not (detail or "").strip():
        raise DomainError("请写明提出解聘的事实和依据。")
    if open_proposal(expert, reason) is not None:
        raise DomainError(f"{expert.name}已有同一理由的待审批解聘提议。")
    return propose_dismissal(expert, reason, origin="manual", detail=detail.strip(), actor_id=actor.id)


def _check_decider(dismissal: Dismissal, actor: User | None, what: str) -> None:
    if actor is None or not allowed(actor.role, "dismissal", "decide"):
        raise DomainError(f"只有局领导可以{what}。")
    if dismissal.state != "proposed":
        raise DomainError(f"该解聘提议已处理（{dismissal.state_label}），不能再{what}。")


def approve_dismissal(dismissal: Dismissal, actor: User, *, effective_on: dt.date | None = None,
                      note: str | None = None, today: dt.date | None = None) -> Dismissal:
    """Approve (leader): effective on ``effective_on`` (default today, not in the future,
    not before the proposal). The permits are revoked at once, the term in force is cut
    on that day, any later term is void, stage 已解聘, and the other open proposals of
    the expert are closed as merged into this one. The expert is released from every open
    job from the effective day on (:func:`app.services.dispatch.withdrawal.release_for_penalty`,
    SPEC §3.16)."""
    _check_decider(dismissal, actor, "批准解聘")
    today = today or clock.today()
    effective_on = effective_on or today
    proposed_day = clock.local_date(dismissal.proposed_at) or today
    if effective_on > today:
        raise DomainError("解聘生效日期不能晚于批准当日：批准后即收回工作证、停止选派。")
    if effective_on < proposed_day:
        raise DomainError(f"解聘生效日期不能早于提出解聘的日期（{proposed_day.isoformat()}）。")
    expert = dismissal.expert
    if expert.stage == "dismissed":
        raise DomainError(f"{expert.name}已被解聘。")
    dismissal.state = "approved"
    dismissal.decided_by_id = actor.id
    dismissal.decided_at = utcnow()
    dismissal.decision_note = (note or "").strip() or "经区应急管理局批准，同意解聘。"
    dismissal.effective_on = effective_on
    label = f"第十三条（{cn_number(dismissal.reason)}）{dismissal.reason_label}"
    revoke_permits(expert, f"解聘：{label}"[:200])
    for term in db.session.scalars(select(Term).where(Term.expert_id == expert.id)):
        if term.end_date >= effective_on and (term.ended_on is None or term.ended_on > effective_on):
            term.ended_on = max(effective_on, term.start_date)
    expert.stage = "dismissed"
    for other in db.session.scalars(
        select(Dismissal).where(Dismissal.expert_id == expert.id, Dismissal.state == "proposed",
                                Dismissal.id != dismissal.id)
    ):
        other.state = "rejected"
        other.decided_by_id = actor.id
        other.decided_at = dismissal.decided_at
        other.decision_note = f"已按{label}解聘，本提议合并处理。"
    record_event(expert, "解聘", f"{label}；生效日期{effective_on.isoformat()}；{dismissal.decision_note}", actor)
    db.session.flush()
    release_for_penalty(expert, effective_on, f"专家{Penalty('dismissal', effective_on).reason}：{label}", actor=actor)
    return dismissal


def reject_dismissal(dismissal: Dismissal, actor: User, note: str) -> Dismissal:
    """Reject (leader) with the reason; the expert stays in the pool."""
    _check_decider(dismissal, actor, "作出不予解聘的决定")
    if not (note or "").strip():
        raise DomainError("不予解聘须写明理由。")
    dismissal.state = "rejected"
    dismissal.decided_by_id = actor.id
    dismissal.decided_at = utcnow()
    dismissal.decision_note = note.strip()
    record_event(dismissal.expert, "不予解聘", f"{dismissal.reason_label}：{dismissal.decision_note}", actor)
    db.session.flush()
    return dismissal


def pending_dismissals() -> list[Dismissal]:
    """The dismissal-proposal list: proposals waiting for a leader, oldest first."""
    return list(db.session.scalars(
        select(Dismissal).where(Dismissal.state == "proposed").order_by(Dismissal.proposed_at, Dismissal.id)
    ))
