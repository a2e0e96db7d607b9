"""待我处理: the office's own queue (基础科, 第十七条; SPEC §1).

Each *source* is a function ``(limit) -> list[Section]`` that asks one area what waits
for the office: a backup that is too old or failed (the sysadmin's rule, shown here too),
applications at each step of 第十二条, approved dismissals still to be
announced (第十三条), permits to print (第七条), complaints not yet answered (附件3 第5点),
violations to verify (第二十一条), draft payout batches (第二十条), and — from 1 November
— next year's official holiday calendar while it has not been entered (SPEC §1, §3.9).
``limit`` is how many items to load (0: the count only, for the menu badge).

The menu badge is on every admin page the office opens, so everything the sources need for it
is asked in one statement (:func:`facts`: the counts of :data:`COUNTED`, the times of the
latest good and failed backup, whether next year's calendar is in) and handed to them,
instead of one statement each.

A new source is one function and one line in :data:`SOURCES` (and one in :data:`COUNTED` if
it counts records).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.services import backup_status, integrity
from app.services.fees.quarters import quarter_label
from app.services.inbox.counting import count_of, scalars_all
from app.services.permits.issuing import unprinted_query
from app.services.workcalendar import supported_years
from models import Application, CalendarYear, Complaint, Dismissal, Expert, PayoutBatch, Permit, Violation
from models.choices import COMPLAINT_STATES, DISMISSAL_REASONS


@dataclass(frozen=True)
class Entry:
    """One record in a section: what it is, a line of facts, where to open it."""

    title: str
    facts: str
    since: dt.datetime | dt.date | None = None
    # The admin page that opens it: (endpoint, url arguments). Names, not URLs: the view builds them.
    link: tuple[str, dict] | None = None


@dataclass
class Section:
    """What waits in one place: a label, how many, the first few entries, what to do."""

    key: str
    label: str
    count: int
    todo: str                      # what the office does about it, in a few words
    entries: list[Entry] = field(default_factory=list)
    # The page where all of them are dealt with: (endpoint, url arguments).
    page: tuple[str, dict] | None = None
    urgent: bool = False


def _how_many(key: str, counted: dict[str, int] | None) -> int:
    """The count of ``key`` from :func:`counts`, or on its own when a source is asked alone."""
    if counted is not None:
        return counted[key]
    return db.session.scalar(count_of(COUNTED[key]())) or 0


# --- sources ------------------------------------------------------------------------------------

#: The steps of 第十二条 that are the office's, in order: state → (label, what to do, page).
APPLICATION_STEPS = {
    "submitted": ("待初审的申请", "初审（第十二条（三））", ("application.index_view", {})),
    "prelim_passed": ("待录入综合素质测试结果", "录入测试结果（第十一条（五））", ("application.tests_view", {})),
    "test_passed": ("测试合格，待列入拟聘名单", "列入拟聘名单（第十二条（四））", ("application.candidates_view", {})),
    "approved": ("已审定，待聘任发文", "聘任发文、制作工作证（第七条）", ("application.appoint_view", {})),
}


def _applications_in(state: str):
    return select(Application).where(Application.state == state)


def applications(limit: int, counted: dict[str, int] | None = None) -> list[Section]:
    """Applications at each of the office's steps (第十二条)."""
    out = []
    for state, (label, todo, page) in APPLICATION_STEPS.items():
        query = _applications_in(state)
        count = _how_many(f"application-{state}", counted)
        if not count:
            continue
        entries = []
        if limit:
            rows = db.session.scalars(query.options(selectinload(Application.expert))
                                      .order_by(Application.submitted_at, Application.id).limit(limit))
            entries = [Entry(a.expert.name, _application_facts(a), a.submitted_at,
                             ("application.details_view", {"id": a.id})) for a in rows]
        out.append(Section(f"application-{state}", label, count, todo, entries, page))
    return out


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip("（(，,；; ") + "…"


def _application_facts(a: Application) -> str:
    facts = [f"回执编号{a.receipt_no}", a.channel_label]
    if a.is_renewal:
        facts.append("续聘申请")
    if a.direct_appointment:
        facts.append("特需专家直接聘任")
    return "；".join(facts)


def _dismissals_to_announce():
    return select(Dismissal).where(Dismissal.state == "approved", Dismissal.announcement_id.is_(None))


