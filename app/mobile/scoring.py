"""The phone scoring page (附件5, 第二十二条): light pages under ``/m/score`` for inspectors.

- ``GET /m/score`` — my unit's assignments waiting for an evaluation, recent evaluations,
  and what this phone still has to send;
- ``GET /m/score/new[?assignment=ID][&paper=1]`` — the form of the current version, from an
  assignment or from scratch; ``POST`` saves it. The page is a plain HTML form that works
  without JavaScript; ``static/score.js`` adds the steppers, the running total, the draft
  kept in the browser and the offline queue, and posts the same fields with
  ``Accept: application/json``;
- ``GET /m/score/token`` — a fresh CSRF token for a queue sent long after the page loaded;
- ``GET /m/score/<id>`` — one evaluation as submitted;
- ``GET /m/sw.js`` — the service worker that keeps the page usable without a connection.

Every rule (maxima, variants, totals, idempotency, the submitting unit) is decided in
:mod:`app.services.scoring.evaluations`; this module only parses the form and answers.
"""
from __future__ import annotations

import datetime as dt
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
    send_from_directory,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.auth.rights import allowed
from app.extensions import db
from app.mobile.blueprint import bp
from app.services.errors import DomainError
from app.services.scoring import evaluations as scoring
from models import Assignment, Evaluation, Expert, OrgUnit, UsageRequest
from models.choices import ACTIVITY_TYPES, EVAL_VARIANTS

RECENT = 10
PENDING_LIMIT = 30
PREFETCH = 10


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def scorer_required(view):
    """Logged in with a scoring account; JSON clients get 401/403 as JSON, browsers the login page."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            if _wants_json():
                return jsonify({"ok": False, "login": True, "errors": ["登录已过期，请重新登录后再发送。"]}), 401
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not scoring.may_score(current_user):
            if _wants_json():
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
    pending = list(db.session.scalars(
        scoring.scorable_assignments_query(unit.id)
        .options(selectinload(Assignment.expert), selectinload(Assignment.request).selectinload(UsageRequest.enterprises))
        .limit(PENDING_LIMIT)
    ))
    recent = list(db.session.scalars(
        select(Evaluation).where(Evaluation.unit_id == unit.id)
        .options(selectinload(Evaluation.expert))
        .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc()).limit(RECENT)
    ))
    return render_template(
        "mobile/score_index.html", unit=unit, pending=pending, recent=recent, prefetch=PREFETCH,
        activity_labels=ACTIVITY_TYPES, today=clock.today(),
    )


def _defaults(assignment: Assignment | None, today: dt.date) -> dict:
    values = {
        "evaluator_name": current_user.full_name or "",
        "evaluated_on": today.isoformat(),
        "variant": "",
        "enterprise_name": "",
        "matter": "",
    }
    if assignment is not None:
        req = assignment.request
        values["evaluated_on"] = min(req.end_date, today).isoformat()
        values["matter"] = f"{ACTIVITY_TYPES.get(req.activity_type, req.activity_type)}：{req.subject}"[:200]
        if req.enterprises:
            values["enterprise_name"] = req.enterprises[0].name
        # Experts sent by the unit on its own work are scored on 配合区、镇开展安全生产工作 (附件5).
        values["variant"] = "A"
    return values


def _own_assignment(raw) -> Assignment | None:
    """The assignment named in the query or form if it is one of this unit's (基础科: any)."""
    try:
        assignment = db.session.get(Assignment, int(raw))
    except (TypeError, ValueError):
        return None
    if assignment is None:
        return None
    if current_user.role != "office" and assignment.request.unit_id != current_user.org_unit_id:
        return None
    return assignment


