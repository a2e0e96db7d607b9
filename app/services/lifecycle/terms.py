"""Terms of appointment (第六、七条), renewal (续聘), re-election (换届) and the signed
commitment letter (第四条, 附件1).

- A term lasts ``term_years`` (setting, 3 by default, 第六条) from its start date: the
  last day is the day before the same date three years on. It carries its 届次 and
  the 发文文号 of the bureau's document (第七条), and a work permit is issued with it.
- 续聘 re-checks the conditions of 第十一条 on the review date and refuses an expert who
  no longer meets them, is suspended or blacklisted (第二十一条), has an open dismissal
  proposal, or whose last annual assessment was 不合格 (第二十二条: the result decides
  next year's appointment).
- 换届 renews the chosen members of a 届 into the next one and ends the others: their
  terms stop on the new 届's first day and each goes on the dismissal-proposal list
  with 第十三条(二) 任期届满不再连任, which a leader approves and which is announced.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased, selectinload

from app import clock
from app.auth.rights import allowed, holders
from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle.eligibility import eligibility_of
from app.services.permits.issuing import issue_permit
from app.services.proposals import propose_dismissal
from app.services.status import last_day, status_of
from app.services.timeline import record_event
from app.services.uploads import store_document
from models import AnnualAssessment, Application, CommitmentLetter, Dismissal, Expert, Setting, Term, User

DEFAULT_TERM_YEARS = 3
#: Who records commitment letters and their scans (RIGHTS["commitment_letter"] "create").
LETTER_ROLES = holders("commitment_letter", "create")


def term_years() -> int:
    """Years of one term, from the settings (第六条: 3)."""
    value = db.session.scalar(select(Setting.value).where(Setting.key == "term_years"))
    try:
        years = int(value) if value else DEFAULT_TERM_YEARS
    except ValueError:
        years = DEFAULT_TERM_YEARS
    return years if years > 0 else DEFAULT_TERM_YEARS


def term_end(start: dt.date, years: int) -> dt.date:
    """Last day of a term of ``years`` starting on ``start`` (2024-06-01 → 2027-05-31)."""
    try:
        same_day = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        same_day = dt.date(start.year + years, 3, 1)
    return same_day - dt.timedelta(days=1)


def latest_term(expert: Expert) -> Term | None:
    """The expert's most recent term (by start date), in force or not."""
    return max(expert.terms, key=lambda t: (t.start_date, t.id or 0), default=None)


def current_cohort(on: dt.date | None = None) -> int | None:
    """The highest 届次 among terms in force on ``on`` (the default for new appointments)."""
    on = on or clock.today()
    return db.session.scalar(
        select(Term.cohort).where(Term.start_date <= on, Term.end_date >= on,
                                  (Term.ended_on.is_(None)) | (Term.ended_on > on))
        .order_by(Term.cohort.desc()).limit(1)
    )


def check_term_fields(cohort, doc_no: str | None, start_date: dt.date | None) -> None:
    """届次, 发文文号 and start date are all required (第七条: 经聘用的专家由区应急管理局发文公告)."""
    if not isinstance(cohort, int) or cohort < 1 or cohort > 99:
        raise DomainError("届次须为1到99之间的整数。")
    if not (doc_no or "").strip():
        raise DomainError("请填写聘任发文文号（第七条）。")
    if len(doc_no.strip()) > 50:
        raise DomainError("发文文号不能超过50个字符。")
    if start_date is None:
        raise DomainError("请填写聘期起始日期。")


