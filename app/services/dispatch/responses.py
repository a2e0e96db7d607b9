"""Responses, backups and the absence rule (第十条(四)、第十三条(四); SPEC §3.6).

* **Responses**: accepted / declined with a justified reason / declined without one /
  no-show / conflict declared. A decline or a declared conflict calls the next backup.
  An expert answering on his phone says whether he has a justified reason and gives it;
  the office (or the requesting unit) can reclassify a decline afterwards. A declared
  conflict is also recorded as a conflict of interest with that enterprise (第十条(四)).
* **Absence rule** (第十三条(四): "无正当理由，连续三次或者一年内累计五次不参加专家活动"):
  declines without a justified reason *and* no-shows are absences. Three in a row (in the
  order of the jobs' dates; an accepted job breaks the row, a justified decline or a
  declared conflict neither counts nor breaks it) or five in one calendar year put the
  expert on the dismissal-proposal list (reason 4); dismissal itself needs approval.

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.services.dispatch.assignments import OPEN_RESPONSES, actor_id, still_needed, text, timeline_event, touch
from app.services.dispatch.standing import check_may_accept
from app.services.errors import DomainError
from app.services.proposals import propose_dismissal
from app.services.status import statuses_for
from models import Assignment, ConflictOfInterest, Dismissal, Enterprise, Expert, UsageRequest
from models.choices import CONFLICT_RELATIONS, RESPONSES

#: Responses that are absences under 第十三条(四).
ABSENCE_RESPONSES = ("declined_unjustified", "no_show")
#: Responses that release the expert and call the next backup.
RELEASING_RESPONSES = ("declined_justified", "declined_unjustified", "conflict")
#: What may follow what. Completion is a separate step; reclassifying a decline too.
TRANSITIONS = {
    "pending": {"accepted", "declined_justified", "declined_unjustified", "conflict", "no_show"},
    "accepted": {"declined_justified", "declined_unjustified", "conflict", "no_show"},
}
#: What an expert may answer himself (a no-show is recorded by the unit).
EXPERT_RESPONSES = ("accepted", "declined_justified", "declined_unjustified", "conflict")

ABSENCES_IN_A_ROW = 3
ABSENCES_IN_A_YEAR = 5


# --------------------------------------------------------------------------------------
# responses and backups
# --------------------------------------------------------------------------------------


@dataclass
class ResponseOutcome:
    """What a response led to: the backup called in, a dismissal proposal, or neither."""

    assignment: Assignment
    promoted: Assignment | None = None
    proposal: Dismissal | None = None
    backups_exhausted: bool = False


def respond(assignment: Assignment, response: str, *, reason: str | None = None, actor=None,
            by_expert: bool = False, conflict_enterprise: Enterprise | int | None = None,
            conflict_relation: str | None = None, now: dt.datetime | None = None) -> ResponseOutcome:
    """Record an expert's answer to a job (by staff, or by the expert on his phone).

    A decline or a declared conflict calls the next backup; an absence runs the
    absence rule (第十三条(四)). A declared conflict is also recorded as a conflict of
    interest with that enterprise (第十条(四)).
    """
    now = now or utcnow()
    req = assignment.request
    if response not in RESPONSES or response == "pending":
        raise DomainError("答复类型无效。")
    if by_expert and response not in EXPERT_RESPONSES:
        raise DomainError("“未到场”由使用单位记录。")
    if assignment.completed_at is not None:
        raise DomainError("该任务已完成，不能再更改答复。")
    if req.state == "cancelled":
        raise DomainError("该申请已取消。")
    if assignment.is_backup:
        raise DomainError("候补专家尚未递补，无需答复。")
    if assignment.response == "withdrawn":
        raise DomainError(f"{assignment.expert.name}已被解除本次任务：{assignment.response_reason}")
    if response == "accepted":
        check_may_accept(assignment)  # SPEC §3.16: not dispatchable on the job's dates
    allowed = TRANSITIONS.get(assignment.response, set())
    if response not in allowed:
        raise DomainError(f"当前答复为“{assignment.response_label}”，不能改为“{RESPONSES[response]}”。")
    reason = text(reason) or None
    if response == "declined_justified" and not reason:
        raise DomainError("有正当理由拒绝的，须说明理由。")
    if response == "conflict":
        reason = _declare_conflict(assignment, conflict_enterprise, conflict_relation, reason, by_expert)
    assignment.response = response
    assignment.response_reason = reason
    assignment.responded_at = now
    assignment.responded_by_id = actor_id(actor)
    if response == "no_show":
        assignment.attended = False
    outcome = ResponseOutcome(assignment)
    if response != "accepted":
        who = "专家本人" if by_expert else "使用单位"
        timeline_event(assignment.expert_id, f"任务答复：{RESPONSES[response]}",
               f"{req.request_no} {req.subject}（{who}记录）" + (f"：{reason}" if reason else ""), actor_id(actor))
    db.session.flush()
    if response in RELEASING_RESPONSES:
        outcome.promoted = promote_backup(req, actor=actor)
        outcome.backups_exhausted = outcome.promoted is None and still_needed(req) > 0
    if response in ABSENCE_RESPONSES:
        outcome.proposal = apply_absence_rule(assignment.expert, req.start_date.year, actor=actor,
                                              focus=req.request_no)
    return outcome


def _declare_conflict(assignment: Assignment, enterprise, relation, note, by_expert) -> str:
    req = assignment.request
    if isinstance(enterprise, int) or (isinstance(enterprise, str) and enterprise.isdigit()):
        enterprise = next((e for e in req.enterprises if e.id == int(enterprise)), None)
    if enterprise is None or enterprise not in req.enterprises:
        raise DomainError("申报回避须选择本次任务中存在利害关系的企业。")
    if relation not in CONFLICT_RELATIONS:
        raise DomainError("请选择利害关系的类型。")
    existing = db.session.scalar(
        select(ConflictOfInterest).where(ConflictOfInterest.expert_id == assignment.expert_id,
                                         ConflictOfInterest.enterprise_id == enterprise.id,
                                         ConflictOfInterest.relation == relation)
    )
    if existing is None:
        db.session.add(ConflictOfInterest(expert_id=assignment.expert_id, enterprise_id=enterprise.id,
                                          relation=relation, source="expert" if by_expert else "office",
                                          note=note))
    text = f"与{enterprise.name}存在利害关系——{CONFLICT_RELATIONS[relation]}"
    return text + (f"（{note}）" if note else "")


def reclassify_decline(assignment: Assignment, justified: bool, reason: str | None = None, *, actor=None
                       ) -> Dismissal | None:
    """The office (or the requesting unit) decides whether a decline had a justified reason."""
    if assignment.response not in ("declined_justified", "declined_unjustified"):
        raise DomainError("只有“拒绝”的答复可以重新认定是否有正当理由。")
    target = "declined_justified" if justified else "declined_unjustified"
    if target == assignment.response:
        raise DomainError(f"该答复已经是“{RESPONSES[target]}”。")
    reason = text(reason) or assignment.response_reason
    if justified and not reason:
        raise DomainError("认定为有正当理由的，须写明理由。")
    old = assignment.response_label
    assignment.response = target
    assignment.response_reason = reason
    req = assignment.request
    timeline_event(assignment.expert_id, f"拒绝理由重新认定：{RESPONSES[target]}",
           f"{req.request_no}：由“{old}”改为“{RESPONSES[target]}”" + (f"，{reason}" if reason else ""),
           actor_id(actor))
    db.session.flush()
    if not justified:
        return apply_absence_rule(assignment.expert, req.start_date.year, actor=actor, focus=req.request_no)
    return None


def promote_backup(req: UsageRequest, *, actor=None, why: str = "前序专家拒绝或回避") -> Assignment | None:
    """Call the next backup (lowest rank) who is still dispatchable and free on the dates;
    ``why`` the place became free goes to the backup's timeline."""
    if still_needed(req) <= 0:
        return None
    backups = sorted((a for a in req.assignments if a.is_backup and a.response == "pending"), key=lambda a: a.rank)
    if not backups:
        return None
    ids = [a.expert_id for a in backups]
    first = statuses_for(ids, on=req.start_date)
    last = statuses_for(ids, on=req.end_date)
    busy = set(db.session.scalars(
        select(Assignment.expert_id).join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id.in_(ids), Assignment.is_backup.is_(False),
               Assignment.response.in_(OPEN_RESPONSES), UsageRequest.id != req.id,
               UsageRequest.state != "cancelled",
               UsageRequest.start_date <= req.end_date, UsageRequest.end_date >= req.start_date)
    ))
    for backup in backups:
        ok = first.get(backup.expert_id) and first[backup.expert_id].dispatchable
        ok = ok and last.get(backup.expert_id) and last[backup.expert_id].dispatchable
        if ok and backup.expert_id not in busy:
            backup.is_backup = False
            touch(req)
            timeline_event(backup.expert_id, "候补递补", f"{req.request_no} {req.subject}：{why}，由候补递补",
                   actor_id(actor))
            db.session.flush()
            return backup
    return None


