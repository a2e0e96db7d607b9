"""Any form the office built, filled on the phone (SPEC §3.19): pages under ``/m/forms``.

- ``GET /m/forms`` — the forms I may fill, and what my unit (or I) sent lately;
- ``GET /m/forms/<form>/new`` — the current version rendered for the phone, with the subject its
  purpose asks for (an expert, a job of my unit, an enterprise, a notice, or nothing);
  ``POST`` saves it through the engine (idempotent by ``client_uuid``; JSON for the queue);
- ``GET /m/forms/s/<id>`` — one submission as sent; ``GET /m/forms/file/<answer>`` its pictures;
- ``GET /m/forms/token`` — a fresh CSRF token for a queue sent long after the page loaded;
- ``GET /m/sw.js`` — the service worker that keeps these pages and the scoring pages offline.

The page is the scoring page's, reused: the same renderer (``mobile/form_macros.html``), the
same script (``static/form.js``: steppers, running totals, the draft kept on the phone, the
signature pad, the offline queue). Every rule is the engine's (:mod:`app.services.forms`).
"""
from __future__ import annotations

import functools
import uuid
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app import clock
from app.auth.rights import sees_every_unit_form
from app.errors import wants_json
from app.extensions import db
from app.mobile.blueprint import bp
from app.services.errors import DomainError
from app.services.forms import definitions
from app.services.forms import submissions as forms_submissions
from app.services.forms.posted import filled_from_post
from app.services.uploads import upload_path
from models import Assignment, Enterprise, Expert, FormAnswer, FormDefinition, FormSubmission, Notice, UsageRequest

RECENT = 10
PICK_LIMIT = 500


def fill_context(version) -> dict:
    """What the phone renderer needs of a version besides the values."""
    fields = version.fields
    return {
        "version": version, "numbers": definitions.numbering(version), "groups": definitions.choice_groups(version),
        "totals": any(f.kind == "score" for f in fields), "has_photo": any(f.kind == "photo" for f in fields),
        "has_signature": any(f.kind == "signature" for f in fields),
    }


@bp.context_processor
def form_links():
    """Lets the phone home page show 填写表单 to those who have a form to fill."""
    return {"has_forms": lambda user: any(not f.code for f in definitions.fillable_forms(user))}


def login_for_forms(view):
    """Logged in; JSON clients get 401 as JSON (the queue then waits for a new login)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            if wants_json():
                return jsonify({"ok": False, "login": True, "errors": ["登录已过期，请重新登录后再发送。"]}), 401
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _fillable(form_id: int) -> FormDefinition:
    form = db.session.get(FormDefinition, form_id)
    if form is None or form.code or not definitions.may_fill(form, current_user):
        abort(404)
    return form


def _own_submission(submission_id: int) -> FormSubmission:
    sub = db.session.get(FormSubmission, submission_id)
    if sub is None:
        abort(404)
    if sees_every_unit_form(current_user.role):
        return sub
    own_unit = sub.unit_id is not None and sub.unit_id == current_user.org_unit_id
    if not (own_unit or sub.submitted_by_id == current_user.id):
        abort(404)
    return sub


def _subject_choices(form: FormDefinition) -> dict:
    """The pickers the form's purpose needs (a job, an expert, an enterprise)."""
    if form.purpose == "expert":
        return {"experts": list(db.session.execute(
            select(Expert.id, Expert.name, Expert.employer).where(Expert.stage == "in_pool").order_by(Expert.name)
            .limit(PICK_LIMIT)).all())}
    if form.purpose == "assignment":
        query = (select(Assignment).join(UsageRequest, Assignment.request_id == UsageRequest.id)
                 .where(Assignment.response == "accepted").order_by(UsageRequest.start_date.desc()).limit(50))
        if not sees_every_unit_form(current_user.role):
            query = query.where(UsageRequest.unit_id == current_user.org_unit_id)
        return {"assignments": list(db.session.scalars(query))}
    if form.purpose == "enterprise":
        return {"enterprises": list(db.session.execute(
            select(Enterprise.id, Enterprise.name).order_by(Enterprise.name).limit(PICK_LIMIT)).all())}
    return {}


def _render(form, version, *, values=None, notes=None, choices=None, subject=None, errors=(), field_errors=None,
            client_uuid=None, status=200):
    subject = subject or {}
    notice = None
    if form.purpose == "notice" and str(subject.get("notice_id") or "").isdigit():
        notice = db.session.get(Notice, int(subject["notice_id"]))
    html = render_template(
        "mobile/form_fill.html", **fill_context(version), form=form, values=values or {}, notes=notes or {},
        choices=choices or {}, subject=subject, notice=notice, errors=list(errors), field_errors=field_errors or {},
        client_uuid=client_uuid or str(uuid.uuid4()), today=clock.today(), kind="form",
        action=url_for("mobile.form_submit", form_id=form.id), token_url=url_for("mobile.form_token"),
        draft_key=request.full_path.rstrip("?"), **_subject_choices(form),
    )
    return _no_store(current_app.make_response((html, status)))


