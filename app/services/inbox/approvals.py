"""待我审批: everything that waits for a leader's decision (SPEC §1, §3.2, §3.8, §3.9).

- the 拟聘名单 (第十二条(四)): approve → ``review.approve``, refuse → ``review.reject``;
- the office's proposals of direct appointment (第十二条(五)): ``review.direct_appoint`` /
  ``review.decline_direct``;
- dismissal proposals (第十三条): ``dismissal.approve_dismissal`` / ``reject_dismissal``;
- proposed fee amounts 另行确定 (附件4 备注: 上级库/库外 experts, 其他, 教育培训授课):
  ``pricing.approve_amount`` / ``pricing.return_proposal``.

A decision names items as ``(kind, id)``. Refusing needs a reason. Every item is tried and
every refusal collected; if any was refused, :func:`decide` raises one ``DomainError``
naming each, and the caller rolls back, so nothing is saved. Who decided and when is
recorded by the area's own function (review step, dismissal, fee approval); the list of
recent decisions reads it back from there.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.rights import holders
from app.extensions import db
from app.services.errors import DomainError
from app.services.fees import pricing
from app.services.inbox.counting import count_all
from app.services.lifecycle import dismissal as dismissals
from app.services.lifecycle import review
from app.services.proposals import reason_text
from models import Application, Dismissal, Expert, ReviewStep, ServiceRecord, User
from models.choices import ACTIVITY_TYPES, EXPERT_SOURCES, UPPER_POOL_LEVELS

#: The kinds of item, in the order the page shows them: (label, article).
KINDS: dict[str, tuple[str, str]] = {
    "appointment": ("拟聘名单", "第十二条（四）：报局长办公会议审定"),
    "direct": ("特需专家直接聘任", "第十二条（五）：经局长办公会议审定可直接聘任"),
    "dismissal": ("拟解聘", "第十三条：经区应急管理局批准可以解聘"),
    "fee": ("费用金额", "附件4备注：由使用科室、大队提出建议，经局领导批准同意后执行"),
}
#: What "approve" and "refuse" mean for each kind, as the buttons and the confirmation say it.
VERBS: dict[str, tuple[str, str]] = {
    "appointment": ("审定通过", "审定不通过"),
    "direct": ("同意直接聘任", "不同意直接聘任"),
    "dismissal": ("批准解聘", "不予解聘"),
    "fee": ("批准金额", "退回建议金额"),
}
DECISIONS = ("approve", "refuse")
MAX_REASON = 2000


@dataclass(frozen=True)
class Item:
    """One thing waiting for a leader: who it is about, what is asked, since when."""

    kind: str
    id: int
    name: str          # the expert's name
    asked: str         # what is to be decided, in a few words
    facts: str         # the facts the decision rests on
    since: dt.datetime | None  # when it began to wait (stored instant)
    expert_id: int | None = None

    @property
    def key(self) -> str:
        """The item's value in a form: ``kind:id``."""
        return f"{self.kind}:{self.id}"

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind][0]


# --- gathering ------------------------------------------------------------------------------


def _appointments() -> list[Item]:
    out = []
    for a in review.shortlisted():
        last = a.steps[-1] if a.steps else None
        facts = [f"回执编号{a.receipt_no}", a.channel_label]
        if a.test_score is not None:
            facts.append(f"综合素质测试{a.test_score.normalize():f}分")
        if a.is_renewal:
            facts.append("续聘申请")
        unmet = review.eligibility_for(a).summary()
        if unmet:
            facts.append(f"不符合：{unmet}")
        out.append(Item("appointment", a.id, a.expert.name, "列入拟聘名单，报请审定聘任", "；".join(facts),
                        last.at if last else a.submitted_at, a.expert_id))
    return out


def _directs() -> list[Item]:
    return [
        Item("direct", a.id, a.expert.name, "提请特需专家直接聘任",
             f"回执编号{a.receipt_no}（{a.state_label}）；提请理由：{a.direct_proposal or ''}",
             a.direct_proposed_at, a.expert_id)
        for a in review.pending_direct()
    ]


