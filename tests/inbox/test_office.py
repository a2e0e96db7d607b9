"""待我处理: the office's queue, one test per source."""
import datetime as dt

import pytest

from app import clock
from app.extensions import db
from app.services.discipline.complaints import file_complaint
from app.services.discipline.ladder import record_violation
from app.services.fees import payouts
from app.services.inbox import office
from app.services.lifecycle import dismissal as dm
from app.services.permits import issuing
from models import BackupRun, CalendarYear
from tests import factories
from tests.lifecycle.records import make_applicant, make_application


def _sections():
    return {s.key: s for s in office.queue()}


@pytest.fixture(autouse=True)
def backed_up(app):
    """A good backup an hour ago: without one, the queue's first item is the missing backup."""
    db.session.add(BackupRun(ok=True, path="/srv/backup/expertpool.tar.gz", at=clock.utcnow() - dt.timedelta(hours=1)))
    db.session.commit()


def test_an_empty_office_has_nothing_to_do(app):
    with clock.frozen(dt.datetime(2026, 6, 1, 9, tzinfo=clock.zone())):
        db.session.query(BackupRun).update({BackupRun.at: clock.utcnow() - dt.timedelta(hours=1)})
        assert office.queue() == [] and office.total() == 0


def test_an_old_or_missing_backup_is_in_the_queue(app):
    db.session.query(BackupRun).update({BackupRun.at: clock.utcnow() - dt.timedelta(hours=30)})
    db.session.commit()
    section = _sections()["backups"]
    assert section.urgent and "已超过26小时没有成功的备份" in section.entries[0].facts
    db.session.query(BackupRun).delete()
    db.session.commit()
    assert "系统还没有任何成功的备份" in _sections()["backups"].entries[0].facts


def test_applications_at_each_of_the_offices_steps(app):
    for name, state in (("甲", "submitted"), ("乙", "prelim_passed"), ("丙", "test_passed"), ("丁", "shortlisted"),
                        ("戊", "approved"), ("己", "appointed")):
        make_application(make_applicant(name=name), state=state)
    db.session.commit()
    s = _sections()
    assert [e.title for e in s["application-submitted"].entries] == ["甲"]
    assert [e.title for e in s["application-prelim_passed"].entries] == ["乙"]
    assert [e.title for e in s["application-test_passed"].entries] == ["丙"]
    assert [e.title for e in s["application-approved"].entries] == ["戊"]
    assert "application-shortlisted" not in s  # the leader's, not the office's


def test_permits_issued_and_not_printed_until_printed(app):
    member = factories.appointed_expert(name="孙立")
    permit = issuing.issue_permit(member, member.terms[0])
    db.session.commit()
    assert [e.title for e in _sections()["permits"].entries] == ["孙立"]
    issuing.mark_printed([permit])
    db.session.commit()
    assert "permits" not in _sections()
    replacement = issuing.reissue_permit(member, "遗失补办")
    db.session.commit()
    assert replacement.printed_at is None and _sections()["permits"].count == 1


def test_complaints_until_closed_and_violations_until_verified(app):
    expert = factories.appointed_expert(name="周明")
    complaint = file_complaint(enterprise_name="常州某化工有限公司", contact_name="王先生", contact_phone="13812345678",
                               body="专家在检查时推销产品。")
    record_violation(expert, clock.today(), "检查时推销产品")
    db.session.commit()
    s = _sections()
    assert s["complaints"].count == 1 and s["violations"].entries[0].title == "周明"
    complaint.state = "closed"
    db.session.commit()
    assert "complaints" not in _sections()


def test_draft_payout_batches_wait_for_review(app):
    from app.services.fees import pricing
    from tests.fees.records import service_record

    office_user = factories.user(role="office")
    pricing.price_record(service_record(factories.appointed_expert(), day=dt.date(2026, 5, 12)))
    payouts.build_batch(2026, 2, office_user)
    db.session.commit()
    assert _sections()["payouts"].entries[0].title == "2026年第2季度专家费发放"


