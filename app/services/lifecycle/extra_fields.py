"""Registry fields the office adds to the expert's record without a migration (issue 17 §2).

The fields are a form-engine section: the built-in form ``registry`` (purpose ``expert``),
whose current published version lists the fields in force. Each change the office makes
(add, retire, reinstate, delete) publishes a new version, so what was in force when is kept
like any form's history. Values live in :class:`~models.ExpertFieldValue`, one per expert and
field key, checked by the engine's one validation (:func:`validate_submission`).

Rules, all here:

- types the office may choose: :data:`KINDS` (those an Excel cell and a list filter carry);
- a field marked public appears on the self-recommendation page ``/apply``;
- a field marked personal data is masked like ID numbers for roles that see those masked,
  and its values are stored encrypted (SM4-GCM, ``ExpertFieldValue.sealed``) like them;
- a field is retired (hidden everywhere, values kept, can be reinstated) at any time, but
  deleted only while no expert has a value for it.

Functions flush; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app import clock
from app.auth.rights import sees_unmasked
from app.extensions import db
from app.services.errors import DomainError
from app.services.forms import published
from app.services.forms.definitions import DefinitionError, add_version, spec_of
from app.services.forms.editing import clean_field
from app.services.forms.validation import Filled, FormInvalid, validate_submission
from app.services.identity import mask
from models import Expert, ExpertFieldValue, FormDefinition, FormField, FormVersion, User

CODE = "registry"
SECTION_KEY = "extra"
KINDS = {"text": "单行文字", "textarea": "多行文字", "integer": "整数", "date": "日期", "choice": "单选",
         "yesno": "是/否"}
TITLE = "专家登记扩展字段"


def registry_form() -> FormDefinition | None:
    """The form holding the registry fields (None until the office adds the first)."""
    return db.session.scalar(select(FormDefinition).where(FormDefinition.code == CODE))


def registry_version() -> FormVersion | None:
    """The version in force (a kept read-only copy: asked on every expert page, one statement)."""
    return published.current_for_code(CODE)


def active_fields(*, public_only: bool = False) -> list[FormField]:
    """The fields in force, in order (only those shown on /apply with ``public_only``)."""
    version = registry_version()
    fields = version.fields if version is not None else []
    return [f for f in fields if f.public_field or not public_only]


def value_counts() -> dict[str, int]:
    """How many experts have a value, per field key."""
    return dict(db.session.execute(select(ExpertFieldValue.field_key, func.count())
                                   .group_by(ExpertFieldValue.field_key)).all())


@dataclass
class RetiredField:
    """A field no longer in force whose values are kept."""

    field: FormField
    count: int


def retired_fields() -> list[RetiredField]:
    """Fields of earlier versions, not in force, that still have values (latest definition of each)."""
    form = registry_form()
    if form is None:
        return []
    active = {f.key for f in active_fields()}
    counts = value_counts()
    latest: dict[str, FormField] = {}
    for version in form.versions:
        if version.state != "published":
            continue
        for f in version.fields:
            latest[f.key] = f
    return [RetiredField(f, counts[k]) for k, f in latest.items() if k not in active and counts.get(k)]


def _publish(specs: list[dict[str, Any]], note: str, by: User | None) -> FormVersion:
    form = registry_form()
    if form is None:
        form = FormDefinition(code=CODE, title=TITLE, purpose="expert", fill_roles=[], fill_unit_ids=[], public=False)
        db.session.add(form)
        db.session.flush()
    spec = {"title": TITLE, "intro": None, "instructions": None, "total_max": None, "total_label": "总分",
            "sections": [{"key": SECTION_KEY, "title": "扩展信息", "fields": specs}]}
    return add_version(form, spec, state="published", note=note, by=by)


def _current_specs() -> list[dict[str, Any]]:
    version = registry_version()
    if version is None:
        return []
    return [f for s in spec_of(version)["sections"] for f in s["fields"]]


def _next_key(taken: set[str]) -> str:
    n = 1
    while f"x{n}" in taken:
        n += 1
    return f"x{n}"


def _all_keys() -> set[str]:
    form = registry_form()
    keys = {f.key for v in (form.versions if form else []) for f in v.fields}
    return keys | set(value_counts())


def add_field(raw: dict[str, Any], *, by: User | None = None) -> FormField:
    """Add a field (label, kind, required, max_length, options, help, public_field, personal).

    Checked by the engine's :func:`clean_field`; a label already in force is refused.
    """
    kind = raw.get("kind")
    if kind not in KINDS:
        raise DefinitionError(["请选择字段类型（单行文字、多行文字、整数、日期、单选或是/否）"])
    values = clean_field(raw, "")
    specs = _current_specs()
    if any(s["label"] == values["label"] for s in specs):
        raise DefinitionError([f"已有名为“{values['label']}”的字段"])
    if any(r.field.label == values["label"] for r in retired_fields()):
        raise DefinitionError([f"“{values['label']}”是已停用的字段，请在停用字段中重新启用"])
    key = _next_key(_all_keys())
    specs.append({**values, "key": key, "public_field": bool(raw.get("public_field")),
                  "personal": bool(raw.get("personal"))})
    version = _publish(specs, f"新增字段：{values['label']}", by)
    return next(f for f in version.fields if f.key == key)


def _without(key: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    specs = _current_specs()
    found = next((s for s in specs if s["key"] == key), None)
    if found is None:
        raise DomainError("该字段不在使用中。")
    return [s for s in specs if s["key"] != key], found


def retire_field(key: str, *, by: User | None = None) -> None:
    """Hide a field everywhere; its values are kept and it can be reinstated."""
    specs, found = _without(key)
    _publish(specs, f"停用字段：{found['label']}", by)


def reinstate_field(key: str, *, by: User | None = None) -> None:
    """Bring a retired field back, with its values."""
    retired = next((r for r in retired_fields() if r.field.key == key), None)
    if retired is None:
        raise DomainError("该字段不是已停用的字段。")
    spec = next(f for s in spec_of(retired.field.section.version)["sections"] for f in s["fields"] if f["key"] == key)
    _publish(_current_specs() + [spec], f"重新启用字段：{spec['label']}", by)


def delete_field(key: str, *, by: User | None = None) -> None:
    """Delete a field no expert has a value for; one with values can only be retired."""
    count = value_counts().get(key, 0)
    specs, found = _without(key)
    if count:
        raise DomainError(f"“{found['label']}”已有{count}位专家填写了内容，不能删除，只能停用（停用后内容仍保留）。")
    _publish(specs, f"删除字段：{found['label']}", by)


# --- values ----------------------------------------------------------------------------------------


def values_of(expert: Expert | int | None) -> dict[str, str]:
    """An expert's stored values by field key (retired fields' values included)."""
    expert_id = expert if isinstance(expert, int) or expert is None else expert.id
    if expert_id is None:
        return {}
    return {row.field_key: row.text for row in db.session.scalars(
        select(ExpertFieldValue).where(ExpertFieldValue.expert_id == expert_id))}


def clean_values(raw: dict[str, Any], *, fields: list[FormField] | None = None) -> dict[str, str | None]:
    """The values as they will be stored (text; None to clear), checked by the engine.

    Raises :class:`FormInvalid` listing every problem, its ``field_errors`` by field key.
    ``fields`` limits the check to some fields (e.g. the public ones on /apply).
    """
    version = registry_version()
    if version is None:
        return {}
    fields = active_fields() if fields is None else fields
    keys = {f.key for f in fields}
    wanted = {k: v for k, v in raw.items() if k in keys}
    # Fields not asked here count as answered so that the engine checks only these.
    filler = {f.key: "0" if f.kind in ("integer", "yesno") else (f.options or ["-"])[0] if f.kind == "choice"
              else "2000-01-01" if f.kind == "date" else "-" for f in version.fields if f.key not in keys}
    clean = validate_submission(version, Filled(values={**filler, **wanted}), today=clock.today())
    out: dict[str, str | None] = {}
    for f in fields:
        answer = clean.answers.get(f.key)
        if answer is None or (answer.text is None and answer.number is None):
            out[f.key] = None
        elif f.kind == "yesno":
            out[f.key] = str(answer.number)
        elif f.kind == "integer":
            out[f.key] = str(answer.number)
        else:
            out[f.key] = answer.text
    return out


def save_values(expert: Expert, raw: dict[str, Any], *, fields: list[FormField] | None = None) -> None:
    """Check and store an expert's values of ``fields`` (default: every field in force).
    An empty value removes the stored one; retired fields' values are left alone."""
    cleaned = clean_values(raw, fields=fields)
    if expert.id is None:
        db.session.flush()
    store_values(expert.id, cleaned)