def _dismissals() -> list[Item]:
    return [
        Item("dismissal", d.id, d.expert.name, reason_text(d.reason),
             f"{d.origin_label}" + (f"：{d.detail}" if d.detail else ""), d.proposed_at, d.expert_id)
        for d in dismissals.pending_dismissals()
    ]


def _source_label(expert: Expert) -> str:
    if expert.source == "district":
        return "区库专家"
    level = UPPER_POOL_LEVELS.get(expert.upper_pool_level or "", "")
    return f"{level}专家" if level else EXPERT_SOURCES.get(expert.source, expert.source)


def _fees_query():
    return pricing.awaiting_approval_query().where(ServiceRecord.proposed_amount.is_not(None))


def _fees() -> list[Item]:
    out = []
    for r in db.session.scalars(_fees_query()):
        activity = ACTIVITY_TYPES.get(r.activity, r.activity)
        facts = [f"{r.service_date:%Y-%m-%d} {activity}（{r.units.normalize():f}）", _source_label(r.expert)]
        if r.unit is not None:
            facts.append(f"使用单位：{r.unit.name}")
        if r.note:
            facts.append(r.note.splitlines()[-1])
        out.append(Item("fee", r.id, r.expert.name, f"建议金额 {r.proposed_amount:,.2f} 元", "；".join(facts),
                        r.updated_at, r.expert_id))
    return out


_GATHER = {"appointment": _appointments, "direct": _directs, "dismissal": _dismissals, "fee": _fees}


def waiting() -> dict[str, list[Item]]:
    """Every item waiting for a leader, by kind (every kind present, possibly empty)."""
    return {kind: _GATHER[kind]() for kind in KINDS}


def counts() -> dict[str, int]:
    """How many items of each kind wait, in one statement (the menu badge and the dashboard)."""
    return count_all({
        "appointment": select(Application.id).where(Application.state == "shortlisted"),
        "direct": select(Application.id).where(Application.direct_proposed_at.is_not(None),
                                               Application.state.in_(review.PROPOSE_DIRECT_STATES)),
        "dismissal": select(Dismissal.id).where(Dismissal.state == "proposed"),
        "fee": _fees_query().with_only_columns(ServiceRecord.id),
    })


def parse_keys(values: Iterable[str]) -> list[tuple[str, int]]:
    """``kind:id`` values from a form, in order, without repeats; unknown ones are dropped."""
    out: list[tuple[str, int]] = []
    for value in values:
        kind, _, raw = str(value).partition(":")
        if kind in KINDS and raw.isdigit() and (kind, int(raw)) not in out:
            out.append((kind, int(raw)))
    return out


def items_for(keys: Iterable[tuple[str, int]]) -> list[Item]:
    """The waiting items named by ``keys`` (those no longer waiting are left out), in page order."""
    wanted = set(keys)
    found = waiting()
    return [item for kind in KINDS for item in found[kind] if (item.kind, item.id) in wanted]


# --- deciding -------------------------------------------------------------------------------


def _reason(decision: str, reason: str | None) -> str:
    text = (reason or "").strip()
    if decision == "refuse" and not text:
        raise DomainError("不同意（退回）须填写理由。")
    if len(text) > MAX_REASON:
        raise DomainError(f"意见或理由不能超过{MAX_REASON}字。")
    return text


def _apply(kind: str, row, decision: str, actor: User, text: str) -> None:
    if kind == "appointment":
        if decision == "approve":
            review.approve(row, actor, text or None)
        else:
            review.reject(row, actor, text)
    elif kind == "direct":
        if decision == "approve":
            review.direct_appoint(row, actor, text or f"同意基础科提请：{row.direct_proposal or '特需专家'}")
        else:
            review.decline_direct(row, actor, text)
    elif kind == "dismissal":
        if decision == "approve":
            dismissals.approve_dismissal(row, actor, note=text or None)
        else:
            dismissals.reject_dismissal(row, actor, text)
    elif kind == "fee":
        if decision == "approve":
            pricing.approve_amount(row, actor)
            if text:
                row.note = f"{row.note}\n局领导意见：{text}" if row.note else f"局领导意见：{text}"
        else:
            pricing.return_proposal(row, actor, text)


_MODELS = {"appointment": Application, "direct": Application, "dismissal": Dismissal, "fee": ServiceRecord}


