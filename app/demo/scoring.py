"""Demo evaluations (附件5) over the year, enforcement plans and the jobs they follow.

Several units use experts through the year and score them; most report on time, some
late, some not at all, a few on paper — so the submissions board shows every state.
Each job is a real one: requested, drawn, accepted, noticed, completed (so it has its
service record) and then scored through the scoring service, each step at its date.
Service-quality evaluations (variant B) against enforcement plans leave some units under
20%. The demo logins ``dept`` (执法大队一中队) and ``town`` (湖塘镇) have recent jobs
still waiting for an evaluation on the phone page.

:func:`jobs` plans the jobs and the evaluations (run by ``app.demo.seed`` together with the
dispatch area's, in the order they were entered, so request numbers follow the calendar);
:func:`extend_demo` enters the year's enforcement plans.
"""
import datetime as dt
import math
import random

from app.demo.moments import at
from app.demo.people import staff_of, user
from app.demo.signatures import receipt_filled
from app.extensions import db
from app.services.discipline.ladder import low_item_ratio
from app.services.dispatch import completion, draws, notices, responses, usage_requests
from app.services.scoring import evaluations as scoring
from app.services.scoring import submissions
from app.services.status import statuses_for
from models import EnforcementPlan

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
    "inspection": [
        "危险化学品企业专项执法检查",
        "粉尘涉爆企业执法检查",
        "有限空间作业专项检查",
        "冶金煤气安全执法检查",
    ],
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


SIGNERS = ["王海燕", "李建军", "陈静", "张卫国", "刘晓东"]


def _seed(rng) -> str:
    return f"{rng.getrandbits(128):032x}"


def _scores(rng, form, variant: str, low: bool) -> tuple[dict[int, int], dict[int, str]]:
    """Mostly full marks, some a point or two lower; an item below the low-score line (which
    opens a draft violation for the office) only where ``low`` says so — a rare event."""
    sections = scoring.form_sections(form)
    ratio = low_item_ratio()
    scores, notes = {}, {}
    for key in ("required", variant):
        for item in sections[key]:
            roll = rng.random()
            if roll < 0.7:
                value = item.max_score
            elif roll < 0.95:
                value = item.max_score - 1
            else:
                value = max(math.ceil(ratio * item.max_score), item.max_score - 2 - rng.randint(0, 2))
            scores[item.id] = value
            if value < item.max_score - 1 and rng.random() < 0.7:
                notes[item.id] = rng.choice(PROBLEMS[key])
    if low:
        item = rng.choice(sections[variant])
        scores[item.id] = 1
        notes[item.id] = rng.choice(PROBLEMS[variant])
    return scores, notes


