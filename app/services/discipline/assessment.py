"""Annual assessment (年度考核, 第二十二条, 第十三条(六); SPEC §3.14).

    对专家进行年度考核。区应急管理局基础科根据上述评定结果（附件5评价表）和平时对专家服务
    对象的回访测评结果，对专家进行年度评定，评定结果进行公示，并将评定结果作为下一年度是否
    聘用的依据。（第二十二条）
    专家年度考核评定为不合格，经约谈仍无法达到工作要求的，经区应急管理局批准可以解聘。
    （第十三条(六)）

Per expert and year the office gathers the figures (evaluations and their average total,
follow-up visits and their average satisfaction, verified violations, assignments,
attendance and unjustified absences) and ``grade`` turns them into a grade. The rule is
one pure function over plain values, its thresholds are settings:

1. A violation found in the year that drew a suspension or the blacklist → 不合格
   (the expert was barred from work for breaking his duties; it outweighs any score).
2. Fewer evaluations than ``grade_min_evaluations`` (default 1) → 不定等次: the regulation
   grades "根据上述评定结果", and without an evaluation there is nothing to grade by. Such
   an expert is not 不合格 and so never starts the interview/dismissal path.
3. The average evaluation total (rounded to 0.01, the figure that is published) against
   ``grade_excellent_min`` / ``grade_qualified_min`` / ``grade_basic_min`` (90/75/60):
   优秀 / 合格 / 基本合格, below → 不合格.
4. Follow-up visits (the enterprises' view) averaging below ``grade_follow_up_min``
   (3 of 5, "基本满意") take the grade down one step.
5. 优秀 further needs a clean year: no verified violation (a 警告 included), no
   unjustified decline or no-show, and follow-ups averaging at least
   ``grade_excellent_follow_up_min`` (4 of 5) where there are any; otherwise 合格.

The follow-ups of rules 4 and 5 are the office's 回访测评. The enterprises' own 企业回访
(the receipt page's form, ``followups.py``) are shown beside the grade as information and
join them only where the office's setting ``grade_counts_enterprise_followups`` says 是:
each then counts as one follow-up rated the mean of its punctuality and professionalism.

``run_assessment`` computes the year's rows (again, until published);
``publish_assessment`` publishes them as an announcement (kind ``assessment``) and starts
the consequences: every 不合格 expert gets an interview to hold (约谈); an expert
unqualified again the following year after a held interview, or whose interview
concludes "经约谈仍无法达到工作要求", is put on the dismissal-proposal list
(``propose_dismissal(expert, "6", origin="assessment")``) for a leader to decide.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.services.discipline.ladder import _event as discipline_event
from app.services.errors import DomainError
from app.services.proposals import propose_dismissal
from models import (
    Announcement,
    AnnouncementEntry,
    AnnualAssessment,
    Assignment,
    Evaluation,
    Expert,
    FollowUp,
    Interview,
    Setting,
    Term,
    UsageRequest,
    User,
    Violation,
)
from models.choices import ASSESSMENT_GRADES

# From best to worst; "one step down" moves right.
GRADE_STEPS = ("excellent", "qualified", "basic", "unqualified")
# The order grades are listed in an announcement.
GRADE_ORDER = {code: i for i, code in enumerate(GRADE_STEPS + ("ungraded",))}
CENT = Decimal("0.01")
UNQUALIFIED_INTERVIEW_REASON = "年度考核不合格，约谈（第十三条(六)、第二十二条）"


@dataclass(frozen=True)
class Figures:
    """What the year shows about one expert."""

    evaluation_count: int = 0
    average_score: Decimal | None = None
    follow_up_count: int = 0
    follow_up_average: Decimal | None = None
    violations: int = 0  # verified, found in the year (any outcome)
    serious_violations: int = 0  # of those, the ones that drew a suspension or the blacklist
    assignments: int = 0  # times called (accepted, declined or no-show)
    attended: int = 0
    absences: int = 0  # declined without a justified reason, or did not show up


@dataclass(frozen=True)
class Thresholds:
    """The grade boundaries, kept as settings (``grade_*``)."""

    excellent_min: Decimal = Decimal(90)
    qualified_min: Decimal = Decimal(75)
    basic_min: Decimal = Decimal(60)
    min_evaluations: int = 1
    follow_up_min: Decimal = Decimal(3)
    excellent_follow_up_min: Decimal = Decimal(4)
    counts_enterprise_followups: bool = False


def _label(code: str) -> str:
    return ASSESSMENT_GRADES.get(code, code)


def grade(figures: Figures, thresholds: Thresholds = Thresholds()) -> tuple[str, str]:
    """(grade code, the reason in Chinese) by the rule of the module docstring."""
    t = thresholds
    if figures.serious_violations:
        return "unqualified", "年度内违反专家义务被暂停专家资格或列入黑名单（第二十一条）"
    if figures.evaluation_count < t.min_evaluations or figures.average_score is None:
        return "ungraded", f"年度内评价表{figures.evaluation_count}份，少于{t.min_evaluations}份，无评定依据，不定等次"
    avg = figures.average_score.quantize(CENT, ROUND_HALF_UP)
    if avg >= t.excellent_min:
        code, why = "excellent", f"平均分{avg}，不低于{t.excellent_min}"
    elif avg >= t.qualified_min:
        code, why = "qualified", f"平均分{avg}，不低于{t.qualified_min}"
    elif avg >= t.basic_min:
        code, why = "basic", f"平均分{avg}，不低于{t.basic_min}"
    else:
        code, why = "unqualified", f"平均分{avg}，低于{t.basic_min}"
    reasons = [why]
    follow = figures.follow_up_average.quantize(CENT, ROUND_HALF_UP) if figures.follow_up_average is not None else None
    if figures.follow_up_count and follow is not None and follow < t.follow_up_min:
        lower = GRADE_STEPS[min(GRADE_STEPS.index(code) + 1, len(GRADE_STEPS) - 1)]
        if lower != code:
            reasons.append(f"回访测评平均满意度{follow}，低于{t.follow_up_min}，降为{_label(lower)}")
            code = lower
    if code == "excellent":
        blockers = []
        if figures.violations:
            blockers.append(f"年度内有{figures.violations}次经核实的违规")
        if figures.absences:
            blockers.append(f"无正当理由拒绝或未到场{figures.absences}次")
        if figures.follow_up_count and follow is not None and follow < t.excellent_follow_up_min:
            blockers.append(f"回访测评平均满意度{follow}，低于{t.excellent_follow_up_min}")
        if blockers:
            code = "qualified"
            reasons.append("；".join(blockers) + "，不评为优秀")
    return code, "；".join(reasons)


# -- settings ---------------------------------------------------------------------

def _setting_decimal(values: dict[str, str], key: str, default: Decimal) -> Decimal:
    raw = values.get(key)
    if raw is None:
        return default
    try:
        return Decimal(str(raw).strip())
    except InvalidOperation as err:
        raise DomainError(f"参数设置“{key}”不是有效数字：{raw}") from err


YES = ("是", "1", "true", "yes")
NO = ("否", "0", "false", "no", "")


def _setting_bool(values: dict[str, str], key: str, default: bool) -> bool:
    raw = values.get(key)
    if raw is None:
        return default
    word = str(raw).strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise DomainError(f"参数设置“{key}”只能填“是”或“否”：{raw}")


def thresholds_from_settings() -> Thresholds:
    """The grade thresholds as kept in settings; refuses inconsistent values with a clear message."""
    values = dict(db.session.execute(select(Setting.key, Setting.value).where(Setting.key.like("grade_%"))).all())
    d = Thresholds()
    t = Thresholds(
        excellent_min=_setting_decimal(values, "grade_excellent_min", d.excellent_min),
        qualified_min=_setting_decimal(values, "grade_qualified_min", d.qualified_min),
        basic_min=_setting_decimal(values, "grade_basic_min", d.basic_min),
        min_evaluations=int(_setting_decimal(values, "grade_min_evaluations", Decimal(d.min_evaluations))),
        follow_up_min=_setting_decimal(values, "grade_follow_up_min", d.follow_up_min),
        excellent_follow_up_min=_setting_decimal(values, "grade_excellent_follow_up_min", d.excellent_follow_up_min),
        counts_enterprise_followups=_setting_bool(values, "grade_counts_enterprise_followups",
                                                  d.counts_enterprise_followups),
    )
    if not (Decimal(100) >= t.excellent_min > t.qualified_min > t.basic_min >= 0):
        raise DomainError("年度考核分数线设置有误：须满足 100 ≥ 优秀 > 合格 > 基本合格 ≥ 0，请在参数设置中修改。")
    if t.min_evaluations < 0:
        raise DomainError("年度考核最少评价表份数不能为负数。")
    if not (1 <= t.follow_up_min <= 5 and 1 <= t.excellent_follow_up_min <= 5):
        raise DomainError("回访测评满意度阈值须在1至5之间，请在参数设置中修改。")
    return t


# -- figures ------------------------------------------------------------------------

def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _avg(total: int | Decimal, count: int, places: Decimal = CENT) -> Decimal | None:
    return (Decimal(total) / Decimal(count)).quantize(places, ROUND_HALF_UP) if count else None


def figures_for(year: int, expert_ids: Iterable[int], *,
                enterprise_followups: bool = False) -> dict[int, Figures]:
    """The figures of many experts for ``year`` in five grouped queries; with
    ``enterprise_followups`` the enterprises' 企业回访 count among the follow-ups (one more query)."""
    ids = list(set(expert_ids))
    if not ids:
        return {}
    first, last = _year_bounds(year)
    evals = {row.expert_id: (row.n, row.s or 0) for row in db.session.execute(
        select(Evaluation.expert_id, func.count().label("n"), func.sum(Evaluation.total).label("s"))
        .where(Evaluation.expert_id.in_(ids), Evaluation.evaluated_on.between(first, last))
        .group_by(Evaluation.expert_id))}
    follows = {row.expert_id: (row.n, Decimal(row.s or 0)) for row in db.session.execute(
        select(FollowUp.expert_id, func.count().label("n"), func.sum(FollowUp.satisfaction).label("s"))
        .where(FollowUp.expert_id.in_(ids), FollowUp.visited_on.between(first, last))
        .group_by(FollowUp.expert_id))}
    if enterprise_followups:
        from app.services.discipline.followups import followup_ratings

        for eid, ratings in followup_ratings(year, ids).items():
            n, s = follows.get(eid, (0, Decimal(0)))
            follows[eid] = (n + len(ratings), s + sum(ratings, Decimal(0)))
    violations: dict[int, list[str | None]] = defaultdict(list)
    for row in db.session.execute(
        select(Violation.expert_id, Violation.sanction).where(
            Violation.expert_id.in_(ids), Violation.state == "verified", Violation.found_on.between(first, last))
    ):
        violations[row.expert_id].append(row.sanction)
    calls: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in db.session.execute(
        select(Assignment.expert_id, Assignment.response, Assignment.attended, func.count().label("n"))
        .join(UsageRequest, UsageRequest.id == Assignment.request_id)
        .where(Assignment.expert_id.in_(ids), UsageRequest.start_date.between(first, last),
               Assignment.response.in_(("accepted", "declined_justified", "declined_unjustified", "no_show")))
        .group_by(Assignment.expert_id, Assignment.response, Assignment.attended)
    ):
        c = calls[row.expert_id]
        c["called"] += row.n
        if row.attended:
            c["attended"] += row.n
        if row.response in ("declined_unjustified", "no_show"):
            c["absent"] += row.n
    out = {}
    for eid in ids:
        n_eval, s_eval = evals.get(eid, (0, 0))
        n_follow, s_follow = follows.get(eid, (0, Decimal(0)))
        sanctions = violations.get(eid, [])
        c = calls.get(eid, {})
        out[eid] = Figures(
            evaluation_count=n_eval, average_score=_avg(s_eval, n_eval),
            follow_up_count=n_follow, follow_up_average=_avg(s_follow, n_follow),
            violations=len(sanctions), serious_violations=sum(1 for s in sanctions if s in ("suspension", "blacklist")),
            assignments=c.get("called", 0), attended=c.get("attended", 0), absences=c.get("absent", 0),
        )
    return out


