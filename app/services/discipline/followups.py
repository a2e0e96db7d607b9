"""企业回访: the served enterprise rates the job after it is completed (issue 17).

附件3 tells the enterprise its rights and asks it to report misconduct. After the job of a
notice is completed, the receipt page (``/receipt/<token>``, the QR code the enterprise holds)
offers the form engine's ``followup`` form: punctuality, professionalism, whether a fee or
favour was asked, free words, an optional contact. Rules, all here:

- one follow-up per notice, no login; accepted from the job's completion until
  :data:`FOLLOWUP_DAYS` days after it, and only once the receipt itself is confirmed;
- an unknown or forged token, a job not completed, a closed window, a second submission and
  any invalid answer are refused with a Chinese message, and nothing is stored (a twin sent at
  the same moment is stopped by the unique ``client_uuid`` ``followup-notice-<id>``);
- a follow-up that says a fee or favour was asked opens a complaint in the office's inbox,
  linked to the follow-up (not copied: its words stay in one place);
- confidentiality (附件3 "我局将严格为贵企业保密"): :func:`followup_access` alone decides who
  sees what — the office everything, the using unit and the bureau's leaders the ratings of
  the jobs they may see, the expert nothing of an individual follow-up.

Functions flush; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from app import clock
from app.auth.rights import allowed, works_for_a_unit
from app.clock import utcnow
from app.extensions import db
from app.services.dispatch.assignments import active_assignments
from app.services.dispatch.notices import ReceiptNotFound, find_notice, format_time
from app.services.errors import DomainError
from models import Assignment, FormAnswer, FormField, FormSubmission, Notice, User

FOLLOWUP_DAYS = 30
RATING_KEYS = ("punctuality", "professionalism")
FULL = "full"
RATINGS = "ratings"
# Who sees what follows the rights table: those who keep the follow-ups (RIGHTS["follow_up"]
# "edit": the office, who handle complaints) see them whole, words and contact included; those
# who only read them (the bureau's leaders) see the ratings of every job; the staff of a unit
# (app.auth.rights.works_for_a_unit) the ratings of their own unit's jobs.


class FollowupRefused(DomainError):
    """The follow-up cannot be taken now (not yet, too late, already given); ``title`` heads the page."""

    def __init__(self, message: str, title: str = "无法提交回访"):
        self.title = title
        super().__init__(message)


def followup_form():
    from app.services.forms.definitions import form_by_code

    return form_by_code("followup")


def completed_at(notice: Notice) -> dt.datetime | None:
    """When the job of ``notice`` was completed (its last expert's completion), None while open."""
    req = notice.request
    if req.state != "completed":
        return None
    moments = [a.completed_at for a in active_assignments(req) if a.completed_at is not None]
    return max(moments) if moments else None


def deadline(notice: Notice) -> dt.datetime | None:
    """The last moment a follow-up of ``notice`` is accepted."""
    done = completed_at(notice)
    return done + dt.timedelta(days=FOLLOWUP_DAYS) if done is not None else None


def followup_of(notice: Notice) -> FormSubmission | None:
    """The follow-up already given for ``notice``, if any."""
    form = followup_form()
    return db.session.scalar(select(FormSubmission).where(
        FormSubmission.notice_id == notice.id, FormSubmission.form_id == form.id))


def followup_state(notice: Notice, now: dt.datetime | None = None) -> str:
    """``waiting`` (receipt not confirmed or job not completed), ``open``, ``done`` or ``expired``."""
    if followup_of(notice) is not None:
        return "done"
    if notice.receipt_state != "received" or notice.request.state == "cancelled":
        return "waiting"
    until = deadline(notice)
    if until is None:
        return "waiting"
    # SQLite hands back naive UTC instants: compare both in the bureau's zone.
    return "open" if clock.local(now or utcnow()) <= clock.local(until) else "expired"


def _uuid(notice: Notice) -> str:
    return f"followup-notice-{notice.id}"


def refusal(notice: Notice, now: dt.datetime | None = None) -> FollowupRefused | None:
    """Why a follow-up of ``notice`` is not taken now (None when it is)."""
    state = followup_state(notice, now)
    if state == "done":
        given = followup_of(notice)
        return FollowupRefused(f"贵单位已于{format_time(given.submitted_at)}提交本次服务的回访，"
                               "每份告知书只能回访一次。如需补充情况，请拨打举报投诉电话。", title="已提交过回访")
    if state == "expired":
        return FollowupRefused(f"回访已截止：本次服务于{format_time(completed_at(notice))}完成，"
                               f"完成后{FOLLOWUP_DAYS}日内可以回访。如需反映情况，请拨打举报投诉电话。",
                               title="回访已截止")
    if state == "waiting":
        if notice.receipt_state != "received":
            return FollowupRefused("请先确认签收告知书回执；专家服务完成后即可在本页回访。", title="暂不能回访")
        return FollowupRefused("本次专家服务尚未完成，完成后即可在本页回访。", title="暂不能回访")
    return None


def submit_followup(token: str, filled, *, now: dt.datetime | None = None) -> FormSubmission:
    """Save the enterprise's follow-up of the notice named by ``token``.

    Refused, nothing stored: :class:`ReceiptNotFound` for an unknown or forged token,
    :class:`FollowupRefused` when not open (see :func:`refusal`) or already given (also when a
    twin won the race), :class:`~app.services.forms.validation.FormInvalid` for the answers.
    A "yes" to the fee question opens a linked complaint (:func:`open_complaint`).
    """
    from app.services.forms.definitions import current_version
    from app.services.forms.submissions import ResolvedSubject, build_submission, insert_once
    from app.services.forms.validation import validate_submission

    notice = find_notice(token)
    if notice is None:
        raise ReceiptNotFound("回执二维码无效：未找到对应的告知书。请核对二维码，或联系发放告知书的单位。")
    moment = now or utcnow()
    refused = refusal(notice, moment)
    if refused is not None:
        raise refused
    version = current_version(followup_form())
    clean = validate_submission(version, filled, today=clock.local_date(moment))
    submission = build_submission(clean, by=None, unit=None, client_uuid=_uuid(notice), submitted_at=moment,
                                  subject=ResolvedSubject(notice=notice, enterprise=notice.enterprise))
    if insert_once(submission) is not None:
        raise refusal(notice, moment) or FollowupRefused("贵单位已提交过本次服务的回访。", title="已提交过回访")
    if clean.answers.get("fee_asked") is not None and clean.answers["fee_asked"].number == 1:
        open_complaint(submission, notice)
    return submission


def open_complaint(submission: FormSubmission, notice: Notice):
    """The complaint a follow-up opens when a fee or favour was asked: in the office's inbox,
    about the job (and its expert when there was one), pointing at the follow-up."""
    from app.services.discipline.complaints import complaint_from_followup

    experts = [a.expert_id for a in active_assignments(notice.request)]
    contact = _answer_text(submission, "contact")
    return complaint_from_followup(
        followup_id=submission.id, enterprise_name=notice.enterprise.name, contact=contact,
        request_id=notice.request_id, expert_id=experts[0] if len(experts) == 1 else None,
        summary=f"企业回访反映专家索要费用或好处（告知书{notice.notice_no}，任务{notice.request.request_no}"
                f"“{notice.request.subject}”）。回访内容见关联的企业回访记录。",
    )


def _answer_text(submission: FormSubmission, key: str) -> str | None:
    for answer in submission.answers:
        if answer.field.key == key:
            return answer.text
    return None


# --- who sees what ---------------------------------------------------------------------------------


def followup_access(user: User | None, submission: FormSubmission) -> str | None:
    """What ``user`` may see of a follow-up: :data:`FULL`, :data:`RATINGS` or None (nothing).

    The one place that decides it (附件3: the enterprise's identity and words are kept
    confidential). The office sees everything; the bureau's leaders and the unit that used the
    experts see the ratings of those jobs; the expert rated — and anyone else — sees nothing.
    """
    role = getattr(user, "role", None) if user is not None and getattr(user, "is_authenticated", False) else None
    if allowed(role, "follow_up", "edit"):
        return FULL
    if allowed(role, "follow_up", "list"):
        return RATINGS
    if works_for_a_unit(role) and submission.notice is not None and user.org_unit_id is not None \
            and submission.notice.request.unit_id == user.org_unit_id:
        return RATINGS
    return None


def sees_whole_followups(user: User | None) -> bool:
    """Whether ``user`` sees follow-ups whole (lists that cannot hide parts show them only then)."""
    return allowed(getattr(user, "role", None), "follow_up", "edit")


@dataclass
class FollowupView:
    """A follow-up as ``user`` may see it; fields hidden from him are None."""

    submission_id: int
    submitted_at: str
    notice_no: str
    request_no: str
    subject: str
    punctuality: int | None
    professionalism: int | None
    fee_asked: bool | None = None
    enterprise: str | None = None
    comment: str | None = None
    contact: str | None = None
    complaint_no: str | None = None


def view_for(user: User | None, submission: FormSubmission) -> FollowupView | None:
    """``submission`` reduced to what ``user`` may see (None when nothing)."""
    access = followup_access(user, submission)
    if access is None:
        return None
    answers = {a.field.key: a for a in submission.answers}

    def number(key: str) -> int | None:
        return answers[key].number if key in answers else None

    req = submission.notice.request
    out = FollowupView(submission.id, format_time(submission.submitted_at), submission.notice.notice_no,
                       req.request_no, req.subject, number("punctuality"), number("professionalism"))
    if access == FULL:
        from models import Complaint

        out.fee_asked = number("fee_asked") == 1
        out.enterprise = submission.notice.enterprise.name
        out.comment = answers["comment"].text if "comment" in answers else None
        out.contact = answers["contact"].text if "contact" in answers else None
        out.complaint_no = db.session.scalar(select(Complaint.complaint_no).where(
            Complaint.followup_id == submission.id))
    return out


def _expert_followups_query(expert_id: int):
    """Follow-ups of the jobs the expert completed (a job with several experts rates each).
    The notices are picked in a subquery: DISTINCT over the JSON column fails on PostgreSQL."""
    notices_of_expert = (select(Notice.id)
                         .join(Assignment, Assignment.request_id == Notice.request_id)
                         .where(Assignment.expert_id == expert_id, Assignment.completed_at.is_not(None),
                                Assignment.is_backup.is_(False)))
    return select(FormSubmission).where(FormSubmission.form_id == followup_form().id,
                                        FormSubmission.notice_id.in_(notices_of_expert))


def followups_for_expert(user: User | None, expert_id: int, year: int | None = None) -> list[FollowupView]:
    """The follow-ups of an expert's jobs that ``user`` may see, newest first."""
    rows = db.session.scalars(_expert_followups_query(expert_id).order_by(FormSubmission.submitted_at.desc()))
    out = []
    for sub in rows:
        if year is not None and clock.local_date(sub.submitted_at).year != year:
            continue
        seen = view_for(user, sub)
        if seen is not None:
            out.append(seen)
    return out


@dataclass
class FollowupSummary:
    """How many follow-ups an expert's jobs got in a year and their average rating (of 5)."""

    count: int
    average: Decimal | None
    fee_reports: int

    @property
    def label(self) -> str:
        if not self.count:
            return "无企业回访"
        return f"企业回访{self.count}份，平均{self.average}分（满分5分）"


def followup_summary(expert_id: int, year: int) -> FollowupSummary:
    """Count and average rating (punctuality and professionalism, of 5) of a year's follow-ups —
    information for the annual assessment; it does not change the 附件5-based grade."""
    count, scores, fees = 0, [], 0
    for sub in db.session.scalars(_expert_followups_query(expert_id)):
        if clock.local_date(sub.submitted_at).year != year:
            continue
        count += 1
        for answer in sub.answers:
            if answer.field.key in RATING_KEYS and answer.number is not None:
                scores.append(answer.number)
            if answer.field.key == "fee_asked" and answer.number == 1:
                fees += 1
    average = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1"), ROUND_HALF_UP) if scores else None
    return FollowupSummary(count, average, fees)


def followup_ratings(year: int, expert_ids: list[int]) -> dict[int, list[Decimal]]:
    """Per expert, one rating (of 5) for each follow-up given in ``year`` (the bureau's calendar)
    on the jobs they completed: the mean of its punctuality and professionalism answers.

    For the annual assessment where the office counts 企业回访 among the follow-ups; a follow-up
    with neither rating answered is left out. One query for all experts."""
    rows = db.session.execute(
        select(Assignment.expert_id, FormSubmission.id, FormSubmission.submitted_at, FormField.key, FormAnswer.number)
        .join(Notice, Notice.request_id == Assignment.request_id)
        .join(FormSubmission, FormSubmission.notice_id == Notice.id)
        .join(FormAnswer, FormAnswer.submission_id == FormSubmission.id)
        .join(FormField, FormField.id == FormAnswer.field_id)
        .where(Assignment.expert_id.in_(expert_ids), Assignment.completed_at.is_not(None),
               Assignment.is_backup.is_(False), FormSubmission.form_id == followup_form().id,
               FormField.key.in_(RATING_KEYS), FormAnswer.number.is_not(None)))
    answers: dict[tuple[int, int], dict[str, int]] = {}
    for expert_id, submission_id, submitted_at, key, number in rows:
        if clock.local_date(submitted_at).year == year:
            answers.setdefault((expert_id, submission_id), {})[key] = number
    out: dict[int, list[Decimal]] = {}
    for (expert_id, _submission_id), given in sorted(answers.items()):
        out.setdefault(expert_id, []).append(Decimal(sum(given.values())) / len(given))
    return out
