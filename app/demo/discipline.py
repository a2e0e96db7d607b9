"""Demo data for discipline and the annual assessment (第二十一、二十二条).

Last year: units scored most appointed experts on the phone (through the scoring
service, which opens a draft violation for a very low item; the office found those not
to be violations), follow-up visits were recorded, and the year was assessed and published
in January (one expert unqualified and interviewed without improvement, so he is on the
dismissal-proposal list). This year: a warned expert, a suspended expert whose suspension
ends in a few weeks (interviewed), a blacklisted one, a draft violation opened by a very
low item score, a draft from a complaint, and follow-up visits. Each step through the
services at its own date.
"""
import datetime as dt
import random

from sqlalchemy import select

from app.demo.moments import at
from app.demo.people import staff_of, user
from app.extensions import db
from app.services.discipline import assessment
from app.services.discipline import ladder as discipline
from app.services.scoring.evaluations import EvaluationEntry, current_form, form_sections, save_evaluation
from app.services.status import statuses_for
from models import FollowUp, Interview, Violation

ENTERPRISE_COMMENTS = {
    5: ["专家检查细致，指出的隐患很有针对性，整改建议可操作。", "专家态度诚恳，讲解耐心，企业收获很大。"],
    4: ["专家工作认真，个别意见表述较笼统。", "总体满意，希望复查更及时。"],
    3: ["专家意见基本合理，但现场时间较短。", "检查较为仓促，部分问题未讲清楚。"],
    2: ["专家迟到，现场检查不够深入。", "整改意见照搬标准条文，难以落实。"],
    1: ["专家要求企业安排车辆接送，企业不满意。"],
}
MATTERS = ["执法检查：危险化学品企业专项执法检查", "隐患排查：重点企业安全隐患排查", "执法检查：粉尘涉爆企业执法检查",
           "重大隐患整改验收：重大事故隐患整改验收", "执法检查：有限空间作业专项检查"]
INSPECTORS = ["钱立军", "孙晓燕", "周文斌", "陆海涛", "蒋卫东"]
NOT_A_VIOLATION = "经向评价单位和企业核实，评分偏低系现场检查不够深入所致，不属于违反专家义务的情形，不予认定。"


def _evaluation(rng, form, sections, unit, expert, enterprise, day: dt.date, target: int,
                low_item: tuple[int, int, str] | None = None):
    """An A-variant 评价表 whose total is about ``target``, sent by ``unit`` on the phone a few
    days after ``day``; ``low_item`` = (index in the A section, score, problem) scores one item very low."""
    items = sections["required"] + sections["A"]
    scores = {i.id: i.max_score for i in items}
    notes = {}
    if low_item is not None:
        item = sections["A"][low_item[0]]
        scores[item.id] = low_item[1]
        notes[item.id] = low_item[2]
    missing = max(0, sum(scores.values()) - target)
    order = [i for i in items if low_item is None or i.id != sections["A"][low_item[0]].id]
    rng.shuffle(order)
    for _round in range(4):  # points off a few at a time, spread over the items
        for item in order:
            if missing <= 0:
                break
            take = min(missing, scores[item.id], rng.randint(1, 2))
            scores[item.id] -= take
            missing -= take
            if scores[item.id] <= item.max_score // 2:
                notes.setdefault(item.id, "现场检查不够深入，意见较笼统")
    entry = EvaluationEntry(form_id=form.id, variant="A", expert_id=expert.id, enterprise_name=enterprise.name,
                            matter=rng.choice(MATTERS), evaluator_name=rng.choice(INSPECTORS), evaluated_on=day,
                            scores=scores, problems=notes)
    with at(day, 17, rng.randint(0, 59)):
        evaluation, _created = save_evaluation(entry, by=staff_of(unit))
    return evaluation


def _follow_up(rng, expert, enterprise, day, satisfaction, office):
    with at(day, 15):  # 基础科 records the visit on the follow-up form
        db.session.add(FollowUp(expert=expert, enterprise=enterprise, visited_on=day, satisfaction=satisfaction,
                                comment=rng.choice(ENTERPRISE_COMMENTS[satisfaction]), recorded_by_id=office.id))
        db.session.flush()