def assessable_expert_ids(year: int) -> list[int]:
    """District experts with a term in force during some part of ``year``, or evaluated in it;
    dismissed experts are left out (their file is closed)."""
    first, last = _year_bounds(year)
    with_term = select(Term.expert_id).where(
        Term.start_date <= last, Term.end_date >= first, or_(Term.ended_on.is_(None), Term.ended_on > first))
    evaluated = select(Evaluation.expert_id).where(Evaluation.evaluated_on.between(first, last))
    return list(db.session.scalars(
        select(Expert.id).where(Expert.source == "district", Expert.stage != "dismissed",
                                or_(Expert.id.in_(with_term), Expert.id.in_(evaluated))).order_by(Expert.id)))


def is_published(year: int) -> bool:
    """True once the year's results have been published."""
    return db.session.scalar(select(func.count()).select_from(AnnualAssessment).where(
        AnnualAssessment.year == year, AnnualAssessment.announcement_id.is_not(None))) > 0


def run_assessment(year: int, *, today: dt.date | None = None) -> list[AnnualAssessment]:
    """Compute (or recompute) the year's assessment rows; refused once the year is published."""
    today = today or clock.today()
    if not isinstance(year, int) or year < 2000 or year > today.year:
        raise DomainError("考核年度无效：只能评定本年度及以前的年度。")
    if is_published(year):
        raise DomainError(f"{year}年度考核结果已公示，不能重新评定。")
    thresholds = thresholds_from_settings()
    ids = assessable_expert_ids(year)
    if not ids:
        raise DomainError(f"{year}年度没有在聘或参加过评价的区库专家，无需考核。")
    figures = figures_for(year, ids, enterprise_followups=thresholds.counts_enterprise_followups)
    existing = {
        a.expert_id: a for a in db.session.scalars(select(AnnualAssessment).where(AnnualAssessment.year == year))
    }
    for eid, row in existing.items():
        if eid not in figures:
            db.session.delete(row)
    rows = []
    now = clock.utcnow()
    for eid in ids:
        f = figures[eid]
        code, reason = grade(f, thresholds)
        row = existing.get(eid) or AnnualAssessment(expert_id=eid, year=year)
        row.evaluation_count = f.evaluation_count
        row.average_score = f.average_score
        row.follow_up_count = f.follow_up_count
        row.follow_up_average = f.follow_up_average
        row.violation_count = f.violations
        row.assignments = f.assignments
        row.attended = f.attended
        row.absences = f.absences
        row.grade = code
        row.grade_reason = reason
        row.decided_at = now
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def grade_counts(year: int) -> list[tuple[str, str, int]]:
    """(code, label, number of experts) of the year's grades, in grade order."""
    counts = dict(db.session.execute(select(AnnualAssessment.grade, func.count()).where(
        AnnualAssessment.year == year).group_by(AnnualAssessment.grade)).all())
    return [(code, _label(code), counts.get(code, 0)) for code in GRADE_ORDER]