# --------------------------------------------------------------------------------------
# the absence rule
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """One job an expert was asked to do, as the absence rule sees it."""

    request_no: str
    day: dt.date
    response: str


def absence_tally(invitations: Sequence[Invitation], year: int, focus: str | None = None
                  ) -> tuple[list[Invitation], list[Invitation]]:
    """The pure absence rule (第十三条(四)): (a row of consecutive absences, the absences of ``year``).

    ``invitations`` in the order of the jobs' dates. An absence is a decline without a
    justified reason or a no-show; an accepted job ends a row; a justified decline or a
    declared conflict neither counts nor ends it. The row returned is the one containing
    the job ``focus`` (a request number: the absence just recorded), or the row at the end
    of the history when ``focus`` is None.
    """
    rows: list[list[Invitation]] = [[]]
    for inv in invitations:
        if inv.response in ABSENCE_RESPONSES:
            rows[-1].append(inv)
        elif inv.response == "accepted" and rows[-1]:
            rows.append([])
    row = rows[-1]
    if focus is not None:
        row = next((r for r in rows if any(inv.request_no == focus for inv in r)), [])
    in_year = [inv for inv in invitations if inv.response in ABSENCE_RESPONSES and inv.day.year == year]
    return row, in_year


def invitations_of(expert: Expert | int) -> list[Invitation]:
    """The expert's answered jobs (not backups), in the order of the jobs' dates."""
    eid = expert if isinstance(expert, int) else expert.id
    rows = db.session.execute(
        select(UsageRequest.request_no, UsageRequest.start_date, Assignment.response)
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id == eid, Assignment.is_backup.is_(False), Assignment.response != "pending")
        .order_by(UsageRequest.start_date, Assignment.responded_at, Assignment.id)
    ).all()
    return [Invitation(r.request_no, r.start_date, r.response) for r in rows]


def apply_absence_rule(expert: Expert, year: int, *, actor=None, focus: str | None = None) -> Dismissal | None:
    """Put the expert on the dismissal-proposal list (reason 4) when the absence rule is met
    by the absence just recorded on the job ``focus`` (a request number)."""
    row, in_year = absence_tally(invitations_of(expert), year, focus)
    parts = []
    if len(row) >= ABSENCES_IN_A_ROW:
        listed = "、".join(f"{i.request_no}（{i.day.isoformat()}，{RESPONSES[i.response]}）" for i in row)
        parts.append(f"无正当理由连续{len(row)}次不参加专家活动：{listed}")
    if len(in_year) >= ABSENCES_IN_A_YEAR:
        listed = "、".join(f"{i.request_no}（{i.day.isoformat()}，{RESPONSES[i.response]}）" for i in in_year)
        parts.append(f"{year}年内累计{len(in_year)}次无正当理由不参加专家活动：{listed}")
    if not parts:
        return None
    return propose_dismissal(expert, "4", origin="absence", detail="；".join(parts), actor_id=actor_id(actor))