def check_can_start(expert: Expert, start_date: dt.date, *, is_renewal: bool = False,
                    replacing: Term | None = None) -> None:
    """Refuse a term that cannot start: dismissed, not a district expert, or overlapping a term."""
    if expert.stage == "dismissed":
        raise DomainError(f"{expert.name}已被解聘（第十三条），不能再聘任。")
    if expert.source != "district":
        raise DomainError(f"{expert.name}不是区库专家，不能聘任（上级库、库外专家按第十四条单次使用）。")
    end = term_end(start_date, term_years())
    for term in expert.terms:
        if term is replacing:
            continue
        if term.start_date <= end and last_day(term) >= start_date and last_day(term) >= term.start_date:
            hint = f"；续聘的聘期应自{(last_day(term) + dt.timedelta(days=1)).isoformat()}起" if is_renewal else ""
            raise DomainError(
                f"{expert.name}的新聘期（自{start_date.isoformat()}起）与现有聘期（{term}）重叠{hint}。"
            )


def start_term(expert: Expert, *, cohort: int, doc_no: str, start_date: dt.date, actor: User | None,
               application: Application | None = None, is_renewal: bool = False,
               announced_on: dt.date | None = None, replacing: Term | None = None) -> Term:
    """Create the term (第六条), issue the work permit (第七条), put the expert in the pool."""
    check_term_fields(cohort, doc_no, start_date)
    check_can_start(expert, start_date, is_renewal=is_renewal, replacing=replacing)
    term = Term(expert=expert, cohort=cohort, doc_no=doc_no.strip(), start_date=start_date,
                end_date=term_end(start_date, term_years()), is_renewal=is_renewal, announced_on=announced_on,
                application_id=application.id if application is not None else None)
    db.session.add(term)
    db.session.flush()
    permit = issue_permit(expert, term, on=start_date)
    expert.stage = "in_pool"
    record_event(expert, f"{'续聘' if is_renewal else '聘任'}为第{cohort}届专家",
                 f"发文文号{term.doc_no}，聘期{term.start_date.isoformat()}至{term.end_date.isoformat()}，"
                 f"工作证{permit.permit_no}", actor)
    db.session.flush()
    return term


# --- 续聘 ---------------------------------------------------------------------------------


def check_renewal(expert: Expert, *, on: dt.date, age_override_reason: str | None = None) -> Term:
    """Refuse (DomainError) an expert who may not be renewed on ``on``; return his latest term."""
    latest = latest_term(expert)
    if latest is None:
        raise DomainError(f"{expert.name}没有聘期记录，不能续聘；新专家请按第十二条程序聘任。")
    if expert.stage == "dismissed":
        raise DomainError(f"{expert.name}已被解聘（第十三条），不能续聘。")
    status = status_of(expert, on)
    if status.code in ("suspended", "blacklisted"):
        raise DomainError(f"{expert.name}不能续聘：" + "；".join(status.reasons) + "。")
    pending = db.session.scalar(
        select(Dismissal).where(Dismissal.expert_id == expert.id, Dismissal.state == "proposed").limit(1)
    )
    if pending is not None:
        raise DomainError(f"{expert.name}有待审批的解聘提议（{pending.reason_label}），不能续聘。")
    assessment = db.session.scalar(
        select(AnnualAssessment).where(AnnualAssessment.expert_id == expert.id)
        .order_by(AnnualAssessment.year.desc()).limit(1)
    )
    if assessment is not None and assessment.grade == "unqualified":
        raise DomainError(
            f"{expert.name}{assessment.year}年度考核不合格，不能续聘（第二十二条：评定结果作为下一年度是否聘用的依据）。"
        )
    eligibility_of(expert, on=on, age_override_reason=age_override_reason).require(f"{expert.name}不能续聘")
    return latest


def renew_term(expert: Expert, *, actor: User, doc_no: str, start_date: dt.date | None = None,
               cohort: int | None = None, age_override_reason: str | None = None,
               on: dt.date | None = None) -> Term:
    """续聘 (第六条: 任期届满后，因工作需要、满足聘用条件的可以续聘): a new term right after
    the latest one (or from ``start_date``), in the next 届 unless ``cohort`` is given.

    The conditions are checked on ``on`` (the review date, default today); an expert
    over 65 needs 基础科's written ``age_override_reason``."""
    if actor is None or not allowed(actor.role, "term", "renew"):
        raise DomainError("只有基础科可以办理续聘。")
    on = on or clock.today()
    latest = check_renewal(expert, on=on, age_override_reason=age_override_reason)
    start = start_date or (last_day(latest) + dt.timedelta(days=1))
    term = start_term(expert, cohort=cohort or latest.cohort + 1, doc_no=doc_no, start_date=start, actor=actor,
                      is_renewal=True)
    if age_override_reason:
        record_event(expert, "续聘年龄条件特批", age_override_reason.strip(), actor)
    return term