def _name_of(kind: str, row) -> str:
    return row.expert.name if row is not None and row.expert is not None else f"编号{row.id}"


def decide(keys: Iterable[tuple[str, int]], decision: str, actor: User, reason: str | None = None) -> list[str]:
    """Approve or refuse every item of ``keys`` (flushes; the caller commits or rolls back).

    Returns the names decided, in order. Refusing needs ``reason``; approving takes it as
    the opinion. Raises one ``DomainError`` naming every item that could not be decided —
    then the caller must roll back, so that either all or none are saved.
    """
    if decision not in DECISIONS:
        raise DomainError("请选择同意或不同意。")
    if getattr(actor, "role", None) != "leader":
        raise DomainError("只有局领导可以审批。")
    keys = list(keys)
    if not keys:
        raise DomainError("请至少选择一项。")
    text = _reason(decision, reason)
    names, problems = [], []
    for kind, ident in keys:
        row = db.session.get(_MODELS[kind], ident)
        if row is None:
            problems.append(f"{KINDS[kind][0]}（编号{ident}）：记录不存在")
            continue
        name = _name_of(kind, row)
        try:
            _apply(kind, row, decision, actor, text)
        except DomainError as err:
            problems.append(f"{name}（{KINDS[kind][0]}）：{err}")
        else:
            names.append(name)
    if problems:
        raise DomainError("未作任何修改。" + "\n".join(problems))
    return names


# --- recent decisions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A decision taken by a leader, as recorded by its area: when, who, what, outcome."""

    at: dt.datetime
    who: str
    kind_label: str
    name: str
    outcome: str
    note: str


def _who(user: User | None) -> str:
    return (user.full_name or user.username) if user is not None else ""


def recent_decisions(limit: int = 10) -> list[Decision]:
    """The last ``limit`` leaders' decisions on appointments, dismissals and fee amounts."""
    out: list[Decision] = []
    # The 审定 of an appointment is the step taken by a role that decides applications (第十二条).
    deciders = sorted(holders("application", "decide"))
    steps = db.session.scalars(
        select(ReviewStep).join(User, User.id == ReviewStep.actor_id).where(User.role.in_(deciders))
        .options(selectinload(ReviewStep.application).selectinload(Application.expert),
                 selectinload(ReviewStep.actor))
        .order_by(ReviewStep.at.desc(), ReviewStep.id.desc()).limit(limit)
    )
    for s in steps:
        opinion = s.opinion or ""
        if opinion.startswith("特需专家直接聘任"):
            kind, outcome = "特需专家直接聘任", "同意直接聘任"
        elif opinion.startswith("不同意直接聘任"):
            kind, outcome = "特需专家直接聘任", "不同意直接聘任"
        else:
            kind, outcome = "拟聘名单", {"approved": "审定通过", "rejected": "审定不通过"}.get(s.to_state, s.to_state)
        out.append(Decision(s.at, _who(s.actor), kind, s.application.expert.name, outcome, opinion))
    for d in db.session.scalars(
        select(Dismissal).where(Dismissal.decided_at.is_not(None), Dismissal.decided_by_id.is_not(None))
        .options(selectinload(Dismissal.expert)).order_by(Dismissal.decided_at.desc()).limit(limit)
    ):
        decider = db.session.get(User, d.decided_by_id)
        out.append(Decision(d.decided_at, _who(decider), "拟解聘", d.expert.name, d.state_label, d.decision_note or ""))
    for r in db.session.scalars(
        select(ServiceRecord).where(ServiceRecord.approved_at.is_not(None))
        .options(selectinload(ServiceRecord.expert)).order_by(ServiceRecord.approved_at.desc()).limit(limit)
    ):
        approver = db.session.get(User, r.approved_by_id) if r.approved_by_id else None
        amount = r.amount if r.amount is not None else r.proposed_amount
        out.append(Decision(r.approved_at, _who(approver), "费用金额", r.expert.name,
                            f"批准 {amount:,.2f} 元" if amount is not None else "批准", ""))
    out.sort(key=lambda d: _aware(d.at), reverse=True)
    return out[:limit]


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite gives naive instants back; every stored instant is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
