"""Text length limits, enforced for every write (bad input changes nothing; SPEC "non-negotiables").

Every free-text column says how much it takes: a ``String(n)`` its length, a ``Text`` column
``info={"label": …, "max_length": …}`` (``models.base.limited``) — 主要工作业绩 4000 characters,
an opinion 2000, a note 1000… Forms check the same numbers first (the admin's scaffolded forms
in ``admin_views/base.py``, the public forms by their own validators); this module is the
service side: before anything is written, every new or changed text value is measured, and a
value over its limit stops the whole write with a :class:`DomainError` naming the field and the
limit (SQLite would otherwise store 105,000 characters, and PostgreSQL end a too-long
``varchar`` in an error page).
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import String, Text, event, inspect
from sqlalchemy.orm import Session

from app.services.errors import DomainError


def limit_of(column) -> tuple[str | None, int | None]:
    """(Chinese label or None, most characters) of a column; (None, None) for no limit."""
    info = getattr(column, "info", {}) or {}
    length = info.get("max_length") or getattr(column.type, "plain_length", None)  # encrypted: the plain text
    if length is None and isinstance(column.type, String) and not isinstance(column.type, Text):
        length = getattr(column.type, "length", None)
    return info.get("label"), length


def too_long_message(label: str | None, limit: int, actual: int) -> str:
    """``主要工作业绩不能超过4000个字（现为105000个字），请删减后再保存。``"""
    what = label or "填写的内容"
    return f"{what}不能超过{limit}个字（现为{actual}个字），请删减后再保存。"


def check_lengths(obj) -> None:
    """Raise :class:`DomainError` if a text attribute of ``obj`` about to be written is too long."""
    state = inspect(obj)
    mapper = state.mapper
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if not isinstance(getattr(column, "type", None), String) and not hasattr(column.type, "plain_length"):
            continue
        label, limit = limit_of(column)
        if limit is None:
            continue
        if not state.pending and not state.attrs[attr.key].history.has_changes():
            continue
        value = getattr(obj, attr.key)
        if isinstance(value, str) and len(value) > limit:
            raise DomainError(too_long_message(label, limit, len(value)))


def _before_flush(session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        check_lengths(obj)


def init_app(app: Flask) -> None:
    """Install the guard once per process (the session class is shared by every app)."""
    if getattr(Session, "_expertpool_lengths", False):
        return
    Session._expertpool_lengths = True
    event.listen(Session, "before_flush", _before_flush)
