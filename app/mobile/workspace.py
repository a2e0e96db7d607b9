"""The phone workspace of a 镇街 or 局科室/大队 (SPEC §1): ``/m/`` and the switch to the desktop.

- ``/m/`` (for those staff; others keep the short phone menu of :mod:`app.mobile.views`) —
  the unit's field day from :func:`app.services.workspace.field_day`: experts to score,
  jobs in progress, 告知书 and 回执, emergency paperwork, this period's report and coverage;
- ``GET /m/switch/phone`` · ``/m/switch/desktop`` — remember on this browser which of the
  two the user wants to land on after logging in (:mod:`app.auth.device`) and go there.
"""
from __future__ import annotations

from flask import redirect, render_template, request
from flask_login import current_user, login_required

from app import clock
from app.auth import device
from app.auth.rights import allowed
from app.extensions import db
from app.mobile.blueprint import bp
from app.services.scoring.submissions import STATUS_LABELS
from app.services.workspace import field_day
from models.choices import EMERGENCY_REASONS


def has_workspace(user) -> bool:
    """Whether ``/m/`` shows ``user`` the unit workspace."""
    return allowed(user.role, "phone_request", "list") and user.org_unit_id is not None


def workspace_page():
    """The unit's day (``/m/`` for town and department staff)."""
    today = clock.today()
    day = field_day(current_user.org_unit, today)
    db.session.commit()  # an emergency's paperwork deadline may have been filled in
    html = render_template("mobile/ws/workspace.html", day=day, user=current_user, status_labels=STATUS_LABELS,
                           emergency=EMERGENCY_REASONS)
    return html, 200, {"Cache-Control": "private, no-store"}


@bp.route("/switch/<any(phone, desktop):choice>")
@login_required
def switch(choice):
    """Remember the chosen workspace on this browser and open it."""
    response = redirect("/m/" if choice == "phone" else "/admin/")
    response.set_cookie(device.PREFERENCE_COOKIE, choice, max_age=device.ONE_YEAR, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response
