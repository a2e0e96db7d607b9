"""Public self-recommendation (自荐, 第十二条(一)(二), 附件2) and its status lookup (SPEC §5, §7).

``/apply`` is the 附件2 form with uploads; a refused submission stores nothing. On
success the applicant is sent (post/redirect/get) to ``/apply/submitted``, which shows
the receipt number kept in his session. ``/apply/status`` shows the state of an
application to whoever knows both its receipt number and the last 4 characters of the
ID number, and nothing personal.
"""
from flask import current_app, make_response, redirect, render_template, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.public.apply_forms import SelfRecommendationForm, StatusLookupForm
from app.public.blueprint import bp
from app.public.limits import rate_limited
from app.services.lifecycle import intake

SESSION_KEY = "apply_receipt_no"


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/apply", methods=["GET", "POST"])
@rate_limited()
def apply():
    """The 附件2 form; on success the Expert, Application, documents and timeline event are stored."""
    form = SelfRecommendationForm()
    if form.validate_on_submit():
        try:
            application = intake.submit_self_recommendation(form.intake_data(), form.uploads())
        except intake.IntakeRefused as err:
            db.session.rollback()
            form.attach_problems(err.problems)
        else:
            try:
                intake.commit_intake(application)
            except SQLAlchemyError:
                current_app.logger.exception("self-recommendation commit failed")
                form.form_errors.append("系统暂时无法保存您的申请，请稍后重新提交。")
            else:
                session[SESSION_KEY] = application.receipt_no
                return redirect(url_for("public.apply_submitted"), code=303)
    submitted = request.method == "POST"
    max_bytes = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    response = make_response(render_template(
        "public/apply.html", form=form, submitted=submitted, files_lost=submitted and form.has_files(),
        max_bytes=max_bytes, max_mb=max_bytes // (1024 * 1024), summary=form.error_summary() if submitted else [],
    ))
    return _no_store(response)


@bp.route("/apply/submitted")
@rate_limited()
def apply_submitted():
    """The receipt page after a successful submission."""
    receipt_no = session.get(SESSION_KEY)
    if not receipt_no:
        return redirect(url_for("public.apply_status"))
    return _no_store(make_response(render_template("public/apply_submitted.html", receipt_no=receipt_no)))


@bp.route("/apply/status", methods=["GET", "POST"])
@rate_limited()
def apply_status():
    """State and step dates of an application, by receipt number plus the ID number's last 4.

    The form posts (the last 4 stay out of URLs and logs); a GET carrying both
    ``receipt_no`` and ``id_last4`` answers as well. An unknown number and a wrong
    last 4 get the same page.
    """
    progress = None
    not_found = False
    if request.method == "POST":
        form = StatusLookupForm()
        looked_up = form.validate_on_submit()
    else:
        form = StatusLookupForm(formdata=request.args if request.args else None, meta={"csrf": False})
        looked_up = bool(request.args.get("receipt_no") and request.args.get("id_last4")) and form.validate()
    if looked_up:
        application = intake.find_application(form.receipt_no.data, form.id_last4.data)
        if application is None:
            not_found = True
        else:
            progress = intake.public_progress(application)
    return _no_store(make_response(render_template(
        "public/apply_status.html", form=form, progress=progress, not_found=not_found,
    )))
