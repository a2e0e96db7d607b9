"""Calling or messaging a drawn expert from the request page (SPEC §3.15).

``POST /m/assignments/<aid>/contact/<call|sms>`` checks that the expert is on the user's
unit's job (:func:`app.services.dispatch.contact.contact_refusal`), writes the audit entry,
and answers ``303`` to the ``tel:`` or ``sms:`` address, which the phone opens in its dialler
or messaging app. The page itself only ever shows the masked number; the full one leaves
the server only here, after the log entry. A POST with the CSRF token, so no other site can
make a logged-in browser dial (or fill the log).
"""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from app.extensions import db
from app.mobile.access import unit_page
from app.mobile.blueprint import bp
from app.services.dispatch import contact
from app.services.errors import DomainError
from models import Assignment


@bp.route("/assignments/<int:assignment_id>/contact/<any(call, sms):kind>", methods=["POST"])
@unit_page("phone_contact", "create")
def contact_expert(assignment_id: int, kind: str):
    """Log the call or message, then hand the phone the ``tel:``/``sms:`` address."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.request.unit_id != current_user.org_unit_id:
        abort(404)
    try:
        url = contact.record_contact(current_user, assignment, kind)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("mobile.request_show", request_id=assignment.request_id) + f"#a{assignment.id}")
    response = redirect(url, code=303)
    response.headers["Cache-Control"] = "no-store"
    return response
