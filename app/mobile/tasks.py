"""The expert's own tasks on the phone (SPEC §1: "accept/decline tasks; submit opinions").

- ``GET /m/tasks`` — my jobs: waiting for my answer, accepted, earlier;
- ``GET /m/tasks/<id>`` — one job: unit, dates, enterprises, what is expected;
- ``POST /m/tasks/<id>/accept`` · ``/decline`` · ``/conflict`` — my answer. Declining, I say
  whether I have a justified reason (有正当理由) and give it; 基础科 may reclassify it later
  (第十三条(四) counts only declines without one). Declaring a conflict of interest
  (第十条(四): 主动报告、回避) records it and releases the job to the next backup;
- ``GET/POST /m/opinions`` — opinions and suggestions to the office (第九条(三)) and replies.

Only the expert role, and only his own assignments (another's id is a 404).
"""
from __future__ import annotations

import functools

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app.auth.rights import is_expert_self
from app.errors import render_error
from app.extensions import db
from app.mobile.blueprint import bp
from app.services.dispatch import assignments, completion, responses
from app.services.errors import DomainError
from models import Assignment, Opinion, UsageRequest
from models.choices import CONFLICT_RELATIONS, EMERGENCY_REASONS, RESPONSES


def expert_required(view):
    """Logged in as an expert linked to his record; others get the login page or 403."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not is_expert_self(current_user.role) or not current_user.expert_id:
            return render_error(403, "此页面仅供专家本人使用。")
        return view(*args, **kwargs)

    return wrapped


@bp.context_processor
def _task_badge():
    """How many jobs wait for the logged-in expert's answer (shown on the phone home page)."""
    if not getattr(current_user, "is_authenticated", False) or not is_expert_self(current_user.role):
        return {}
    count = db.session.scalar(
        select(func.count(Assignment.id)).join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id == (current_user.expert_id or -1), Assignment.is_backup.is_(False),
               Assignment.response == "pending", UsageRequest.state != "cancelled")
    )
    return {"pending_task_count": count or 0}


def _mine(aid: int) -> Assignment:
    assignment = db.session.get(Assignment, aid)
    if (assignment is None or assignment.expert_id != current_user.expert_id or assignment.is_backup
            or assignment.request.state == "cancelled"):
        abort(404)
    return assignment


def _state(a: Assignment) -> str:
    if a.completed_at is not None:
        return "done"
    if a.response in ("pending", "accepted"):
        return a.response
    return "declined"


@bp.route("/tasks")
@expert_required
def tasks():
    """My jobs, grouped by what I still have to do."""
    items = assignments.tasks_of(current_user.expert_id)
    groups = [
        ("待我答复", [a for a in items if a.response == "pending"]),
        ("已接受", [a for a in items if a.response == "accepted" and a.completed_at is None]),
        ("已完成及其他", [a for a in items if a.completed_at is not None or a.response not in ("pending", "accepted")]),
    ]
    return render_template("mobile/tasks.html", groups=groups, total=len(items), state=_state,
                           emergency=EMERGENCY_REASONS)


@bp.route("/tasks/<int:aid>")
@expert_required
def task(aid):
    """One job and my answer."""
    a = _mine(aid)
    return render_template("mobile/task.html", a=a, req=a.request, state=_state(a), relations=CONFLICT_RELATIONS,
                           emergency=EMERGENCY_REASONS, unit_label=completion.unit_label(a.request.activity_type),
                           responses=RESPONSES)


def _answer(aid: int, response: str, **kw):
    a = _mine(aid)
    try:
        outcome = responses.respond(a, response, actor=current_user, by_expert=True, **kw)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("mobile.task", aid=aid))
    except StaleDataError:
        db.session.rollback()
        flash("该任务刚刚已被更新，请查看最新状态后再操作。", "error")
        return redirect(url_for("mobile.task", aid=aid))
    return a, outcome


@bp.route("/tasks/<int:aid>/accept", methods=["POST"])
@expert_required
def accept(aid):
    """Accept the job."""
    result = _answer(aid, "accepted")
    if isinstance(result, tuple):
        flash("已接受任务。请按时到达指定地点，工作时佩戴专家工作证。", "success")
    return redirect(url_for("mobile.task", aid=aid))


@bp.route("/tasks/<int:aid>/decline", methods=["POST"])
@expert_required
def decline(aid):
    """Decline the job; with a justified reason (stated) or without."""
    justified = request.form.get("justified") == "1"
    result = _answer(aid, "declined_justified" if justified else "declined_unjustified",
                     reason=request.form.get("reason"))
    if isinstance(result, tuple):
        flash("已拒绝该任务。" + ("理由已提交，基础科将予以认定。" if justified else
                                 "无正当理由拒绝将计入缺席次数（第十三条(四)）。"), "info")
    return redirect(url_for("mobile.task", aid=aid))


@bp.route("/tasks/<int:aid>/conflict", methods=["POST"])
@expert_required
def conflict(aid):
    """Declare a conflict of interest with one of the job's enterprises (第十条(四))."""
    result = _answer(aid, "conflict", reason=request.form.get("note"),
                     conflict_enterprise=request.form.get("enterprise_id", type=int),
                     conflict_relation=request.form.get("relation"))
    if isinstance(result, tuple):
        flash("已申报回避并登记利害关系，该任务将由其他专家承担。感谢您主动报告。", "info")
    return redirect(url_for("mobile.task", aid=aid))


@bp.route("/opinions", methods=["GET", "POST"])
@expert_required
def opinions():
    """Send the office an opinion or suggestion (第九条(三)); see earlier ones and replies."""
    subject = request.form.get("subject", "").strip()
    body = request.form.get("body", "").strip()
    if request.method == "POST":
        error = None
        if not subject:
            error = "请填写主题。"
        elif len(subject) > 200:
            error = "主题不超过200字。"
        elif len(body) < 5:
            error = "请写明意见或建议的内容（至少5个字）。"
        elif len(body) > 5000:
            error = "内容不超过5000字。"
        if error:
            flash(error, "error")
        else:
            db.session.add(Opinion(expert_id=current_user.expert_id, subject=subject, body=body))
            db.session.commit()
            flash("意见建议已提交基础科，答复后可在此查看。", "success")
            return redirect(url_for("mobile.opinions"))
    mine = db.session.scalars(
        select(Opinion).where(Opinion.expert_id == current_user.expert_id).order_by(Opinion.created_at.desc())
    ).all()
    return render_template("mobile/opinions.html", opinions=mine, subject=subject if request.method == "POST" else "",
                           body=body if request.method == "POST" else "")
