"""Using experts in the admin (第十四—十六条, SPEC §3.5, §3.6): usage requests with their
candidates, the recorded draw and the responses; assignments; notices and receipts; the
emergency paperwork list and the fairness report.

Who may act on a request: the requesting unit (局科室/大队 or 镇街, its own requests only)
and the system administrator. 基础科 reads everything, and may reclassify a decline as
justified or not (it runs the absence rule). Paper receipts are uploaded by the unit that
issued the notice (第十六条: 使用专家的科室、大队……做好回执回收工作).
"""
from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectField, StringField
from wtforms.validators import Optional as OptionalValidator

from admin_views.base import STALE_MESSAGE, ReadOnlyView, SecuredModelView, current_role
from admin_views.formatters import choice, linked, yes_no
from app import clock, validators
from app.auth.rights import allowed
from app.extensions import db
from app.form_choices import options
from app.services.dispatch import (
    candidates,
    completion,
    designation,
    draws,
    fairness,
    notices,
    paperwork,
    responses,
    usage_requests,
    withdrawal,
)
from app.services.dispatch.assignments import still_needed
from app.services.errors import DomainError
from app.services.uploads import read_upload
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

CATEGORY = "专家使用"
UNIT_ROLES = ("department", "town")
STAFF_RESPONSES = ("accepted", "declined_justified", "declined_unjustified", "conflict", "no_show")


# --------------------------------------------------------------------------------------
# who may act
# --------------------------------------------------------------------------------------


def own_unit_id() -> int | None:
    """The unit whose rows a 局科室/大队 or 镇街 user is limited to (None: not limited)."""
    if current_role() in UNIT_ROLES:
        return current_user.org_unit_id or -1
    return None


def can_manage(req: UsageRequest) -> bool:
    """The requesting unit and the system administrator act on a request."""
    role = current_role()
    if role == "sysadmin":
        return True
    return role in UNIT_ROLES and current_user.org_unit_id is not None and current_user.org_unit_id == req.unit_id


def can_classify(req: UsageRequest) -> bool:
    """Whether a decline may be reclassified: the requesting unit, 基础科, the administrator."""
    return can_manage(req) or current_role() == "office"


