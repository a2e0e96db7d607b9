"""Counting what waits, for the menu badge on every admin page: every query in one statement."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from app.extensions import db


def count_of(query: Any):
    """``SELECT count(*)`` of the rows ``query`` selects."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def scalars_all(selects: Mapping[str, Any]) -> dict[str, Any]:
    """The one value each single-column ``select`` gives (None for no row), by key, in one
    statement: one round trip instead of one a question, for what every admin page asks."""
    row = db.session.execute(select(*(s.limit(1).scalar_subquery() for s in selects.values()))).one()
    return dict(zip(selects, row, strict=True))


def count_all(queries: Mapping[str, Any]) -> dict[str, int]:
    """The number of rows each query selects, by key, in one statement."""
    counted = scalars_all({key: count_of(q) for key, q in queries.items()})
    return {key: value or 0 for key, value in counted.items()}
