"""Demo evaluations (附件5) over the year, enforcement plans and the jobs they follow.

Several units use experts through the year and score them; most report on time, some
late, some not at all, a few on paper — so the submissions board shows every state.
Service-quality evaluations (variant B) against enforcement plans leave some units under
20%. The demo logins ``dept`` (执法大队一中队) and ``town`` (湖塘镇) have recent jobs
still waiting for an evaluation on the phone page.
"""
import datetime as dt
import random

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.services.discipline import ladder as discipline
from app.services.scoring import evaluations as scoring
from app.services.scoring import submissions
from models import Assignment, EnforcementPlan, Evaluation, FormAnswer, FormSubmission, UsageRequest

# unit name → (share of periods with a job, chance a period is reported late, chance it is not reported)
USERS_OF_EXPERTS = {
    "应急管理综合行政执法大队一中队": (0.9, 0.1, 0.0),
    "应急管理综合行政执法大队二中队": (0.8, 0.25, 0.15),
    "应急管理综合行政执法大队三中队": (0.6, 0.0, 0.3),
    "危险化学品安全监督管理科": (0.5, 0.2, 0.1),
    "工贸行业安全监督管理科": (0.5, 0.0, 0.0),
    "湖塘镇": (1.0, 0.0, 0.0),
    "牛塘镇": (1.0, 0.34, 0.0),
    "洛阳镇": (0.75, 0.0, 0.34),
    "遥观镇": (1.0, 0.0, 0.0),
    "横林镇": (0.75, 0.5, 0.0),
    "常州经济开发区": (1.0, 0.0, 0.25),
    "西湖街道": (0.5, 0.0, 0.0),
}
# unit name → (planned enforcement checks, service-quality evaluations recorded): some under 20%.
PLANS = {
    "应急管理综合行政执法大队一中队": (120, 28),
    "应急管理综合行政执法大队二中队": (100, 12),
    "应急管理综合行政执法大队三中队": (90, 19),
    "湖塘镇": (60, 14),
    "牛塘镇": (80, 9),
    "洛阳镇": (50, 10),
    "遥观镇": (40, 9),
    "横林镇": (45, 5),
    "常州经济开发区": (70, 15),
    "西湖街道": (30, 2),
}
WAITING = {"应急管理综合行政执法大队一中队": 3, "湖塘镇": 2}
SUBJECTS = {
    "inspection": ["危险化学品企业专项执法检查", "粉尘涉爆企业执法检查", "有限空间作业专项检查", "冶金煤气安全执法检查"],
    "hazard_check": ["重点企业安全隐患排查", "节前安全生产大检查", "汛期安全隐患排查"],
    "rectification_acceptance": ["重大事故隐患整改验收"],
}
MATTERS_B = ["执法检查中考评专家服务质量", "日常监管检查中考评专家服务质量"]
INSPECTORS = ["钱立军", "孙晓燕", "周文斌", "陆海涛", "蒋卫东", "沈丽华", "吴国平", "顾建华"]
PROBLEMS = {
    "A": ["检查时迟到约半小时", "未佩戴专家工作证", "现场检查不够深入，仅查看台账"],
    "B": ["复查闭环不及时", "应急预案存在照搬照抄内容", "危险有害因素辨识不全面"],
    "required": ["引用标准已废止（应为GB 30871-2022）", "整改意见较笼统，可操作性不强"],
}


def _at(day: dt.date, hour: int = 16) -> dt.datetime:
    return clock.at_local(day, dt.time(hour, 0))


def _next_request_no(year: int) -> str:
    # Same numbering as the usage requests made in the app (WJSQ-2026-0001).
    prefix = f"WJSQ-{year}-"
    last = db.session.scalar(select(func.max(UsageRequest.request_no)).where(UsageRequest.request_no.like(prefix + "%")))
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1 if last else 1):04d}"


