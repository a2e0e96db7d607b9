"""Dispatch reports in the admin: the emergency paperwork still owed (紧急使用补办手续, SPEC §3.6)
and the fairness of the draw (抽取公平性).
"""
from __future__ import annotations

from flask import request
from flask_admin import expose

from admin_views.base import ReadOnlyView
from admin_views.dispatch.common import _unit_query, own_unit_id
from app import clock
from app.extensions import db
from app.services.dispatch import (
    fairness,
    paperwork,
)
from models.choices import (
    ACTIVITY_TYPES,
    EMERGENCY_REASONS,
)

# --------------------------------------------------------------------------------------
# paperwork and fairness pages
# --------------------------------------------------------------------------------------


class PaperworkView(ReadOnlyView):
    """紧急使用补办手续: overdue and pending paperwork, for the unit or for 基础科 across units.

    A report page over usage requests: only its list page is reachable (RIGHTS: list)."""

    @expose("/")
    def index_view(self):
        today = clock.today()
        unit_id = own_unit_id()
        chosen = unit_id if unit_id is not None else request.args.get("unit", type=int)
        overview = paperwork.paperwork_overview(chosen, today)
        db.session.commit()  # deadlines computed once the holiday table covers them
        return self.render("admin/dispatch/paperwork.html", overview=overview, today=today,
                           units=_unit_query() if unit_id is None else [], chosen=chosen,
                           emergency=EMERGENCY_REASONS, activity=ACTIVITY_TYPES)


class FairnessView(ReadOnlyView):
    """抽取公平性: per expert, how often drawn this year against the group's average
    (a report page over experts: only its list page is reachable)."""

    @expose("/")
    def index_view(self):
        today = clock.today()
        year = request.args.get("year", type=int) or today.year
        if not 2000 <= year <= today.year + 1:
            year = today.year
        return self.render("admin/dispatch/fairness.html", report=fairness.fairness_report(year), year=year,
                           years=list(range(today.year, today.year - 5, -1)), ratio=fairness.FLAG_RATIO)