def _parse_date(value: str | None, what: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{what}格式不正确，应为“年-月-日”，例如2026-03-05。") from None


def _parse_datetime(value: str | None, what: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise DomainError(f"{what}格式不正确，应为“年-月-日 时:分”，例如2026-03-05 22:30。") from None


def _commit_or_flash(action, success: str | None = None):
    """Run ``action``; commit on success, roll back and show the Chinese message on refusal."""
    try:
        result = action()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")
        return None, False
    except StaleDataError:
        db.session.rollback()
        flash(STALE_MESSAGE, "error")
        return None, False
    if success:
        flash(success, "success")
    return result, True


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


def _unit_query():
    return db.session.scalars(
        select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.kind, OrgUnit.name)
    ).all()


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
            "description": (
                "督查、举报核查、应急救援处置可先行使用：保存后立即随机抽取，"
                "并在规定工作日内补办手续（第十五条）。"
            ),
        },
        "backups": {"description": "随机抽取时另抽的候补人数；专家拒绝或回避时依次递补。"},
        "description": {"description": "紧急使用的，可在事后补办手续时补充。"},
    }
    form_widget_args = {"description": {"rows": 3}}
    form_ajax_refs = {
        "enterprises": {"fields": ("name", "uscc"), "page_size": 10, "placeholder": "输入企业名称或信用代码"}
    }

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
        if not creating or current_role() in UNIT_ROLES:
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
            town = (
                db.session.get(OrgUnit, int(form.new_enterprise_town.data)) if form.new_enterprise_town.data else None
            )
            chosen.append(usage_requests.register_enterprise(name, code, town=town))
        return chosen

    def create_model(self, form):
        def action():
            unit = current_user.org_unit if current_role() in UNIT_ROLES else form.unit.data
            return usage_requests.create_request(
                unit=unit, activity_type=form.activity_type.data, subject=form.subject.data,
                description=form.description.data, start_date=form.start_date.data, end_date=form.end_date.data,
                groups=form.groups.data, enterprises=self._enterprises(form), headcount=form.headcount.data,
                backups=form.backups.data, emergency_reason=form.emergency_reason.data or None,
                created_by=current_user,
            )

        model, ok = _commit_or_flash(action)
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

        changes, ok = _commit_or_flash(action)
        if ok and changes:
            flash(
                "使用条件已变更（" + "；".join(changes) + "），原抽取结果和未完成的选派已作废并留有记录，请重新抽取。",
                "warning",
            )
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
        record, ok = _commit_or_flash(lambda: draws.draw(req, current_user))
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
        _commit_or_flash(lambda: designation.designate(req, expert, request.form.get("reason"), current_user),
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

        added, ok = _commit_or_flash(action)
        if ok:
            flash(f"已添加{added.expert.source_label}专家{added.expert.name}参加本次任务（第十四条）。", "success")
        return self._back(req, "assignments")

    @expose("/<int:id>/respond/<int:aid>", methods=["POST"])
    def respond_view(self, id, aid):
        """Record an expert's answer (accept / decline / conflict / no-show)."""
        req = self._request_for_action(id)
        assignment = self._assignment(req, aid)
        form = request.form
        outcome, ok = _commit_or_flash(lambda: responses.respond(
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
            flash(
                f"{outcome.assignment.expert.name}已符合第十三条(四)缺席情形，已列入拟解聘名单，待局领导审批。",
                "warning",
            )

    @expose("/<int:id>/reclassify/<int:aid>", methods=["POST"])
    def reclassify_view(self, id, aid):
        """Decide whether a decline had a justified reason (基础科 or the requesting unit)."""
        req = self._request_for_action(id, classify=True)
        assignment = self._assignment(req, aid)
        justified = request.form.get("justified") == "1"
        proposal, ok = _commit_or_flash(lambda: responses.reclassify_decline(
            assignment, justified, request.form.get("reason"), actor=current_user))
        if ok:
            flash(f"已认定为“{assignment.response_label}”。", "success")
            if proposal is not None:
                flash(
                    f"{assignment.expert.name}已符合第十三条(四)缺席情形，已列入拟解聘名单，待局领导审批。", "warning"
                )
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
                service_date=_parse_date(form.get("service_date"), "服务日期"),
                started_at=_parse_datetime(form.get("started_at"), "开始工作时间"), note=form.get("note"),
                actor=current_user,
            )

        record, ok = _commit_or_flash(action)
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
        _commit_or_flash(lambda: paperwork.complete_paperwork(req, request.form.get("note"), actor=current_user),
                         "补办手续已完成。")
        return self._back(req)

    @expose("/<int:id>/cancel", methods=["POST"])
    def cancel_view(self, id):
        """Withdraw a request; open assignments are released with a record."""
        req = self._request_for_action(id)
        _commit_or_flash(lambda: usage_requests.cancel_request(req, request.form.get("reason"), actor=current_user),
                         "申请已取消，已选派的专家已释放。")
        return self._back(req)

    @expose("/<int:id>/notices", methods=["POST"])
    def notices_view(self, id):
        """发放告知书: one per enterprise of the job (第十六条, 附件3)."""
        req = self._request_for_action(id)
        made, ok = _commit_or_flash(lambda: notices.issue_notices(req))
        if ok:
            if made:
                flash(linked(f"已生成{len(made)}份告知书：{'、'.join(n.notice_no for n in made)}。",
                             url_for(".details_view", id=req.id, _anchor="notices"), "查看告知书"), "success")
            else:
                flash("每家企业都已有告知书。", "info")
        return self._back(req, "notices")


# --------------------------------------------------------------------------------------
# assignments
# --------------------------------------------------------------------------------------


def _assignment_request(view, context, model, name):
    url = url_for("usage_request.details_view", id=model.request_id)
    return Markup(f'<a href="{escape(url)}">{escape(model.request.request_no)}</a> {escape(model.request.subject)}')


class AssignmentView(ReadOnlyView):
    """选派记录: every expert on every job, how chosen and how he answered (read-only;
    answers are recorded on the request page or by the expert on his phone)."""

    column_list = ("request", "expert", "method", "is_backup", "response", "responded_at", "attended", "work_units",
                   "completed_at")
    column_labels = {
        "request": "使用申请", "expert": "专家", "method": "选派方式", "is_backup": "候补", "response": "答复",
        "response_reason": "答复理由", "responded_at": "答复时间", "attended": "到场", "work_units": "工作量",
        "completed_at": "完成登记时间", "designation_reason": "指定/添加理由", "rank": "序号",
        "work_started_at": "开始工作时间", "expert.name": "专家姓名",
    }
    column_formatters = {
        "request": _assignment_request,
        "method": choice(SELECTION_METHODS),
        "response": choice(RESPONSES),
        "is_backup": yes_no,
        "attended": yes_no,
    }
    column_formatters_export = {
        "request": lambda v, c, m, n: f"{m.request.request_no} {m.request.subject}",
        "method": choice(SELECTION_METHODS), "response": choice(RESPONSES), "is_backup": yes_no, "attended": yes_no,
    }
    column_details_list = ("request", "expert", "method", "designation_reason", "is_backup", "rank", "response",
                           "response_reason", "responded_at", "attended", "work_units", "work_started_at",
                           "completed_at")
    column_export_list = column_details_list
    column_formatters_detail = column_formatters
    column_filters = ("response", "method", "is_backup")
    column_searchable_list = ("expert.name",)
    column_default_sort = ("id", True)
    column_auto_select_related = False

    def get_query(self):
        return super().get_query().options(selectinload(self.model.request), selectinload(self.model.expert))

    def scope_query(self, query):
        role = current_role()
        if role == "expert":
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        unit_id = own_unit_id()
        if unit_id is not None:
            return query.filter(
                self.model.request_id.in_(select(UsageRequest.id).where(UsageRequest.unit_id == unit_id))
            )
        return query


# --------------------------------------------------------------------------------------
# notices
# --------------------------------------------------------------------------------------


class NoticeUnitFilter(BaseSQLAFilter):
    """Notices of the requests of one unit."""

    def apply(self, query, value, alias=None):
        try:
            unit_id = int(value)
        except (TypeError, ValueError):
            return query
        return query.filter(Notice.request_id.in_(select(UsageRequest.id).where(UsageRequest.unit_id == unit_id)))

    def operation(self):
        return "为"


class _UnitOptions:
    """The units as filter options, read when the list is shown (Flask-Admin caches the
    options object at start-up, when there is no database session yet)."""

    def __bool__(self):
        return True

    def __iter__(self):
        return iter([(str(u.id), u.name) for u in _unit_query()])


def _notice_actions(view, context, model, name):
    pdf = url_for("notice.pdf_view", id=model.id)
    parts = [f'<a class="btn btn-sm btn-outline-primary" href="{escape(pdf)}">下载告知书</a>']
    if model.receipt_state == "pending" and view.can_upload(model):
        up = url_for("notice.upload_view", id=model.id)
        parts.append(f'<a class="btn btn-sm btn-outline-secondary" href="{escape(up)}">上传纸质回执</a>')
    if model.scan_path:
        scan = url_for("notice.scan_view", id=model.id)
        parts.append(f'<a class="btn btn-sm btn-outline-secondary" href="{escape(scan)}">查看回执扫描件</a>')
    return Markup(" ".join(parts))


def _receipt_state(view, context, model, name):
    label = RECEIPT_STATES.get(model.receipt_state, model.receipt_state)
    cls = "badge-success" if model.receipt_state == "received" else "badge-warning"
    return Markup(f'<span class="badge {cls}">{escape(label)}</span>')


def _notice_request(view, context, model, name):
    url = url_for("usage_request.details_view", id=model.request_id)
    return Markup(f'<a href="{escape(url)}">{escape(model.request.request_no)}</a>'
                  f'<br><small>{escape(model.request.unit.name)}</small>')


class NoticeView(ReadOnlyView):
    """告知书与回执 (第十六条, 附件3): 未回收 / 已回收 by unit; PDF; paper receipts."""

    column_list = ("notice_no", "request", "enterprise", "issued_on", "receipt_state", "receipt_method",
                   "signer_name", "signed_at", "actions")
    column_labels = {
        "notice_no": "告知书编号", "request": "使用申请", "enterprise": "企业", "issued_on": "发放日期",
        "receipt_state": "回执状态", "receipt_method": "签收方式", "signer_name": "签收人", "signed_at": "签收时间",
        "actions": "操作", "enterprise.name": "企业名称",
    }
    column_formatters = {
        "notice_no": lambda v, c, m, n: Markup(f'<span class="text-nowrap">{escape(m.notice_no)}</span>'),
        "issued_on": lambda v, c, m, n: Markup(f'<span class="text-nowrap">{escape(m.issued_on.isoformat())}</span>'),
        "signer_name": lambda v, c, m, n: Markup(f'<span class="text-nowrap">{escape(m.signer_name or "")}</span>'),
        "request": _notice_request,
        "receipt_state": _receipt_state,
        "receipt_method": choice(RECEIPT_METHODS),
        "signed_at": lambda v, c, m, n: notices.format_time(m.signed_at),
        "actions": _notice_actions,
    }
    column_formatters_export = {
        "request": lambda v, c, m, n: f"{m.request.request_no} {m.request.unit.name}",
        "receipt_state": choice(RECEIPT_STATES), "receipt_method": choice(RECEIPT_METHODS),
        "signed_at": lambda v, c, m, n: notices.format_time(m.signed_at),
    }
    column_export_list = ("notice_no", "request", "enterprise", "issued_on", "receipt_state", "receipt_method",
                          "signer_name", "signed_at")
    column_details_list = column_export_list
    column_formatters_detail = {k: v for k, v in column_formatters.items() if k != "actions"}
    column_sortable_list = ("notice_no", "issued_on", "receipt_state", "signed_at")
    column_searchable_list = ("notice_no", "enterprise.name")
    column_default_sort = ("issued_on", True)
    column_auto_select_related = False

    column_filters = [
        FilterEqual(column=Notice.receipt_state, name="回执状态", options=list(RECEIPT_STATES.items())),
        NoticeUnitFilter(column=Notice.request_id, name="使用单位", options=_UnitOptions()),
        FilterEqual(column=Notice.receipt_method, name="签收方式", options=list(RECEIPT_METHODS.items())),
    ]

    def get_query(self):
        return super().get_query().options(
            selectinload(self.model.request).selectinload(UsageRequest.unit), selectinload(self.model.enterprise))

    def scope_query(self, query):
        unit_id = own_unit_id()
        if unit_id is not None:
            return query.filter(
                self.model.request_id.in_(select(UsageRequest.id).where(UsageRequest.unit_id == unit_id))
            )
        return query

    def can_upload(self, notice: Notice) -> bool:
        return can_manage(notice.request)

    def _notice(self, id: int) -> Notice:
        notice = self.get_one(str(id))
        if notice is None:
            abort(404)
        return notice

    @expose("/<int:id>/pdf")
    def pdf_view(self, id):
        """The 告知书 with its 回执 and QR code, as PDF."""
        notice = self._notice(id)
        data = notices.notice_pdf(notice)
        response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                             download_name=notices.notice_filename(notice))
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"notice-{notice.notice_no}.pdf\"; "
            f"filename*=UTF-8''{quote(notices.notice_filename(notice))}")
        return response

    @expose("/<int:id>/scan")
    def scan_view(self, id):
        """The uploaded paper receipt."""
        notice = self._notice(id)
        data = read_upload(notice.scan_path)
        if data is None:
            abort(404)
        mime = "application/pdf" if data[:4] == b"%PDF" else "image/jpeg"
        return send_file(io.BytesIO(data), mimetype=mime, download_name=f"receipt-{notice.notice_no}")

    @expose("/<int:id>/upload", methods=["GET", "POST"])
    def upload_view(self, id):
        """Upload the scan of a signed paper 回执; the notice becomes 已回收."""
        notice = self._notice(id)
        if not self.can_upload(notice):
            abort(403)
        if request.method == "POST":
            upload = request.files.get("scan")
            data = upload.read() if upload and upload.filename else b""

            def action():
                return notices.record_paper_receipt(
                    notice, data, signer_name=request.form.get("signer_name"),
                    signed_on=_parse_date(request.form.get("signed_on"), "签收日期"),
                )

            _, ok = _commit_or_flash(action, f"已上传{notice.enterprise.name}的纸质回执，状态为“已回收”。")
            if ok:
                return redirect(url_for("notice.index_view"))
        return self.render("admin/dispatch/notice_upload.html", notice=notice, today=clock.today())


