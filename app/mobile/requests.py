"""Usage requests on the phone (第十五条): list, create, the request page and its candidates.

- ``GET /m/requests`` — the unit's requests: open ones first, then the latest finished;
- ``GET/POST /m/requests/new`` — a new request: activity, emergency (督查、举报核查、应急救援处置:
  drawn at once, paperwork after), subject, dates, groups, enterprises (searched and picked,
  or a new one registered with its 统一社会信用代码), headcount and backups. Works without
  JavaScript (the 搜索 button sends the form back with the matches); ``static/phone.js``
  searches as the user types through ``GET /m/enterprises?q=``;
- ``GET /m/requests/<id>`` — the request page: conditions, the draw, the experts with their
  answers and completion, the notices; the actions are in :mod:`app.mobile.staffing`;
- ``GET /m/requests/<id>/candidates`` — who is eligible and why everyone else is not.

Every rule is the dispatch services' own (:mod:`app.services.dispatch`); a unit sees only its
own requests (:mod:`app.mobile.access`).
"""
from __future__ import annotations

import uuid

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app import clock
from app.auth.rights import allowed
from app.extensions import db
from app.mobile.access import own_request, run, unit_page
from app.mobile.blueprint import bp
from app.services.dispatch import candidates, completion, contact, draws, responses, usage_requests
from app.services.dispatch.assignments import still_needed
from app.services.errors import DomainError
from app.validators import parse_date
from models import Draw, Enterprise, Evaluation, Expert, ExpertGroup, Notice, OrgUnit, UsageRequest
from models.choices import ACTIVITY_TYPES, CONFLICT_RELATIONS, EMERGENCY_REASONS, RESPONSES

RECENT = 20
SEARCH_LIMIT = 20
#: Forms already turned into a request, kept in the session so that a second tap on 提交
#: (or the browser re-sending the form) opens the request instead of creating a twin.
CREATED_KEY = "m_created_requests"
CREATED_KEEP = 10


# --------------------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------------------


@bp.route("/requests")
@unit_page("phone_request", "list")
def requests():
    """The unit's requests: open first (by first day), then the latest finished or withdrawn."""
    base = (select(UsageRequest).where(UsageRequest.unit_id == current_user.org_unit_id)
            .options(selectinload(UsageRequest.assignments)))
    open_ = db.session.scalars(base.where(UsageRequest.state.in_(("submitted", "dispatched")))
                               .order_by(UsageRequest.start_date, UsageRequest.id)).all()
    closed = db.session.scalars(base.where(UsageRequest.state.in_(("completed", "cancelled")))
                                .order_by(UsageRequest.end_date.desc(), UsageRequest.id.desc()).limit(RECENT)).all()
    return render_template("mobile/ws/requests.html", open_requests=open_, closed=closed, recent=RECENT,
                           needed=still_needed)


# --------------------------------------------------------------------------------------
# new request
# --------------------------------------------------------------------------------------


def _groups():
    return db.session.scalars(select(ExpertGroup).order_by(ExpertGroup.sort_order)).all()


def _towns():
    return [u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.name))
            if u.is_town_level]


def search_enterprises(q: str) -> list[Enterprise]:
    """Enterprises whose name contains ``q`` or whose 统一社会信用代码 starts with it."""
    q = " ".join((q or "").split())[:100]
    if not q:
        return []
    literal = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(db.session.scalars(
        select(Enterprise).where(or_(Enterprise.name.ilike(f"%{literal}%", escape="\\"),
                                     Enterprise.uscc.like(literal.upper() + "%", escape="\\")))
        .order_by(Enterprise.name).limit(SEARCH_LIMIT)
    ))


def _picked_ids(form) -> list[int]:
    out = []
    for raw in form.getlist("enterprise_ids"):
        if raw.strip().isdigit() and int(raw) not in out:
            out.append(int(raw))
    return out


def _render_new(values: dict, status: int = 200):
    picked_ids = values.get("enterprise_ids", [])
    picked = list(db.session.scalars(select(Enterprise).where(Enterprise.id.in_(picked_ids or [-1]))))
    matches = [e for e in search_enterprises(values.get("q", "")) if e.id not in picked_ids]
    html = render_template(
        "mobile/ws/request_new.html", v=values, groups=_groups(), towns=_towns(), picked=picked, matches=matches,
        activities=ACTIVITY_TYPES, emergency=EMERGENCY_REASONS, today=clock.today(),
        may_add_enterprise=allowed(current_user.role, "enterprise", "create"),
    )
    return html, status, {"Cache-Control": "private, no-store"}


def _created() -> dict:
    return dict(session.get(CREATED_KEY) or {})


def _remember(token: str, request_id: int) -> None:
    created = _created()
    created[token] = request_id
    session[CREATED_KEY] = dict(list(created.items())[-CREATED_KEEP:])


