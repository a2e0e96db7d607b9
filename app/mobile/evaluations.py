"""我的评价: the expert's own evaluations on the phone (``GET /m/evaluations``).

Each evaluation's date, 考评事项, total and item scores — never who evaluated or the
enterprise's follow-up (app.services.scoring.own_evaluations decides what is shown).
"""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.mobile.blueprint import bp
from app.mobile.tasks import expert_required
from app.services.scoring.own_evaluations import evaluations_of


@bp.route("/evaluations")
@expert_required
def evaluations():
    """The logged-in expert's evaluations, newest first."""
    rows = evaluations_of(current_user.expert_id)
    response = render_template("mobile/evaluations.html", evaluations=rows)
    return response, 200, {"Cache-Control": "private, no-store"}