def personal_keys() -> set[str]:
    """Keys of the fields in force that hold personal data (their values are stored encrypted)."""
    return {f.key for f in active_fields() if f.personal}


def _put(row: ExpertFieldValue, value: str, personal: bool) -> None:
    """``value`` into the column its field's kind of data asks for (personal data sealed)."""
    value_column, sealed = ("", value) if personal else (value, None)
    if row.value != value_column:
        row.value = value_column
    if row.sealed != sealed:
        row.sealed = sealed


def store_values(expert_id: int, cleaned: dict[str, str | None]) -> None:
    """Write values already cleaned by :func:`clean_values`."""
    existing = {v.field_key: v for v in db.session.scalars(
        select(ExpertFieldValue).where(ExpertFieldValue.expert_id == expert_id))}
    personal = personal_keys()
    for key, value in cleaned.items():
        row = existing.get(key)
        if value is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = ExpertFieldValue(expert_id=expert_id, field_key=key)
            db.session.add(row)
        _put(row, value, key in personal)
    db.session.flush()


def display(field: FormField, value: str | None, *, role: str | None = None, masked: bool | None = None) -> str:
    """A value as a person reads it; personal data masked unless ``role`` sees it whole."""
    if value in (None, ""):
        return ""
    if field.kind == "yesno":
        text = "是" if value == "1" else "否"
    elif field.kind == "date":
        try:
            day = dt.date.fromisoformat(value)
            text = f"{day.year}年{day.month}月{day.day}日"
        except ValueError:
            text = value
    else:
        text = value
    hide = (not sees_unmasked(role)) if masked is None else masked
    return mask("id", text) if field.personal and hide else text