def _job(rng, unit, expert, enterprises, day: dt.date, today: dt.date, completed: bool = True) -> Assignment:
    activity = rng.choice(list(SUBJECTS))
    req = UsageRequest(
        request_no=_next_request_no(day.year), unit=unit, activity_type=activity,
        subject=rng.choice(SUBJECTS[activity]), start_date=day, end_date=day, headcount=1, backups=0,
        state="completed" if completed else "dispatched",
    )
    req.enterprises = rng.sample(enterprises, k=rng.choice([1, 1, 2]))
    req.groups = expert.groups[:1]
    assignment = Assignment(expert=expert, method="draw", response="accepted", rank=1,
                            responded_at=_at(day - dt.timedelta(days=2), 10))
    if completed:
        assignment.attended = True
        assignment.work_units = 1
        assignment.completed_at = _at(min(day + dt.timedelta(days=1), today), 17)
    req.assignments.append(assignment)
    db.session.add(req)
    return assignment


def _scores(rng, form, variant: str, low: bool) -> tuple[dict[int, int], dict[int, str]]:
    sections = scoring.form_sections(form)
    scores, notes = {}, {}
    for key in ("required", variant):
        for item in sections[key]:
            roll = rng.random()
            if roll < 0.7:
                value = item.max_score
            elif roll < 0.95:
                value = item.max_score - 1
            else:
                value = max(0, item.max_score - 2 - rng.randint(0, 2))
            scores[item.id] = value
            if value < item.max_score - 1 and rng.random() < 0.7:
                notes[item.id] = rng.choice(PROBLEMS[key])
    if low:
        item = rng.choice(sections[variant])
        scores[item.id] = 1
        notes[item.id] = rng.choice(PROBLEMS[variant])
    return scores, notes


def demo_evaluation(form, *, unit, expert, enterprise_name: str, matter: str, evaluator_name: str, variant: str,
                    day: dt.date, submitted_at: dt.datetime, scores: dict[int, int], notes: dict[int, str],
                    suggestions: str | None = None, assignment=None, enterprise_id=None, paper: bool = False) -> Evaluation:
    """An evaluation with its submission, as the phone page would have saved it (demo data is
    backdated, so the service's "today" checks do not apply); ``scores`` by field id."""
    fields = {f.id: f for f in form.fields}
    by_key = {f.key: f for f in form.fields}
    submission = FormSubmission(
        form_id=form.form_id, version_id=form.id, expert_id=expert.id, unit_id=unit.id,
        assignment_id=assignment.id if assignment else None, enterprise_id=enterprise_id,
        submitted_at=submitted_at, is_paper=paper, total=sum(scores.values()), choices={"考评对象": variant},
    )
    header = {"enterprise_name": enterprise_name, "matter": matter, "evaluator_name": evaluator_name,
              "evaluated_on": day.isoformat(), "suggestions": suggestions}
    for key, text in header.items():
        if text:
            submission.answers.append(FormAnswer(field_id=by_key[key].id, text=text))
    for field_id, value in scores.items():
        submission.answers.append(FormAnswer(field_id=fields[field_id].id, number=value, note=notes.get(field_id)))
    ev = Evaluation(
        submission=submission, version_id=form.id, variant=variant, expert_id=expert.id, enterprise_id=enterprise_id,
        enterprise_name=enterprise_name, assignment_id=assignment.id if assignment else None, matter=matter,
        evaluator_name=evaluator_name, unit_id=unit.id, evaluated_on=day, submitted_at=submitted_at, is_paper=paper,
        is_service_quality=variant == scoring.SERVICE_QUALITY_VARIANT, total=sum(scores.values()),
    )
    db.session.add(ev)
    return ev


