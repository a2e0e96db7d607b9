"""The phone scoring page (附件5, 第二十二条): light pages under ``/m/score`` for inspectors.

- ``GET /m/score`` — my unit's assignments waiting for an evaluation, recent evaluations,
  and what this phone still has to send;
- ``GET /m/score/new[?assignment=ID][&paper=1]`` — the form of the current version, from an
  assignment or from scratch; ``POST`` saves it. The page is a plain HTML form that works
  without JavaScript; ``static/form.js`` adds the steppers, the running total, the draft
  kept in the browser and the offline queue, and posts the same fields with
  ``Accept: application/json``;
- ``GET /m/score/token`` — a fresh CSRF token for a queue sent long after the page loaded;
- ``GET /m/score/<id>`` — one evaluation as submitted;
- the service worker (``/m/sw.js``) that keeps the page usable offline is served by :mod:`app.mobile.fill`.

Every rule (maxima, variants, totals, idempotency, the submitting unit) is decided in
:mod:`app.services.scoring.evaluations`; this module only parses the form and answers.
"""
from __future__ import annotations

import datetime as dt
import functools
import uuid

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.auth.rights import allowed, enters_paper_evaluations, sees_every_unit_evaluation
from app.database import end_reads, read_first, writing
from app.errors import wants_json
from app.extensions import db
from app.mobile.blueprint import bp
from app.mobile.fill import fill_context
from app.services.errors import DomainError
from app.services.forms import definitions, published
from app.services.forms.builtin import ANNEX5
from app.services.forms.posted import filled_from_post
from app.services.scoring import evaluations as scoring
from models import Assignment, Evaluation, Expert, OrgUnit, UsageRequest
from models.choices import ACTIVITY_TYPES, EVAL_VARIANTS

RECENT = 10
PENDING_LIMIT = 30
PREFETCH = 10


def scorer_required(view):
    """Logged in with a scoring account; JSON clients get 401/403 as JSON, browsers the login page."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            if wants_json():
                return jsonify({"ok": False, "login": True, "errors": ["登录已过期，请重新登录后再发送。"]}), 401
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not scoring.may_score(current_user):
            if wants_json():
                return jsonify({"ok": False, "errors": ["当前账号不能填写专家评价表。"]}), 403
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def scoring_links():
    """Lets the phone home page show the scoring link to those who score."""
    return {"may_score": scoring.may_score}


# --- pages ------------------------------------------------------------------------------------


@bp.route("/score")
@scorer_required
def score_index():
    """Start here: assignments to score, scoring from scratch, paper entry, recent evaluations."""
    unit = current_user.org_unit
    pending = list(
        db.session.scalars(
            scoring.scorable_assignments_query(unit.id)
            .options(
                selectinload(Assignment.expert), selectinload(Assignment.request).selectinload(UsageRequest.enterprises)
            )
            .limit(PENDING_LIMIT)
        )
    )
    recent = list(db.session.scalars(
        select(Evaluation).where(Evaluation.unit_id == unit.id)
        .options(selectinload(Evaluation.expert))
        .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc()).limit(RECENT)
    ))
    return render_template(
        "mobile/score_index.html", unit=unit, pending=pending, recent=recent, prefetch=PREFETCH,
        activity_labels=ACTIVITY_TYPES, today=clock.today(),
    )


def _defaults(assignment: Assignment | None, today: dt.date) -> tuple[dict, dict]:
    """(field values by key, chosen alternative) of a new form, from the job if there is one."""
    values = {"evaluator_name": current_user.full_name or "", "evaluated_on": today.isoformat()}
    choices = {}
    if assignment is not None:
        req = assignment.request
        values["evaluated_on"] = min(req.end_date, today).isoformat()
        values["matter"] = f"{ACTIVITY_TYPES.get(req.activity_type, req.activity_type)}：{req.subject}"[:200]
        if req.enterprises:
            values["enterprise_name"] = req.enterprises[0].name
        # Experts sent by the unit on its own work are scored on 配合区、镇开展安全生产工作 (附件5).
        choices["考评对象"] = "A"
    return values, choices


def _own_assignment(raw) -> Assignment | None:
    """The assignment named in the query or form if it is one of this unit's (基础科: any)."""
    try:
        assignment = db.session.get(Assignment, int(raw))
    except (TypeError, ValueError):
        return None
    if assignment is None:
        return None
    if not sees_every_unit_evaluation(current_user.role) and assignment.request.unit_id != current_user.org_unit_id:
        return None
    return assignment


def _render_form(version, assignment, values, notes, choices, subject_values, errors, field_errors, client_uuid,
                 status=200):
    experts = []
    if assignment is None:
        experts = list(db.session.execute(
            select(Expert.id, Expert.name, Expert.employer).where(Expert.stage == "in_pool").order_by(Expert.name)
        ).all())
        chosen = str(subject_values.get("expert_id") or "")
        if chosen.isdigit() and all(str(e.id) != chosen for e in experts):
            other = db.session.get(Expert, int(chosen))
            if other is not None:
                experts.append((other.id, other.name, other.employer))
    names = [e[1] for e in experts]
    units = []
    if enters_paper_evaluations(current_user.role):
        units = list(db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True))
                                        .order_by(OrgUnit.kind, OrgUnit.name)))
    html = render_template(
        "mobile/score_form.html", **fill_context(version), assignment=assignment, values=values, notes=notes,
        choices=choices, subject_values=subject_values, errors=errors, field_errors=field_errors,
        client_uuid=client_uuid, experts=experts, duplicate_names={n for n in names if names.count(n) > 1},
        units=units, is_office=enters_paper_evaluations(current_user.role), today=clock.today(), kind="evaluation",
        action=url_for("mobile.score_submit"), token_url=url_for("mobile.score_token"),
        refused_headline="评价表未能保存，请修改：",
        draft_key=url_for("mobile.score_new", assignment=assignment.id if assignment else None),
    )
    return _no_store(current_app.make_response((html, status)))


