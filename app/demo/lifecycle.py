"""Demo data of the lifecycle (第六、七、十二、十三条), every step through the services at its
own date: the first 届 recommended, reviewed, tested, put on the 拟聘名单, approved by the
局长办公会议, appointed by one 发文 (terms and permits), announced, and their 承诺书
signed; later applicants at every step of 第十二条 (one age override, one special-needs
appointment); an expert who asked to leave, dismissed by the leader and announced.
"""
from __future__ import annotations

import datetime as dt

from app.demo.moments import at, working_day
from app.demo.people import user
from app.services.errors import DomainError
from app.services.lifecycle import announcements, review, terms
from app.services.lifecycle.dismissal import approve_dismissal, propose_by_office
from app.services.lifecycle.eligibility import eligibility_of
from app.services.status import current_term

CHANNELS = [("town", "湖塘镇"), ("section", "危险化学品安全监督管理科"), ("brigade", "应急管理综合行政执法大队一中队"),
            ("employer", None), ("self", None)]
FIRST_DOC_NO = "武应急〔2024〕36号"
FIRST_START = dt.date(2024, 6, 1)


def _apply(expert, n, units, office):
    """基础科 enters the recommendation (or the paper self-recommendation) of ``expert``."""
    channel, unit_name = CHANNELS[n % len(CHANNELS)]
    unit = units.get(unit_name) if unit_name else None
    if channel == "self":
        return review.open_application(expert, channel="self", actor=office)
    return review.open_application(
        expert, channel=channel, actor=office, recommending_unit=unit,
        recommending_unit_name=expert.employer if channel == "employer" else None,
        opinion="同意推荐。", contact="周焱", phone="0519-86310627")


def _prelim(application, office):
    if eligibility_of(application.expert, application=application).age_warning:
        review.override_age(application, office, "本人体检合格，身体健康，专业急需。")
    review.pass_prelim(application, office, "材料齐全，符合第十一条聘任条件，同意参加综合素质测试。")


def _appoint_group(members, start, doc_no, units, office, leader, letters):
    """One 第十二条 round ending in one 发文: returns the terms."""
    start = working_day(start, 1)
    applications = []
    with at(working_day(start - dt.timedelta(days=75)), 10):
        for n, expert in enumerate(members):
            applications.append(_apply(expert, n, units, office))
    with at(working_day(start - dt.timedelta(days=60)), 15):
        for application in applications:
            _prelim(application, office)
    with at(working_day(start - dt.timedelta(days=45)), 16):
        review.record_test_results([(a, True, 76 + (a.id * 7) % 22, None) for a in applications], office)
    with at(working_day(start - dt.timedelta(days=35)), 9):
        review.shortlist(applications, office)
    with at(working_day(start - dt.timedelta(days=21)), 11):
        review.approve_many(applications, leader, "经局长办公会议审定，同意聘任。")
    with at(working_day(start - dt.timedelta(days=10)), 10):
        new_terms = review.appoint_many(applications, office, cohort=1, doc_no=doc_no, start_date=start)
    publish_day = working_day(start - dt.timedelta(days=7))
    with at(publish_day, 9, 30):
        ann = announcements.create_appointment_announcement(new_terms, office, doc_no=doc_no)
        announcements.publish_announcement(ann, office, on=publish_day)
    with at(start, 10):
        for term in new_terms:
            if letters(term.expert):
                terms.record_commitment(term.expert, signed_on=start, actor=office, term=term)
    return new_terms


def appoint_first_cohort(rng, today, units, experts, enterprises):
    """The first 届: most in June 2024; a few earlier, so that their terms end within 90 days."""
    office, leader = user("office"), user("leader")
    pool = [(i, e) for i, e in enumerate(experts) if i % 10 != 9]
    early = [e for i, e in pool if i % 13 == 0]
    main = [e for i, e in pool if i % 13 != 0]
    no_letter = {e.id for i, e in pool if i % 17 == 5}  # appointed, 承诺书 not yet signed

    def letters(expert):
        return expert.id not in no_letter

    early_start = today - dt.timedelta(days=3 * 365 - 40)
    if early:
        _appoint_group(early, early_start, f"武应急〔{early_start.year}〕3号", units, office, leader, letters)
    if main:
        _appoint_group(main, FIRST_START, FIRST_DOC_NO, units, office, leader, letters)


# --- later applicants, at every step of 第十二条 ----------------------------------------------------------

PLAN = ["submitted", "prelim_passed", "test_passed", "shortlisted", "shortlisted", "appointed", "prelim_rejected",
        "direct", "approved", "submitted"]


def _walk(application, target, office, leader, day, today):
    """Take ``application`` to ``target``, one step every few days from ``day``."""
    steps = []
    if target == "direct":
        steps.append(lambda: review.direct_appoint(
            application, leader, "有限空间事故调查急需的检测专业专家，经2026年第8次局长办公会议审定直接聘任。"))
    elif target == "prelim_rejected":
        steps.append(lambda: review.reject_prelim(
            application, office, "从事相关专业工作经历证明材料不全，请补充后重新申报。"))
    elif target != "submitted":
        order = ["prelim_passed", "test_passed", "shortlisted", "approved", "appointed"]
        actions = {
            "prelim_passed": lambda: _prelim(application, office),
            "test_passed": lambda: review.record_test_result(application, office, True, 78 + (application.id % 17)),
            "shortlisted": lambda: review.shortlist([application], office),
            "approved": lambda: review.approve(application, leader, "经2026年第8次局长办公会议审定，同意聘任。"),
            "appointed": lambda: review.appoint(
                application, office, cohort=terms.current_cohort() or 1, doc_no=f"武应急〔{today.year}〕51号",
                start_date=today - dt.timedelta(days=2)),
        }
        steps.extend(actions[s] for s in order[:order.index(target) + 1])
    for n, step in enumerate(steps, start=1):
        with at(min(day + dt.timedelta(days=4 * n), today - dt.timedelta(days=1)), 10 + n % 6):
            try:
                step()
            except DomainError as err:  # an applicant who does not meet 第十一条: the 初审 says why
                if application.state == "submitted":
                    review.reject_prelim(application, office, f"不符合第十一条聘任条件：{err}")
                return


def extend_demo(rng, today, units, experts, enterprises):
    """Applicants at every step, and an expert who left: proposed, approved, announced."""
    office, leader = user("office"), user("leader")
    applicants = [e for i, e in enumerate(experts) if i % 10 == 9]
    for i, expert in enumerate(applicants[:len(PLAN)]):
        day = today - dt.timedelta(days=60 - i * 3)
        with at(day, 9 + i % 5):
            application = _apply(expert, i, units, office)
        _walk(application, PLAN[i], office, leader, day, today)

    # 第十三条(三): an expert who moved away asked to leave; the leader approved, the office announced.
    members = [e for i, e in enumerate(experts) if i % 10 != 9 and i > 0 and current_term(e, today) is not None]
    if not members:
        return
    leaving = members[-1]
    with at(today - dt.timedelta(days=20), 10):
        proposal = propose_by_office(leaving, "3", "本人已调往南京市工作，书面申请不再参加武进区专家组活动。", office)
    decided = today - dt.timedelta(days=12)
    with at(decided, 15):
        approve_dismissal(proposal, leader, effective_on=decided, note="同意解聘。")
    published = today - dt.timedelta(days=8)
    with at(published, 9):
        ann = announcements.create_dismissal_announcement([proposal], office, doc_no=f"武应急〔{published.year}〕58号")
        announcements.publish_announcement(ann, office, on=published)