def _evaluate(rng, form, unit, expert, enterprise_name, matter, variant, day, submitted_at, *, assignment=None,
              paper=False, low=False) -> Evaluation:
    scores, notes = _scores(rng, form, variant, low)
    ev = demo_evaluation(
        form, unit=unit, expert=expert, enterprise_name=enterprise_name, matter=matter,
        evaluator_name=rng.choice(INSPECTORS), variant=variant, day=day, submitted_at=submitted_at, scores=scores,
        notes=notes, assignment=assignment, paper=paper,
        suggestions=rng.choice(["", "", "建议加强对新修订标准的学习。", "希望专家继续保持认真负责的工作态度。"]) or None,
    )
    db.session.flush()
    if low:
        discipline.open_draft_from_low_score(ev)
    return ev


def _day_in(rng, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def extend_demo(rng: random.Random, today: dt.date, units: dict, experts: list, enterprises: list) -> None:
    """Jobs, evaluations and enforcement plans of this year up to ``today``."""
    rng = random.Random(rng.random())  # a stream of our own: other areas' demo data stays put
    form = scoring.current_form()
    year = today.year
    pool = [e for i, e in enumerate(experts) if i % 10 != 9]  # appointed experts (see seed.py)
    low_budget = 3
    outcomes: dict[tuple[str, submissions.Period], str] = {}

    for name, (use_share, late_share, missing_share) in USERS_OF_EXPERTS.items():
        unit = units[name]
        for period in submissions.periods_of_year(unit.kind, year):
            first, last = submissions.window(unit.kind, period)
            due = submissions.due_date(unit.kind, period)
            if first > today - dt.timedelta(days=3) or rng.random() > use_share:
                continue
            last = min(last, today - dt.timedelta(days=3))
            outcome = rng.random()
            missing = outcome < missing_share
            late = not missing and outcome < missing_share + late_share
            outcomes[(name, period)] = "missing" if missing else "late" if late else "on_time"
            for _ in range(rng.choice([1, 2, 2, 3])):
                day = _day_in(rng, first, last)
                expert = rng.choice(pool)
                assignment = _job(rng, unit, expert, enterprises, day, today)
                db.session.flush()
                if missing and due < today:
                    continue
                if due >= today and rng.random() < 0.5:
                    continue  # still open: scored later on the phone
                if late and due < today:
                    sent = min(due + dt.timedelta(days=rng.randint(3, 20)), today)
                else:
                    sent = min(day + dt.timedelta(days=rng.randint(0, 5)), due, today)
                paper = rng.random() < 0.15
                low = low_budget > 0 and rng.random() < 0.05
                low_budget -= low
                ent = assignment.request.enterprises[0].name
                matter = f"{assignment.request.activity_label}：{assignment.request.subject}"
                _evaluate(rng, form, unit, expert, ent, matter, "A", day, _at(sent, 15 if not paper else 12),
                          assignment=assignment, paper=paper, low=low)

    # Jobs that the demo logins still have to score on the phone.
    for name, count in WAITING.items():
        for k in range(count):
            day = today - dt.timedelta(days=k + 1)
            _job(rng, units[name], pool[(k * 7 + 3) % len(pool)], enterprises, day, today)

    # Service-quality evaluations (variant B) during enforcement checks, against the plans.
    for name, (planned, quality) in PLANS.items():
        unit = units[name]
        db.session.add(EnforcementPlan(unit=unit, year=year, planned_checks=planned))
        start = dt.date(year, 1, 1)
        for _ in range(quality):
            for _attempt in range(20):  # not into a period the unit failed to report
                day = _day_in(rng, start, today - dt.timedelta(days=1))
                period = submissions.period_of(unit.kind, day)
                if outcomes.get((name, period)) != "missing":
                    break
            due = submissions.due_date(unit.kind, period)
            if outcomes.get((name, period)) == "late" and due < today:
                sent = min(due + dt.timedelta(days=rng.randint(3, 15)), today)
            else:
                sent = min(day + dt.timedelta(days=rng.randint(0, 4)), due, today)
            _evaluate(rng, form, unit, rng.choice(pool), rng.choice(enterprises).name, rng.choice(MATTERS_B), "B",
                      day, _at(sent), paper=rng.random() < 0.1)
    db.session.flush()
