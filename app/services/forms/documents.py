"""Any form on paper and in a spreadsheet (SPEC §3.19, §4): a submission printed like its paper
form, a blank version to fill by hand, and the XLSX of a version's submissions.

The print layout is the one of 附件5, for any definition: the first section, when it holds
only short answers, is the header ("企业名称：…　专家姓名：…"), with the submission's subject
(the expert, the enterprise…) after its first line; score sections become the scored table
(序号, 项目, 内容, 评分 and the note column such as 发现问题), an alternative printed with its
group ("根据考评对象二选一（50分）") — on a filled form only the alternative chosen, on a blank
one every alternative; the total follows the last score; every other answer is a full-width
row; photos and signatures print as pictures, a signature with who signed and when (Beijing
time); the 填表说明 close the page. Services build plain values, ``printables`` renders them.

The spreadsheet has one row per submission and one column per field of the version (a note
column beside each score that has one), typed cells for numbers and dates, and every text cell
that a spreadsheet would read as a formula (``= + - @``, TAB, CR first) written as text.
"""
from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.services.forms.definitions import choice_groups, has_scores, numbering, section_max
from app.services.forms.submissions import answers_by_key, display_value, subject_of
from app.services.uploads import read_upload
from models import FormAnswer, FormField, FormSection, FormSubmission, FormVersion
from models.choices import FORM_PURPOSES

SHORT_KINDS = ("text", "integer", "date", "time", "choice", "yesno", "signature")


def _is_header(section: FormSection) -> bool:
    return (not section.choice_group and bool(section.fields)
            and all(f.kind in SHORT_KINDS for f in section.fields) and len(section.fields) <= 8)


def _subject_lines(version: FormVersion, submission: FormSubmission | None) -> list[tuple[str, str]]:
    if submission is not None:
        return subject_of(submission)
    # A blank form leaves the subject's line to fill by hand.
    return {"expert": [("专家姓名", "")], "enterprise": [("服务单位", "")], "assignment": [("专家姓名", "")],
            "notice": [("告知书编号", "")]}.get(version.form.purpose, [])


def _value_cell(field: FormField, answer: FormAnswer | None, blank: bool) -> dict[str, Any]:
    cell: dict[str, Any] = {"label": field.label, "kind": field.kind, "value": "", "image": None, "signer": None,
                            "options": field.options or [], "picked": []}
    if answer is None:
        return cell
    if field.kind in ("photo", "signature"):
        cell["image"] = read_upload(answer.file_path)
        if field.kind == "signature" and answer.signed_at:
            cell["signer"] = f"{answer.signed_by or ''} {clock.format_time(answer.signed_at)}".strip()
    elif field.kind == "multi":
        cell["picked"] = json.loads(answer.text or "[]")
        cell["value"] = display_value(answer)
    elif field.kind == "date" and answer.text:
        cell["value"] = dt.date.fromisoformat(answer.text)
    else:
        cell["value"] = display_value(answer)
    return cell


def print_context(version: FormVersion, submission: FormSubmission | None = None) -> dict[str, Any]:
    """The context of ``printables/templates/form_document.html`` for a submission, or for a blank
    ``version`` when ``submission`` is None."""
    blank = submission is None
    answers = answers_by_key(submission) if submission else {}
    chosen = dict(submission.choices or {}) if submission else {}
    numbers = numbering(version)
    sections = list(version.sections)
    header: list[dict[str, Any]] = []
    subject = [{"label": label, "kind": "text", "value": value, "image": None, "signer": None}
               for label, value in _subject_lines(version, submission)]
    if sections and _is_header(sections[0]):
        first = sections.pop(0)
        cells = [_value_cell(f, answers.get(f.key), blank) for f in first.fields]
        header = cells[:1] + subject + cells[1:]
    else:
        header = subject
    scored = has_scores(version)
    note_label = next((f.note_label for f in version.fields if f.kind == "score" and f.note_label), None)
    group_points = {g: max(section_max(s) for s in ss) for g, ss in choice_groups(version)}
    group_sizes = {g: len(ss) for g, ss in choice_groups(version)}
    # A filled form prints the alternative chosen, a blank one every alternative.
    sections = [s for s in sections if blank or not s.choice_group or chosen.get(s.choice_group) == s.key]
    last_scored = max((i for i, s in enumerate(sections) if any(f.kind == "score" for f in s.fields)), default=-1)
    first_scored = min((i for i, s in enumerate(sections) if any(f.kind == "score" for f in s.fields)),
                       default=len(sections))
    # What comes before the first score is a plain table of answers; from there on the scored table.
    values_rows: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for i, section in enumerate(sections):
        target = values_rows if i < first_scored else rows
        score_fields = [f for f in section.fields if f.kind == "score"]
        if scored and score_fields:
            span = len(section.fields)
            for j, f in enumerate(section.fields):
                row: dict[str, Any] = {"type": "score" if f.kind == "score" else "inline", "first": j == 0,
                                       "span": span, "no": numbers.get(f.id, ""), "field": _value_cell(
                                           f, answers.get(f.key), blank), "max": f.max_value, "note": ""}
                if f.kind == "score":
                    answer = answers.get(f.key)
                    row["score"] = "" if answer is None or answer.number is None else answer.number
                    row["note"] = answer.note if answer is not None and answer.note else ""
                if section.choice_group:
                    n = group_sizes[section.choice_group]
                    row["group"] = {"label": f"根据{section.choice_group}{'二选一' if n == 2 else f'{n}选1'}",
                                    "points": group_points[section.choice_group], "section": section.title}
                else:
                    row["group"] = None
                    row["section"] = {"label": section.title, "points": section.points or section_max(section)}
                target.append(row)
        else:
            single = len(section.fields) == 1 and section.fields[0].label == section.title
            if not single:
                target.append({"type": "heading", "title": section.title})
            for f in section.fields:
                target.append({"type": "value", "field": _value_cell(f, answers.get(f.key), blank)})
        if scored and i == last_scored:
            rows.append({"type": "total", "label": version.total_label or "总分", "max": version.total_max,
                         "value": "" if blank or submission.total is None else submission.total})
    footer = []
    if submission is not None:
        footer.append(f"提交时间：{clock.format_time(submission.submitted_at)}")
        if submission.unit is not None:
            footer.append(f"填报单位：{submission.unit.name}")
        if submission.is_paper:
            footer.append("纸质表补录")
        footer.append(f"表单版本：第{version.number}版")
    return {
        "title": version.title, "intro": version.intro, "header": header, "values_rows": values_rows, "rows": rows,
        "scored": scored,
        "note_label": note_label or "备注", "has_notes": note_label is not None, "has_groups": bool(group_sizes),
        "blank": blank,
        "instructions": [line.strip() for line in (version.instructions or "").splitlines() if line.strip()],
        "footer": "　".join(footer),
    }