def dismissals_to_announce(limit: int, counted: dict[str, int] | None = None) -> list[Section]:
    """Approved dismissals not yet in a 解聘公告 (第十三条: 对被解聘的专家及时向社会公告)."""
    query = _dismissals_to_announce()
    count = _how_many("dismissal-announce", counted)
    if not count:
        return []
    entries = []
    if limit:
        rows = db.session.scalars(query.options(selectinload(Dismissal.expert)).order_by(Dismissal.decided_at)
                                  .limit(limit))
        entries = [Entry(d.expert.name, DISMISSAL_REASONS.get(d.reason, d.reason)
                         + (f"；生效日期{d.effective_on:%Y-%m-%d}" if d.effective_on else ""),
                         d.decided_at, ("dismissal.details_view", {"id": d.id})) for d in rows]
    return [Section("dismissal-announce", "已批准解聘，待发布解聘公告", count, "起草并发布解聘公告（第十三条）",
                    entries, ("dismissal.index_view", {}))]


def permits_to_print(limit: int, counted: dict[str, int] | None = None) -> list[Section]:
    """Permits issued (appointment, 补办, 换发) that the office has not printed (第七条)."""
    query = unprinted_query()
    count = _how_many("permits", counted)
    if not count:
        return []
    entries = []
    if limit:
        rows = db.session.scalars(query.options(selectinload(Permit.expert)).limit(limit))
        entries = [Entry(p.expert.name, f"证件编号{p.permit_no}", p.issued_at, ("permit.details_view", {"id": p.id}))
                   for p in rows]
    return [Section("permits", "工作证待打印", count, "打印工作证并发放（第七条：持证开展工作）", entries,
                    ("office_queue.permits_view", {}))]


def _open_complaints():
    return select(Complaint).where(Complaint.state != "closed")


def complaints(limit: int, counted: dict[str, int] | None = None) -> list[Section]:
    """Complaints not yet answered (附件3 第5点; 待处理 and 处理中)."""
    query = _open_complaints()
    count = _how_many("complaints", counted)
    if not count:
        return []
    entries = []
    if limit:
        rows = db.session.scalars(query.options(selectinload(Complaint.expert))
                                  .order_by(Complaint.received_at).limit(limit))
        entries = [Entry(c.complaint_no, f"{COMPLAINT_STATES.get(c.state, c.state)}；{c.enterprise_name}"
                         + (f"；涉及专家{c.expert.name}" if c.expert else ""), c.received_at,
                         ("complaint.edit_view", {"id": c.id})) for c in rows]
    oldest = db.session.scalar(select(func.min(Complaint.received_at)).where(Complaint.state == "new"))
    urgent = oldest is not None and clock.local_date(oldest) <= clock.today() - dt.timedelta(days=7)
    return [Section("complaints", "投诉举报未办结", count, "核查并答复（附件3第5点：严格保密）", entries,
                    ("complaint.index_view", {}), urgent)]


def _draft_violations():
    return select(Violation).where(Violation.state == "draft")


def violations(limit: int, counted: dict[str, int] | None = None) -> list[Section]:
    """Violations recorded but not yet verified (第二十一条: 经调查核实后处理)."""
    query = _draft_violations()
    count = _how_many("violations", counted)
    if not count:
        return []
    entries = []
    if limit:
        rows = db.session.scalars(query.options(selectinload(Violation.expert))
                                  .order_by(Violation.found_on, Violation.id).limit(limit))
        entries = [Entry(v.expert.name, _short(v.finding or "", 80), v.found_on,
                         ("violation.details_view", {"id": v.id})) for v in rows]
    return [Section("violations", "违规线索待核实", count, "调查核实，按第二十一条处理", entries,
                    ("violation.index_view", {}))]


def _draft_payouts():
    return select(PayoutBatch).where(PayoutBatch.state == "draft")


def payout_drafts(limit: int, counted: dict[str, int] | None = None) -> list[Section]:
    """Draft payout batches waiting for review (第二十条: 每季度审核发放一次)."""
    query = _draft_payouts()
    count = _how_many("payouts", counted)
    if not count:
        return []
    entries = []
    if limit:
        rows = db.session.scalars(query.order_by(PayoutBatch.year, PayoutBatch.quarter).limit(limit))
        entries = [Entry(f"{quarter_label(b.year, b.quarter)}专家费发放", "草稿" + (
            f"；计划发放日期{b.pay_date:%Y-%m-%d}" if b.pay_date else ""), b.created_at,
            ("payout_batch.details_view", {"id": b.id})) for b in rows]
    return [Section("payouts", "季度发放草稿待审核", count, "核对、审核后发放（第二十条）", entries,
                    ("payout_batch.index_view", {}))]


def _calendar_key(year: int) -> str:
    return f"calendar-{year}"


