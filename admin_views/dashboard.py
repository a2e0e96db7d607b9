"""Admin home: experts per group and per status, pending work, terms ending, score charts,
and for the sysadmin the age of the last good backup."""

from flask import current_app, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from app import clock
from app.auth.rights import allowed, is_expert_self, watches_backups, works_for_a_unit
from app.services import backup_status, dashboard, integrity
from app.services.dispatch import withdrawal
from app.services.inbox import approvals, office
from app.services.lifecycle import terms
from app.services.scoring import score_stats


class DashboardView(AdminIndexView):
    """The dashboard every logged-in staff member lands on."""

    def is_accessible(self):
        return getattr(current_user, "is_authenticated", False)

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    def _standing_filter_arg(self) -> str | None:
        """The expert list's URL argument that filters by standing, if this user may open the list."""
        if not allowed(current_user.role, "expert", "list"):
            return None
        for view in self.admin._views:
            if getattr(view, "endpoint", None) == "expert" and getattr(view, "_filters", None):
                for index, flt in enumerate(view._filters):
                    if type(flt).__name__ == "StandingFilter":
                        return f"flt0_{index}"
        return None

    @expose("/")
    def index(self):
        if is_expert_self(current_user.role):
            return redirect("/m/")
        per_group = dashboard.experts_per_group()
        per_standing = dashboard.experts_per_standing()
        pending = [
            (label, n, ep)
            for label, n, ep in dashboard.pending_work()
            if allowed(current_user.role, ep, "list") and f"{ep}.index_view" in current_app.view_functions
        ]
        # What waits for this user (待我审批 / 待我处理): counts by kind, linked to the queue page.
        queue = None
        if allowed(current_user.role, "approvals", "list"):
            counts = approvals.counts()
            queue = {"label": "待我审批", "url": url_for("approvals.index"),
                     "rows": [(approvals.KINDS[k][0], n, url_for("approvals.index", _anchor=f"kind-{k}"))
                              for k, n in counts.items()]}
        elif allowed(current_user.role, "office_queue", "list"):
            queue = {"label": "待我处理", "url": url_for("office_queue.index"),
                     "rows": [(s.label, s.count, url_for("office_queue.index", _anchor=f"q-{s.key}"))
                              for s in office.queue(limit=0)]}
        if queue is not None:
            queue["total"] = sum(n for _, n, _ in queue["rows"])
            pending = []  # the queue says it all, per kind
        # From 1 November, the sysadmin who enters the holiday table is told when next year's is missing.
        calendar = office.holiday_calendar(1) if allowed(current_user.role, "holiday", "edit") else []
        if works_for_a_unit(current_user.role) and current_user.org_unit_id:
            # SPEC §3.16: experts released by a penalty, no backup left — the unit must draw again.
            redraw = len(withdrawal.requests_to_redraw(current_user.org_unit_id))
            if redraw:
                pending.insert(0, ("须重新抽取专家的使用申请", redraw, "usage_request"))
        return self.render(
            "admin/dashboard.html",
            queue=queue,
            calendar=calendar,
            per_group=per_group,
            group_max=max([n for _, n in per_group] + [1]),
            per_standing=per_standing,
            standing_filter=self._standing_filter_arg(),
            standing_max=max([n for *_, n in per_standing] + [1]),
            pending=pending,
            # 第六条: terms ending soon, for the office to renew or let end
            ending_30=terms.terms_ending(30) if allowed(current_user.role, "term", "list") else [],
            ending_90=terms.terms_ending(90) if allowed(current_user.role, "term", "list") else [],
            today=clock.today(),
            # records that contradict each other (flask check-integrity), for the office to sort out
            integrity_findings=integrity.findings() if allowed(current_user.role, "office_queue", "list") else None,
            # the age of the last good backup, with a warning after 26 hours (sysadmin)
            backup=backup_status.last_backup_status() if watches_backups(current_user.role) else None,
            # score charts (admin/dashboard_scores.html); a unit's own staff see its own coverage row
            scores=score_stats.dashboard_charts(
                unit_id=current_user.org_unit_id if works_for_a_unit(current_user.role) else None),
        )