def rows_for(expert: Expert | int | None, *, role: str | None) -> list[tuple[str, str]]:
    """(label, value as ``role`` may see it) of the fields in force, for pages and print."""
    values = values_of(expert)
    return [(f.label, display(f, values.get(f.key), role=role)) for f in active_fields()]



# --- spreadsheets (roster template, import, export) --------------------------------------------


def sheet_columns() -> list[tuple[str, FormField]]:
    """(column header, field) of the fields in force, after the roster's own columns."""
    return [(f.label, f) for f in active_fields()]


def sheet_hint(field: FormField) -> str:
    """The template's hint line for a field."""
    length = f"{field.max_length}字以内" if field.max_length else ""
    hint = {"date": "如 2027-05-01", "integer": "整数", "yesno": "是/否",
            "choice": "/".join(field.options or [])}.get(field.kind, length)
    return ("必填；" if field.required else "") + hint


def parse_cell(field: FormField, raw: Any) -> str | None:
    """A spreadsheet cell as the value stored; raises :class:`DomainError` with the reason in Chinese."""
    if isinstance(raw, dt.datetime):
        raw = raw.date().isoformat()
    elif isinstance(raw, dt.date):
        raw = raw.isoformat()
    elif isinstance(raw, float) and raw.is_integer():
        raw = str(int(raw))
    text = "" if raw is None else str(raw).strip()
    if field.kind == "yesno":
        text = {"是": "1", "否": "0"}.get(text, text)
    if field.kind == "date" and text:
        text = text.replace("/", "-").replace(".", "-")
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            text = "-".join([parts[0], parts[1].zfill(2), parts[2].zfill(2)])
    try:
        return clean_values({field.key: text}, fields=[field])[field.key]
    except FormInvalid as err:
        message = err.field_errors.get(field.key) or "；".join(err.problems)
        if field.kind == "date":
            message = "日期格式应为 2027-05-01" if text else message
        raise DomainError(message) from None