# --------------------------------------------------------------------------------------
# paperwork and fairness pages
# --------------------------------------------------------------------------------------


class PaperworkView(ReadOnlyView):
    """紧急使用补办手续: overdue and pending paperwork, for the unit or for 基础科 across units.

    A report page over usage requests: only its list page is reachable (RIGHTS: list)."""

    @expose("/")
    def index_view(self):
        today = clock.today()
        unit_id = own_unit_id()
        chosen = unit_id if unit_id is not None else request.args.get("unit", type=int)
        overview = paperwork.paperwork_overview(chosen, today)
        db.session.commit()  # deadlines computed once the holiday table covers them
        return self.render("admin/dispatch/paperwork.html", overview=overview, today=today,
                           units=_unit_query() if unit_id is None else [], chosen=chosen,
                           emergency=EMERGENCY_REASONS, activity=ACTIVITY_TYPES)


class FairnessView(ReadOnlyView):
    """抽取公平性: per expert, how often drawn this year against the group's average
    (a report page over experts: only its list page is reachable)."""

    @expose("/")
    def index_view(self):
        today = clock.today()
        year = request.args.get("year", type=int) or today.year
        if not 2000 <= year <= today.year + 1:
            year = today.year
        return self.render("admin/dispatch/fairness.html", report=fairness.fairness_report(year), year=year,
                           years=list(range(today.year, today.year - 5, -1)), ratio=fairness.FLAG_RATIO)


