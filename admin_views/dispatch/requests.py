"""Usage requests in the admin (第十四条, 第十五条, SPEC §3.5): the request with its candidates,
the recorded draw, the experts' responses and the classification of declines.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField
from wtforms.validators import Optional as OptionalValidator

from admin_views.base import STALE_MESSAGE, SecuredModelView, current_role
from admin_views.dispatch.common import (
    STAFF_RESPONSES,
    _unit_query,
    can_classify,
    can_manage,
    own_unit_id,
)
from admin_views.formatters import choice, linked
from admin_views.helpers import run
from app import clock, validators
from app.auth.rights import allowed, works_for_a_unit
from app.extensions import db
from app.form_choices import options
from app.services.dispatch import (
    candidates,
    completion,
    designation,
    draws,
    notices,
    paperwork,
    responses,
    usage_requests,
    withdrawal,
)
from app.services.dispatch.assignments import still_needed
from app.services.errors import DomainError
from app.validators import parse_date, parse_datetime
from models import Assignment, Expert, ExpertGroup, Notice, OrgUnit, ServiceRecord, UsageRequest, User
from models.choices import (
    ACTIVITY_TYPES,
    CONFLICT_RELATIONS,
    EDUCATION_LEVELS,
    EMERGENCY_REASONS,
    EXPERT_SOURCES,
    RECEIPT_METHODS,
    RECEIPT_STATES,
    REQUEST_STATES,
    RESPONSES,
    SELECTION_METHODS,
    UPPER_POOL_LEVELS,
)

# --------------------------------------------------------------------------------------
# usage requests
# --------------------------------------------------------------------------------------


def _emergency_label(view, context, model, name):
    if not model.emergency:
        return ""
    return "紧急：" + EMERGENCY_REASONS.get(model.emergency_reason, "")


def _paperwork_label(view, context, model, name):
    if not model.emergency:
        return ""
    if model.paperwork_done_at:
        return "已补办"
    if model.paperwork_due is None:
        return "期限待定"
    overdue = model.paperwork_due < clock.today()
    text = f"{model.paperwork_due.isoformat()}前补办" + ("（已逾期）" if overdue else "")
    return Markup(f'<span class="text-danger font-weight-bold">{escape(text)}</span>') if overdue else text


def _state_label(view, context, model, name):
    """The request's state; 须重新抽取 when a penalty released experts and no backup took over."""
    label = REQUEST_STATES.get(model.state, model.state)
    if withdrawal.needs_redraw(model):
        return Markup('{} <span class="badge badge-danger">须重新抽取</span>').format(label)
    return label


def _state_text(view, context, model, name):
    label = REQUEST_STATES.get(model.state, model.state)
    return label + ("（须重新抽取）" if withdrawal.needs_redraw(model) else "")


def _request_link(view, context, model, name):
    url = url_for("usage_request.details_view", id=model.id)
    return Markup(f'<a href="{escape(url)}">{escape(model.request_no)}</a>')


def _group_query():
    return db.session.scalars(select(ExpertGroup).order_by(ExpertGroup.sort_order)).all()


REQUEST_LABELS = {
    "request_no": "申请编号", "unit": "申请单位", "activity_type": "活动类型", "subject": "任务名称",
    "description": "使用事由", "start_date": "开始日期", "end_date": "结束日期", "headcount": "所需人数",
    "backups": "候补人数", "emergency": "紧急使用", "emergency_reason": "紧急情况（先行使用，事后补办手续）",
    "paperwork_due": "补办手续期限", "state": "状态", "groups": "专家组别（符合任一组别即可）",
    "enterprises": "服务企业", "created_at": "申请时间", "unit.name": "申请单位",
}