def submission_pdf(submission: FormSubmission) -> bytes:
    """A submission printed like its paper form, on its own version."""
    from printables import render_pdf

    return render_pdf("form_document.html", print_context(submission.version, submission))


def blank_pdf(version: FormVersion) -> bytes:
    """A blank form of ``version`` to fill by hand."""
    from printables import render_pdf

    return render_pdf("form_document.html", print_context(version))


def submission_filename(submission: FormSubmission) -> str:
    day = clock.local_date(submission.submitted_at)
    return f"{submission.version.title}-{submission.id}-{day.isoformat()}.pdf"


# --- the spreadsheet ----------------------------------------------------------------------------


def _typed(field: FormField, answer: FormAnswer | None) -> Any:
    if answer is None:
        return None
    if field.kind in ("integer", "score"):
        return answer.number
    if field.kind == "date" and answer.text:
        return dt.date.fromisoformat(answer.text)
    return (display_value(answer))


def export_rows(version: FormVersion, submissions: list[FormSubmission]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a version's submissions: fixed columns, then one per field."""
    fields = version.fields
    headers = ["编号", "提交时间", "填报单位", "关联对象", "纸质表补录"]
    groups = [g for g, _ in choice_groups(version)]
    headers += [f"{g}（所选部分）" for g in groups]
    titles = {s.key: s.title for s in version.sections}
    for f in fields:
        headers.append(f.label)
        if f.kind == "score" and f.note_label:
            headers.append(f"{f.label}（{f.note_label}）")
        if f.kind == "signature":
            headers.append(f"{f.label}（签字人、时间）")
    if has_scores(version):
        headers.append(version.total_label or "总分")
    rows = []
    for sub in submissions:
        answers = answers_by_key(sub)
        about = "；".join(f"{label}：{value}" for label, value in subject_of(sub))
        row: list[Any] = [sub.id, clock.local(sub.submitted_at).replace(tzinfo=None, microsecond=0),
                          (sub.unit.name if sub.unit else ""), (about), "是" if sub.is_paper else "否"]
        row += [(titles.get((sub.choices or {}).get(g), "")) for g in groups]
        for f in fields:
            answer = answers.get(f.key)
            row.append(_typed(f, answer))
            if f.kind == "score" and f.note_label:
                row.append((answer.note) if answer is not None and answer.note else None)
            if f.kind == "signature":
                row.append((f"{answer.signed_by or ''} {clock.format_time(answer.signed_at)}".strip())
                           if answer is not None and answer.file_path else None)
        if has_scores(version):
            row.append(sub.total)
        rows.append(row)
    return headers, rows


def version_submissions(version: FormVersion, unit_id: int | None = None) -> list[FormSubmission]:
    """A version's submissions, oldest first (``unit_id`` limits them to one unit)."""
    query = (select(FormSubmission).where(FormSubmission.version_id == version.id)
             .options(selectinload(FormSubmission.answers).selectinload(FormAnswer.field),
                      selectinload(FormSubmission.unit))
             .order_by(FormSubmission.submitted_at, FormSubmission.id))
    if unit_id is not None:
        query = query.where(FormSubmission.unit_id == unit_id)
    return list(db.session.scalars(query))


def version_xlsx(version: FormVersion, unit_id: int | None = None) -> bytes:
    """The XLSX of a version's submissions (see :func:`export_rows`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    headers, rows = export_rows(version, version_submissions(version, unit_id))
    wb = Workbook()
    ws = wb.active
    ws.title = f"第{version.number}版"
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for column in ws.columns:
        for cell in column[1:]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str):
                # A text that starts with = + - @ TAB or CR stays text: never a formula.
                cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_filename(version: FormVersion) -> str:
    return f"{version.title}-第{version.number}版-填报记录.xlsx"


def purpose_label(version: FormVersion) -> str:
    return FORM_PURPOSES.get(version.form.purpose, "")
