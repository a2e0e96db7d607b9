"""Public announcements (公告) of appointments (第七条: 经聘用的专家由区应急管理局发文公告)
and dismissals (第十三条: 对被解聘的专家及时向社会公告). An announcement that makes a
decision public (appointment, dismissal, annual assessment, blacklist) is published only
with its 文号, and carries its publication date.

An announcement names each expert by an :class:`AnnouncementEntry` that keeps only the
public facts — name, groups and employer — copied when the announcement is drafted:
no ID number, phone or address ever reaches it (第十条(三), SPEC §3.15). Drafts are
edited by 基础科 and become public with :func:`publish_announcement`; the public page
lists published announcements only.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from app import clock
from app.auth.rights import allowed
from app.extensions import db
from app.services.errors import DomainError
from app.services.timeline import record_event
from models import Announcement, AnnouncementEntry, Dismissal, Expert, Term, User

CLOSING = "特此公告。"
#: Announcements that make a decision of the bureau public: each carries its 文号 and date.
DECISION_KINDS = ("appointment", "dismissal", "assessment", "blacklist")
DOC_NO_REQUIRED = "该公告公布局里的决定，发布前须填写文号（例：武应急〔2026〕58号）：请先“修改文字”填写文号。"


def require_doc_no(kind: str, doc_no: str | None) -> None:
    """A decision's announcement (聘任、解聘、年度考核、黑名单) is published only with its 文号."""
    if kind in DECISION_KINDS and not (doc_no or "").strip():
        raise DomainError(DOC_NO_REQUIRED)


def _require_editor(actor: User | None, what: str) -> None:
    if actor is None or not allowed(actor.role, "announcement", "edit"):
        raise DomainError(f"只有基础科可以{what}。")