class UsageRequestView(SecuredModelView):
    """使用申请 (第十五条). The details page is the request page: candidates, draw, responses,
    completion, notices."""

    column_list = ("request_no", "unit", "activity_type", "subject", "start_date", "end_date", "headcount",
                   "emergency", "paperwork_due", "state")
    column_labels = REQUEST_LABELS
    column_formatters = {
        "request_no": _request_link,
        "activity_type": choice(ACTIVITY_TYPES),
        "state": _state_label,
        "emergency": _emergency_label,
        "paperwork_due": _paperwork_label,
    }
    column_formatters_export = {
        "activity_type": choice(ACTIVITY_TYPES), "state": _state_text,
        "emergency": lambda v, c, m, n: _emergency_label(v, c, m, n),
        "paperwork_due": lambda v, c, m, n: str(_paperwork_label(v, c, m, n)),
    }
    column_export_list = ("request_no", "unit", "activity_type", "subject", "start_date", "end_date", "headcount",
                          "emergency", "paperwork_due", "state")
    column_filters = ("state", "activity_type", "emergency", "start_date")
    column_searchable_list = ("request_no", "subject")
    column_sortable_list = ("request_no", "start_date", "end_date", "state")
    column_default_sort = ("start_date", True)
    column_auto_select_related = False
    details_template = "admin/dispatch/request_details.html"

    form_columns = ("unit", "activity_type", "emergency_reason", "subject", "description", "start_date", "end_date",
                    "groups", "enterprises", "new_enterprise_name", "new_enterprise_uscc", "new_enterprise_town",
                    "headcount", "backups")
    form_choices = {"activity_type": list(ACTIVITY_TYPES.items())}
    form_overrides = {"emergency_reason": SelectField}
    form_extra_fields = {
        "new_enterprise_name": StringField("新建企业：企业全称",
                                           description="所需企业不在上面的列表中时填写；与统一社会信用代码一起保存为新的服务单位。"),
        "new_enterprise_uscc": StringField("新建企业：统一社会信用代码", validators=[validators.uscc],
                                           description="18位，系统校验其校验位。"),
        "new_enterprise_town": SelectField("新建企业：所在镇/街道", coerce=str, validators=[OptionalValidator()]),
    }
    form_args = {
        "subject": {"validators": [validators.required("请填写任务名称")]},
        "start_date": {"validators": [validators.required("请填写开始日期")]},
        "end_date": {"validators": [validators.required("请填写结束日期")]},
        "groups": {"query_factory": _group_query, "validators": [validators.required("请至少选择一个专家组别")]},
        "unit": {"query_factory": _unit_query},
        "emergency_reason": {
            "choices": options(EMERGENCY_REASONS, blank="否——按正常流程申请"),
            "description": "督查、举报核查、应急救援处置可先行使用：保存后立即随机抽取，"
                           "并在规定工作日内补办手续（第十五条）。",
        },
        "backups": {"description": "随机抽取时另抽的候补人数；专家拒绝或回避时依次递补。"},
        "description": {"description": "紧急使用的，可在事后补办手续时补充。"},
    }
    form_widget_args = {"description": {"rows": 3}}
    form_ajax_refs = {"enterprises": {"fields": ("name", "uscc"), "page_size": 10,
                                      "placeholder": "输入企业名称或信用代码"}}

    def get_query(self):
        return super().get_query().options(selectinload(self.model.unit), selectinload(self.model.assignments))

    def scope_query(self, query):
        unit_id = own_unit_id()
        if unit_id is not None:
            return query.filter(self.model.unit_id == unit_id)
        return query

    # -- forms --------------------------------------------------------------------------
    def _prepare(self, form, creating: bool):
        towns = [("", "（不填）")] + [(str(u.id), u.name) for u in _unit_query() if u.is_town_level]
        form.new_enterprise_town.choices = towns
        if not creating or works_for_a_unit(current_role()):
            del form.unit
        if not creating:
            del form.emergency_reason
        return form

    def create_form(self, obj=None):
        return self._prepare(super().create_form(obj), True)

    def edit_form(self, obj=None):
        return self._prepare(super().edit_form(obj), False)

    def _enterprises(self, form):
        # The raw ids, not the field's data: the ajax field silently drops ids it cannot load,
        # and an unknown enterprise must be refused with a message instead.
        chosen: list = []
        for raw in request.form.getlist("enterprises"):
            for part in raw.split(","):
                part = part.strip()
                if part:
                    chosen.append(part)
        name, code = (form.new_enterprise_name.data or "").strip(), (form.new_enterprise_uscc.data or "").strip()
        if name or code:
            if not (name and code):
                raise DomainError("新建企业须同时填写企业全称和统一社会信用代码。")
            town_id = form.new_enterprise_town.data
            town = db.session.get(OrgUnit, int(town_id)) if town_id else None
            chosen.append(usage_requests.register_enterprise(name, code, town=town))
        return chosen

    def create_model(self, form):
        def action():
            unit = current_user.org_unit if works_for_a_unit(current_role()) else form.unit.data
            return usage_requests.create_request(
                unit=unit, activity_type=form.activity_type.data, subject=form.subject.data,
                description=form.description.data, start_date=form.start_date.data, end_date=form.end_date.data,
                groups=form.groups.data, enterprises=self._enterprises(form), headcount=form.headcount.data,
                backups=form.backups.data, emergency_reason=form.emergency_reason.data or None,
                created_by=current_user,
            )

        model, ok = run(action)
        if not ok:
            return False
        if model.emergency:
            due = model.paperwork_due.isoformat() if model.paperwork_due else "待节假日数据维护后确定"
            flash(f"紧急使用：已立即随机抽取{model.headcount}名专家（见下方选派情况），"
                  f"请于{due}前补办使用手续（第十五条）。", "warning")
        return model

    def update_model(self, form, model):
        sent = (form.version.data or "").strip() if hasattr(form, "version") else str(model.version)
        if sent != str(model.version):
            flash(STALE_MESSAGE, "error")
            return False

        def action():
            return usage_requests.update_request_conditions(
                model, actor=current_user, subject=form.subject.data, description=form.description.data or "",
                activity_type=form.activity_type.data, groups=form.groups.data,
                start_date=form.start_date.data, end_date=form.end_date.data, enterprises=self._enterprises(form),
                headcount=form.headcount.data, backups=form.backups.data,
            )

        changes, ok = run(action)
        if ok and changes:
            flash("使用条件已变更（" + "；".join(changes) + "），原抽取结果和未完成的选派已作废并留有记录，"
                  "请重新抽取。", "warning")
        return ok

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    # -- the request page ------------------------------------------------------------------
    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self._page(kwargs["model"]))
        return super().render(template, **kwargs)

    def _page(self, req: UsageRequest) -> dict:
        cands = candidates.candidates(req)
        draw_ids = set()
        for d in req.draws:
            draw_ids.update(d.chosen_ids or [])
            draw_ids.update(d.backup_ids or [])
        names = dict(db.session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(draw_ids or [-1]))).all())
        users = {u.id: u for u in db.session.scalars(
            select(User).where(User.id.in_([d.drawn_by_id for d in req.draws if d.drawn_by_id] or [-1])))}
        externals = db.session.scalars(
            select(Expert).where(Expert.source.in_(("upper", "outside")), Expert.stage != "dismissed")
            .order_by(Expert.name)
        ).all()
        notice_rows = db.session.scalars(
            select(Notice).where(Notice.request_id == req.id).options(selectinload(Notice.enterprise))
            .order_by(Notice.id)
        ).all()
        assignments = sorted(req.assignments, key=lambda a: (a.is_backup, a.rank))
        records = dict(db.session.execute(
            select(ServiceRecord.assignment_id, ServiceRecord.id)
            .where(ServiceRecord.assignment_id.in_([a.id for a in assignments] or [-1]))
        ).all())
        return {
            "req": req,
            "records": records,  # assignment id -> its service record id: shown as a link, never just claimed
            "see_records": allowed(current_role(), "service_record", "details"),
            "cands": cands,
            "needed": still_needed(req),
            "assignments": assignments,
            "draws": sorted(req.draws, key=lambda d: d.drawn_at, reverse=True),
            "expert_names": names,
            "draw_users": users,
            "externals": externals,
            "notices": notice_rows,
            # SPEC §3.16: experts released by a penalty, and whether the unit must draw again
            "withdrawn": [a for a in assignments if a.response == withdrawal.WITHDRAWN and not a.is_backup],
            "redraw": withdrawal.needs_redraw(req),
            "manage": can_manage(req),
            "classify": can_classify(req),
            "open": req.state not in ("completed", "cancelled"),
            "today": clock.today(),
            "labels": {
                "activity": ACTIVITY_TYPES, "state": REQUEST_STATES, "emergency": EMERGENCY_REASONS,
                "responses": RESPONSES, "methods": SELECTION_METHODS, "relations": CONFLICT_RELATIONS,
                "receipt": RECEIPT_STATES, "receipt_methods": RECEIPT_METHODS, "sources": EXPERT_SOURCES,
                "education": EDUCATION_LEVELS, "upper_levels": UPPER_POOL_LEVELS, "kinds": candidates.EXCLUSION_KINDS,
            },
            "staff_responses": STAFF_RESPONSES,
            "unit_label": completion.unit_label(req.activity_type),
            "default_units": completion.default_units(req),
            "algorithm_text": draws.ALGORITHM_TEXT,
            "groups_all": _group_query(),
            "format_time": notices.format_time,
            "local_time": notices.local_time,
        }

    def _request_for_action(self, id: int, *, classify: bool = False) -> UsageRequest:
        req = self.get_one(str(id))
        if req is None:
            abort(404)
        if not (can_classify(req) if classify else can_manage(req)):
            abort(403)
        return req

    def _back(self, req: UsageRequest, anchor: str = ""):
        return redirect(self.get_url(".details_view", id=req.id) + (f"#{anchor}" if anchor else ""))

    @staticmethod
    def _assignment(req: UsageRequest, aid: int) -> Assignment:
        found = next((a for a in req.assignments if a.id == aid), None)
        if found is None:
            abort(404)
        return found

    @expose("/<int:id>/draw", methods=["POST"])
    def draw_view(self, id):
        """随机抽取: draw what the request still needs, with backups."""
        req = self._request_for_action(id)
        record, ok = run(lambda: draws.draw(req, current_user))
        if ok:
            flash(f"已随机抽取{len(record.chosen_ids)}名专家、{len(record.backup_ids)}名候补；"
                  f"种子{record.seed}已记录，可随时重放验证。", "success")
        return self._back(req, "draws")

    @expose("/<int:id>/replay/<int:draw_id>")
    def replay_view(self, id, draw_id):
        """重放验证: recompute a recorded draw and compare (changes nothing)."""
        req = self.get_one(str(id))
        if req is None:
            abort(404)
        record = next((d for d in req.draws if d.id == draw_id), None)
        if record is None:
            abort(404)
        chosen, backups = draws.replay_draw(record)
        names = dict(db.session.execute(
            select(Expert.id, Expert.name).where(Expert.id.in_(chosen + backups or [-1]))).all())
        listed = "、".join(names.get(i, str(i)) for i in chosen)
        if draws.verify_draw(record):
            flash(f"重放验证一致：按记录的种子和符合条件专家名单重新计算，抽中{listed}"
                  + (f"，候补{'、'.join(names.get(i, str(i)) for i in backups)}" if backups else "")
                  + "，与记录的结果相同。", "success")
        else:
            flash(f"重放验证不一致：重新计算的结果为{listed}，与记录的结果不同，请立即报告基础科。", "error")
        return self._back(req, f"draw-{record.id}")

    @expose("/<int:id>/designate", methods=["POST"])
    def designate_view(self, id):
        """指定专家（须填写理由）."""
        req = self._request_for_action(id)
        expert = db.session.get(Expert, request.form.get("expert_id", type=int) or -1)
        run(lambda: designation.designate(req, expert, request.form.get("reason"), current_user),
                         f"已指定专家{expert.name}。" if expert else None)
        return self._back(req, "assignments")

    @expose("/<int:id>/external", methods=["POST"])
    def external_view(self, id):
        """添加上级库或库外专家 (第十四条): an existing external expert, or a new one."""
        req = self._request_for_action(id)
        form = request.form

        def action():
            if form.get("expert_id"):
                expert = db.session.get(Expert, form.get("expert_id", type=int) or -1)
                if expert is None:
                    raise DomainError("所选专家不存在。")
            else:
                expert = designation.create_external_expert(
                    name=form.get("name", ""), id_number=form.get("id_number", ""),
                    employer=form.get("employer", ""), mobile=form.get("mobile", ""),
                    source=form.get("source", ""), title=form.get("title"),
                    education=form.get("education", "bachelor"), upper_pool_level=form.get("upper_pool_level") or None,
                    groups=[int(g) for g in form.getlist("groups") if g.isdigit()],
                )
            return designation.add_external_expert(req, expert, form.get("reason"), current_user)

        added, ok = run(action)
        if ok:
            flash(f"已添加{added.expert.source_label}专家{added.expert.name}参加本次任务（第十四条）。", "success")
        return self._back(req, "assignments")

    @expose("/<int:id>/respond/<int:aid>", methods=["POST"])
    def respond_view(self, id, aid):
        """Record an expert's answer (accept / decline / conflict / no-show)."""
        req = self._request_for_action(id)
        assignment = self._assignment(req, aid)
        form = request.form
        outcome, ok = run(lambda: responses.respond(
            assignment, form.get("response", ""), reason=form.get("reason"), actor=current_user,
            conflict_enterprise=form.get("enterprise_id", type=int), conflict_relation=form.get("relation"),
        ))
        if ok:
            flash(f"已记录{assignment.expert.name}的答复：{assignment.response_label}。", "success")
            self._flash_outcome(outcome)
        return self._back(req, "assignments")

    @staticmethod
    def _flash_outcome(outcome):
        if outcome.promoted is not None:
            flash(f"已由候补专家{outcome.promoted.expert.name}递补，请通知其答复。", "info")
        elif outcome.backups_exhausted:
            flash("候补专家已用尽，请补充随机抽取或指定专家。", "warning")
        if outcome.proposal is not None:
            flash(f"{outcome.assignment.expert.name}已符合第十三条(四)缺席情形，已列入拟解聘名单，"
                  "待局领导审批。", "warning")

    @expose("/<int:id>/reclassify/<int:aid>", methods=["POST"])
    def reclassify_view(self, id, aid):
        """Decide whether a decline had a justified reason (基础科 or the requesting unit)."""
        req = self._request_for_action(id, classify=True)
        assignment = self._assignment(req, aid)
        justified = request.form.get("justified") == "1"
        proposal, ok = run(lambda: responses.reclassify_decline(
            assignment, justified, request.form.get("reason"), actor=current_user))
        if ok:
            flash(f"已认定为“{assignment.response_label}”。", "success")
            if proposal is not None:
                flash(f"{assignment.expert.name}已符合第十三条(四)缺席情形，已列入拟解聘名单，"
                      "待局领导审批。", "warning")
        return self._back(req, "assignments")

    @expose("/<int:id>/complete/<int:aid>", methods=["POST"])
    def complete_view(self, id, aid):
        """Attendance and the work done → the service record fees are computed from."""
        req = self._request_for_action(id)
        assignment = self._assignment(req, aid)
        form = request.form

        def action():
            attended = form.get("attended") != "0"
            return completion.complete_assignment(
                assignment, attended=attended, units=form.get("units"),
                service_date=parse_date(form.get("service_date"), "服务日期"),
                started_at=parse_datetime(form.get("started_at"), "开始工作时间"), note=form.get("note"),
                actor=current_user,
            )

        record, ok = run(action)
        if ok:
            if record is None:
                flash(f"已记录{assignment.expert.name}未到场。", "warning")
            else:
                url = (url_for("service_record.details_view", id=record.id)
                       if allowed(current_role(), "service_record", "details") else None)
                flash(linked(f"已登记{assignment.expert.name}的完成情况：{record.units}"
                             f"{completion.unit_label(req.activity_type)}，已生成服务记录（费用由基础科按附件4季度核算）。",
                             url, "查看服务记录"), "success")
        return self._back(req, "assignments")

    @expose("/<int:id>/paperwork", methods=["POST"])
    def paperwork_view(self, id):
        """事后补办使用手续 (第十五条)."""
        req = self._request_for_action(id)
        run(lambda: paperwork.complete_paperwork(req, request.form.get("note"), actor=current_user),
                         "补办手续已完成。")
        return self._back(req)

    @expose("/<int:id>/cancel", methods=["POST"])
    def cancel_view(self, id):
        """Withdraw a request; open assignments are released with a record."""
        req = self._request_for_action(id)
        run(lambda: usage_requests.cancel_request(req, request.form.get("reason"), actor=current_user),
                         "申请已取消，已选派的专家已释放。")
        return self._back(req)

    @expose("/<int:id>/notices", methods=["POST"])
    def notices_view(self, id):
        """发放告知书: one per enterprise of the job (第十六条, 附件3)."""
        req = self._request_for_action(id)
        made, ok = run(lambda: notices.issue_notices(req))
        if ok:
            if made:
                flash(linked(f"已生成{len(made)}份告知书：{'、'.join(n.notice_no for n in made)}。",
                             url_for(".details_view", id=req.id, _anchor="notices"), "查看告知书"), "success")
            else:
                flash("每家企业都已有告知书。", "info")
        return self._back(req, "notices")
