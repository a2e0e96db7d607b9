"""Staffing a request on the phone: the draw, the experts' answers, completion, paperwork.

- ``POST /m/requests/<id>/draw`` — 随机抽取 what the request still needs, with backups (SPEC §3.5);
- ``POST /m/requests/<id>/respond/<aid>`` — the answer the expert gave by telephone: accepted,
  declined (with or without a justified reason), a conflict declared, or absent (第十三条(四));
- ``POST /m/requests/<id>/complete/<aid>`` — attendance and the work done, which becomes the
  service record fees are computed from (附件4);
- ``POST /m/requests/<id>/paperwork`` — 事后补办使用手续 of an emergency (第十五条);
- ``POST /m/requests/<id>/cancel`` — withdraw the request; chosen experts are released.

Each form carries the version of what it changes (:mod:`app.mobile.access`): a second tap or
a form left open while someone else acted is refused with a message, not applied twice.
The rules are the dispatch services' own, as on the desktop request page.
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from app.mobile.access import own_assignment, own_request, run, unit_page
from app.mobile.blueprint import bp
from app.services.dispatch import completion, draws, paperwork, responses, usage_requests
from app.validators import parse_date, parse_datetime


def _back(req, anchor: str = ""):
    return redirect(url_for("mobile.request_show", request_id=req.id) + (f"#{anchor}" if anchor else ""))


@bp.route("/requests/<int:request_id>/draw", methods=["POST"])
@unit_page("phone_request", "edit")
def request_draw(request_id: int):
    """随机抽取: the experts the request still needs, with backups; seed and result recorded."""
    req = own_request(request_id)
    record, ok = run(lambda: draws.draw(req, current_user), record=req)
    if ok:
        flash(f"已随机抽取{len(record.chosen_ids)}名专家、{len(record.backup_ids)}名候补，请联系专家并记录答复。",
              "success")
    return _back(req, "experts")


def _flash_outcome(outcome) -> None:
    if outcome.promoted is not None:
        flash(f"已由候补专家{outcome.promoted.expert.name}递补，请联系其答复。", "info")
    elif outcome.backups_exhausted:
        flash("候补专家已用尽，请再次随机抽取。", "error")
    if outcome.proposal is not None:
        flash(f"{outcome.assignment.expert.name}已符合第十三条(四)缺席情形，已列入拟解聘名单，待局领导审批。", "info")


@bp.route("/requests/<int:request_id>/respond/<int:assignment_id>", methods=["POST"])
@unit_page("phone_request", "edit")
def request_respond(request_id: int, assignment_id: int):
    """Record the expert's answer (given to the unit, e.g. by telephone)."""
    req = own_request(request_id)
    a = own_assignment(req, assignment_id)
    f = request.form
    outcome, ok = run(lambda: responses.respond(
        a, f.get("response", ""), reason=f.get("reason"), actor=current_user,
        conflict_enterprise=f.get("enterprise_id", type=int), conflict_relation=f.get("relation"),
    ), record=a)
    if ok:
        flash(f"已记录{a.expert.name}的答复：{a.response_label}。", "success")
        _flash_outcome(outcome)
    return _back(req, f"a{a.id}")


@bp.route("/requests/<int:request_id>/complete/<int:assignment_id>", methods=["POST"])
@unit_page("phone_request", "edit")
def request_complete(request_id: int, assignment_id: int):
    """Attendance and the work done → the service record (第二十条, 附件4)."""
    req = own_request(request_id)
    a = own_assignment(req, assignment_id)
    f = request.form

    def action():
        return completion.complete_assignment(
            a, attended=f.get("attended") != "0", units=f.get("units"),
            service_date=parse_date(f.get("service_date"), "服务日期"),
            started_at=parse_datetime(f.get("started_at"), "开始工作时间"), note=f.get("note"), actor=current_user,
        )

    record, ok = run(action, record=a)
    if ok:
        if record is None:
            flash(f"已记录{a.expert.name}未到场。", "info")
        else:
            flash(f"已登记{a.expert.name}完成：{record.units.normalize():f}{completion.unit_label(req.activity_type)}，"
                  "已生成服务记录。请填写专家评价表。", "success")
    return _back(req, f"a{a.id}")


@bp.route("/requests/<int:request_id>/paperwork", methods=["POST"])
@unit_page("phone_request", "edit")
def request_paperwork(request_id: int):
    """事后补办使用手续 of an emergency use (第十五条)."""
    req = own_request(request_id)
    run(lambda: paperwork.complete_paperwork(req, request.form.get("note"), actor=current_user),
        "补办手续已完成。", record=req)
    return _back(req, "paperwork")


@bp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@unit_page("phone_request", "edit")
def request_cancel(request_id: int):
    """Withdraw the request; open assignments are released with a record."""
    req = own_request(request_id)
    run(lambda: usage_requests.cancel_request(req, request.form.get("reason"), actor=current_user),
        "申请已取消，已选派的专家已释放。", record=req)
    return _back(req)