# --- 换届 ---------------------------------------------------------------------------------


@dataclass
class CohortChange:
    """What a 换届 did: the new terms and the dismissal proposals (第十三条(二))."""

    renewed: list[Term] = field(default_factory=list)
    ended: list[Dismissal] = field(default_factory=list)


def cohort_members(cohort: int) -> list[Term]:
    """Each expert's latest term when it belongs to ``cohort`` and he is not dismissed."""
    later = aliased(Term)
    newer_exists = exists().where(and_(later.expert_id == Term.expert_id, later.start_date > Term.start_date))
    return list(db.session.scalars(
        select(Term).join(Term.expert)
        .where(Term.cohort == cohort, Expert.stage != "dismissed", ~newer_exists)
        .options(selectinload(Term.expert).selectinload(Expert.groups))
        .order_by(Expert.name)
    ))


def change_cohort(cohort: int, *, renew_expert_ids: Iterable[int], actor: User, doc_no: str,
                  start_date: dt.date, age_overrides: dict[int, str] | None = None,
                  on: dt.date | None = None) -> CohortChange:
    """换届: renew the chosen members of 届 ``cohort`` into 届 ``cohort + 1`` from
    ``start_date`` and end the others. Every renewal is checked first; one refusal
    changes nothing. Terms running past ``start_date`` stop on it (the new 届 replaces
    the old one); the members not renewed are proposed for dismissal, 第十三条(二)."""
    if actor is None or not allowed(actor.role, "term", "renew"):
        raise DomainError("只有基础科可以办理换届。")
    on = on or clock.today()
    check_term_fields(cohort + 1, doc_no, start_date)
    members = cohort_members(cohort)
    if not members:
        raise DomainError(f"第{cohort}届没有需要换届的专家。")
    by_expert = {t.expert_id: t for t in members}
    chosen = set(renew_expert_ids)
    strangers = chosen - set(by_expert)
    if strangers:
        raise DomainError(f"所选专家不属于第{cohort}届，或已续聘、已解聘。")
    if start_date <= min(t.start_date for t in members):
        raise DomainError("新一届的起始日期须晚于本届的起始日期。")
    overrides = age_overrides or {}
    problems = []
    for eid in sorted(chosen, key=lambda i: by_expert[i].expert.name):
        try:
            check_renewal(by_expert[eid].expert, on=on, age_override_reason=overrides.get(eid))
        except DomainError as err:
            problems.append(str(err))
    if problems:
        raise DomainError("换届未办理，未作任何修改。\n" + "\n".join(problems))

    result = CohortChange()
    for term in members:
        expert = term.expert
        if term.end_date >= start_date and (term.ended_on is None or term.ended_on > start_date):
            term.ended_on = start_date
        if term.expert_id in chosen:
            new = start_term(expert, cohort=cohort + 1, doc_no=doc_no, start_date=start_date, actor=actor,
                             is_renewal=True, replacing=term)
            if overrides.get(term.expert_id):
                record_event(expert, "续聘年龄条件特批", overrides[term.expert_id].strip(), actor)
            result.renewed.append(new)
        else:
            record_event(expert, f"第{cohort}届任期结束，未续聘", f"换届发文文号{doc_no.strip()}", actor)
            result.ended.append(propose_dismissal(
                expert, "2", origin="manual", actor_id=actor.id,
                detail=f"第{cohort}届任期届满，换届（{doc_no.strip()}）时未续聘",
            ))
    db.session.flush()
    return result


