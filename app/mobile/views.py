"""The phone home page: the unit workspace for town and department staff, a short menu for
everyone else; scoring, task and workspace pages live in their own modules."""
from flask import render_template
from flask_login import current_user, login_required

from app.mobile.blueprint import bp
from app.mobile.workspace import has_workspace, workspace_page


@bp.route("/")
@login_required
def home():
    """What this user can do on the phone."""
    if has_workspace(current_user):
        return workspace_page()
    return render_template("mobile/home.html", user=current_user)