class OpinionView(SecuredModelView):
    """专家意见建议 (第九条(三)): what experts sent from their phones, and the office's reply.

    An expert's words are never edited: the edit form carries the reply only. 基础科 may
    also record an opinion received on paper or by telephone (create)."""

    column_list = ("created_at", "expert", "subject", "replied_at")
    column_labels = {"created_at": "提交时间", "expert": "专家", "subject": "主题", "body": "内容",
                     "reply": "基础科答复", "replied_at": "答复时间", "expert.name": "专家姓名"}
    column_formatters = {
        "created_at": lambda v, c, m, n: notices.format_time(m.created_at),
        "replied_at": lambda v, c, m, n: notices.format_time(m.replied_at) if m.replied_at else Markup(
            '<span class="badge badge-warning">待答复</span>'),
    }
    column_formatters_export = {"created_at": lambda v, c, m, n: notices.format_time(m.created_at),
                                "replied_at": lambda v, c, m, n: notices.format_time(m.replied_at)}
    column_details_list = ("created_at", "expert", "subject", "body", "reply", "replied_at")
    column_formatters_detail = {"created_at": column_formatters["created_at"],
                                "replied_at": column_formatters_export["replied_at"]}
    column_searchable_list = ("subject", "expert.name")
    column_default_sort = ("created_at", True)
    column_auto_select_related = False
    form_columns = ("expert", "subject", "body", "reply")
    form_args = {
        "expert": {"validators": [validators.required("请选择专家")]},
        "subject": {"validators": [validators.required("请填写主题")]},
        "body": {"validators": [validators.required("请填写内容")]},
    }
    form_widget_args = {"body": {"rows": 5}, "reply": {"rows": 5}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    edit_template = "admin/dispatch/opinion_edit.html"

    def get_query(self):
        return super().get_query().options(selectinload(self.model.expert))

    def scope_query(self, query):
        if current_role() == "expert":
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        for name in ("expert", "subject", "body"):
            if hasattr(form, name):
                delattr(form, name)
        return form

    def on_model_change(self, form, model, is_created):
        from app.clock import utcnow

        if (model.reply or "").strip():
            model.reply = model.reply.strip()
            model.replied_at = utcnow()
        else:
            model.reply, model.replied_at = None, None
