"""Scoring experts on the 附件5 评价表 (第二十二条, SPEC §3.11).

The form is a form definition of the engine (:mod:`app.services.forms`, code ``annex5``):
its version 1 is 附件5 as published — 7 必填项 worth 50 and two alternatives "根据考评对象
二选一" of 50 each, every item with its maximum, total 100. The engine checks the definition
when the office revises it, and checks every filled form against its version in one function
(:func:`app.services.forms.validation.validate_submission`): every required item and every
item of exactly one variant scored with a whole number from 0 to its maximum, the total
computed there whatever a client sends.

This module adds what an *evaluation* is (第二十二条): the record the rules read — submitting
unit, expert, job, 考评时间, total, variant — saved together with its submission, idempotent by
the client's ``client_uuid``: a double tap, a re-sent offline queue or a retry after a lost
answer gives the one record already saved, even when two requests race (:func:`save_evaluation`).

Which evaluations count as *service-quality* evaluations for the 20% coverage
rule (第二十二条 second paragraph): those on variant B, 对企业开展业务服务质量考评.
The paragraph speaks of experts "受技术服务机构委托或个人对企业开展辅导、服务",
assessed on their 服务质量 during routine and enforcement checks, and the form's
own 填表说明 1 and 4 separate the two uses the same way (A: 配合区、镇开展检查等工作
情况; B: 日常开展的业务服务质量, "考评比例不低于年度执法计划的20%"). The flag is
stored on the evaluation when it is saved, so a later form revision never changes
past coverage figures.

Functions flush; the caller commits.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app import clock
from app.auth.rights import enters_paper_evaluations, scores_experts, sees_every_unit_evaluation
from app.clock import utcnow
from app.extensions import db
from app.services.discipline import ladder as discipline
from app.services.errors import DomainError
from app.services.forms import definitions, documents, published
from app.services.forms import submissions as forms_submissions
from app.services.forms.builtin import ANNEX5
from app.services.forms.validation import Filled, FormInvalid, validate_submission
from models import (
    Assignment,
    Enterprise,
    Evaluation,
    Expert,
    FormDefinition,
    FormField,
    FormVersion,
    OrgUnit,
    UsageRequest,
    User,
)
from models.choices import EVAL_VARIANTS

REQUIRED = "required"
VARIANTS = ("A", "B")
SECTIONS = (REQUIRED,) + VARIANTS
SECTION_LABELS = {REQUIRED: "必填项", **EVAL_VARIANTS}
SERVICE_QUALITY_VARIANT = "B"
SIGNATURE_KEY = "evaluator_signature"
UUID_RE = re.compile(r"^[0-9A-Za-z-]{8,64}$")


def _whole_number(raw: Any) -> int | None:
    """``raw`` as an int if it is a whole number written plainly; None otherwise."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", raw):
        return int(raw)
    return None


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


class ScoringError(DomainError):
    """A refused evaluation; ``problems`` lists every reason in Chinese, ``field_errors`` says what
    is wrong beside each field (by field key)."""

    def __init__(self, problems: list[str], headline: str = "评价表未能保存：", field_errors: dict | None = None):
        self.problems = list(problems)
        self.field_errors = dict(field_errors or {})
        super().__init__(headline + "；".join(self.problems) + "。")


# --- the form: a form definition (code ``annex5``) ------------------------------------------------


def annex5_form() -> FormDefinition:
    """The 附件5 form definition."""
    return definitions.form_by_code(ANNEX5)


def current_form() -> FormVersion:
    """The version new evaluations use (the phone page renders it)."""
    version = definitions.current_version(annex5_form())
    if version is None:
        raise DomainError("系统中还没有评价表，请联系系统管理员初始化基础数据。")
    return version


def form_sections(version: FormVersion) -> dict[str, list[FormField]]:
    """The score items of a version by section key (``required``, ``A``, ``B``), in printed order."""
    out: dict[str, list[FormField]] = {key: [] for key in SECTIONS}
    for section in version.sections:
        items = [f for f in section.fields if f.kind == "score"]
        if items or section.key in out:
            out.setdefault(section.key, []).extend(items)
    return out


def item_numbers(version: FormVersion) -> dict[int, int]:
    """The printed 序号 of each score item: required 1..n, each variant numbered on from n+1."""
    return definitions.numbering(version)


# --- saving -----------------------------------------------------------------------------------


