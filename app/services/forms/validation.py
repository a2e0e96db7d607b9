"""The one check of a filled form against its version (SPEC §3.19).

:func:`validate_submission` is the only place where a submission's rules live — types,
required answers, lengths, ranges, score maxima, alternatives and totals. Every screen that
takes a filled form (the phone pages, the public receipt page, paper entry, the load
benchmark's posts) goes through it; the phone's own checks are for comfort only.

Everything wrong is reported at once: ``problems`` (one sentence each, in the order of the
form, as the top of a page lists them) and ``field_errors`` (field key → what to do, shown
beside the field). Scores are named by their printed 序号 as on paper ("第8项“迟到、早退情况”
的评分9分超过该项满分5分"). The total is computed here from the validated scores; a total
sent by a client is never used.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app import clock
from app.services.errors import DomainError
from app.services.forms.definitions import choice_groups, numbering
from app.services.images import sanitize_photo, sanitize_signature
from models import FormField, FormSection, FormVersion

NOTE_LENGTH = 500
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")
YES = {"1", "yes", "true", "是", "on"}
NO = {"0", "no", "false", "否", "off"}


class FormInvalid(DomainError):
    """A refused submission: ``problems`` (sentences) and ``field_errors`` (field key → message)."""

    def __init__(self, problems: list[str], field_errors: dict[str, str] | None = None,
                 headline: str = "表单未能提交："):
        self.problems = list(problems)
        self.field_errors = dict(field_errors or {})
        super().__init__(headline + "；".join(self.problems) + "。")


@dataclass
class Filled:
    """A form as it arrives: raw values by field key (strings; a list for multiple choice),
    notes beside scores, the bytes of photos and signatures, and the chosen alternative of each
    group (group label → section key)."""

    values: Mapping[str, Any] = field(default_factory=dict)
    notes: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)
    choices: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class CleanAnswer:
    """One validated answer, in the columns of :class:`~models.FormAnswer` (``data``: a clean
    JPEG photo or PNG signature, not yet stored)."""

    field: FormField
    text: str | None = None
    number: int | None = None
    note: str | None = None
    data: bytes | None = None


@dataclass
class CleanSubmission:
    """A submission that passed: its answers by field key, the chosen alternatives, the totals."""

    version: FormVersion
    answers: dict[str, CleanAnswer]
    choices: dict[str, str]
    total: int | None
    section_totals: dict[str, int]

    def value(self, key: str) -> Any:
        """The answer's value: a number for numbers and scores, else the text."""
        answer = self.answers.get(key)
        if answer is None:
            return None
        return answer.number if answer.field.kind in ("integer", "score") else answer.text


def _blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, (list, tuple)):
        return all(_blank(r) for r in raw)
    return isinstance(raw, str) and raw.strip() == ""