# --- terms ending (dashboard) -----------------------------------------------------------


def terms_ending(within_days: int, on: dt.date | None = None) -> list[Term]:
    """Terms in force on ``on`` whose last day falls within ``within_days`` days, not yet
    followed by a renewal, for experts not dismissed; soonest first (第六条)."""
    on = on or clock.today()
    later = aliased(Term)
    renewed = exists().where(and_(later.expert_id == Term.expert_id, later.start_date > Term.start_date))
    return list(db.session.scalars(
        select(Term).join(Term.expert)
        .where(Term.start_date <= on, Term.end_date >= on, Term.end_date <= on + dt.timedelta(days=within_days),
               (Term.ended_on.is_(None)) | (Term.ended_on > on), Expert.stage != "dismissed", ~renewed)
        .options(selectinload(Term.expert).selectinload(Expert.groups))
        .order_by(Term.end_date, Term.id)
    ))


# --- 承诺书 (附件1) -----------------------------------------------------------------------------


def letter_term(expert: Expert, signed_on: dt.date) -> Term | None:
    """The term a letter signed on ``signed_on`` belongs to: the one in force then, else the next one."""
    candidates = [t for t in expert.terms if last_day(t) >= signed_on and last_day(t) >= t.start_date]
    in_force = [t for t in candidates if t.start_date <= signed_on]
    if in_force:
        return max(in_force, key=lambda t: t.start_date)
    upcoming = sorted(candidates, key=lambda t: t.start_date)
    return upcoming[0] if upcoming else None


def record_commitment(expert: Expert, *, signed_on: dt.date, actor: User, scan: bytes | None = None,
                      term: Term | None = None, today: dt.date | None = None) -> CommitmentLetter:
    """Record the signed 《武进区安全生产专家服务承诺书》 (附件1, 第四条) with its scan.

    Without a signed letter for the current term an expert is not dispatchable (SPEC §3.4)."""
    if actor is None or not allowed(actor.role, "commitment_letter", "create"):
        raise DomainError("只有基础科可以登记承诺书。")
    today = today or clock.today()
    if signed_on is None:
        raise DomainError("请填写签署日期。")
    if signed_on > today:
        raise DomainError("签署日期不能晚于今天。")
    if expert.stage == "dismissed":
        raise DomainError(f"{expert.name}已被解聘，无需登记承诺书。")
    term = term or letter_term(expert, signed_on)
    if term is not None and term.expert_id != expert.id:
        raise DomainError("所选聘期不属于该专家。")
    if term is not None:
        dup = db.session.scalar(select(CommitmentLetter).where(CommitmentLetter.term_id == term.id).limit(1))
        if dup is not None:
            raise DomainError(f"{expert.name}本届（{term}）的承诺书已于{dup.signed_on.isoformat()}登记；"
                              "如需更换扫描件，请编辑该记录。")
    path = None
    if scan:
        path, _mime = store_document(scan)
    letter = CommitmentLetter(expert=expert, term_id=term.id if term is not None else None, signed_on=signed_on,
                              scan_path=path)
    db.session.add(letter)
    record_event(expert, "签订专家服务承诺书", f"签署日期{signed_on.isoformat()}" +
                 (f"，{term}" if term is not None else "") + ("，已上传扫描件" if path else ""), actor)
    db.session.flush()
    return letter


def attach_commitment_scan(letter: CommitmentLetter, scan: bytes, actor: User) -> None:
    """Store (or replace) the signed scan of a letter."""
    if actor is None or not allowed(actor.role, "commitment_letter", "create"):
        raise DomainError("只有基础科可以上传承诺书扫描件。")
    if not scan:
        raise DomainError("请选择扫描件文件。")
    letter.scan_path, _mime = store_document(scan)
    record_event(letter.expert, "上传承诺书扫描件", f"签署日期{letter.signed_on.isoformat()}", actor)
    db.session.flush()