@dataclass
class EvaluationEntry:
    """One filled 评价表 as it arrives (raw strings are fine).

    ``form_id`` is the form *version* the page was rendered with. ``scores`` / ``problems`` map
    an item (its field id, or its key such as ``"A3"``) → typed value / 发现问题 note;
    ``signature`` is the drawn 考评人员（签字） (PNG bytes) and ``signed_at`` when it was drawn
    (ms since 1970, from the phone). ``unit_id`` and ``received_on`` matter only for a paper
    form entered by the expert office.
    """

    form_id: Any = None
    variant: str | None = None
    expert_id: Any = None
    assignment_id: Any = None
    enterprise_name: str = ""
    matter: str = ""
    evaluator_name: str = ""
    evaluated_on: Any = None
    scores: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    suggestions: str = ""
    is_paper: bool = False
    unit_id: Any = None
    received_on: Any = None
    signature: bytes | None = None
    signed_at: Any = None


def _as_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


def find_by_uuid(client_uuid: str | None) -> Evaluation | None:
    """The evaluation already saved under ``client_uuid``, if any."""
    if not client_uuid:
        return None
    return db.session.scalar(select(Evaluation).where(Evaluation.client_uuid == client_uuid))


def may_score(user: User) -> bool:
    """Whether ``user`` scores experts (科室、大队、镇街 and 基础科 accounts with a unit)."""
    return (
        bool(getattr(user, "is_authenticated", False)) and scores_experts(user.role) and user.org_unit_id is not None
    )


def may_enter_paper(user: User) -> bool:
    """Paper forms entered afterwards: by 基础科 for any unit, by a unit for itself."""
    return may_score(user)


def scorable_assignments_query(unit_id: int, today: dt.date | None = None):
    """Assignments of ``unit_id``'s requests, begun by ``today``, whose expert accepted and was
    not absent, and that have no evaluation yet."""
    today = today or clock.today()
    evaluated = select(Evaluation.assignment_id).where(Evaluation.assignment_id.is_not(None))
    return (
        select(Assignment)
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(
            UsageRequest.unit_id == unit_id,
            UsageRequest.state != "cancelled",
            UsageRequest.start_date <= today,
            Assignment.response == "accepted",
            Assignment.attended.is_not(False),
            Assignment.id.not_in(evaluated),
        )
        .order_by(UsageRequest.start_date.desc(), Assignment.id.desc())
    )


def _resolve_unit(entry: EvaluationEntry, by: User, problems: list[str]) -> int | None:
    """The submitting unit's id (第二十二条: the evaluations belong to it). 基础科 entering a
    paper form picks the unit that filled it; everyone else submits for his own unit."""
    if enters_paper_evaluations(by.role) and entry.is_paper and not _blank(entry.unit_id):
        unit_id = db.session.scalar(select(OrgUnit.id).where(OrgUnit.id == (_whole_number(entry.unit_id) or 0)))
        if unit_id is None:
            problems.append("请选择填表单位")
        return unit_id
    return by.org_unit_id


@dataclass(frozen=True)
class ScoredItem:
    """One item as just scored (what the low-score rule reads: ``item``, ``score``, ``problem``)."""

    item: FormField
    score: int
    problem: str | None


def _filled(entry: EvaluationEntry, version: FormVersion) -> Filled:
    """The entry in the engine's terms: values by field key (items named by id or key)."""
    by_id = {str(f.id): f.key for f in version.fields}

    def key(ref: Any) -> str:
        text = str(ref).strip()
        return by_id.get(text, text)

    values = {key(k): v for k, v in (entry.scores or {}).items()}
    values.update(enterprise_name=entry.enterprise_name, matter=entry.matter, evaluator_name=entry.evaluator_name,
                  evaluated_on=entry.evaluated_on.isoformat() if isinstance(entry.evaluated_on, dt.date)
                  else entry.evaluated_on, suggestions=entry.suggestions)
    notes = {key(k): v for k, v in (entry.problems or {}).items() if isinstance(v, str) and v.strip()}
    files = {SIGNATURE_KEY: entry.signature} if entry.signature else {}
    groups = [group for group, _ in definitions.choice_groups(version)]
    return Filled(values=values, notes=notes, files=files,
                  choices={groups[0]: entry.variant} if groups and entry.variant else {})


@dataclass
class CheckedEvaluation:
    """A filled 评价表 that passed :func:`check_evaluation`: the records to insert (not yet added
    to the session), or ``existing`` — the record already saved under its ``client_uuid``."""

    by: User
    existing: Evaluation | None = None
    submission: Any = None
    evaluation: Evaluation | None = None
    scored: list = field(default_factory=list)


