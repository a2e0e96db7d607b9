"""The expert's own fee statement on the phone (SPEC §1: experts see their fees; §3.15: only his own).

``GET /m/statement`` — per pay month and per batch what was paid (gross, income tax
withheld, net), and the latest service records with what each earned and where its
payment stands. Only the expert role, only the logged-in expert's own rows.
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.rights import is_expert_self
from app.errors import render_error
from app.extensions import db
from app.mobile.blueprint import bp
from app.services.fees.quarters import month_label
from app.services.fees.statements import expert_statement
from models import Expert


@bp.route("/statement")
def statement():
    """我的专家费: payouts and service records of the logged-in expert."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not is_expert_self(current_user.role) or not current_user.expert_id:
        return render_error(403, "此页面仅供专家本人查看自己的专家费。")
    expert = db.session.get(Expert, current_user.expert_id)
    if expert is None:
        return render_error(404)
    data = expert_statement(expert)
    response = render_template("mobile/statement.html", expert=expert, statement=data, month_label=month_label)
    return response, 200, {"Cache-Control": "private, no-store"}