def test_dismissals_approved_but_not_announced(app):
    office_user, leader = factories.user(role="office"), factories.user(role="leader")
    member = factories.appointed_expert(name="钱卫东")
    proposal = dm.propose_by_office(member, "1", "本人申请", office_user)
    dm.approve_dismissal(proposal, leader)
    db.session.commit()
    assert _sections()["dismissal-announce"].entries[0].title == "钱卫东"


def test_next_years_holiday_calendar_from_the_first_of_november(app):
    """Without next year's calendar its emergency fees and paperwork deadlines cannot be decided."""
    db.session.query(CalendarYear).filter(CalendarYear.year == 2027).delete()
    db.session.commit()
    assert office.holiday_calendar(1, today=dt.date(2026, 10, 31)) == []
    november = office.holiday_calendar(1, today=dt.date(2026, 11, 1))
    assert [s.label for s in november] == ["2027年节假日安排尚未录入"] and not november[0].urgent
    assert office.holiday_calendar(1, today=dt.date(2026, 12, 20))[0].urgent
    db.session.add(CalendarYear(year=2027))
    db.session.commit()
    assert office.holiday_calendar(1, today=dt.date(2026, 11, 1)) == []


def test_total_is_the_sum_of_the_sections(app):
    make_application(make_applicant(), state="submitted")
    make_application(make_applicant(), state="submitted")
    db.session.commit()
    assert office.total() == sum(s.count for s in office.queue())


def test_the_menu_badge_counts_everything_in_one_statement(app):
    """The badge is on every admin page the office opens: one count statement, not one a source."""
    from sqlalchemy import event

    for state in ("submitted", "submitted", "approved"):
        make_application(make_applicant(), state=state)
    record_violation(factories.appointed_expert(), dt.date(2026, 11, 2), "现场索要好处费")
    db.session.commit()
    sent = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with clock.frozen(dt.datetime(2026, 6, 1, 9, tzinfo=clock.zone())):  # no holiday reminder in June
            total = office.total()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert total == 4
    assert sum("count(" in s.lower() for s in sent) == 1
    # asked alone, a source counts for itself, and gets the same
    assert [s.count for s in office.applications(0)] == [2, 1]
    assert office.violations(0)[0].count == 1


def test_in_december_the_badge_with_backup_and_calendar_is_still_one_statement(app):
    """From 1 November the badge also asks whether next year's calendar is in, and on every
    page whether the backups are current: asked with the counts, not in statements of their own."""
    from sqlalchemy import event

    make_application(make_applicant(), state="submitted")
    db.session.query(CalendarYear).filter(CalendarYear.year == 2027).delete()
    moment = dt.datetime(2026, 12, 3, 9, tzinfo=clock.zone())
    db.session.query(BackupRun).update({BackupRun.at: (moment - dt.timedelta(hours=30)).astimezone(dt.UTC)})
    db.session.commit()
    sent = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with clock.frozen(moment):
            total = office.total()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert total == 3  # the application, the stale backup, next year's calendar
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 1
    with clock.frozen(moment):
        keys = [s.key for s in office.queue()]
    assert {"backups", "calendar", "application-submitted"} <= set(keys)
    db.session.add(CalendarYear(year=2027))
    db.session.query(BackupRun).update({BackupRun.at: (moment - dt.timedelta(hours=1)).astimezone(dt.UTC)})
    db.session.commit()
    with clock.frozen(moment):
        assert office.total() == 1


def test_the_demos_queue_reads_like_a_bureaus_week(demo):
    """A visitor's first look at 待我处理 in the demo: a few of each thing, as in a real week —
    the cards printed long ago are not waiting, the last appointment's are; and a low item
    score (which opens a draft violation) is a rare event, not one form in four."""
    sections = {s.key: s.count for s in office.queue(0)}
    assert 1 <= sections.get("permits", 0) <= 3
    assert sections.get("violations", 0) <= 8