def entry_for(expert: Expert) -> AnnouncementEntry:
    """The public facts of one expert: name, groups (、-separated) and employer."""
    return AnnouncementEntry(expert_id=expert.id, name=expert.name, groups="、".join(expert.group_names),
                             employer=expert.employer or "")


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def cn_cohort(n: int) -> str:
    """届次 in Chinese numerals as official titles write it: 1 → 一, 12 → 十二, 21 → 二十一."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _names(experts: list[Expert]) -> str:
    return f"{experts[0].name}等{len(experts)}名同志" if len(experts) > 1 else f"{experts[0].name}同志"


def appointment_body(terms: list[Term]) -> str:
    """The default text of an appointment announcement (第六、七、十二条)."""
    experts = [t.expert for t in terms]
    cohorts = sorted({t.cohort for t in terms})
    cohort = f"第{cn_cohort(cohorts[0])}届" if len(cohorts) == 1 else ""
    starts = {t.start_date for t in terms}
    ends = {t.end_date for t in terms}
    if len(starts) == 1 and len(ends) == 1:
        period = f"聘期自{_cn(terms[0].start_date)}至{_cn(terms[0].end_date)}"
    else:
        period = "聘期三年，自各自聘任之日起计算"
    renewals = all(t.is_renewal for t in terms)
    how = ("经资格复核，并经局长办公会议审定，决定续聘" if renewals else
           "经推荐（自荐）、安全生产基础科初审、综合素质测试，并经局长办公会议审定，决定聘任")
    return (f"根据《武进区安全生产专家管理办法》第六条、第七条、第十二条规定，{how}{_names(experts)}为"
            f"{cohort}武进区安全生产专家，{period}。\n现将名单予以公告，接受社会监督。")


def dismissal_body(dismissals: list[Dismissal]) -> str:
    """The default text of a dismissal announcement (第十三条)."""
    experts = [d.expert for d in dismissals]
    return (f"根据《武进区安全生产专家管理办法》第十三条规定，经区应急管理局批准，决定解聘{_names(experts)}的"
            "武进区安全生产专家资格，其专家工作证同时作废。自解聘之日起，上述人员不得再以武进区安全生产专家"
            "名义开展相关活动。\n现予以公告。")


def _unpublished_names(kind: str, expert_ids: set[int]) -> list[str]:
    rows = db.session.execute(
        select(AnnouncementEntry.name, Announcement.title).join(AnnouncementEntry.announcement)
        .where(Announcement.kind == kind, Announcement.published.is_(False),
               AnnouncementEntry.expert_id.in_(expert_ids))
    ).all()
    return [f"{name}（已在“{title}”草稿中）" for name, title in rows]


def create_appointment_announcement(terms: Iterable[Term], actor: User, *, title: str | None = None,
                                    doc_no: str | None = None, body: str | None = None) -> Announcement:
    """Draft the 聘任公告 for ``terms`` (one entry per expert, in name order)."""
    _require_editor(actor, "起草公告")
    terms = sorted({t.id: t for t in terms}.values(), key=lambda t: t.expert.name)
    if not terms:
        raise DomainError("请至少选择一条聘期记录。")
    announced = [f"{t.expert.name}（{t}）" for t in terms if t.announced_on is not None]
    if announced:
        raise DomainError("以下聘期已公告过：" + "、".join(announced) + "。")
    dup = _unpublished_names("appointment", {t.expert_id for t in terms})
    if dup:
        raise DomainError("以下专家已在未发布的聘任公告草稿中：" + "、".join(dup) + "。")
    cohorts = sorted({t.cohort for t in terms})
    doc_nos = {t.doc_no for t in terms if t.doc_no}
    default_title = ("武进区应急管理局关于聘任" + (f"第{cn_cohort(cohorts[0])}届" if len(cohorts) == 1 else "")
                     + "武进区安全生产专家的公告")
    announcement = Announcement(
        kind="appointment", title=(title or "").strip() or default_title,
        doc_no=(doc_no or "").strip() or (doc_nos.pop() if len(doc_nos) == 1 else None),
        body=(body or "").strip() or appointment_body(terms), published=False, created_by_id=actor.id,
    )
    announcement.entries = [entry_for(t.expert) for t in terms]
    db.session.add(announcement)
    db.session.flush()
    return announcement


def create_dismissal_announcement(dismissals: Iterable[Dismissal], actor: User, *, title: str | None = None,
                                  doc_no: str | None = None, body: str | None = None) -> Announcement:
    """Draft the 解聘公告 for approved dismissals not yet announced."""
    _require_editor(actor, "起草公告")
    dismissals = sorted({d.id: d for d in dismissals}.values(), key=lambda d: d.expert.name)
    if not dismissals:
        raise DomainError("请至少选择一条解聘记录。")
    not_approved = [d.expert.name for d in dismissals if d.state != "approved"]
    if not_approved:
        raise DomainError("只有已批准的解聘才能公告：" + "、".join(not_approved) + "。")
    done = [d.expert.name for d in dismissals if d.announcement_id is not None]
    if done:
        raise DomainError("以下解聘已编入公告：" + "、".join(done) + "。")
    announcement = Announcement(
        kind="dismissal", title=(title or "").strip() or "武进区应急管理局关于解聘部分武进区安全生产专家的公告",
        doc_no=(doc_no or "").strip() or None, body=(body or "").strip() or dismissal_body(dismissals),
        published=False, created_by_id=actor.id,
    )
    announcement.entries = [entry_for(d.expert) for d in dismissals]
    db.session.add(announcement)
    db.session.flush()
    for d in dismissals:
        d.announcement_id = announcement.id
    db.session.flush()
    return announcement


def update_draft(announcement: Announcement, actor: User, *, title: str, doc_no: str | None, body: str) -> None:
    """Edit the wording of a draft; a published announcement is not rewritten."""
    _require_editor(actor, "修改公告")
    if announcement.published:
        raise DomainError("公告已发布，不能修改。")
    if not (title or "").strip():
        raise DomainError("请填写公告标题。")
    if not (body or "").strip():
        raise DomainError("请填写公告正文。")
    announcement.title = title.strip()[:200]
    announcement.doc_no = (doc_no or "").strip()[:50] or None
    announcement.body = body.strip()
    db.session.flush()


def publish_announcement(announcement: Announcement, actor: User, on: dt.date | None = None) -> Announcement:
    """Make the announcement public on ``on`` (default today). For a 聘任公告 the terms of
    the experts named get their announcement date (第七条)."""
    _require_editor(actor, "发布公告")
    if announcement.published:
        raise DomainError("该公告已发布。")
    if announcement.kind in ("appointment", "dismissal") and not announcement.entries:
        raise DomainError("公告中没有专家名单，不能发布。")
    if not (announcement.title or "").strip() or not (announcement.body or "").strip():
        raise DomainError("公告标题和正文不能为空。")
    require_doc_no(announcement.kind, announcement.doc_no)
    on = on or clock.today()
    announcement.published = True
    announcement.published_on = on
    for entry in announcement.entries:
        if entry.expert_id is None:
            continue
        expert = db.session.get(Expert, entry.expert_id)
        if expert is None:
            continue
        if announcement.kind == "appointment":
            term = db.session.scalar(
                select(Term).where(Term.expert_id == expert.id, Term.announced_on.is_(None))
                .order_by(Term.start_date.desc()).limit(1)
            )
            if term is not None:
                term.announced_on = on
        record_event(expert, f"{announcement.kind_label}发布", announcement.title, actor)
    db.session.flush()
    return announcement


def published_announcements(limit: int | None = None) -> list[Announcement]:
    """Published announcements, newest first (for the public page)."""
    query = (select(Announcement).where(Announcement.published.is_(True))
             .order_by(Announcement.published_on.desc(), Announcement.id.desc()))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))