def _whole(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", raw):
        return int(raw)
    return None


def _short(text: str, n: int = 14) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _scalar(raw: Any) -> Any:
    if isinstance(raw, (list, tuple)):
        return raw[0] if raw else None
    return raw


def active_sections(version: FormVersion, choices: Mapping[str, str]) -> list[FormSection]:
    """The sections a submission fills: every section outside a group, and the chosen one of each."""
    return [s for s in version.sections if not s.choice_group or choices.get(s.choice_group) == s.key]


def validate_submission(version: FormVersion, filled: Filled, *, paper: bool = False,
                        today: dt.date | None = None) -> CleanSubmission:
    """Check ``filled`` against ``version`` and return it cleaned, or raise :class:`FormInvalid`.

    ``paper`` is a paper form entered afterwards: its signatures are on the paper, so signature
    fields are not required. Photos and signatures are sniffed and re-encoded here (a clean
    JPEG, a clean PNG); nothing is stored.
    """
    today = today or clock.today()
    problems: list[str] = []
    errors: dict[str, str] = {}
    numbers = numbering(version)
    fields = {f.key: f for f in version.fields}

    def fail(f: FormField | None, sentence: str, beside: str) -> None:
        problems.append(sentence)
        if f is not None and f.key not in errors:
            errors[f.key] = beside

    # Alternatives: exactly one section of each group.
    choices: dict[str, str] = {}
    for group, sections in choice_groups(version):
        raw = _scalar(filled.choices.get(group))
        keys = [s.key for s in sections]
        if _blank(raw) or str(raw).strip() not in keys:
            if len(sections) == 2 and all(len(k) == 1 for k in keys):
                options = " / ".join(f"{s.key}：{s.title}" for s in sections)
            else:
                options = " / ".join(s.title for s in sections)
            problems.append(f"请选择{group}（{options}，{_n_of(len(sections))}）")
            errors[f"choice:{group}"] = f"请选择{group}"
        else:
            choices[group] = str(raw).strip()

    foreign = [str(k) for k in list(filled.values) + list(filled.notes) + list(filled.files) if k not in fields]
    if foreign:
        problems.append(f"提交的内容不属于第{version.number}版《{version.title}》（{'、'.join(foreign[:5])}）")

    active = active_sections(version, choices)
    active_keys = {f.key for s in active for f in s.fields}
    for group, sections in choice_groups(version):
        chosen = choices.get(group)
        if chosen is None:
            continue
        for other in sections:
            if other.key == chosen:
                continue
            crossed = [f for f in other.fields if not _blank(filled.values.get(f.key)) or f.key in filled.files]
            if crossed:
                chosen_title = next(s.title for s in sections if s.key == chosen)
                named = ("第" + "、".join(str(numbers[f.id]) for f in crossed if f.id in numbers) + "项"
                         if all(f.kind == "score" for f in crossed) else "、".join(f.label for f in crossed))
                what = "评分" if all(f.kind == "score" for f in crossed) else "内容"
                problems.append(f"{group}{_n_of(len(sections))}：已选“{chosen_title}”，"
                                f"不能同时填写“{other.title}”的{what}（{named}）")

    answers: dict[str, CleanAnswer] = {}
    missing_scores: list[int] = []
    section_totals: dict[str, int] = {}
    for section in active:
        section_total = 0
        for f in section.fields:
            raw = filled.values.get(f.key)
            answer = CleanAnswer(field=f)
            if f.kind == "score":
                no = numbers.get(f.id)
                value = _whole(_scalar(raw))
                if _blank(raw):
                    if f.required:
                        missing_scores.append(no)
                        errors.setdefault(f.key, f"请评分（0至{f.max_value}分的整数）")
                elif value is None:
                    fail(f, f"第{no}项“{_short(f.label)}”的评分须为整数，“{str(_scalar(raw)).strip()[:10]}”不是整数",
                         f"须为0至{f.max_value}之间的整数，未计入合计")
                elif value < 0:
                    fail(f, f"第{no}项“{_short(f.label)}”的评分不能为负数", "不能为负数，未计入合计")
                elif value > (f.max_value or 0):
                    fail(f, f"第{no}项“{_short(f.label)}”的评分{value}分超过该项满分{f.max_value}分",
                         f"{value}分超过该项满分{f.max_value}分，未计入合计")
                else:
                    answer.number = value
                    section_total += value
                note = filled.notes.get(f.key)
                if isinstance(note, str) and note.strip():
                    if not f.note_label:
                        fail(f, f"第{no}项没有备注栏", "没有备注栏")
                    elif len(note.strip()) > NOTE_LENGTH:
                        fail(f, f"每项“{f.note_label}”不能超过{NOTE_LENGTH}字",
                             f"{f.note_label}不能超过{NOTE_LENGTH}字")
                    else:
                        answer.note = note.strip()
            else:
                _check_value(f, raw, filled.files.get(f.key), answer, fail, paper=paper, today=today)
            if answer.text is not None or answer.number is not None or answer.data is not None or answer.note:
                answers[f.key] = answer
        section_totals[section.key] = section_total
    if missing_scores:
        numbers_text = "、".join(str(n) for n in missing_scores)
        problems.insert(sum(1 for k in errors if k.startswith("choice:")),
                        f"第{numbers_text}项未评分（每项须填写0至满分之间的整数）")
    stray = [f for k, f in fields.items() if k not in active_keys and not _blank(filled.notes.get(k))
             and f.kind == "score" and f.section.choice_group and f.section.choice_group in choices]
    if stray:
        problems.append(f"第{'、'.join(str(numbers[f.id]) for f in stray)}项不属于所选{stray[0].section.choice_group}，"
                        f"不能填写{stray[0].note_label or '备注'}")
    if problems:
        raise FormInvalid(problems, errors)
    scored = any(f.kind == "score" for f in version.fields)
    total = sum(section_totals.values()) if scored else None
    return CleanSubmission(version=version, answers=answers, choices=choices, total=total,
                           section_totals=section_totals)


def _n_of(n: int) -> str:
    return "二选一" if n == 2 else f"{n}选1"


def _check_value(f: FormField, raw: Any, data: bytes | None, answer: CleanAnswer, fail, *, paper: bool,
                 today: dt.date) -> None:
    """Check one answer that is not a score and fill ``answer``."""
    label = f.label
    if f.kind in ("photo", "signature"):
        if not data:
            if f.required and not (paper and f.kind == "signature"):
                if f.kind == "photo":
                    fail(f, f"请拍摄或上传{label}", "请拍摄或上传照片")
                else:
                    fail(f, f"请在“{label}”处签名", "请签名")
            return
        try:
            answer.data = sanitize_photo(data) if f.kind == "photo" else sanitize_signature(data)
        except DomainError as err:
            fail(f, f"{label}：{err}", str(err))
        return
    if f.kind == "multi":
        picked = [str(v).strip() for v in (raw if isinstance(raw, (list, tuple)) else [raw]) if not _blank(v)]
        if not picked:
            if f.required:
                fail(f, f"请选择{label}（可多选）", "请至少选择一项")
            return
        bad = [p for p in picked if p not in (f.options or [])]
        if bad:
            fail(f, f"{label}的选项“{_short(bad[0], 10)}”不在可选范围内", "请从列出的选项中选择")
            return
        answer.text = json.dumps([o for o in f.options if o in picked], ensure_ascii=False)
        return
    raw = _scalar(raw)
    if _blank(raw):
        if f.required:
            if f.kind in ("choice", "yesno"):
                fail(f, f"请选择{label}", "请选择")
            else:
                fail(f, f"请填写{label}", "请填写")
        return
    text = str(raw).strip()
    if f.kind in ("text", "textarea"):
        if f.kind == "text":
            text = " ".join(text.split())
        limit = f.max_length or 200
        if len(text) > limit:
            fail(f, f"{label}不能超过{limit}字", f"不能超过{limit}字（现为{len(text)}字）")
        else:
            answer.text = text
    elif f.kind == "integer":
        value = _whole(text)
        if value is None:
            fail(f, f"{label}须为整数，“{text[:10]}”不是整数", "须为整数")
        elif f.min_value is not None and value < f.min_value:
            fail(f, f"{label}不能小于{f.min_value}", f"不能小于{f.min_value}")
        elif f.max_value is not None and value > f.max_value:
            fail(f, f"{label}不能大于{f.max_value}", f"不能大于{f.max_value}")
        else:
            answer.number = value
    elif f.kind == "choice":
        if text not in (f.options or []):
            fail(f, f"{label}的选项“{_short(text, 10)}”不在可选范围内", "请从列出的选项中选择")
        else:
            answer.text = text
    elif f.kind == "yesno":
        lowered = text.lower()
        if lowered in YES:
            answer.number, answer.text = 1, "是"
        elif lowered in NO:
            answer.number, answer.text = 0, "否"
        else:
            fail(f, f"{label}请选择“是”或“否”", "请选择“是”或“否”")
    elif f.kind == "date":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            fail(f, f"{label}格式不正确（应为年-月-日）", "日期格式不正确")
            return
        if f.no_future and day > today:
            fail(f, f"{label}不能晚于今天", "不能晚于今天")
        elif not 2000 <= day.year <= 2100:
            fail(f, f"{label}不正确", "日期不正确")
        else:
            answer.text = day.isoformat()
    elif f.kind == "time":
        match = TIME_RE.match(text)
        if not match:
            fail(f, f"{label}格式不正确（应为时:分，如 09:30）", "时间格式不正确")
        else:
            answer.text = f"{match.group(1)}:{match.group(2)}"
