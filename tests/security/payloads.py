"""Attack strings and a generic builder of database rows full of them.

The builder knows nothing about any one model: it reads the SQLAlchemy mapper, fills
every text column with markup (unique per row and column), every other column with a
plain valid value, and links foreign keys to rows it finds or builds. So the security
tests cover admin views that other areas add later without being edited.
"""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric, String, Text, Time, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from app import clock
from app.extensions import db

# A script tag for long text columns, a harmless tag for short ones: either, unescaped,
# would be markup in the page. The digits make each value unique and traceable.
XSS = '<script>alert("x{n}")</script>'
SHORT = "<s>x{n}</s>"
ATTR = '"><img src=x onerror=alert({n})>'

SQLI = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "\" OR \"\"=\"",
    "'; DROP TABLE expert; --",
    "1' UNION SELECT username, password_hash FROM \"user\" --",
    "%' AND 1=0 UNION SELECT NULL --",
    "\\'; SELECT pg_sleep(5); --",
    "') OR ('a'='a",
    "%",
    "_",
    "\x00",
]

_seq = itertools.count(1)


def text_for(column, n: int) -> str | None:
    """Markup that fits ``column`` (None if the column is too short for any)."""
    length = getattr(column.type, "length", None)
    for template in (XSS, SHORT):
        value = template.format(n=n)
        if length is None or len(value) <= length:
            return value
    return None


def raw_markers(html: str) -> list[str]:
    """Unescaped attack markup found in ``html`` (must be empty)."""
    found = []
    for needle in ('<script>alert("x', "<s>x", "<img src=x onerror"):
        if needle in html:
            found.append(needle)
    return found


def escaped_marker_seen(html: str) -> bool:
    """True if the page shows at least one attack string as text (escaped)."""
    return any(
        needle in html
        for needle in ("&lt;script&gt;alert(", "&lt;s&gt;x", "&#34;&gt;&lt;img src=x onerror", "&quot;&gt;&lt;img")
    )


def _plain_value(column, n: int):
    t = column.type
    if isinstance(t, (String, Text)):
        return text_for(column, n) or str(n)[: getattr(t, "length", None) or 10]
    if isinstance(t, Boolean):
        return False
    if isinstance(t, Integer):
        return n if column.unique else 1
    if isinstance(t, (Numeric, Float)):
        return Decimal("1.00")
    if isinstance(t, DateTime):
        return dt.datetime.now(dt.UTC)
    if isinstance(t, Date):
        return clock.today()
    if isinstance(t, Time):
        return dt.time(9, 0)
    if isinstance(t, JSON):
        return {}
    return None


def _model_for_table(table):
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


class RowBuilder:
    """Builds one row per model with markup in every text column.

    ``pool`` maps a model class to a row to link to (experts, enterprises… made by the
    tests' factories, whose ID numbers and dates are valid); models without a pool row
    are built recursively.
    """

    def __init__(self, pool: dict | None = None):
        self.pool = dict(pool or {})
        self.failures: dict[str, str] = {}

    def row_for(self, model, depth: int = 0):
        if model in self.pool:
            return self.pool[model]
        row = self.build(model, depth)
        if row is None:
            # Fall back to a row that exists already (reference data such as the 附件5 form).
            row = db.session.scalars(select(model).limit(1)).first()
        if row is not None:
            self.pool[model] = row
        return row

    def build(self, model, depth: int = 0):
        """A new flushed row of ``model`` or None (the reason is kept in ``failures``)."""
        if depth > 4:
            return None
        mapper = inspect(model)
        values = {}
        for column in mapper.columns:
            if column.table is not mapper.local_table and not mapper.inherits:
                continue
            if column.primary_key and column.autoincrement in (True, "auto") and isinstance(column.type, Integer):
                continue
            if column.foreign_keys:
                fk = next(iter(column.foreign_keys))
                target = _model_for_table(fk.column.table)
                if target is None or target is model:
                    continue
                parent = self.row_for(target, depth + 1)
                if parent is None:
                    if not column.nullable:
                        self.failures[model.__name__] = f"no {target.__name__} to link"
                        return None
                    continue
                values[column.key] = getattr(parent, fk.column.key)
                continue
            if column.key in ("created_at", "updated_at"):
                continue
            if mapper.version_id_col is not None and column is mapper.version_id_col:
                continue
            n = next(_seq)
            if column.primary_key and isinstance(column.type, Date):
                values[column.key] = dt.date(2099, 1, 1) + dt.timedelta(days=n)
                continue
            values[column.key] = _plain_value(column, n)
        attr_names = {c.key: c for c in mapper.column_attrs}
        kwargs = {}
        for key, value in values.items():
            prop = next((a.key for a in attr_names.values() if any(col.key == key for col in a.columns)), key)
            kwargs[prop] = value
        savepoint = db.session.begin_nested()
        try:
            row = model(**kwargs)
            db.session.add(row)
            db.session.flush()
        except (SQLAlchemyError, TypeError, ValueError, Exception) as exc:  # noqa: BLE001 - reported
            savepoint.rollback()
            self.failures[model.__name__] = f"{type(exc).__name__}: {str(exc)[:200]}"
            return None
        savepoint.commit()
        return row


def first_id(model):
    pk = inspect(model).primary_key[0]
    return db.session.scalar(select(pk).order_by(pk.desc()).limit(1))