def _render_form(form, assignment, values, scores, problems, errors, client_uuid, paper, status=200):
    sections = scoring.form_sections(form)
    numbers = scoring.item_numbers(form)
    experts = []
    if assignment is None:
        experts = list(db.session.execute(
            select(Expert.id, Expert.name, Expert.employer).where(Expert.stage == "in_pool").order_by(Expert.name)
        ).all())
        chosen = str(values.get("expert_id") or "")
        if chosen.isdigit() and all(str(e.id) != chosen for e in experts):
            other = db.session.get(Expert, int(chosen))
            if other is not None:
                experts.append((other.id, other.name, other.employer))
    names = [e[1] for e in experts]
    units = []
    if current_user.role == "office":
        units = list(db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.kind, OrgUnit.name)))
    html = render_template(
        "mobile/score_form.html", form=form, sections=sections, numbers=numbers, assignment=assignment,
        values=values, scores=scores, problems=problems, errors=errors, client_uuid=client_uuid,
        experts=experts, duplicate_names={n for n in names if names.count(n) > 1}, variants=EVAL_VARIANTS,
        paper=paper, units=units, is_office=current_user.role == "office", today=clock.today(),
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
    form = scoring.current_form()
    values = _defaults(assignment, clock.today())
    paper = request.args.get("paper") == "1"
    if paper:
        values["is_paper"] = "1"
    return _render_form(form, assignment, values, {}, {}, [], str(uuid.uuid4()), paper)


def _entry_from_request() -> tuple[scoring.EvaluationEntry, dict, dict]:
    f = request.form
    scores = {k[6:]: v for k, v in f.items() if k.startswith("score_")}
    problems = {k[8:]: v for k, v in f.items() if k.startswith("problem_")}
    entry = scoring.EvaluationEntry(
        form_id=f.get("form_id"), variant=f.get("variant") or None, expert_id=f.get("expert_id"),
        assignment_id=f.get("assignment_id"), enterprise_name=f.get("enterprise_name", ""),
        matter=f.get("matter", ""), evaluator_name=f.get("evaluator_name", ""),
        evaluated_on=f.get("evaluated_on"), scores=scores, problems=problems,
        suggestions=f.get("suggestions", ""), is_paper=f.get("is_paper") == "1",
        unit_id=f.get("unit_id"), received_on=f.get("received_on"),
    )
    return entry, scores, problems


@bp.route("/score/new", methods=["POST"])
@scorer_required
def score_submit():
    """Save a filled form; a re-sent ``client_uuid`` answers with the record already saved."""
    entry, scores, problems = _entry_from_request()
    client_uuid = (request.form.get("client_uuid") or "").strip()
    try:
        evaluation, created = scoring.save_evaluation(entry, by=current_user, client_uuid=client_uuid or None)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        errors = getattr(err, "problems", None) or [str(err)]
        if _wants_json():
            return jsonify({"ok": False, "errors": errors}), 422
        assignment = _own_assignment(entry.assignment_id) if entry.assignment_id else None
        form = db.session.get(scoring.EvalForm, int(entry.form_id)) if str(entry.form_id or "").isdigit() else None
        values = dict(request.form)
        return _render_form(form or scoring.current_form(), assignment, values, scores, problems, errors,
                            client_uuid or str(uuid.uuid4()), entry.is_paper, status=422)
    url = url_for("mobile.score_show", evaluation_id=evaluation.id)
    if _wants_json():
        return jsonify({"ok": True, "created": created, "id": evaluation.id, "total": evaluation.total,
                        "url": url}), (201 if created else 200)
    flash(f"评价表已提交，总分 {evaluation.total} 分。" if created else "该评价表此前已提交，未重复保存。", "success")
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
    if evaluation is None or (current_user.role != "office" and evaluation.unit_id != current_user.org_unit_id):
        abort(404)
    sections = scoring.form_sections(evaluation.form)
    scored = {s.item_id: s for s in evaluation.scores}
    can_pdf = allowed(current_user.role, "evaluation", "details")
    return render_template(
        "mobile/score_show.html", ev=evaluation, sections=sections, numbers=scoring.item_numbers(evaluation.form),
        scored=scored, variants=EVAL_VARIANTS, can_pdf=can_pdf,
    )


@bp.route("/sw.js")
@scorer_required
def score_service_worker():
    """The service worker, served under /m/ so that its scope can cover /m/score."""
    static = Path(current_app.static_folder)
    response = send_from_directory(static, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/m/"
    return response
