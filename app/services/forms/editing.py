"""Editing a form's draft version in the builder: sections and fields added, changed, moved and
removed, each field's settings cleaned with a Chinese message. The draft is published through
:mod:`app.services.forms.definitions`.
"""
from __future__ import annotations

from typing import Any

from app.extensions import db
from app.services.forms.definitions import (
    HELP_LENGTH,
    SYSTEM_FIELDS,
    SYSTEM_SECTIONS,
    TEXT_DEFAULT,
    TEXTAREA_DEFAULT,
    TITLE_LENGTH,
    DefinitionError,
    _require_draft,
    _where,
    _whole,
    field_problems,
)
from models import FormField, FormSection, FormVersion
from models.choices import FIELD_KINDS

# --- sections -----------------------------------------------------------------------------------


def _next_key(version: FormVersion, prefix: str) -> str:
    used = {s.key for s in version.sections} | {f.key for f in version.fields}
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


def _clean_section(title: str, help: str | None, points: Any, choice_group: str | None) -> dict[str, Any]:
    problems = []
    title = " ".join((title or "").split())
    if not title:
        problems.append("请填写部分名称")
    elif len(title) > TITLE_LENGTH:
        problems.append(f"部分名称不能超过{TITLE_LENGTH}字")
    value = None
    if points not in (None, ""):
        value = _whole(points)
        if value is None or value <= 0:
            problems.append(f"“{title}”的分值须为正整数（不限定请留空）")
    group = " ".join((choice_group or "").split()) or None
    if group and len(group) > 40:
        problems.append("选择组名称不能超过40字")
    if help and len(help) > HELP_LENGTH:
        problems.append(f"部分说明不能超过{HELP_LENGTH}字")
    if problems:
        raise DefinitionError(problems)
    return {"title": title, "help": (help or "").strip() or None, "points": value, "choice_group": group}


def add_section(version: FormVersion, *, title: str, help: str | None = None, points: Any = None,
                choice_group: str | None = None) -> FormSection:
    """A new section at the end of a draft."""
    _require_draft(version)
    values = _clean_section(title, help, points, choice_group)
    section = FormSection(position=len(version.sections) + 1, key=_next_key(version, "s"), **values)
    version.sections.append(section)
    db.session.flush()
    return section


def update_section(section: FormSection, *, title: str, help: str | None = None, points: Any = None,
                   choice_group: str | None = None) -> FormSection:
    """A section's name, help, stated points and alternative group."""
    _require_draft(section.version)
    for key, value in _clean_section(title, help, points, choice_group).items():
        setattr(section, key, value)
    db.session.flush()
    return section


def _renumber(rows) -> None:
    for i, row in enumerate(rows, start=1):
        row.position = i


def move_section(section: FormSection, delta: int) -> None:
    """Move a section up (-1) or down (+1)."""
    version = section.version
    _require_draft(version)
    rows = list(version.sections)
    i = rows.index(section)
    j = max(0, min(len(rows) - 1, i + delta))
    rows.insert(j, rows.pop(i))
    _renumber(rows)
    version.sections[:] = rows
    db.session.flush()


def remove_section(section: FormSection) -> None:
    """Remove a section and its fields (the software's own sections and fields stay)."""
    version = section.version
    _require_draft(version)
    code = version.form.code
    if code and (section.key in SYSTEM_SECTIONS.get(code, ()) or
                 any(f.key in SYSTEM_FIELDS.get(code, {}) for f in section.fields)):
        raise DefinitionError([f"“{section.title}”含有系统必需的内容，不能删除"])
    version.sections.remove(section)
    _renumber(version.sections)
    db.session.flush()


# --- fields -------------------------------------------------------------------------------------


def clean_field(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """A field's attributes from the builder's form (strings), checked for its type."""
    kind = raw.get("kind")
    options = raw.get("options")
    if isinstance(options, str):
        options = [" ".join(line.split()) for line in options.splitlines()]
    options = [o for o in (options or []) if o]
    values: dict[str, Any] = {
        "label": " ".join((raw.get("label") or "").split()),
        "kind": kind,
        "help": (raw.get("help") or "").strip() or None,
        "required": bool(raw.get("required")),
        "max_length": None, "min_value": None, "max_value": None, "options": None,
        "note_label": None, "no_future": False,
    }
    problems = []
    numbers = {}
    for name, what in (("max_length", "最多字数"), ("min_value", "最小值"), ("max_value", "满分或最大值")):
        text = raw.get(name)
        if text in (None, ""):
            continue
        number = _whole(text)
        if number is None:
            problems.append(f"{where}{what}须为整数，“{str(text).strip()[:10]}”不是整数")
        numbers[name] = number
    if kind in ("text", "textarea"):
        default = TEXT_DEFAULT if kind == "text" else TEXTAREA_DEFAULT
        values["max_length"] = numbers.get("max_length") or default
    elif kind == "integer":
        values["min_value"], values["max_value"] = numbers.get("min_value"), numbers.get("max_value")
    elif kind == "score":
        values["max_value"] = numbers.get("max_value")
        values["note_label"] = " ".join((raw.get("note_label") or "").split()) or None
    elif kind in ("choice", "multi"):
        values["options"] = options
    elif kind == "date":
        values["no_future"] = bool(raw.get("no_future"))
    if not problems:
        problems = field_problems(values, where)
    if problems:
        raise DefinitionError(problems)
    return values


def add_field(section: FormSection, raw: dict[str, Any]) -> FormField:
    """A new field at the end of a section of a draft."""
    version = section.version
    _require_draft(version)
    values = clean_field(raw, _where(section, (raw.get("label") or "").strip() or None))
    field = FormField(position=len(section.fields) + 1, key=_next_key(version, "f"), **values)
    section.fields.append(field)
    db.session.flush()
    return field


def update_field(field: FormField, raw: dict[str, Any], *, section: FormSection | None = None) -> FormField:
    """Change a field of a draft, and optionally move it to the end of another section."""
    version = field.section.version
    _require_draft(version)
    values = clean_field(raw, _where(field.section, (raw.get("label") or "").strip() or None))
    code = version.form.code
    system_kind = SYSTEM_FIELDS.get(code or "", {}).get(field.key)
    if system_kind and values["kind"] != system_kind:
        raise DefinitionError([f"“{field.label}”是系统必需的题目，类型不能改为{FIELD_KINDS.get(values['kind'], '')}"])
    for key, value in values.items():
        setattr(field, key, value)
    if section is not None and section is not field.section:
        if section.version is not version:
            raise DefinitionError(["只能移到本表的其他部分"])
        old = field.section
        old.fields.remove(field)
        _renumber(old.fields)
        field.position = len(section.fields) + 1
        section.fields.append(field)
    db.session.flush()
    return field


def move_field(field: FormField, delta: int) -> None:
    """Move a field up (-1) or down (+1) within its section."""
    section = field.section
    _require_draft(section.version)
    rows = list(section.fields)
    i = rows.index(field)
    j = max(0, min(len(rows) - 1, i + delta))
    rows.insert(j, rows.pop(i))
    _renumber(rows)
    section.fields[:] = rows
    db.session.flush()


def remove_field(field: FormField) -> None:
    """Remove a field from a draft (not one the software reads on its own forms)."""
    section = field.section
    _require_draft(section.version)
    code = section.version.form.code
    if field.key in SYSTEM_FIELDS.get(code or "", {}):
        raise DefinitionError([f"“{field.label}”是系统必需的题目，不能删除（可以修改文字）"])
    section.fields.remove(field)
    _renumber(section.fields)
    db.session.flush()