def _event(expert: Expert, event: str, reason: str | None, actor) -> None:
    discipline_event(expert, event, reason, actor)


def publish_assessment(year: int, *, actor: User | None = None, today: dt.date | None = None,
                       doc_no: str | None = None) -> Announcement:
    """Publish the year's results as a 公示 and start the consequences for 不合格 experts.

    Every assessed expert is listed (name, groups, employer, grade as remark). Each
    不合格 expert gets an interview to hold; one unqualified the year before too, whose
    interview for that year was held, is proposed for dismissal (第十三条(六)).
    """
    today = today or clock.today()
    if is_published(year):
        raise DomainError(f"{year}年度考核结果已公示。")
    if not (doc_no or "").strip():
        raise DomainError("请填写公示的文号（例：武应急〔2027〕5号）：年度考核结果是局里的决定，公示须有文号和日期。")
    rows = list(db.session.scalars(select(AnnualAssessment).where(AnnualAssessment.year == year)
                                   .options(selectinload(AnnualAssessment.expert).selectinload(Expert.groups))))
    if not rows:
        raise DomainError(f"{year}年度尚未评定，请先进行年度考核评定。")
    rows.sort(key=lambda a: (GRADE_ORDER.get(a.grade, 9), a.expert.name))
    counts = defaultdict(int)
    for a in rows:
        counts[a.grade] += 1
    summary = "，".join(f"{_label(code)}{counts[code]}名" for code in GRADE_ORDER if counts[code])
    body = (f"根据《武进区安全生产专家管理办法》第二十二条，区应急管理局安全生产基础科根据{year}年度专家服务情况"
            f"评价结果和回访测评结果，对区安全生产专家进行了年度评定。共评定专家{len(rows)}名，其中{summary}。"
            f"现将评定结果予以公示。评定结果将作为下一年度是否聘用的依据。")
    ann = Announcement(kind="assessment", title=f"{year}年度武进区安全生产专家年度考核结果公示", doc_no=doc_no.strip(),
                       body=body, published=True, published_on=today, created_by_id=actor.id if actor else None)
    for a in rows:
        ann.entries.append(AnnouncementEntry(expert_id=a.expert_id, name=a.expert.name,
                                             groups="、".join(a.expert.group_names)[:200],
                                             employer=(a.expert.employer or "")[:200], remark=a.grade_label))
    db.session.add(ann)
    db.session.flush()
    for a in rows:
        a.announcement_id = ann.id
        if a.grade == "unqualified":
            _start_unqualified_path(a, actor)
    db.session.flush()
    return ann