@bp.route("/score/new", methods=["GET"])
@scorer_required
def score_new():
    """The empty form of the current version, prefilled from an assignment if one is named."""
    raw = request.args.get("assignment")
    assignment = _own_assignment(raw) if raw else None
    if raw and assignment is None:
        abort(404)
    version = scoring.current_form()
    values, choices = _defaults(assignment, clock.today())
    subject_values = {"is_paper": "1"} if request.args.get("paper") == "1" else {}
    return _render_form(version, assignment, values, {}, choices, subject_values, [], {}, str(uuid.uuid4()))


def _entry_from_request(version) -> scoring.EvaluationEntry:
    f = request.form
    filled, signed_at = filled_from_post(version, f, request.files)
    values = dict(filled.values)
    group = next(iter(filled.choices.values()), None)
    signature = filled.files.get(scoring.SIGNATURE_KEY)
    score_keys = {fd.key for fd in version.fields if fd.kind == "score"}
    scores = {k: v for k, v in values.items() if k in score_keys}
    return scoring.EvaluationEntry(
        form_id=f.get("version_id"), variant=group, expert_id=f.get("expert_id"),
        assignment_id=f.get("assignment_id"), enterprise_name=values.get("enterprise_name", ""),
        matter=values.get("matter", ""), evaluator_name=values.get("evaluator_name", ""),
        evaluated_on=values.get("evaluated_on"), scores=scores, problems=dict(filled.notes),
        suggestions=values.get("suggestions", ""), is_paper=f.get("is_paper") == "1",
        unit_id=f.get("unit_id"), received_on=f.get("received_on"), signature=signature,
        signed_at=signed_at.get(scoring.SIGNATURE_KEY),
    )


@bp.route("/score/new", methods=["POST"])
@read_first
@scorer_required
def score_submit():
    """Save a filled form; a re-sent ``client_uuid`` answers with the record already saved.

    Parsing and checking run in a read transaction; only the inserts hold the write lock
    (on SQLite one writer at a time: app.database, bench/load_evaluations.py)."""
    version = published.version_for_code(ANNEX5, request.form.get("version_id"))
    entry = _entry_from_request(version)
    client_uuid = (request.form.get("client_uuid") or "").strip()
    me = current_user._get_current_object()  # the account itself: the checks read it a dozen times
    try:
        checked = scoring.check_evaluation(entry, by=me, client_uuid=client_uuid or None, version=version)
        end_reads()
        with writing():
            evaluation, created = scoring.store_evaluation(checked)
            # Read before the commit expires the record: afterwards they would cost a
            # transaction of their own.
            evaluation_id, total = evaluation.id, evaluation.total
            db.session.commit()
    except DomainError as err:
        db.session.rollback()
        errors = getattr(err, "problems", None) or [str(err)]
        field_errors = getattr(err, "field_errors", {})
        if wants_json():
            return jsonify({"ok": False, "errors": errors, "fields": field_errors}), 422
        assignment = _own_assignment(entry.assignment_id) if entry.assignment_id else None
        filled, _ = filled_from_post(version, request.form)
        groups = definitions.choice_groups(version)
        choices = {label: request.form.get(f"g_{n}") for n, (label, _) in enumerate(groups, start=1)}
        return _render_form(version, assignment, dict(filled.values), dict(filled.notes), choices,
                            dict(request.form), errors, field_errors, client_uuid or str(uuid.uuid4()), status=422)
    url = url_for("mobile.score_show", evaluation_id=evaluation_id)
    if wants_json():
        return jsonify({"ok": True, "created": created, "id": evaluation_id, "total": total,
                        "url": url}), (201 if created else 200)
    flash(f"评价表已提交，总分 {total} 分。" if created else "该评价表此前已提交，未重复保存。", "success")
    return redirect(url)


@bp.route("/score/token")
@scorer_required
def score_token():
    """A fresh CSRF token and the user id, for sending a queue filled while offline."""
    return _no_store(jsonify({"csrf_token": generate_csrf(), "user": current_user.id}))


@bp.route("/score/<int:evaluation_id>")
@scorer_required
def score_show(evaluation_id: int):
    """One evaluation as submitted (own unit; 基础科 sees all)."""
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or (not sees_every_unit_evaluation(current_user.role)
                              and evaluation.unit_id != current_user.org_unit_id):
        abort(404)
    sections = scoring.form_sections(evaluation.version)
    scored = {s.item_id: s for s in evaluation.scores}
    can_pdf = allowed(current_user.role, "evaluation", "details")
    signature = next((a for a in evaluation.submission.answers if a.field.kind == "signature" and a.file_path), None)
    return render_template(
        "mobile/score_show.html", ev=evaluation, sections=sections, numbers=scoring.item_numbers(evaluation.version),
        scored=scored, variants=EVAL_VARIANTS, can_pdf=can_pdf, signature=signature,
    )
