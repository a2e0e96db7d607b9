"""Saving and reading submissions of any form (SPEC §3.19).

:func:`save_submission` is how a filled form becomes a record: who may fill it, what it is
about (its form's purpose: a job, an expert, an enterprise, a notice, or nothing), the one
check of :func:`~app.services.forms.validation.validate_submission`, the photos and signatures
stored (a sanitized PNG with who signed and when), and idempotency by the phone's
``client_uuid`` — a re-sent offline queue or a double tap gives the record already saved, also
when two requests race. A submission is never edited afterwards: its signature cannot change.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.auth.rights import sees_every_unit_form
from app.clock import utcnow
from app.extensions import db
from app.services import uploads
from app.services.errors import DomainError
from app.services.forms.definitions import may_fill
from app.services.forms.published import version_for  # noqa: F401  (callers read it here)
from app.services.forms.validation import CleanSubmission, Filled, FormInvalid, validate_submission
from app.services.limits import limit_of, too_long_message
from models import (
    Assignment,
    Enterprise,
    Expert,
    FormAnswer,
    FormDefinition,
    FormSubmission,
    Notice,
    OrgUnit,
    User,
)

UUID_RE = re.compile(r"^[0-9A-Za-z-]{8,64}$")
# A signature drawn offline carries the moment it was drawn; older than this it is not believed.
SIGNED_AT_WINDOW = dt.timedelta(days=30)


@dataclass
class Subject:
    """What a submission is about, by id as it arrives (the form's purpose decides which counts)."""

    assignment_id: Any = None
    expert_id: Any = None
    enterprise_id: Any = None
    notice_id: Any = None


@dataclass
class ResolvedSubject:
    assignment: Assignment | None = None
    expert: Expert | None = None
    enterprise: Enterprise | None = None
    notice: Notice | None = None


def _id(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None


def find_by_uuid(client_uuid: str | None) -> FormSubmission | None:
    """The submission already saved under ``client_uuid``, if any."""
    if not client_uuid:
        return None
    return db.session.scalar(select(FormSubmission).where(FormSubmission.client_uuid == client_uuid))


def resolve_subject(form: FormDefinition, subject: Subject | None,
                    by: User | None) -> tuple[ResolvedSubject, list[str]]:
    """The records a submission of ``form`` is about, checked against its purpose."""
    subject = subject or Subject()
    out = ResolvedSubject()
    problems: list[str] = []
    purpose = form.purpose
    if purpose == "assignment":
        out.assignment = db.session.get(Assignment, _id(subject.assignment_id) or 0)
        office = getattr(by, "role", None) in ("office", "sysadmin")
        foreign = not office and out.assignment is not None and \
            out.assignment.request.unit_id != getattr(by, "org_unit_id", None)
        if out.assignment is None or foreign:
            problems.append("请选择本单位的专家任务")
            out.assignment = None
        else:
            out.expert = out.assignment.expert
    elif purpose == "expert":
        out.expert = db.session.get(Expert, _id(subject.expert_id) or 0)
        if out.expert is None:
            problems.append("请选择专家")
    elif purpose == "enterprise":
        out.enterprise = db.session.get(Enterprise, _id(subject.enterprise_id) or 0)
        if out.enterprise is None:
            problems.append("请选择服务单位（企业）")
    elif purpose == "notice":
        out.notice = db.session.get(Notice, _id(subject.notice_id) or 0)
        if out.notice is None:
            problems.append("未找到对应的告知书")
        else:
            out.enterprise = out.notice.enterprise
    return out, problems


def _signed_at(raw: Any, now: dt.datetime) -> dt.datetime:
    """When a signature was drawn: the phone's moment (ms since 1970) if believable, else now."""
    try:
        moment = dt.datetime.fromtimestamp(int(str(raw)) / 1000, dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    return moment if now - SIGNED_AT_WINDOW <= moment <= now else now


def build_submission(clean: CleanSubmission, *, by: User | None, unit: OrgUnit | None, subject: ResolvedSubject,
                     client_uuid: str | None = None, submitted_at: dt.datetime | None = None, is_paper: bool = False,
                     signer: str | None = None, signed_at: dict[str, Any] | None = None,
                     unit_id: int | None = None) -> FormSubmission:
    """The record of a validated submission, its photos and signatures stored (not yet added).

    Its answers are written by :func:`insert_once`, in one statement after the submission
    (they are kept on the record until then, see :data:`_ROWS`). ``unit_id`` stands for
    ``unit`` when the caller knows only the id.
    """
    now = utcnow()
    version = clean.version
    submission = FormSubmission(
        client_uuid=client_uuid, form_id=version.form_id, version_id=version.id,
        assignment_id=subject.assignment.id if subject.assignment else None,
        expert_id=subject.expert.id if subject.expert else None,
        enterprise_id=subject.enterprise.id if subject.enterprise else None,
        notice_id=subject.notice.id if subject.notice else None,
        unit_id=unit.id if unit else unit_id, submitted_by_id=by.id if by is not None and by.is_authenticated else None,
        submitted_at=submitted_at or now, is_paper=is_paper, total=clean.total, choices=dict(clean.choices),
    )
    who = (signer or (getattr(by, "full_name", "") or getattr(by, "username", "") if by else "") or "").strip()[:50]
    rows = []
    for answer in clean.answers.values():
        row = {"field_id": answer.field.id, "text": answer.text, "number": answer.number, "note": answer.note,
               "file_path": None, "signed_by": None, "signed_at": None}
        if answer.data is not None:
            row["file_path"] = uploads.store_form_file(answer.field.kind, answer.data)
            if answer.field.kind == "signature":
                row["signed_by"] = who or None
                row["signed_at"] = _signed_at((signed_at or {}).get(answer.field.key), now)
        rows.append((answer.field, row))
    setattr(submission, _ROWS, rows)
    return submission


#: The answers of a submission built but not yet inserted: (field, column values) pairs, kept
#: on the record (a plain attribute, not a column) from :func:`build_submission` to
#: :func:`insert_once`. Twenty answers inserted as one statement cost a tenth of twenty ORM
#: objects flushed one by one (bench/scoring_profile.py).
_ROWS = "_answer_rows"
_ANSWER_LIMITS = {c.name: limit_of(c) for c in FormAnswer.__table__.c if limit_of(c)[1] is not None}


def _answer_audit(rows) -> dict:
    """The answers as the audit entry of their submission names them: label (key) → [None, value]."""
    out = {}
    for f, row in rows:
        name = f"{(f.label or '')[:30]}（{f.key}）"
        value = row["number"] if row["number"] is not None else row["text"]
        if row["file_path"]:
            value = row["file_path"] + (f"（{row['signed_by'] or ''}签名）" if row["signed_at"] else "")
        out[name] = [None, value]
        if row["note"]:
            out[f"{name}{f.note_label or '备注'}"] = [None, row["note"]]
    return out


def _check_lengths(rows) -> None:
    """The length guard of app.services.limits, which does not see bulk INSERTs."""
    for _f, row in rows:
        for column, (label, limit) in _ANSWER_LIMITS.items():
            value = row.get(column)
            if isinstance(value, str) and len(value) > limit:
                raise DomainError(too_long_message(label, limit, len(value)))


def insert_once(submission: FormSubmission, *extra) -> FormSubmission | None:
    """Insert ``submission`` with its answers (and ``extra`` rows) in a savepoint. A concurrent
    twin with the same ``client_uuid`` that won the insert is returned instead (None when this
    one was inserted).

    The answers go in as one INSERT (executemany) after the submission, and the audit entry of
    the submission names each of them (``EXTRA_CHANGES`` of :mod:`app.services.audit.hook`).
    """
    rows = getattr(submission, _ROWS, None) or []
    _check_lengths(rows)
    try:
        with db.session.begin_nested():
            db.session.add(submission)
            for row in extra:
                db.session.add(row)
            if rows:
                # Named in the submission's audit entry (app.services.audit.hook.EXTRA_CHANGES).
                submission.audit_extra_changes = _answer_audit(rows)
            db.session.flush()
            if rows:
                # render_nulls: every row with the same columns, so one executemany for all of them
                db.session.execute(insert(FormAnswer).execution_options(render_nulls=True),
                                   [{**row, "submission_id": submission.id} for _f, row in rows])
    except IntegrityError:
        again = find_by_uuid(submission.client_uuid)
        if again is None:
            raise
        return again
    if rows:
        delattr(submission, _ROWS)
        db.session.expire(submission, ["answers"])  # read from the database when asked for
    return None


def save_submission(form: FormDefinition, filled: Filled, *, by: User | None, version_id: Any = None,
                    subject: Subject | None = None, client_uuid: str | None = None, paper: bool = False,
                    signer: str | None = None, signed_at: dict[str, Any] | None = None,
                    today: dt.date | None = None) -> tuple[FormSubmission, bool]:
    """Validate and save one filled form; returns ``(submission, created)``.

    Refused (nothing written) with :class:`FormInvalid` listing every problem when ``by`` may
    not fill the form, the subject does not fit its purpose, or the answers do not pass
    :func:`validate_submission`. A ``client_uuid`` already saved returns that record.
    """
    client_uuid = (client_uuid or "").strip() or None
    if client_uuid and not UUID_RE.match(client_uuid):
        raise FormInvalid(["提交编号格式不正确，请刷新页面后重新提交"])
    existing = find_by_uuid(client_uuid)
    if existing is not None:
        return _same_sender(existing, by), False
    if not may_fill(form, by):
        raise FormInvalid(["当前账号不能填写此表单" if form.retired_at is None else "该表单已停用，不再接受填报"])
    version = version_for(form, version_id)
    resolved, problems = resolve_subject(form, subject, by)
    errors: dict[str, str] = {}
    clean = None
    try:
        clean = validate_submission(version, filled, paper=paper, today=today or clock.today())
    except FormInvalid as err:
        problems.extend(err.problems)
        errors = err.field_errors
    if problems:
        raise FormInvalid(problems, errors)
    unit = by.org_unit if by is not None and getattr(by, "is_authenticated", False) else None
    submission = build_submission(clean, by=by, unit=unit, subject=resolved, client_uuid=client_uuid,
                                  is_paper=paper, signer=signer, signed_at=signed_at)
    twin = insert_once(submission)
    if twin is not None:
        return _same_sender(twin, by), False
    return submission, True


def _same_sender(existing: FormSubmission, by: User | None) -> FormSubmission:
    """A replayed uuid is answered only to its own unit (the office sees every unit's)."""
    role = getattr(by, "role", None)
    if not sees_every_unit_form(role) and existing.unit_id != getattr(by, "org_unit_id", None):
        raise FormInvalid(["提交编号与其他单位的表单重复，请刷新页面后重新提交"])
    return existing


# --- reading --------------------------------------------------------------------------------------


@event.listens_for(FormAnswer, "before_update")
def _answers_never_change(mapper, connection, answer: FormAnswer) -> None:
    """A submitted answer — a signature above all — is never changed afterwards (SPEC §3.19)."""
    raise FormInvalid(["已提交的表单不能修改，签名也不能更改"])


def answers_by_key(submission: FormSubmission) -> dict[str, FormAnswer]:
    """A submission's answers by field key."""
    return {a.field.key: a for a in submission.answers}


def display_value(answer: FormAnswer | None) -> str:
    """An answer as a person reads it (multiple choice joined with 、; pictures are not text)."""
    if answer is None:
        return ""
    kind = answer.field.kind
    if kind in ("integer", "score"):
        return "" if answer.number is None else str(answer.number)
    if kind == "multi":
        try:
            return "、".join(json.loads(answer.text or "[]"))
        except ValueError:
            return answer.text or ""
    if kind == "photo":
        return "（照片）" if answer.file_path else ""
    if kind == "signature":
        return f"（{answer.signed_by or ''}手写签名）" if answer.file_path else ""
    if kind == "date" and answer.text:
        day = dt.date.fromisoformat(answer.text)
        return f"{day.year}年{day.month}月{day.day}日"
    return answer.text or ""


def subject_of(submission: FormSubmission) -> list[tuple[str, str]]:
    """What a submission is about, as (label, value) lines for pages and print."""
    lines = []
    if submission.assignment is not None:
        req = submission.assignment.request
        lines.append(("任务", f"{req.request_no} {req.subject}"))
    if submission.expert is not None:
        lines.append(("专家姓名", submission.expert.name))
    if submission.notice is not None:
        lines.append(("告知书编号", submission.notice.notice_no))
    if submission.enterprise is not None:
        lines.append(("服务单位", submission.enterprise.name))
    return lines
