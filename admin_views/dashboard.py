"""Admin home: experts per group and per status, pending work, terms ending, score charts,
and for the sysadmin the age of the last good backup."""

from flask import current_app, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from app import clock
from app.auth.rights import allowed, watches_backups
from app.services import backup_status, dashboard
from app.services.dispatch import withdrawal
from app.services.lifecycle import terms
from app.services.scoring import score_stats


class DashboardView(AdminIndexView):
    """The dashboard every logged-in staff member lands on."""

    def is_accessible(self):
        return getattr(current_user, "is_authenticated", False)

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @expose("/")
    def index(self):
        if current_user.role == "expert":
            return redirect("/m/")
        per_group = dashboard.experts_per_group()
        per_stage = dashboard.experts_per_stage()
        pending = [
            (label, n, ep)
            for label, n, ep in dashboard.pending_work()
            if allowed(current_user.role, ep, "list") and f"{ep}.index_view" in current_app.view_functions
        ]
        if current_user.role in ("department", "town") and current_user.org_unit_id:
            # SPEC §3.16: experts released by a penalty, no backup left — the unit must draw again.
            redraw = len(withdrawal.requests_to_redraw(current_user.org_unit_id))
            if redraw:
                pending.insert(0, ("须重新抽取专家的使用申请", redraw, "usage_request"))
        return self.render(
            "admin/dashboard.html",
            per_group=per_group,
            group_max=max([n for _, n in per_group] + [1]),
            per_stage=per_stage,
            stage_max=max([n for _, n in per_stage] + [1]),
            pending=pending,
            # 第六条: terms ending soon, for the office to renew or let end
            ending_30=terms.terms_ending(30) if allowed(current_user.role, "term", "list") else [],
            ending_90=terms.terms_ending(90) if allowed(current_user.role, "term", "list") else [],
            today=clock.today(),
            # the age of the last good backup, with a warning after 26 hours (sysadmin)
            backup=backup_status.last_backup_status() if watches_backups(current_user.role) else None,
            # score charts (admin/dashboard_scores.html); a unit's own staff see its own coverage row
            scores=score_stats.dashboard_charts(
                unit_id=current_user.org_unit_id if current_user.role in ("department", "town") else None),
        )