def holiday_calendar(limit: int, counted: dict[str, int] | None = None,
                     today: dt.date | None = None) -> list[Section]:
    """From 1 November: next year's official holiday calendar while it has not been entered.

    Without it, neither the emergency fee's holiday rate (附件4) nor the working-day deadline
    of emergency paperwork (第十五条) can be decided for the new year (SPEC §1, §3.9).
    """
    today = today or clock.today()
    if today.month < 11:
        return []
    year = today.year + 1
    key = _calendar_key(year)
    entered = counted[key] if counted is not None and key in counted else db.session.get(CalendarYear, year)
    if entered is not None:
        return []
    if year in supported_years():
        how = f"系统自带的国务院办公厅{year}年安排可一键导入（系统管理员：专家费用 → 节假日）"
    else:
        how = f"国务院办公厅公布{year}年节假日安排后，请系统管理员逐日录入放假和调休上班日期"
    entry = Entry(f"{year}年节假日安排", how, None, ("holiday.index_view", {}))
    return [Section("calendar", f"{year}年节假日安排尚未录入", 1,
                    f"录入后才能判断{year}年应急处置的节假日费用和补办手续期限", [entry] if limit else [],
                    ("holiday.index_view", {}), urgent=today.month == 12)]


def backups(limit: int, counted: dict[str, int] | None = None) -> list[Section]:
    """The last good backup is too old or a later one failed (``backup_status.last_backup_status``,
    the same rule as the sysadmin's dashboard): the office hears it too, since its records are at risk."""
    if not limit and counted is not None and "backup-good" in counted:
        if not backup_status.needs_attention(counted["backup-good"], counted["backup-failed"]):
            return []
        entries = []
    else:
        status = backup_status.last_backup_status()
        if status.warning is None:
            return []
        entries = [Entry("数据备份", status.warning, None, None)] if limit else []
    return [Section("backups", "数据备份过期或失败", 1, "请系统管理员检查每晚的备份任务", entries, None, urgent=True)]


def contradictions(limit: int, counted: dict[str, int] | None = None) -> list[Section]:
    """Records that contradict each other (``flask check-integrity``, :func:`integrity.findings`).

    The checks read whole tables, so they run for the queue page only (``limit`` > 0), not for
    the menu badge and the dashboard's counts, which are asked on every admin page; the
    office's dashboard shows the same findings in a card of its own.
    """
    if not limit:
        return []
    found = integrity.findings()
    if not found:
        return []
    entries = [Entry(f"{f.title}（共{f.count}处）", "；".join(f.items[:3]) + ("等" if f.count > 3 else ""), None, None)
               for f in found[:limit]]
    return [Section("integrity", "数据一致性检查发现问题", sum(f.count for f in found),
                    "逐条核实更正；命令 flask check-integrity 给出同样的结果", entries, None, urgent=True)]


#: What the sources count, by section key: the records each query selects.
COUNTED: dict[str, Callable[[], Any]] = {
    **{f"application-{state}": (lambda state=state: _applications_in(state)) for state in APPLICATION_STEPS},
    "dismissal-announce": _dismissals_to_announce,
    "permits": unprinted_query,
    "complaints": _open_complaints,
    "violations": _draft_violations,
    "payouts": _draft_payouts,
}


def facts(today: dt.date | None = None) -> dict[str, Any]:
    """What the sources decide from, in one statement: every count of :data:`COUNTED` (by its
    key), the stored times of the latest good and failed backup (``backup-good``,
    ``backup-failed``) and, from 1 November, whether next year's calendar is entered."""
    today = today or clock.today()
    asked = {key: count_of(query()) for key, query in COUNTED.items()}
    asked.update({f"backup-{key}": q for key, q in backup_status.latest_runs().items()})
    if today.month >= 11:
        year = today.year + 1
        asked[_calendar_key(year)] = select(CalendarYear.year).where(CalendarYear.year == year)
    found = scalars_all(asked)
    return {key: (value or 0) if key in COUNTED else value for key, value in found.items()}


def counts() -> dict[str, int]:
    """Every count of :data:`COUNTED`, by key."""
    found = facts()
    return {key: found[key] for key in COUNTED}


#: Every source of the office's queue, in the order the page shows them: ``(limit, counts) ->
#: sections``. Add a source here.
SOURCES: list[Callable[[int, dict[str, int]], list[Section]]] = [
    backups,
    contradictions,
    applications,
    dismissals_to_announce,
    permits_to_print,
    complaints,
    violations,
    payout_drafts,
    holiday_calendar,
]


def queue(limit: int = 8) -> list[Section]:
    """Every section of the office's queue with its first ``limit`` entries."""
    counted = facts()
    return [section for source in SOURCES for section in source(limit, counted)]


def total() -> int:
    """How many things wait for the office (the menu badge; counts only)."""
    return sum(section.count for section in queue(0))


def unprinted_permits() -> list[Permit]:
    """The permits of the 待打印 section, with their experts (for the print page)."""
    return list(db.session.scalars(unprinted_query().options(selectinload(Permit.expert).selectinload(Expert.groups))))
