"""Demo data of the lifecycle (issue 3): applications at every step of 第十二条, one
age override, one special-needs appointment, a proposed dismissal, the published
appointment announcement of the first 届, and the timeline of every expert.

Everything after the seed's own records goes through the services, as staff would.
"""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle import announcements, review, terms
from app.services.lifecycle.dismissal import propose_by_office
from app.services.lifecycle.eligibility import eligibility_of
from app.services.status import current_term
from models import Announcement, Application, StatusEvent, User


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    """A Beijing office hour on ``day`` as UTC."""
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)


def _history(experts, office, today):
    """Timeline entries for the seed's appointments and letters (made without the services)."""
    for expert in experts:
        for term in expert.terms:
            db.session.add(StatusEvent(
                expert=expert, at=_at(min(term.start_date, today)), actor_id=office.id,
                event=f"聘任为第{term.cohort}届专家",
                reason=f"发文文号{term.doc_no}，聘期{term.start_date.isoformat()}至{term.end_date.isoformat()}",
            ))
        for letter in expert.commitment_letters:
            db.session.add(StatusEvent(expert=expert, at=_at(min(letter.signed_on, today), 10), actor_id=office.id,
                                       event="签订专家服务承诺书", reason=f"签署日期{letter.signed_on.isoformat()}"))


def _announce_first_cohort(experts, office, today):
    """The published 聘任公告 of the seed's first 届 (名单: name, groups, employer only)."""
    members = sorted((e for e in experts if any(t.cohort == 1 and t.doc_no == "武应急〔2024〕36号" for t in e.terms)),
                     key=lambda e: e.name)
    if not members:
        return
    published_on = min(t.announced_on or t.start_date for e in members for t in e.terms if t.cohort == 1)
    ann = Announcement(
        kind="appointment", title="武进区应急管理局关于公布第一届武进区安全生产专家名单的公告",
        doc_no="武应急〔2024〕36号", published=True, published_on=published_on, created_by_id=office.id,
        body=("根据《武进区安全生产专家管理办法》第六条、第七条、第十二条规定，经推荐（自荐）、安全生产基础科初审、"
              f"综合素质测试，并经局长办公会议审定，决定聘任{members[0].name}等{len(members)}名同志为第一届武进区安全生产专家，"
              "聘期三年。\n现将名单予以公告，接受社会监督。"),
    )
    ann.entries = [announcements.entry_for(e) for e in members]
    db.session.add(ann)


def _applications(applicants, units, office, leader, today):
    """The seed's applicants, taken to different steps of 第十二条."""
    plan = ["submitted", "prelim_passed", "test_passed", "shortlisted", "shortlisted", "appointed",
            "prelim_rejected", "direct", "approved", "submitted"]
    channels = [("town", "湖塘镇"), ("section", "危险化学品安全监督管理科"), ("brigade", "应急管理综合行政执法大队一中队"),
                ("employer", None), ("self", None)]
    for i, expert in enumerate(applicants[:len(plan)]):
        target = plan[i]
        channel, unit_name = channels[i % len(channels)]
        unit = units.get(unit_name) if unit_name else None
        app_ = Application(
            receipt_no=review.next_receipt_no(channel, today), expert=expert, channel=channel, state="submitted",
            recommending_unit=unit,
            recommending_unit_name=unit.name if unit else (expert.employer if channel == "employer" else None),
            submitted_at=_at(today - dt.timedelta(days=60 - i * 3)), created_by_id=office.id,
        )
        db.session.add(app_)
        db.session.flush()
        db.session.add(StatusEvent(expert=expert, at=app_.submitted_at, actor_id=office.id,
                                   event="提交自荐申请" if channel == "self" else "提交推荐申请",
                                   reason=f"回执编号 {app_.receipt_no}"))
        try:
            _walk(app_, target, office, leader, today)
        except DomainError as err:
            # an applicant who does not meet 第十一条: the 初审 says why
            if app_.state == "submitted":
                review.reject_prelim(app_, office, f"不符合第十一条聘任条件：{err}")


def _walk(app_, target, office, leader, today):
    if target == "submitted":
        return
    if target == "direct":
        review.direct_appoint(app_, leader, "有限空间事故调查急需的检测专业专家，经2026年第8次局长办公会议审定直接聘任。")
        return
    if target == "prelim_rejected":
        review.reject_prelim(app_, office, "从事相关专业工作经历证明材料不全，请补充后重新申报。")
        return
    elig = eligibility_of(app_.expert, application=app_)
    if elig.age_warning:
        review.override_age(app_, office, "冶金煤气专业急需，本人体检合格，身体健康。")
    review.pass_prelim(app_, office, "材料齐全，符合第十一条聘任条件，同意参加综合素质测试。")
    if target == "prelim_passed":
        return
    review.record_test_result(app_, office, True, 78 + (app_.id % 17))
    if target == "test_passed":
        return
    review.shortlist([app_], office)
    if target == "shortlisted":
        return
    review.approve(app_, leader, "经2026年第8次局长办公会议审定，同意聘任。")
    if target == "approved":
        return
    cohort = terms.current_cohort(today) or 1
    term = review.appoint(app_, office, cohort=cohort, doc_no="武应急〔2026〕51号", start_date=today - dt.timedelta(days=2))
    announcements.create_appointment_announcement([term], office)


def extend_demo(rng, today, units, experts, enterprises):
    """Applications, announcements, a dismissal proposal and the timelines."""
    office = db.session.scalar(select(User).where(User.username == "office"))
    leader = db.session.scalar(select(User).where(User.username == "leader"))
    if office is None or leader is None:
        return
    db.session.flush()
    _history(experts, office, today)
    _announce_first_cohort(experts, office, today)
    applicants = [e for e in experts if e.stage == "applicant" and not e.terms]
    _applications(applicants, units, office, leader, today)
    members = [e for e in experts[1:] if e.stage == "in_pool" and current_term(e, today) is not None]
    if members:
        leaving = members[len(members) // 2]
        propose_by_office(leaving, "3", "本人已调往南京市工作，书面说明今后难以参加武进区专家组活动。", office)
    db.session.flush()
