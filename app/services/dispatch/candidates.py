"""Candidates for a request: who is eligible, and why everyone else is left out
(第十条(四); SPEC §3.4, §3.5).

An expert of the district pool qualifies when he is dispatchable on the first and on the
last day (``status.statuses_for``, the one status rule), belongs to **any** of the
requested groups, has no conflict of interest with any enterprise of the job (第十条(四);
his own employer always counts, matched by 统一社会信用代码 or full name, even without a
recorded conflict) and is not booked: no pending or accepted (non-backup) assignment on
another request whose dates overlap. Everyone left out is listed with every reason that
applies, the first of them being the one that counts: in the summary each expert is counted
once, under that first reason (:data:`EXCLUSION_ORDER`), so that the parts add up to the total.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.services.dispatch.assignments import OPEN_RESPONSES
from app.services.errors import DomainError
from app.services.status import statuses_for
from models import Assignment, ConflictOfInterest, Enterprise, Expert, ExpertGroup, UsageRequest
from models.choices import CONFLICT_RELATIONS, CONFLICT_SOURCES, RESPONSES

#: Why an expert is left out, by kind (the candidates table groups by these).
EXCLUSION_KINDS = {
    "status": "不可派遣",
    "group": "组别不符",
    "conflict": "回避",
    "booked": "时间冲突",
    "job": "本次任务",
}
#: Which reason comes first when several apply: already on this job, then not dispatchable at
#: all, then the wrong group, a conflict of interest, another job at the same time.
EXCLUSION_ORDER = ("job", "status", "group", "conflict", "booked")


def norm_name(name: str | None) -> str:
    """An enterprise or employer name compared without spaces and with full-width folded."""
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def _fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass
class Exclusion:
    """An expert left out, with every reason: (kind, text) pairs (kinds: EXCLUSION_KINDS)."""

    expert: Expert
    reasons: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        """The kinds of reason, the one that counts first (:data:`EXCLUSION_ORDER`)."""
        return sorted(dict.fromkeys(kind for kind, _ in self.reasons), key=EXCLUSION_ORDER.index)

    @property
    def primary(self) -> str:
        """The kind this expert is counted under in the summary."""
        return self.kinds[0]

    @property
    def kind_labels(self) -> list[str]:
        return [EXCLUSION_KINDS[k] for k in self.kinds]

    @property
    def text(self) -> str:
        return "；".join(text for _, text in self.reasons)


@dataclass
class Candidates:
    """The eligible experts and those left out, for one set of conditions."""

    eligible: list[Expert]
    excluded: list[Exclusion]

    @property
    def eligible_ids(self) -> list[int]:
        return sorted(e.id for e in self.eligible)

    def counts(self) -> dict[str, int]:
        """How many experts are left out under each kind, each expert once, under his first
        reason (:data:`EXCLUSION_ORDER`): the counts add up to the number left out."""
        out = {kind: 0 for kind in EXCLUSION_ORDER}
        for item in self.excluded:
            out[item.primary] += 1
        return {k: v for k, v in out.items() if v}

    def summary(self) -> str:
        """未入选的分类：本次任务2名、不可派遣8名、组别不符58名（每人只按排在最前的原因计一次）."""
        parts = [f"{EXCLUSION_KINDS[k]}{n}名" for k, n in self.counts().items()]
        if not parts:
            return "无"
        several = any(len(x.kinds) > 1 for x in self.excluded)
        return "、".join(parts) + ("（每人只按排在最前的原因计一次）" if several else "")

    def reasons_for(self, expert_id: int) -> str | None:
        for item in self.excluded:
            if item.expert.id == expert_id:
                return item.text
        return None


def find_candidates(*, start_date: dt.date, end_date: dt.date, groups: Sequence[ExpertGroup],
                    enterprises: Sequence[Enterprise], request_id: int | None = None,
                    ignore_open_on_request: bool = False) -> Candidates:
    """Eligible and excluded district experts for the given conditions (SPEC §3.4, §3.5).

    A fixed number of queries whatever the pool size: experts, their groups, conflicts,
    bookings, this job's assignments, and the status rule on the first and last day.
    ``request_id`` names the request being staffed: its own assignments are not bookings
    but "this job" reasons (already chosen, declined, conflict declared);
    ``ignore_open_on_request`` skips its open ones (they are about to be voided).
    """
    experts = db.session.scalars(
        select(Expert).where(Expert.source == "district", Expert.stage != "applicant")
        .options(selectinload(Expert.groups)).order_by(Expert.id)
    ).all()
    ids = [e.id for e in experts]
    group_ids = {g.id for g in groups}
    group_text = "、".join(g.name for g in groups)
    ent_by_id = {e.id: e for e in enterprises}

    conflicts: dict[int, list[tuple[Enterprise, str, str]]] = defaultdict(list)
    if ent_by_id and ids:
        for row in db.session.execute(
            select(ConflictOfInterest.expert_id, ConflictOfInterest.enterprise_id, ConflictOfInterest.relation,
                   ConflictOfInterest.source)
            .where(ConflictOfInterest.enterprise_id.in_(list(ent_by_id)))
        ):
            conflicts[row.expert_id].append((ent_by_id[row.enterprise_id], row.relation, row.source))

    booked: dict[int, list[tuple[str, dt.date, dt.date, str]]] = defaultdict(list)
    booking_query = (
        select(Assignment.expert_id, UsageRequest.request_no, UsageRequest.start_date, UsageRequest.end_date,
               Assignment.response)
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.is_backup.is_(False), Assignment.response.in_(OPEN_RESPONSES),
               UsageRequest.state != "cancelled",
               UsageRequest.start_date <= end_date, UsageRequest.end_date >= start_date)
    )
    if request_id is not None:
        booking_query = booking_query.where(UsageRequest.id != request_id)
    for row in db.session.execute(booking_query):
        booked[row.expert_id].append((row.request_no, row.start_date, row.end_date, row.response))

    on_job: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    if request_id is not None:
        for row in db.session.execute(
            select(Assignment.expert_id, Assignment.response, Assignment.is_backup)
            .where(Assignment.request_id == request_id)
        ):
            if ignore_open_on_request and row.response in OPEN_RESPONSES:
                continue
            on_job[row.expert_id].append((row.response, row.is_backup))

    first = statuses_for(ids, on=start_date)
    last = statuses_for(ids, on=end_date) if end_date != start_date else first

    eligible: list[Expert] = []
    excluded: list[Exclusion] = []
    for expert in experts:
        reasons: list[tuple[str, str]] = []
        for response, is_backup in on_job.get(expert.id, []):
            if response in OPEN_RESPONSES:
                what = "本次任务候补专家" if is_backup else "已选派参加本次任务"
                reasons.append(("job", f"{what}（{RESPONSES[response]}）"))
            else:
                reasons.append(("job", f"已答复本次任务：{RESPONSES.get(response, response)}"))
        for status, day in ((first.get(expert.id), start_date), (last.get(expert.id), end_date)):
            if status is not None and not status.dispatchable:
                why = "；".join(status.reasons) or status.label
                text = f"{_fmt(day)}不可派遣：{status.display}（{why}）"
                if ("status", text) not in reasons and not any(k == "status" for k, _ in reasons):
                    reasons.append(("status", text))
        own_groups = {g.id for g in expert.groups}
        if not own_groups & group_ids:
            have = "、".join(g.name for g in expert.groups) or "未填写"
            reasons.append(("group", f"组别不符：本次需要{group_text}中任一组别，该专家为{have}"))
        seen_employer = False
        for ent in enterprises:
            if (expert.employer_uscc and expert.employer_uscc.upper() == ent.uscc) or (
                norm_name(expert.employer) and norm_name(expert.employer) == norm_name(ent.name)
            ):
                reasons.append(("conflict", f"回避：{ent.name}是该专家的现工作单位（第十条(四)）"))
                seen_employer = True
        for ent, relation, source in conflicts.get(expert.id, []):
            if relation == "current_employer" and seen_employer:
                continue
            reasons.append(("conflict", f"回避：与{ent.name}存在利害关系——{CONFLICT_RELATIONS.get(relation, relation)}"
                                        f"（{CONFLICT_SOURCES.get(source, source)}，第十条(四)）"))
        for request_no, b_start, b_end, response in booked.get(expert.id, []):
            span = b_start.isoformat() if b_start == b_end else f"{b_start.isoformat()}至{b_end.isoformat()}"
            reasons.append(("booked", f"时间冲突：{span}已有任务{request_no}（{RESPONSES[response]}）"))
        if reasons:
            # the reason that counts first, then the others (the table shows them in this order)
            reasons.sort(key=lambda reason: EXCLUSION_ORDER.index(reason[0]))
            excluded.append(Exclusion(expert, reasons))
        else:
            eligible.append(expert)
    return Candidates(eligible, excluded)


def candidates(request: UsageRequest) -> Candidates:
    """The eligible experts for ``request`` and, for everyone left out, why (SPEC §3.5)."""
    return find_candidates(start_date=request.start_date, end_date=request.end_date, groups=request.groups,
                           enterprises=request.enterprises, request_id=request.id)


def not_enough(n_eligible: int, needed: int, cands: Candidates) -> DomainError:
    return DomainError(
        f"符合条件的专家只有{n_eligible}名，少于所需的{needed}名。未入选情况：{cands.summary()}。"
        "请调整组别、日期或人数，或按第十四条添加上级库、库外专家。"
    )
