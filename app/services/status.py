"""An expert's status on a day, and whether he may be dispatched (SPEC §3.4, 第六、十三、二十一条).

One function decides, and every screen asks it: the dispatch candidates, the permit
verification page, the expert's own page. The status is computed from dated records
(terms, commitment letters, sanctions, dismissals), never stored, so a suspension
ends on its date without any job or manual step.

``compute_status`` is the pure core over plain values; ``status_of`` and
``statuses_for`` read the records (the latter for many experts in a fixed number of
queries).

**Standing** is the one word every screen prints for an expert (the list and its
filter, the details page, the dashboard and leader figures, exports): 申请中, 未聘任,
在聘（可选派）, 在聘（未签承诺书）, 暂停, 黑名单, 已解聘, 聘期届满, 上级库/库外. It is
part of :class:`ExpertStatus`, decided by ``compute_status``; :func:`standing_expr` is the
same rule as one SQL expression, for filters and counts (a test holds the two together).

``penalties_of`` lists the penalties that bar an expert from work — verified
suspensions and blacklistings (第二十一条) and approved dismissals (第十三条) — with the
day each takes effect: work on or after that day is neither done nor paid (SPEC §3.16).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, exists, func, literal, not_, null, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Date

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


#: The standing of an expert: the one word lists, filters, dashboards and exports print,
#: in the order the dashboard shows them.
STANDINGS = {
    "dispatchable": "在聘（可选派）",
    "no_letter": "在聘（未签承诺书）",
    "suspended": "暂停",
    "blacklisted": "黑名单",
    "expired": "聘期届满",
    "dismissed": "已解聘",
    "applicant": "申请中",
    "not_appointed": "未聘任",
    "outside": "上级库/库外",
}
#: Standings of an expert appointed and in a term today (the pool the group figures count).
IN_TERM = ("dispatchable", "no_letter")

#: A letter signed without a term counts for the term in force when it was signed, or for a
#: term starting within this many days after it (signed before the appointment took effect).
LETTER_LEAD_DAYS = 180


@dataclass(frozen=True)
class ExpertStatus:
    """``code`` is one of valid, suspended, blacklisted, dismissed, expired, not_appointed
    (the person's side of a permit check); ``standing`` is the finer word of
    :data:`STANDINGS` that screens print."""

    code: str
    label: str
    until: dt.date | None = None
    dispatchable: bool = False
    reasons: tuple[str, ...] = field(default_factory=tuple)
    term: TermSpan | None = None
    standing: str = "not_appointed"

    @property
    def standing_label(self) -> str:
        """在聘（可选派）, 未聘任, 暂停 … (see :data:`STANDINGS`)."""
        return STANDINGS[self.standing]

    @property
    def standing_display(self) -> str:
        """The standing with its end date where one applies, e.g. 暂停（至2027年3月1日）."""
        if self.standing in ("suspended", "blacklisted"):
            return self.display
        return self.standing_label

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
    stage: str | None = None,
) -> ExpertStatus:
    """Decide the status on ``on`` from plain records.

    Precedence: 已解聘 > 黑名单 > 暂停 > 上级库/库外 > 不在聘期 (聘期届满 / 申请中 /
    未聘任) > 在聘. Dispatchable means 在聘 and a commitment letter (附件1) signed for the
    current term (第四条). ``letters`` are (signed_on, term_id or None); a letter without
    a term counts for whatever term is current when it was signed. ``stage`` (the
    record's stage) only tells an applicant from someone merely on record.
    """
    if dismissed_on is not None and dismissed_on <= on:
        return ExpertStatus("dismissed", LABELS["dismissed"], reasons=("已解聘（第十三条）",), standing="dismissed")
    for kind in ("blacklist", "suspension"):
        for s in sanctions:
            if s.kind == kind and s.start <= on and (s.end is None or on < s.end):
                code = "blacklisted" if kind == "blacklist" else "suspended"
                last = (s.end - dt.timedelta(days=1)) if s.end else None
                why = "列入黑名单" if kind == "blacklist" else "专家资格暂停中"
                if last:
                    why += f"，至{last.isoformat()}"
                return ExpertStatus(code, LABELS[code], until=s.end, reasons=(why + "（第二十一条）",), standing=code)
    if source != "district":
        return ExpertStatus("not_appointed", "上级库/库外专家", reasons=("非区库专家，只能按第十四条为单次任务添加",),
                            standing="outside")
    term = _current_term(terms, on)
    if term is None:
        if any(t.start <= on for t in terms):
            return ExpertStatus("expired", LABELS["expired"], reasons=("聘期已届满或已终止（第六条）",),
                                standing="expired")
        if stage == "applicant":
            return ExpertStatus("not_appointed", LABELS["not_appointed"], reasons=("申请审核中，尚未聘任（第十二条）",),
                                standing="applicant")
        return ExpertStatus("not_appointed", LABELS["not_appointed"], reasons=("尚未聘任（第十二条）",))
    lead = dt.timedelta(days=LETTER_LEAD_DAYS)
    signed = any(
        signed_on <= on and (term_id == term.id if term_id is not None else signed_on >= term.start - lead)
        for signed_on, term_id in letters
    )
    if not signed:
        return ExpertStatus("valid", LABELS["valid"], dispatchable=False, term=term,
                            reasons=("未签订本届《专家服务承诺书》（第四条、附件1）",), standing="no_letter")
    return ExpertStatus("valid", LABELS["valid"], dispatchable=True, term=term, standing="dispatchable")


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


_CHUNK = 500
_NO_DATE = cast(null(), Date)
_NO_ID = cast(null(), Integer)


def _inputs(ids: list[int]):
    """Everything compute_status needs besides the expert row, as one statement of rows
    (kind, expert id, term id, date, date, date)."""
    return union_all(
        select(literal("term", String).label("kind"), Term.expert_id, Term.id, Term.start_date, Term.end_date,
               Term.ended_on).where(Term.expert_id.in_(ids)),
        select(literal("letter", String), CommitmentLetter.expert_id, CommitmentLetter.term_id,
               CommitmentLetter.signed_on, _NO_DATE, _NO_DATE).where(CommitmentLetter.expert_id.in_(ids)),
        select(Violation.sanction, Violation.expert_id, _NO_ID, Violation.sanction_start, Violation.sanction_end,
               _NO_DATE).where(Violation.expert_id.in_(ids), Violation.state == "verified",
                               Violation.sanction.in_(("suspension", "blacklist")),
                               Violation.sanction_start.is_not(None)),
        select(literal("dismissal", String), Dismissal.expert_id, _NO_ID, Dismissal.effective_on, _NO_DATE,
               _NO_DATE).where(Dismissal.expert_id.in_(ids), Dismissal.state == "approved"),
    )


def _as_date(value) -> dt.date | None:
    """A DATE read through a UNION (SQLite may hand back ISO text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def statuses_for(expert_ids: Iterable[int], on: dt.date | None = None) -> dict[int, ExpertStatus]:
    """The status of many experts in two queries per 500 experts (the expert rows, and one
    UNION of their terms, letters, sanctions and approved dismissals)."""
    ids = sorted(set(expert_ids))
    on = on or clock.today()
    out: dict[int, ExpertStatus] = {}
    for i in range(0, len(ids), _CHUNK):  # keep every IN list under the databases' bound-parameter limits
        rows = db.session.execute(select(Expert.id, Expert.source, Expert.stage)
                                  .where(Expert.id.in_(ids[i:i + _CHUNK]))).all()
        out.update(statuses_of_loaded(rows, on))
    return out


def statuses_of_loaded(experts: Iterable[Any], on: dt.date | None = None) -> dict[int, ExpertStatus]:
    """:func:`statuses_for` of experts already at hand (ORM objects or rows with ``id``,
    ``source`` and ``stage``, e.g. a list page's rows): one query per 500 experts, for the
    UNION of their terms, letters, sanctions and approved dismissals."""
    rows = {e.id: e for e in experts}
    ids = sorted(rows)
    on = on or clock.today()
    if len(ids) > _CHUNK:
        out: dict[int, ExpertStatus] = {}
        for i in range(0, len(ids), _CHUNK):
            out.update(statuses_of_loaded([rows[eid] for eid in ids[i:i + _CHUNK]], on))
        return out
    if not ids:
        return {}
    terms: dict[int, list[TermSpan]] = defaultdict(list)
    letters: dict[int, list] = defaultdict(list)
    sanctions: dict[int, list[SanctionSpan]] = defaultdict(list)
    dismissed: dict[int, dt.date] = {}
    for kind, eid, ref, d1, d2, d3 in db.session.execute(_inputs(ids)):
        d1, d2, d3 = _as_date(d1), _as_date(d2), _as_date(d3)
        if kind == "term":
            terms[eid].append(TermSpan(ref, d1, d2, d3))
        elif kind == "letter":
            letters[eid].append((d1, ref))
        elif kind == "dismissal":
            day = d1 or on
            dismissed[eid] = min(day, dismissed.get(eid, day))
        else:
            sanctions[eid].append(SanctionSpan(kind, d1, d2))
    out = {}
    for eid in ids:
        stage = rows[eid].stage
        out[eid] = compute_status(
            on=on, source=rows[eid].source, terms=terms[eid], letters=letters[eid], sanctions=sanctions[eid],
            dismissed_on=dismissed.get(eid) if eid in dismissed else (on if stage == "dismissed" else None),
            stage=stage,
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


# --- the same rule in SQL (filters and counts) ----------------------------------------------


class _DaysBefore(FunctionElement):
    """``day - n days`` for a DATE column, on SQLite and PostgreSQL alike."""

    type = Date()
    inherit_cache = True


@compiles(_DaysBefore)
def _days_before_default(element, compiler, **kw):
    column, days = list(element.clauses)
    return f"({compiler.process(column, **kw)} - {int(days.value)})"  # PostgreSQL: date - integer


@compiles(_DaysBefore, "sqlite")
def _days_before_sqlite(element, compiler, **kw):
    column, days = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, '-{int(days.value)} days')"


def standing_expr(on: dt.date | None = None, expert=Expert):
    """The standing of ``expert`` (the mapped class or an alias) on ``on`` as one SQL CASE
    expression giving a code of :data:`STANDINGS` — the rule of :func:`compute_status`
    written for the database, so that a list can be filtered and counted by it."""
    on = on or clock.today()
    day = literal(on, Date())
    approved = exists().where(Dismissal.expert_id == expert.id, Dismissal.state == "approved")
    dismissed_by_record = exists().where(
        Dismissal.expert_id == expert.id, Dismissal.state == "approved",
        or_(Dismissal.effective_on.is_(None), Dismissal.effective_on <= day))

    def sanctioned(kind):
        return exists().where(
            Violation.expert_id == expert.id, Violation.state == "verified", Violation.sanction == kind,
            Violation.sanction_start.is_not(None), Violation.sanction_start <= day,
            or_(Violation.sanction_end.is_(None), Violation.sanction_end > day))

    def in_force(term):
        return and_(term.expert_id == expert.id, term.start_date <= day, term.end_date >= day,
                    or_(term.ended_on.is_(None), term.ended_on > day))

    current = aliased(Term)
    later = aliased(Term)
    # correlated explicitly: a nested EXISTS does not correlate two levels up by itself
    newer = exists().where(in_force(later), later.start_date > current.start_date).correlate_except(later)
    newest_in_force = and_(in_force(current), ~newer)
    letter_signed = exists().where(
        newest_in_force, CommitmentLetter.expert_id == expert.id, CommitmentLetter.signed_on <= day,
        or_(CommitmentLetter.term_id == current.id,
            and_(CommitmentLetter.term_id.is_(None),
                 CommitmentLetter.signed_on >= _DaysBefore(current.start_date, literal(LETTER_LEAD_DAYS)))))
    any_in_force = exists().where(in_force(current))
    begun = exists().where(Term.expert_id == expert.id, Term.start_date <= day)
    return case(
        (or_(dismissed_by_record, and_(expert.stage == "dismissed", not_(approved))), "dismissed"),
        (sanctioned("blacklist"), "blacklisted"),
        (sanctioned("suspension"), "suspended"),
        (expert.source != "district", "outside"),
        (and_(any_in_force, letter_signed), "dispatchable"),
        (any_in_force, "no_letter"),
        (begun, "expired"),
        (expert.stage == "applicant", "applicant"),
        else_="not_appointed",
    )


def standing_counts(on: dt.date | None = None) -> dict[str, int]:
    """How many experts have each standing on ``on`` (every code of :data:`STANDINGS`)."""
    # grouped over a subquery: PostgreSQL does not match a CASE with bound values in GROUP BY
    sub = select(standing_expr(on).label("standing")).select_from(Expert).subquery()
    rows = db.session.execute(select(sub.c.standing, func.count()).group_by(sub.c.standing)).all()
    counts = dict.fromkeys(STANDINGS, 0)
    counts.update({code: n for code, n in rows})
    return counts


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