def _start_unqualified_path(assessment: AnnualAssessment, actor) -> None:
    expert = assessment.expert
    _event(expert, f"{assessment.year}年度考核不合格", assessment.grade_reason, actor)
    has = db.session.scalar(select(Interview.id).where(Interview.assessment_id == assessment.id))
    if has is None:
        db.session.add(Interview(expert=expert, reason=f"{assessment.year}{UNQUALIFIED_INTERVIEW_REASON}",
                                 assessment_id=assessment.id))
    before = db.session.scalar(select(AnnualAssessment).where(
        AnnualAssessment.expert_id == expert.id, AnnualAssessment.year == assessment.year - 1,
        AnnualAssessment.grade == "unqualified"))
    if before is None:
        return
    held = db.session.scalar(select(Interview).where(Interview.assessment_id == before.id,
                                                     Interview.held_on.is_not(None)).order_by(Interview.held_on.desc()))
    if held is not None:
        propose_dismissal(expert, "6", origin="assessment", actor_id=actor.id if actor else None,
                          detail=f"{before.year}年度考核不合格，{held.held_on.isoformat()}约谈后，{assessment.year}年度考核仍不合格")


def record_interview(interview: Interview, *, held_on: dt.date, notes: str | None = None, outcome: str | None = None,
                     actor: User | None = None, today: dt.date | None = None) -> Interview:
    """Record that an interview was held; "经约谈仍无法达到工作要求" proposes dismissal (第十三条(六))."""
    today = today or clock.today()
    if not isinstance(held_on, dt.date):
        raise DomainError("请填写约谈日期。")
    if held_on > today:
        raise DomainError("约谈日期不能晚于今天。")
    if outcome not in (None, "", "improved", "still_unqualified"):
        raise DomainError("约谈结论无效。")
    if outcome and interview.assessment_id is None:
        raise DomainError("约谈结论只适用于年度考核不合格的约谈；违规约谈请在约谈记录中填写情况。")
    if interview.assessment_id is not None and not outcome:
        raise DomainError("年度考核不合格的约谈，请选择约谈结论（能否达到工作要求）。")
    interview.held_on = held_on
    interview.notes = (notes or "").strip() or None
    interview.outcome = outcome or None
    if actor is not None:
        interview.interviewer_id = actor.id
    expert = interview.expert
    _event(expert, "约谈", interview.reason + (f"；{interview.outcome_label}" if interview.outcome else ""), actor)
    if interview.outcome == "still_unqualified":
        assessment = interview.assessment or db.session.get(AnnualAssessment, interview.assessment_id)
        propose_dismissal(expert, "6", origin="assessment", actor_id=actor.id if actor else None,
                          detail=f"{assessment.year}年度考核不合格，{held_on.isoformat()}约谈后仍无法达到工作要求")
    db.session.flush()
    return interview


def followup_info(expert_id: int, year: int):
    """The year's enterprise follow-ups (企业回访) of an expert's jobs: their count and average,
    shown beside the grade; they change it only where ``grade_counts_enterprise_followups`` says 是."""
    from app.services.discipline.followups import followup_summary

    return followup_summary(expert_id, year)
