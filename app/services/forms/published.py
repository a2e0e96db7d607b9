"""Published form versions, kept per process (SPEC §3.19; issue 14, scoring at 150 a second).

A published version never changes (:mod:`app.services.forms.definitions`): a revision is a new
version. So once a worker has loaded a published version with its sections and fields, it keeps
a copy of them, detached from any session, and every later request that fills the form reads
that copy — no SQL and no ORM loading of ~35 rows (3 statements and ~2.5 ms of CPU a
submission; bench/scoring_profile.py). The copy is read, never added to a session: records
refer to it by id (``version_id``, ``field_id``).

Which version a request gets is still read from the database each time, in one small statement
(the form's published versions with their moment of publication), so a version published by
another worker, a retired or deleted form, or a row id reused after a deletion is seen at once:
a copy is kept under its id *and* its moment of publication.
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import make_transient_to_detached, selectinload

from app.extensions import db
from app.services.errors import DomainError
from models import FormDefinition, FormSection, FormVersion

_KEPT: dict[tuple, FormVersion] = {}
_LOCK = threading.Lock()
#: Enough for every form of a district; beyond it the oldest copies are dropped.
MOST_KEPT = 200


def _id(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None


def _kept(key: tuple) -> FormVersion:
    """The process's detached copy of the published version ``key`` = (id, published_at)."""
    copy = _KEPT.get(key)
    if copy is None or not _intact(copy):
        copy = _detached_copy(_load(key[0]))
        with _LOCK:
            if len(_KEPT) >= MOST_KEPT:
                _KEPT.pop(next(iter(_KEPT)))
            _KEPT[key] = copy
    return copy


def _load(version_id: int) -> FormVersion:
    return db.session.get(FormVersion, version_id,
                          options=[selectinload(FormVersion.sections).selectinload(FormSection.fields)])


def _objects(version: FormVersion) -> list:
    return [version, *version.sections, *(f for s in version.sections for f in s.fields)]


def _detached_copy(version: FormVersion) -> FormVersion:
    """A detached copy of ``version``, its sections and fields (their columns, and the links
    between them both ways: validation and the low-score rule read ``field.section``)."""
    def columns(obj):
        return {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs}

    copy = FormVersion(**columns(version))
    for section in version.sections:
        s = FormSection(**columns(section))
        s.fields = [type(f)(**columns(f)) for f in section.fields]
        copy.sections.append(s)
    # As if loaded and then detached: nothing pending, every attribute read is at hand.
    for obj in _objects(copy):
        make_transient_to_detached(obj)
    return copy


def _intact(copy: FormVersion) -> bool:
    """Still detached with everything loaded: a copy someone attached to a session (by
    assigning it to a relation) was expired by that session's commit, and is loaded afresh.
    Read through each object's own ``__dict__``: an expired relation must not be loaded."""
    def whole(obj, children: str | None) -> list | None:
        state = inspect(obj)
        if not state.detached or state.expired_attributes:
            return None
        return state.dict.get(children) if children else []

    sections = whole(copy, "sections")
    if sections is None:
        return False
    for section in sections:
        fields = whole(section, "fields")
        if fields is None or any(whole(f, None) is None for f in fields):
            return False
    return True


def clear() -> None:
    """Forget every kept version (tests that rewrite published rows directly)."""
    with _LOCK:
        _KEPT.clear()


def _pick(rows, raw_version_id: Any) -> tuple | None:
    """(id, published_at) of the version a page was rendered with if it is one of ``rows``
    (id, number, published_at) of published versions, else of the highest-numbered one."""
    wanted = _id(raw_version_id)
    row = next((r for r in rows if r[0] == wanted), None) or max(rows, key=lambda r: r[1], default=None)
    return (row[0], row[2]) if row is not None else None


def version_for(form: FormDefinition, raw_version_id: Any) -> FormVersion:
    """The version a page was rendered with (a page kept offline since before a revision still
    sends its older version), else the current one; never a draft or another form's version."""
    rows = db.session.execute(select(FormVersion.id, FormVersion.number, FormVersion.published_at)
                              .where(FormVersion.form_id == form.id, FormVersion.state == "published")).all()
    return _version(_pick(rows, raw_version_id))


def version_for_code(code: str, raw_version_id: Any) -> FormVersion:
    """:func:`version_for` of the form with ``code`` (``annex5``), in one statement."""
    rows = db.session.execute(select(FormVersion.id, FormVersion.number, FormVersion.published_at)
                              .join(FormDefinition, FormDefinition.id == FormVersion.form_id)
                              .where(FormDefinition.code == code, FormVersion.state == "published")).all()
    return _version(_pick(rows, raw_version_id))


def current_for_code(code: str) -> FormVersion | None:
    """The current published version of the form with ``code``, or None while it has none
    (the office's registry fields before the first is added), in one statement."""
    rows = db.session.execute(select(FormVersion.id, FormVersion.number, FormVersion.published_at)
                              .join(FormDefinition, FormDefinition.id == FormVersion.form_id)
                              .where(FormDefinition.code == code, FormVersion.state == "published")).all()
    key = _pick(rows, None)
    return _kept(key) if key is not None else None


def _version(key: tuple | None) -> FormVersion:
    if key is None:
        raise DomainError("该表单还没有发布的版本。")
    return _kept(key)
