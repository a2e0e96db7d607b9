"""List totals that cost the same at 100 rows and at 100,000.

Flask-Admin counts every row a list shows (``SELECT count(…) FROM …`` with the search and
the filters) to number its pages. That count is the only part of a list page that grows
with the table: ``count(DISTINCT expert.id)`` took 24 ms over 100,000 experts and a search
count 260 ms, while the page itself is read through an index (bench/expert_list_bench.py).
A view with :class:`BoundedCountMixin` counts at most ``count_cap`` rows: below the cap the
total and the numbered pages are exact; above it the list says so and pages with 上一页 /
下一页 (Flask-Admin's simple pager), like a search engine does.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Query

from app.extensions import db


class CappedCountQuery(Query):
    """A query of primary keys whose ``scalar()`` is the number of distinct keys, up to ``cap + 1``.

    Flask-Admin adds the search and filter conditions and joins to it like to any count
    query; distinct keys keep a join to a many-to-many (groups) from counting a row twice.
    """

    cap: int = 1000

    def scalar(self):
        limited = self.distinct().limit(self.cap + 1).subquery()
        return self.session.execute(select(func.count()).select_from(limited)).scalar()


class BoundedCountMixin:
    """Count at most ``count_cap`` rows of the list (see the module doc); for a SecuredModelView."""

    count_cap = 1000

    def get_count_query(self):
        pk = self.model.__mapper__.primary_key[0]
        query = CappedCountQuery([pk], session=db.session())
        query.cap = self.count_cap
        return self.scope_query(query.select_from(self.model))

    def get_list(self, *args, **kwargs):
        count, data = super().get_list(*args, **kwargs)
        if count is not None and count > self.count_cap:
            count = None  # more than the cap: Flask-Admin shows its simple pager
        return count, data