def _day_in(rng, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _pool(experts, today):
    """The first 届 who are not dismissed (see app.demo.lifecycle)."""
    appointed = [e for i, e in enumerate(experts) if i % 10 != 9]
    standing = statuses_for([e.id for e in appointed], today)
    return [e for e in appointed if standing[e.id].standing != "dismissed"]


def _evaluate(form, unit, entry_fields, variant, scores, notes, sent: dt.date, *, paper=False):
    """The unit sends the 评价表 from the phone on ``sent``; a paper form is entered by 基础科."""
    entry = scoring.EvaluationEntry(form_id=form.id, variant=variant, scores=scores, problems=notes,
                                    is_paper=paper, **entry_fields)
    if paper:
        entry.unit_id, entry.received_on = unit.id, sent
    with at(sent, 12 if paper else 15, 10):
        scoring.save_evaluation(entry, by=user("office") if paper else staff_of(unit))


def _job(unit, day, today, group_id, enterprise_ids, activity, subject, seeds, signers, evaluation=None):
    """One job of ``unit`` on ``day``: requested three days ahead, drawn, accepted, the 告知书
    issued and received, completed the next day; then scored if ``evaluation`` says so."""
    creator = staff_of(unit)
    with at(day - dt.timedelta(days=3), 9, 15):
        req = usage_requests.create_request(
            unit=unit, activity_type=activity, subject=subject, start_date=day, end_date=day, groups=[group_id],
            enterprises=enterprise_ids, headcount=1, backups=0, created_by=creator, seed=seeds[0])
        draws.draw(req, creator, seed=seeds[1])
    assignment = next(a for a in req.assignments if not a.is_backup)
    with at(day - dt.timedelta(days=2), 10, 30):
        responses.respond(assignment, "accepted", actor=creator)
    with at(day, 8, 20):
        made = notices.issue_notices(req)
    for notice, signer in zip(made, signers, strict=False):
        with at(day, 14, 35):
            notices.confirm_receipt(notice.token, receipt_filled(signer))
    with at(min(day + dt.timedelta(days=1), today), 17):
        completion.complete_assignment(assignment, attended=True, units=1, actor=creator)
    if evaluation is not None:
        form, variant, scores, notes, sent, paper, evaluator = evaluation
        fields = dict(assignment_id=assignment.id, enterprise_name=req.enterprises[0].name,
                      matter=f"{req.activity_label}：{req.subject}", evaluator_name=evaluator, evaluated_on=day)
        _evaluate(form, unit, fields, variant, scores, notes, sent, paper=paper)


def jobs(rng: random.Random, today: dt.date, units: dict, experts: list, enterprises: list) -> list:
    """The year's jobs and their evaluations, as (date entered, function, args, kwargs) to run."""
    form = scoring.current_form()
    year = today.year
    pool = _pool(experts, today)
    if not pool:
        return []
    low_budget = 3
    plans = []
    outcomes: dict[tuple[str, submissions.Period], str] = {}

    def plan(unit, day, evaluation=None):
        activity = rng.choice(list(SUBJECTS))
        ents = [e.id for e in rng.sample(enterprises, k=rng.choice([1, 1, 2]))]
        group_id = rng.choice(pool).groups[0].id
        args = (unit, day, today, group_id, ents, activity, rng.choice(SUBJECTS[activity]), (_seed(rng), _seed(rng)),
                rng.sample(SIGNERS, k=2), evaluation)
        plans.append((day - dt.timedelta(days=3), _job, args, {}))

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
                day = max(_day_in(rng, first, last), dt.date(year, 1, 4))
                if (missing and due < today) or (due >= today and rng.random() < 0.5):
                    plan(unit, day)  # not reported, or still open: scored later on the phone
                    continue
                if late and due < today:
                    sent = min(due + dt.timedelta(days=rng.randint(3, 20)), today)
                else:
                    sent = min(day + dt.timedelta(days=1 + rng.randint(0, 5)), max(due, day + dt.timedelta(days=1)),
                               today)
                paper = rng.random() < 0.15
                low = low_budget > 0 and rng.random() < 0.05
                low_budget -= low
                scores, notes = _scores(rng, form, "A", low)
                plan(unit, day, (form, "A", scores, notes, sent, paper, rng.choice(INSPECTORS)))

    # Jobs that the demo logins still have to score on the phone.
    for name, count in WAITING.items():
        for k in range(count):
            plan(units[name], today - dt.timedelta(days=k + 1))

    # Service-quality evaluations (variant B) during enforcement checks, against the plans.
    for name, (_planned, quality) in PLANS.items():
        unit = units[name]
        for _ in range(quality):
            for _attempt in range(20):  # not into a period the unit failed to report
                day = _day_in(rng, dt.date(year, 1, 1), today - dt.timedelta(days=1))
                period = submissions.period_of(unit.kind, day)
                if outcomes.get((name, period)) != "missing":
                    break
            due = submissions.due_date(unit.kind, period)
            if outcomes.get((name, period)) == "late" and due < today:
                sent = min(due + dt.timedelta(days=rng.randint(3, 15)), today)
            else:
                sent = min(day + dt.timedelta(days=rng.randint(0, 4)), max(due, day), today)
            scores, notes = _scores(rng, form, "B", False)
            fields = dict(expert_id=rng.choice(pool).id, enterprise_name=rng.choice(enterprises).name,
                          matter=rng.choice(MATTERS_B), evaluator_name=rng.choice(INSPECTORS), evaluated_on=day)
            plans.append((sent, _evaluate, (form, unit, fields, "B", scores, notes, sent),
                          {"paper": rng.random() < 0.1}))
    return plans


def extend_demo(rng: random.Random, today: dt.date, units: dict, experts: list, enterprises: list) -> None:
    """The year's enforcement plans (the 20% coverage rule), entered in January."""
    for name, (planned, _quality) in PLANS.items():
        with at(min(dt.date(today.year, 1, 8), today), 10):  # entered on the plans form
            db.session.add(EnforcementPlan(unit=units[name], year=today.year, planned_checks=planned))
            db.session.flush()