@bp.route("/requests/new", methods=["GET", "POST"])
@unit_page("phone_request", "create")
def request_new():
    """Create a usage request; an emergency is drawn at once (第十五条)."""
    today = clock.today().isoformat()
    if request.method == "GET":
        return _render_new({"start_date": today, "end_date": today, "headcount": "1", "backups": "1",
                            "activity_type": "inspection", "form_token": uuid.uuid4().hex, "group_ids": [],
                            "enterprise_ids": [], "q": request.args.get("q", "")})
    f = request.form
    values = {k: f.get(k, "") for k in ("activity_type", "emergency_reason", "subject", "description", "start_date",
                                         "end_date", "headcount", "backups", "q", "new_name", "new_uscc",
                                         "new_town", "form_token")}
    values["group_ids"] = [int(g) for g in f.getlist("groups") if g.isdigit()]
    values["enterprise_ids"] = _picked_ids(f)
    if f.get("op") == "search":
        return _render_new(values)
    token = values["form_token"]
    done = _created().get(token) if token else None
    if done is not None:
        flash("该申请此前已提交，未重复创建。", "info")
        return redirect(url_for("mobile.request_show", request_id=done))

    def action():
        enterprises: list = list(values["enterprise_ids"])
        name, code = values["new_name"].strip(), values["new_uscc"].strip()
        if name or code:
            if not allowed(current_user.role, "enterprise", "create"):
                raise DomainError("您的账号不能登记新企业，请从已有企业中选择。")
            if not (name and code):
                raise DomainError("登记新企业须同时填写企业全称和统一社会信用代码。")
            town = db.session.get(OrgUnit, int(values["new_town"])) if values["new_town"].isdigit() else None
            enterprises.append(usage_requests.register_enterprise(name, code, town=town))
        return usage_requests.create_request(
            unit=current_user.org_unit, activity_type=values["activity_type"], subject=values["subject"],
            description=values["description"], start_date=parse_date(values["start_date"], "开始日期"),
            end_date=parse_date(values["end_date"], "结束日期"), groups=values["group_ids"],
            enterprises=enterprises, headcount=values["headcount"], backups=values["backups"],
            emergency_reason=values["emergency_reason"] or None, created_by=current_user,
        )

    req, ok = run(action)
    if not ok:
        return _render_new(values, 422)
    if token:
        _remember(token, req.id)
    if req.emergency:
        due = (f"{req.paperwork_due.isoformat()}前" if req.paperwork_due
               else "在规定期限内（期限待节假日数据维护后确定）")
        flash(f"紧急使用：已立即随机抽取{req.headcount}名专家，请{due}补办使用手续（第十五条）。", "info")
    else:
        flash(f"使用申请{req.request_no}已提交，请随机抽取专家。", "success")
    return redirect(url_for("mobile.request_show", request_id=req.id))


@bp.route("/enterprises")
@unit_page("phone_request", "create")
def enterprise_search():
    """Enterprises matching ``q`` (name or 统一社会信用代码), for picking on the request form."""
    found = search_enterprises(request.args.get("q", ""))
    return jsonify([{"id": e.id, "name": e.name, "uscc": e.uscc, "address": e.address or ""} for e in found])


# --------------------------------------------------------------------------------------
# the request page and its candidates
# --------------------------------------------------------------------------------------


def _live_draw(req: UsageRequest) -> Draw | None:
    live = [d for d in req.draws if d.voided_at is None]
    return max(live, key=lambda d: d.drawn_at) if live else None


@bp.route("/requests/<int:request_id>")
@unit_page("phone_request", "details")
def request_show(request_id: int):
    """One request: conditions, draw, experts and their answers, completion, notices."""
    req = own_request(request_id)
    today = clock.today()
    is_open = req.state not in ("completed", "cancelled")
    needed = still_needed(req)
    eligible = len(candidates.candidates(req).eligible) if is_open and needed > 0 else None
    draw = _live_draw(req)
    names = {}
    if draw is not None:
        ids = list(draw.chosen_ids or []) + list(draw.backup_ids or [])
        names = dict(db.session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(ids or [-1]))).all())
    notice_rows = db.session.scalars(
        select(Notice).where(Notice.request_id == req.id).options(selectinload(Notice.enterprise)).order_by(Notice.id)
    ).all()
    evaluated = set(db.session.scalars(select(Evaluation.assignment_id).where(
        Evaluation.assignment_id.in_([a.id for a in req.assignments] or [-1]))))
    on_job = sorted((a for a in req.assignments if not a.is_backup), key=lambda a: a.rank)
    backups = sorted((a for a in req.assignments if a.is_backup), key=lambda a: a.rank)
    html = render_template(
        "mobile/ws/request.html", req=req, today=today, is_open=is_open, needed=needed, eligible=eligible,
        draw=draw, draw_names=names, notices=notice_rows, on_job=on_job, backups=backups,
        evaluated=evaluated, transitions=responses.TRANSITIONS, response_labels=RESPONSES,
        response_order=list(RESPONSES), relations=CONFLICT_RELATIONS,
        emergency=EMERGENCY_REASONS, unit_label=completion.unit_label(req.activity_type),
        default_units=completion.default_units(req), may_contact=contact.may_contact,
        masked_mobile=contact.masked_mobile, algorithm_text=draws.ALGORITHM_TEXT, user=current_user,
    )
    return html, 200, {"Cache-Control": "private, no-store"}


@bp.route("/requests/<int:request_id>/candidates")
@unit_page("phone_request", "details")
def request_candidates(request_id: int):
    """The eligible experts and, for each one left out, every reason (SPEC §3.5)."""
    req = own_request(request_id)
    cands = candidates.candidates(req)
    return render_template("mobile/ws/candidates.html", req=req, cands=cands, kinds=candidates.EXCLUSION_KINDS)