def save_evaluation(entry: EvaluationEntry, *, by: User, client_uuid: str | None = None,
                    today: dt.date | None = None, version: FormVersion | None = None) -> tuple[Evaluation, bool]:
    """Validate and save one filled 评价表 for ``by``'s unit; returns ``(evaluation, created)``.

    Idempotent: a ``client_uuid`` already saved returns that record and saves nothing
    (``created`` False) — also when two requests with the same uuid race, since the
    UNIQUE column refuses the second insert and the first one is returned. Everything
    else is validated at once and refused with a :class:`ScoringError` listing every
    problem (and ``field_errors`` by field key); nothing is written then.

    The answers are checked by the form engine's one function
    (:func:`app.services.forms.validation.validate_submission`) against the version the page
    was rendered with (``entry.form_id``; ``version`` when the caller has already resolved it
    with :func:`~app.services.forms.submissions.version_for`): a page kept offline since before a
    revision still sends its older version, and the evaluation keeps and prints that version. This function
    adds what 第二十二条 asks of an evaluation: the submitting unit (``by``'s own, except a
    paper form 基础科 enters for another unit), the job and its expert, the day a paper form
    was received.
    """
    return store_evaluation(check_evaluation(entry, by=by, client_uuid=client_uuid, today=today, version=version))


def check_evaluation(entry: EvaluationEntry, *, by: User, client_uuid: str | None = None,
                     today: dt.date | None = None, version: FormVersion | None = None) -> CheckedEvaluation:
    """Everything :func:`save_evaluation` does before it writes: read and validate, and build the
    records. Writes nothing (the signature's file is stored), so a request can run it in a read
    transaction — on SQLite without holding the write lock — and :func:`store_evaluation` the
    result in a short write transaction afterwards. Raises :class:`ScoringError` as
    :func:`save_evaluation` does.
    """
    client_uuid = (client_uuid or "").strip() or None
    if client_uuid and not UUID_RE.match(client_uuid):
        raise ScoringError(["提交编号格式不正确，请刷新页面后重新提交"])
    if not may_score(by):
        raise ScoringError(["当前账号不能填写专家评价表（需局科室、执法大队、镇街或基础科账号）"])
    existing = find_by_uuid(client_uuid)
    if existing is not None:
        return CheckedEvaluation(by=by, existing=_same_sender(existing, by))

    today = today or clock.today()
    problems: list[str] = []
    if version is None:
        version = published.version_for_code(ANNEX5, entry.form_id)

    unit_id = _resolve_unit(entry, by, problems)

    assignment = None
    if not _blank(entry.assignment_id):
        assignment = db.session.get(Assignment, _whole_number(entry.assignment_id) or 0)
        if assignment is None or (unit_id is not None and assignment.request.unit_id != unit_id):
            problems.append("所选任务不存在或不属于本单位")
            assignment = None
        elif assignment.response != "accepted" or assignment.attended is False:
            problems.append("该专家未参加此次任务，不能评价")
        elif db.session.scalar(select(Evaluation.id).where(Evaluation.assignment_id == assignment.id)):
            problems.append("该任务的专家已评价过，不能重复评价")

    if assignment is not None:
        expert_id = assignment.expert_id
    else:
        # Only whether the expert exists: loading the record would decrypt its personal data.
        expert_id = None if _blank(entry.expert_id) else db.session.scalar(
            select(Expert.id).where(Expert.id == (_whole_number(entry.expert_id) or 0)))
        if expert_id is None:
            problems.append("请选择被考评的专家")

    submitted_at = utcnow()
    evaluated_on = _as_date(entry.evaluated_on)
    if entry.is_paper and enters_paper_evaluations(by.role) and not _blank(entry.received_on):
        received = _as_date(entry.received_on)
        if received is None:
            problems.append("纸质表报送日期格式不正确")
        elif received > today:
            problems.append("纸质表报送日期不能晚于今天")
        elif evaluated_on and received < evaluated_on:
            problems.append("纸质表报送日期不能早于考评时间")
        else:
            # A paper form counts as submitted on the day 基础科 received it (第二十二条 deadlines).
            submitted_at = clock.at_local(received)

    clean = None
    field_errors: dict[str, str] = {}
    try:
        clean = validate_submission(version, _filled(entry, version), paper=bool(entry.is_paper), today=today)
    except FormInvalid as err:
        problems.extend(err.problems)
        field_errors = err.field_errors
    if problems:
        # A twin of this request (same uuid, e.g. the page and its service worker sending the
        # queued form at once) may have been saved since the lookup above, and be exactly what
        # now reads as "该任务的专家已评价过": answer with that record, as for any re-send.
        again = find_by_uuid(client_uuid)
        if again is not None:
            return CheckedEvaluation(by=by, existing=_same_sender(again, by))
        raise ScoringError(problems, field_errors=field_errors)

    variant = next(iter(clean.choices.values()), None)
    enterprise_name = clean.value("enterprise_name")
    enterprise_id = db.session.scalar(select(Enterprise.id).where(Enterprise.name == enterprise_name).limit(1))
    submission = forms_submissions.build_submission(
        clean, by=by, unit=None, unit_id=unit_id, client_uuid=client_uuid, submitted_at=submitted_at,
        is_paper=bool(entry.is_paper), subject=forms_submissions.ResolvedSubject(assignment=assignment),
        signer=clean.value("evaluator_name"), signed_at={SIGNATURE_KEY: entry.signed_at},
    )
    submission.expert_id, submission.enterprise_id = expert_id, enterprise_id
    evaluation = Evaluation(
        client_uuid=client_uuid, submission=submission, version_id=version.id, variant=variant, expert_id=expert_id,
        enterprise_id=enterprise_id, enterprise_name=enterprise_name,
        assignment_id=assignment.id if assignment else None, matter=clean.value("matter"),
        evaluator_name=clean.value("evaluator_name"), evaluator_id=by.id, unit_id=unit_id,
        evaluated_on=dt.date.fromisoformat(clean.value("evaluated_on")), submitted_at=submitted_at,
        is_paper=bool(entry.is_paper), is_service_quality=variant == SERVICE_QUALITY_VARIANT, total=clean.total,
    )
    scored = [ScoredItem(a.field, a.number, a.note) for a in clean.answers.values()
              if a.field.kind == "score" and a.number is not None]
    return CheckedEvaluation(by=by, submission=submission, evaluation=evaluation, scored=scored)


