"""Forms the office opened to the public (SPEC §3.19): ``GET/POST /f/<token>``, the target of the
form's link or QR code. No login; rate-limited; a form that is not public, not found or retired
gets a Chinese 404 page. The page is the phone renderer's, filled without an account; every
rule is the engine's (:func:`app.services.forms.submissions.save_submission`).
"""
import uuid

from flask import make_response, render_template, request
from sqlalchemy import select

from app import clock
from app.errors import render_error
from app.extensions import db
from app.mobile.fill import fill_context
from app.public.blueprint import bp
from app.public.limits import rate_limited
from app.services.errors import DomainError
from app.services.forms import definitions
from app.services.forms import submissions as forms_submissions
from app.services.forms.posted import filled_from_post
from models import FormDefinition

NOT_FOUND = "表单链接无效或表单已停用。请核对链接或二维码，或联系发布表单的单位。"


def _public_form(token: str) -> FormDefinition | None:
    if not token or len(token) > 64:
        return None
    form = db.session.scalar(select(FormDefinition).where(FormDefinition.public_token == token))
    if form is None or not form.public or form.purpose != "none" or form.retired_at is not None:
        return None
    return form if definitions.current_version(form) is not None else None


@bp.route("/f/<token>", methods=["GET", "POST"])
@rate_limited()
@rate_limited("10 per minute", methods=("POST",))
def form_fill(token):
    """A public form: GET shows it, POST saves it and thanks the filler."""
    form = _public_form(token)
    if form is None:
        return render_error(404, NOT_FOUND)
    version = definitions.current_version(form)
    values, notes, errors, field_errors, status = {}, {}, [], {}, 200
    if request.method == "POST":
        version = forms_submissions.version_for(form, request.form.get("version_id"))
        filled, signed_at = filled_from_post(version, request.form, request.files)
        try:
            forms_submissions.save_submission(form, filled, by=None, version_id=version.id, signed_at=signed_at,
                                              client_uuid=request.form.get("client_uuid") or None)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            errors = getattr(err, "problems", None) or [str(err)]
            field_errors = getattr(err, "field_errors", {})
            values, notes, status = dict(filled.values), dict(filled.notes), 422
        else:
            response = make_response(render_template("public/form_done.html", version=version))
            response.headers["Cache-Control"] = "no-store"
            return response
    response = make_response(render_template(
        "public/form_fill.html", **fill_context(version), form=form, values=values, notes=notes, choices={},
        subject={}, errors=errors, field_errors=field_errors, client_uuid=str(uuid.uuid4()), today=clock.today(),
        kind="public", action=request.path, token_url="", draft_key=request.path, notice=None), status)
    response.headers["Cache-Control"] = "no-store"
    return response