@bp.route("/forms")
@login_for_forms
def form_index():
    """The forms I may fill, and the latest submissions of my unit (or mine)."""
    forms = [f for f in definitions.fillable_forms(current_user) if not f.code]
    query = select(FormSubmission).where(FormSubmission.form_id.in_([f.id for f in forms] or [-1]))
    if current_user.org_unit_id:
        query = query.where(FormSubmission.unit_id == current_user.org_unit_id)
    else:
        query = query.where(FormSubmission.submitted_by_id == current_user.id)
    recent = list(db.session.scalars(query.order_by(FormSubmission.submitted_at.desc()).limit(RECENT)))
    return render_template("mobile/form_index.html", forms=forms, recent=recent)


@bp.route("/forms/<int:form_id>/new", methods=["GET"])
@login_for_forms
def form_new(form_id: int):
    """The current version of a form, empty (a subject may be named: ``?expert=``, ``?assignment=``…)."""
    form = _fillable(form_id)
    version = definitions.current_version(form)
    subject = {f"{k}_id": request.args.get(k) for k in ("expert", "assignment", "enterprise", "notice")
               if request.args.get(k)}
    return _render(form, version, subject=subject)


@bp.route("/forms/<int:form_id>/new", methods=["POST"])
@login_for_forms
def form_submit(form_id: int):
    """Save a filled form; a re-sent ``client_uuid`` answers with the record already saved."""
    form = db.session.get(FormDefinition, form_id)
    if form is None or form.code:
        abort(404)
    version = forms_submissions.version_for(form, request.form.get("version_id"))
    filled, signed_at = filled_from_post(version, request.form, request.files)
    subject = forms_submissions.Subject(**{k: request.form.get(k) for k in
                                           ("assignment_id", "expert_id", "enterprise_id", "notice_id")})
    client_uuid = (request.form.get("client_uuid") or "").strip()
    try:
        submission, created = forms_submissions.save_submission(
            form, filled, by=current_user, version_id=version.id, subject=subject, client_uuid=client_uuid or None,
            signed_at=signed_at)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        errors = getattr(err, "problems", None) or [str(err)]
        field_errors = getattr(err, "field_errors", {})
        if wants_json():
            return jsonify({"ok": False, "errors": errors, "fields": field_errors}), 422
        groups = definitions.choice_groups(version)
        choices = {label: request.form.get(f"g_{n}") for n, (label, _) in enumerate(groups, start=1)}
        return _render(form, version, values=dict(filled.values), notes=dict(filled.notes), choices=choices,
                       subject=dict(request.form), errors=errors, field_errors=field_errors,
                       client_uuid=client_uuid, status=422)
    url = url_for("mobile.form_show", submission_id=submission.id)
    if wants_json():
        return jsonify({"ok": True, "created": created, "id": submission.id, "total": submission.total,
                        "url": url}), (201 if created else 200)
    total = f"，合计 {submission.total} 分" if submission.total is not None else ""
    flash(f"{version.title}已提交{total}。" if created else "该表单此前已提交，未重复保存。", "success")
    return redirect(url)


@bp.route("/forms/s/<int:submission_id>")
@login_for_forms
def form_show(submission_id: int):
    """One submission as it was sent, with its pictures."""
    sub = _own_submission(submission_id)
    answers = forms_submissions.answers_by_key(sub)
    return render_template("mobile/form_show.html", sub=sub, version=sub.version, answers=answers,
                           subject=forms_submissions.subject_of(sub), display=forms_submissions.display_value,
                           numbers=definitions.numbering(sub.version))


@bp.route("/forms/file/<int:answer_id>")
@login_for_forms
def form_file(answer_id: int):
    """A photo or signature of a submission the user may see."""
    answer = db.session.get(FormAnswer, answer_id)
    if answer is None or not answer.file_path:
        abort(404)
    _own_submission(answer.submission_id)
    path = upload_path(answer.file_path)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/png" if path.suffix == ".png" else "image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/forms/token")
@login_for_forms
def form_token():
    """A fresh CSRF token and the user id, for sending a queue filled while offline."""
    return _no_store(jsonify({"csrf_token": generate_csrf(), "user": current_user.id}))


@bp.route("/sw.js")
@login_for_forms
def service_worker():
    """The service worker, served under /m/ so that its scope can cover /m/score and /m/forms."""
    static = Path(current_app.static_folder)
    response = send_from_directory(static, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/m/"
    return response