def store_evaluation(checked: CheckedEvaluation) -> tuple[Evaluation, bool]:
    """Write what :func:`check_evaluation` built; returns ``(evaluation, created)``.

    What another request may have changed since the check is checked again here, inside the
    writing transaction: the same ``client_uuid`` saved meanwhile (the UNIQUE column; its
    record is returned) and the job scored meanwhile under another uuid (refused).
    """
    if checked.existing is not None:
        return checked.existing, False
    evaluation, by = checked.evaluation, checked.by
    client_uuid = evaluation.client_uuid
    if evaluation.assignment_id is not None and db.session.scalar(
            select(Evaluation.id).where(Evaluation.assignment_id == evaluation.assignment_id)):
        again = find_by_uuid(client_uuid)
        if again is not None:
            return _same_sender(again, by), False
        raise ScoringError(["该任务的专家已评价过，不能重复评价"])
    twin = forms_submissions.insert_once(checked.submission, evaluation)
    if twin is not None:
        # A concurrent retry with the same uuid won the insert: return its record.
        again = find_by_uuid(client_uuid)
        if again is None:
            raise ScoringError(["提交编号与其他表单重复，请刷新页面后重新提交"])
        return _same_sender(again, by), False
    # 第二十一条: a very low item opens a draft violation for the office to investigate.
    discipline.open_draft_from_low_score(evaluation, new_scores=checked.scored)
    return evaluation, True


def _same_sender(existing: Evaluation, by: User) -> Evaluation:
    """A replayed uuid is answered only to the unit (or office) that owns the record."""
    if not sees_every_unit_evaluation(by.role) and existing.unit_id != by.org_unit_id:
        raise ScoringError(["提交编号与其他单位的评价表重复，请刷新页面后重新提交"])
    return existing


# --- printing (附件5, blank and filled) ---------------------------------------------------------


def render_evaluation_pdf(evaluation: Evaluation) -> bytes:
    """The filled 附件5 of ``evaluation`` as PDF bytes, on its own form version."""
    return documents.submission_pdf(evaluation.submission)


def render_blank_form_pdf(version: FormVersion) -> bytes:
    """A blank 附件5 of ``version`` as PDF bytes."""
    return documents.blank_pdf(version)


def evaluation_filename(evaluation: Evaluation) -> str:
    """``附件5评价表-王建国-2026-03-05.pdf``."""
    return f"附件5评价表-{evaluation.expert.name}-{evaluation.evaluated_on.isoformat()}.pdf"