def _verified(expert, found_on, verified_on, finding, investigation, office, **kw):
    with at(found_on, 11):
        violation = discipline.record_violation(expert, found_on, finding, actor=office, **kw)
    with at(verified_on, 16):
        discipline.verify_violation(violation, investigation=investigation, actor=office, verified_on=verified_on)
    return violation


def _not_violations(year: int, office) -> None:
    """The office investigates last year's drafts opened by low item scores and finds none a violation."""
    drafts = db.session.scalars(select(Violation).where(
        Violation.state == "draft", Violation.found_on.between(dt.date(year, 1, 1), dt.date(year, 12, 31))
    ).order_by(Violation.found_on, Violation.id)).all()
    for draft in drafts:
        with at(min(draft.found_on + dt.timedelta(days=9), dt.date(year, 12, 31)), 10):
            discipline.dismiss_violation(draft, NOT_A_VIOLATION, actor=office)


def extend_demo(rng: random.Random, today: dt.date, units: dict, experts: list, enterprises: list) -> None:
    """Last year's published assessment and this year's discipline cases."""
    office = user("office")
    form = current_form()
    sections = form_sections(form)
    last_year = today.year - 1
    appointed = [e for i, e in enumerate(experts) if i % 10 != 9]  # the first 届 (see app.demo.lifecycle)
    standing = statuses_for([e.id for e in appointed], today)
    pool = [e for e in appointed if standing[e.id].standing != "dismissed"]
    scoring_units = [units[n] for n in ("应急管理综合行政执法大队一中队", "应急管理综合行政执法大队二中队", "湖塘镇",
                                        "牛塘镇", "遥观镇", "危险化学品安全监督管理科")]
    if len(pool) < 7:
        return  # too few experts for distinct cases

    def pick(k):  # distinct experts for the cases below whenever the pool has 7 or more
        return pool[k % len(pool)]

    warned, suspended, blacklisted, weak, poor = pick(3), pick(6), pick(9), pick(12), pick(15)

    # -- last year: evaluations, follow-ups, two violations ------------------------------------
    for n, expert in enumerate(pool):
        if n % 11 == 10:
            continue  # not used last year: 不定等次
        level = 52 if expert in (weak, poor) else rng.choice([97, 93, 91, 88, 86, 84, 80, 78, 72])
        for _ in range(rng.choice([1, 2, 2, 3, 4])):
            day = dt.date(last_year, rng.randint(2, 12), rng.randint(1, 28))
            _evaluation(rng, form, sections, rng.choice(scoring_units), expert, rng.choice(enterprises), day,
                        max(30, min(100, level + rng.randint(-4, 4))))
        if expert in (weak, poor) or rng.random() < 0.4:
            sat = 2 if expert in (weak, poor) else rng.choice([5, 5, 4, 4, 3])
            _follow_up(rng, expert, rng.choice(enterprises), dt.date(last_year, rng.randint(3, 12), rng.randint(1, 28)),
                       sat, office)
    _not_violations(last_year, office)

    # -- from here on, each event runs in date order (a list of (day, hour, action)) ---------
    # The dates below are relative to today, so early in a year some fall in last year: run in
    # date order, last year's assessment counts exactly what happened before it was published,
    # and an expert's violations are verified in the order the ladder requires.
    events: list[tuple[dt.date, int, object]] = []

    def event(day: dt.date, hour: int, action) -> None:
        events.append((day, hour, action))

    def violation(expert, found_on, verified_on, finding, investigation, **kw):
        event(found_on, 11, lambda: _verified(expert, found_on, verified_on, finding, investigation, office, **kw))

    # The blacklisted expert: two violations last year (warned, then suspended), the third this
    # year after his suspension ended; always in that order, whatever today is.
    third_found = today - dt.timedelta(days=150)
    second_found = min(dt.date(last_year, 8, 5), third_found - dt.timedelta(days=150))
    first_found = min(dt.date(last_year, 3, 12), second_found - dt.timedelta(days=140))
    violation(blacklisted, first_found, first_found + dt.timedelta(days=8),
              "在执法检查中迟到一小时以上，且未佩戴专家工作证。", "经向执法大队核实，情况属实。")
    violation(blacklisted, second_found, second_found + dt.timedelta(days=13),
              "借区应急管理局名义向被检查企业推荐安全托管服务。", "经调查核实，企业提供了微信聊天记录，情况属实。")

    # -- last year's assessment, published in January; the unqualified are interviewed -------
    published_on = min(dt.date(today.year, 1, 20), today)
    interviewed_on = min(dt.date(today.year, 2, 26), today)

    def publish():
        with at(published_on, 9):
            assessment.run_assessment(last_year)
            assessment.publish_assessment(last_year, actor=office, doc_no=f"武应急〔{today.year}〕5号")

    def interview_unqualified():
        for expert, outcome, notes in (
            (weak, "improved", "指出评价表反映的问题，本人表示将加强标准学习，深入现场。"),
            (poor, "still_unqualified", "约谈中对存在问题认识不足，表示不再参加检查活动。"),
        ):
            interview = db.session.scalar(select(Interview).where(Interview.expert_id == expert.id,
                                                                  Interview.assessment_id.is_not(None)))
            if interview is not None:
                with at(interviewed_on, 10):
                    assessment.record_interview(interview, held_on=interviewed_on, notes=notes, outcome=outcome,
                                                actor=office)

    event(published_on, 9, publish)
    event(interviewed_on, 10, interview_unqualified)

    # -- this year: warned, suspended (ending in a few weeks), blacklisted ------------------
    found = today - dt.timedelta(days=58)
    violation(warned, found, found + dt.timedelta(days=6), "现场检查时接受企业安排的午餐宴请。",
              "经向企业及带队执法人员核实，情况属实。")
    violation(suspended, today - dt.timedelta(days=240), today - dt.timedelta(days=230),
              "要求服务企业安排车辆接送。", "经核实，情况属实。")
    verified_on = discipline.add_months(today + dt.timedelta(days=20), -3)
    violation(suspended, verified_on - dt.timedelta(days=9), verified_on,
              "出具的专家意见引用已废止标准，企业据此整改造成返工，且拒不更正。",
              "经组织其他专家复核，意见确有错误，本人拒不更正，情况属实。")
    held_on = verified_on + dt.timedelta(days=3)

    def interview_suspended():
        interview = db.session.scalar(select(Interview).where(Interview.expert_id == suspended.id,
                                                              Interview.held_on.is_(None)))
        if interview is not None:
            with at(held_on, 14):
                assessment.record_interview(interview, held_on=held_on, actor=office,
                                            notes="约谈本人，告知暂停专家资格三个月及期满后再违规将列入黑名单。")

    event(held_on, 14, interview_suspended)
    violation(blacklisted, third_found, third_found + dt.timedelta(days=10),
              "恢复专家资格后，以专家身份在武进区开展安全评价中介活动并收取费用。",
              "经调查核实，情况属实，涉嫌违法部分已移送。", illegal_referral=True,
              referral_note=f"{(third_found + dt.timedelta(days=10)).isoformat()}移送区市场监督管理局")

    # -- drafts waiting for the office: a very low item score, and a complaint -------------
    draft_rng = random.Random(rng.random())
    draft_expert, draft_enterprise = pick(18), rng.choice(enterprises)
    event(today - dt.timedelta(days=9), 17, lambda: _evaluation(
        draft_rng, form, sections, units["湖塘镇"], draft_expert, draft_enterprise, today - dt.timedelta(days=9),
        70, low_item=(7, 0, "要求企业派车到高铁站接送")))

    def complaint():
        with at(today - dt.timedelta(days=4), 11):
            discipline.record_violation(
                pick(21), today - dt.timedelta(days=4),
                "企业投诉：专家在检查后私下推销本人所在公司的安全标准化辅导服务。", actor=office)

    event(today - dt.timedelta(days=4), 11, complaint)

    # -- this year's follow-up visits ---------------------------------------------------------
    for expert in rng.sample(pool, min(18, len(pool))):
        sat = rng.choice([5, 5, 5, 4, 4, 3, 2])
        enterprise, day = rng.choice(enterprises), today - dt.timedelta(days=rng.randint(5, 300))
        visit_rng = random.Random(rng.random())
        event(day, 15, lambda e=expert, n=enterprise, d=day, s=sat, r=visit_rng: _follow_up(r, e, n, d, s, office))

    for _day, _hour, _n, action in sorted((day, hour, n, action) for n, (day, hour, action) in enumerate(events)):
        action()
    db.session.flush()
