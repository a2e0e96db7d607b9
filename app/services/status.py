"""An expert's status on a day, and whether he may be dispatched (SPEC §3.4, 第六、十三、二十一条).

One function decides, and every screen asks it: the dispatch candidates, the permit
verification page, the expert's own page. The status is computed from dated records
(terms, commitment letters, sanctions, dismissals), never stored, so a suspension
ends on its date without any job or manual step.

``compute_status`` is the pure core over plain values; ``status_of`` and
``statuses_for`` read the records (the latter for many experts in a fixed number of
queries). ``penalties_of`` lists the penalties that bar an expert from work — verified
suspensions and blacklistings (第二十一条) and approved dismissals (第十三条) — with the
day each takes effect: work on or after that day is neither done nor paid (SPEC §3.16).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from app import clock
from app.extensions import db
from models import CommitmentLetter, Dismissal, Expert, Term, Violation
from models.choices import PERMIT_STATUSES


@dataclass(frozen=True)
class TermSpan:
    id: int | None
    start: dt.date
    end: dt.date  # last day of the term
    ended_on: dt.date | None = None  # cut short: not in force from this day


@dataclass(frozen=True)
class SanctionSpan:
    kind: str  # "suspension" | "blacklist" ("warning" does not restrict)
    start: dt.date
    end: dt.date | None  # first day usable again


@dataclass(frozen=True)
class ExpertStatus:
    """``code`` is one of valid, suspended, blacklisted, dismissed, expired, not_appointed."""

    code: str
    label: str
    until: dt.date | None = None
    dispatchable: bool = False
    reasons: tuple[str, ...] = field(default_factory=tuple)
    term: TermSpan | None = None

    @property
    def display(self) -> str:
        """The label with its end date where one applies, e.g. 暂停（至2027年3月1日）."""
        if self.code in ("suspended", "blacklisted") and self.until:
            last = self.until - dt.timedelta(days=1)
            return f"{self.label}（至{last.year}年{last.month}月{last.day}日）"
        return self.label


LABELS = {**PERMIT_STATUSES, "not_appointed": "未聘任"}


def _current_term(terms: Sequence[TermSpan], on: dt.date) -> TermSpan | None:
    for term in sorted(terms, key=lambda t: t.start, reverse=True):
        if term.start <= on <= term.end and (term.ended_on is None or on < term.ended_on):
            return term
    return None


def compute_status(
    *,
    on: dt.date,
    source: str = "district",
    terms: Sequence[TermSpan] = (),
    letters: Sequence[tuple[dt.date, int | None]] = (),
    sanctions: Sequence[SanctionSpan] = (),
    dismissed_on: dt.date | None = None,
) -> ExpertStatus:
    """Decide the status on ``on`` from plain records.

    Precedence: 已解聘 > 黑名单 > 暂停 > 不在聘期 (已过期 / 未聘任) > 有效. Dispatchable
    means 有效 and a commitment letter (附件1) signed for the current term (第四条).
    ``letters`` are (signed_on, term_id or None); a letter without a term counts for
    whatever term is current when it was signed.
    """
    if dismissed_on is not None and dismissed_on <= on:
        return ExpertStatus("dismissed", LABELS["dismissed"], reasons=("已解聘（第十三条）",))
    for kind in ("blacklist", "suspension"):
        for s in sanctions:
            if s.kind == kind and s.start <= on and (s.end is None or on < s.end):
                code = "blacklisted" if kind == "blacklist" else "suspended"
                last = (s.end - dt.timedelta(days=1)) if s.end else None
                why = "列入黑名单" if kind == "blacklist" else "专家资格暂停中"
                if last:
                    why += f"，至{last.isoformat()}"
                return ExpertStatus(code, LABELS[code], until=s.end, reasons=(why + "（第二十一条）",))
    if source != "district":
        return ExpertStatus("not_appointed", "上级库/库外专家", reasons=("非区库专家，只能按第十四条为单次任务添加",))
    term = _current_term(terms, on)
    if term is None:
        if any(t.start <= on for t in terms):
            return ExpertStatus("expired", LABELS["expired"], reasons=("聘期已届满或已终止（第六条）",))
        return ExpertStatus("not_appointed", LABELS["not_appointed"], reasons=("尚未聘任（第十二条）",))
    signed = any(
        signed_on <= on and (term_id == term.id if term_id is not None else signed_on >= term.start - dt.timedelta(days=180))
        for signed_on, term_id in letters
    )
    if not signed:
        return ExpertStatus("valid", LABELS["valid"], dispatchable=False, term=term,
                            reasons=("未签订本届《专家服务承诺书》（第四条、附件1）",))
    return ExpertStatus("valid", LABELS["valid"], dispatchable=True, term=term)


def last_day(term: Term) -> dt.date:
    """The last day the term is in force (its end, or the day before it was cut short)."""
    if term.ended_on is not None:
        return min(term.end_date, term.ended_on - dt.timedelta(days=1))
    return term.end_date


def current_term(expert: Expert, on: dt.date | None = None) -> Term | None:
    """The term in force on ``on`` (default today)."""
    on = on or clock.today()
    for term in sorted(expert.terms, key=lambda t: t.start_date, reverse=True):
        if term.start_date <= on <= last_day(term):
            return term
    return None


def statuses_for(expert_ids: Iterable[int], on: dt.date | None = None) -> dict[int, ExpertStatus]:
    """The status of many experts in five queries, whatever their number."""
    ids = list(set(expert_ids))
    on = on or clock.today()
    if not ids:
        return {}
    sources = dict(db.session.execute(select(Expert.id, Expert.source).where(Expert.id.in_(ids))).all())
    stages = dict(db.session.execute(select(Expert.id, Expert.stage).where(Expert.id.in_(ids))).all())
    terms: dict[int, list[TermSpan]] = defaultdict(list)
    for row in db.session.execute(
        select(Term.expert_id, Term.id, Term.start_date, Term.end_date, Term.ended_on).where(Term.expert_id.in_(ids))
    ):
        terms[row.expert_id].append(TermSpan(row.id, row.start_date, row.end_date, row.ended_on))
    letters: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
        select(CommitmentLetter.expert_id, CommitmentLetter.signed_on, CommitmentLetter.term_id)
        .where(CommitmentLetter.expert_id.in_(ids))
    ):
        letters[row.expert_id].append((row.signed_on, row.term_id))
    sanctions: dict[int, list[SanctionSpan]] = defaultdict(list)
    for row in db.session.execute(
        select(Violation.expert_id, Violation.sanction, Violation.sanction_start, Violation.sanction_end).where(
            Violation.expert_id.in_(ids), Violation.state == "verified",
            Violation.sanction.in_(("suspension", "blacklist")), Violation.sanction_start.is_not(None),
        )
    ):
        sanctions[row.expert_id].append(SanctionSpan(row.sanction, row.sanction_start, row.sanction_end))
    dismissed: dict[int, dt.date] = {}
    for row in db.session.execute(
        select(Dismissal.expert_id, Dismissal.effective_on).where(
            Dismissal.expert_id.in_(ids), Dismissal.state == "approved"
        )
    ):
        day = row.effective_on or on
        dismissed[row.expert_id] = min(day, dismissed.get(row.expert_id, day))
    out = {}
    for eid in ids:
        if eid not in sources:
            continue
        out[eid] = compute_status(
            on=on, source=sources[eid], terms=terms[eid], letters=letters[eid], sanctions=sanctions[eid],
            dismissed_on=dismissed.get(eid) if eid in dismissed else (on if stages.get(eid) == "dismissed" else None),
        )
    return out


def status_of(expert: Expert | int, on: dt.date | None = None) -> ExpertStatus:
    """The status of one expert on ``on`` (default today)."""
    eid = expert if isinstance(expert, int) else expert.id
    return statuses_for([eid], on)[eid]


def dispatchable(expert: Expert | int, on: dt.date | None = None) -> tuple[bool, tuple[str, ...]]:
    """(may be dispatched on ``on``, the reasons why not)."""
    status = status_of(expert, on)
    return status.dispatchable, status.reasons


# --------------------------------------------------------------------------------------
# penalties: what bars an expert from work from a given day (SPEC §3.16)
# --------------------------------------------------------------------------------------

PENALTY_LABELS = {"suspension": "暂停专家资格", "blacklist": "列入黑名单", "dismissal": "解聘"}
PENALTY_ARTICLES = {"suspension": "第二十一条", "blacklist": "第二十一条", "dismissal": "第十三条"}


@dataclass(frozen=True)
class Penalty:
    """A suspension, blacklisting or dismissal: in force from ``start`` until ``end`` (the first
    day usable again; None for a dismissal)."""

    kind: str
    start: dt.date
    end: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    @property
    def label(self) -> str:
        return PENALTY_LABELS[self.kind]

    @property
    def reason(self) -> str:
        """``自2027年1月5日起暂停专家资格（第二十一条）`` — why work from that day is refused."""
        text = f"自{self.start.year}年{self.start.month}月{self.start.day}日起{self.label}"
        if self.end is not None:
            last = self.end - dt.timedelta(days=1)
            text += f"至{last.year}年{last.month}月{last.day}日"
        return f"{text}（{PENALTY_ARTICLES[self.kind]}）"


def penalties_of(expert_ids: Iterable[int] | None = None) -> dict[int, list[Penalty]]:
    """The penalties of the given experts (all experts for None), in two queries, by start."""
    sanctions = select(Violation.expert_id, Violation.sanction, Violation.sanction_start, Violation.sanction_end).where(
        Violation.state == "verified", Violation.sanction.in_(("suspension", "blacklist")),
        Violation.sanction_start.is_not(None))
    dismissals = select(Dismissal.expert_id, Dismissal.effective_on, Dismissal.decided_at).where(
        Dismissal.state == "approved")
    if expert_ids is not None:
        ids = list(set(expert_ids))
        sanctions = sanctions.where(Violation.expert_id.in_(ids))
        dismissals = dismissals.where(Dismissal.expert_id.in_(ids))
    out: dict[int, list[Penalty]] = defaultdict(list)
    for row in db.session.execute(sanctions):
        out[row.expert_id].append(Penalty(row.sanction, row.sanction_start, row.sanction_end))
    for row in db.session.execute(dismissals):
        start = row.effective_on or clock.local_date(row.decided_at)
        if start is not None:
            out[row.expert_id].append(Penalty("dismissal", start))
    for penalties in out.values():
        penalties.sort(key=lambda p: p.start)
    return dict(out)


def penalty_on(penalties: Sequence[Penalty], day: dt.date) -> Penalty | None:
    """The penalty in force on ``day`` (a dismissal before a sanction), or None."""
    found = [p for p in penalties if p.covers(day)]
    found.sort(key=lambda p: (p.kind != "dismissal", p.kind != "blacklist", p.start))
    return found[0] if found else None
