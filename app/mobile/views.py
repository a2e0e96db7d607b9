"""The phone home page; scoring and task pages live in their own modules."""
from flask import render_template
from flask_login import current_user, login_required

from app.mobile.blueprint import bp


@bp.route("/")
@login_required
def home():
    """What this user can do on the phone."""
    return render_template("mobile/home.html", user=current_user)
