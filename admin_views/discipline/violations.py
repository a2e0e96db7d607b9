"""违规处理 (``violation``): the office records a possible violation, then verifies it (核实 applies
the ladder by itself and shows the sanction with its dates) or finds it unfounded (不予认定).
Drafts opened by a very low evaluation item arrive here too.
"""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEmpty, FilterEqual
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from admin_views.base import SecuredModelView, current_role
from admin_views.discipline.common import _date, _nowrap, _short, local_time, sanction_span
from admin_views.formatters import linked, yes_no
from app import clock, validators
from app.auth.rights import allowed
from app.extensions import db
from app.services.discipline import ladder as discipline_service
from app.services.errors import DomainError
from app.services.proposals import propose_dismissal
from app.services.status import status_of
from models import Violation
from models.choices import SANCTIONS, VIOLATION_STATES


class ViolationView(SecuredModelView):
    """违规处理 (第二十一条): record, verify (the ladder applies itself), or 不予认定."""

    # state, outcome and the buttons come first: on a phone they are what fits on the screen
    column_list = ("expert", "state", "sanction", "handle", "found_on", "finding", "sanction_span", "illegal_referral")
    column_details_list = ("expert", "found_on", "finding", "evaluation", "investigation", "state", "verified_on",
                           "verified_by", "sanction", "sanction_span", "ladder_note", "illegal_referral",
                           "referral_note", "created_at")
    column_export_list = ("expert", "found_on", "finding", "investigation", "state", "verified_on", "sanction",
                          "sanction_span", "ladder_note", "illegal_referral", "referral_note")
    column_labels = {
        "expert": "专家", "expert.name": "专家姓名", "found_on": "发现日期", "finding": "违规情形",
        "investigation": "调查核实结果", "state": "状态", "verified_on": "核实/处理日期", "verified_by": "经办人",
        "sanction": "处理", "sanction_span": "处理期间", "ladder_note": "处理说明", "illegal_referral": "违法违规移送",
        "referral_note": "移送情况", "evaluation": "来源评价表", "handle": "办理", "created_at": "登记时间",
    }
    column_descriptions = {"illegal_referral": "第二十一条：发现专家存在违法违规行为的，按照相关法律法规进行处理"}
    column_sortable_list = ("found_on", "state", "sanction", "verified_on", ("expert", "expert.name"))
    column_default_sort = ("found_on", True)
    column_searchable_list = ("expert.name", "finding")
    column_filters = (
        FilterEqual(Violation.state, "状态", options=list(VIOLATION_STATES.items())),
        FilterEqual(Violation.sanction, "处理", options=list(SANCTIONS.items())),
        BooleanEqualFilter(Violation.illegal_referral, "违法违规移送"),
        FilterEmpty(Violation.evaluation_id, "由评价表低分生成"),
        "found_on",
    )
    form_columns = ("expert", "found_on", "finding", "investigation", "illegal_referral", "referral_note")
    form_args = {
        "expert": {"label": "专家", "validators": [validators.required("请选择专家")]},
        "found_on": {
            "label": "发现日期",
            "validators": [validators.required("请填写发现日期"), validators.not_in_future],
        },
        "finding": {
            "label": "违规情形",
            "validators": [validators.required("请填写违规情形")],
            "description": "违反第十条专家义务或《专家服务承诺书》（附件1）的具体情形",
        },
        "investigation": {"label": "调查核实结果", "description": "核实时必填"},
        "illegal_referral": {"label": "属违法违规行为，移送处理"},
        "referral_note": {"label": "移送情况", "description": "移送机关、日期、文号"},
    }
    form_widget_args = {"finding": {"rows": 4}, "investigation": {"rows": 3}, "referral_note": {"rows": 2}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    column_auto_select_related = False
    details_template = "admin/discipline/violation_details.html"

    def _evaluation(view, context, model, name):
        ev = model.evaluation
        if ev is None:
            return ""
        return f"{ev.enterprise_name} {ev.evaluated_on.isoformat()} 考评人{ev.evaluator_name} 总分{ev.total}分"

    def _handle(view, context, model, name):
        if model.state != "draft" or not view.can_edit:
            return ""
        verify = url_for(".verify_view", id=model.id)
        drop = url_for(".dismiss_view", id=model.id)
        return Markup(f'<a class="btn btn-sm btn-primary" href="{escape(verify)}">核实</a> '
                      f'<a class="btn btn-sm btn-outline-secondary" href="{escape(drop)}">不予认定</a>')

    column_formatters = {
        "expert": lambda v, c, m, n: _nowrap(m.expert.name),
        "found_on": lambda v, c, m, n: _nowrap(_date(m.found_on)),
        "state": lambda v, c, m, n: _nowrap(m.state_label),
        "sanction": lambda v, c, m, n: m.sanction_label if m.state == "verified" and m.sanction else (
            "不另行处罚" if m.state == "verified" else ""),
        "sanction_span": sanction_span,
        "illegal_referral": yes_no,
        "finding": lambda v, c, m, n: _short(m.finding, 60),
        "evaluation": _evaluation,
        "handle": _handle,
        "verified_by": lambda v, c, m, n: (m.verified_by.full_name or m.verified_by.username) if m.verified_by else "",
        "created_at": lambda v, c, m, n: local_time(m.created_at),
    }
    column_formatters_detail = {**column_formatters, "finding": lambda v, c, m, n: m.finding}
    column_formatters_export = {**{k: v for k, v in column_formatters.items() if k not in ("handle",)},
                                "expert": lambda v, c, m, n: m.expert.name, "found_on": lambda v, c, m, n: m.found_on,
                                "state": lambda v, c, m, n: m.state_label}
    column_formatters_export["finding"] = lambda v, c, m, n: m.finding

    def get_query(self):
        return super().get_query().options(selectinload(Violation.expert), selectinload(Violation.evaluation))

    # -- create and edit go through the service ------------------------------------------
    def create_model(self, form):
        try:
            model = discipline_service.record_violation(
                form.expert.data, form.found_on.data, form.finding.data, investigation=form.investigation.data,
                illegal_referral=form.illegal_referral.data, referral_note=form.referral_note.data, actor=current_user)
            db.session.commit()
        except Exception as ex:  # noqa: BLE001 - Flask-Admin's own pattern; DomainError is flashed
            db.session.rollback()
            if not self.handle_view_exception(ex):
                raise
            return False
        self.after_model_change(form, model, True)
        return model

    def on_model_change(self, form, model, is_created):
        if not is_created:
            discipline_service.amend_violation(model, actor=current_user)

    # -- verify / 不予认定 / dismissal proposal -------------------------------------------------
    def _writable_or_403(self):
        if not self.can_edit:
            abort(403)

    def _draft_or_redirect(self):
        rid = request.values.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None:
            flash("未找到该违规记录。", "error")
            return None, redirect(url_for(".index_view"))
        if model.state != "draft":
            flash(f"该违规记录已{model.state_label}。", "warning")
            return None, redirect(url_for(".details_view", id=model.id))
        return model, None

    def _history(self, model):
        return list(db.session.scalars(
            select(Violation).where(Violation.expert_id == model.expert_id, Violation.state == "verified",
                                    Violation.id != model.id).order_by(Violation.verified_on, Violation.id)))

    @expose("/verify/", methods=("GET", "POST"))
    def verify_view(self):
        """核实: shows what the ladder will do, applies it on confirmation, shows the result."""
        self._writable_or_403()
        model, response = self._draft_or_redirect()
        if response is not None:
            return response
        today = clock.today()
        try:
            verified_on = validators.parse_date(request.args.get("verified_on"), "核实日期") or today
        except DomainError:  # a mistyped date in the address: the page starts from today
            verified_on = today
        if request.method == "POST":
            verified_on = None
            model.illegal_referral = request.form.get("illegal_referral") == "y"
            model.referral_note = (request.form.get("referral_note") or "").strip() or None
            try:
                verified_on = validators.parse_date(request.form.get("verified_on"), "核实日期")
                if verified_on is None:
                    raise DomainError("请填写核实日期。")
                step = discipline_service.verify_violation(
                    model, verified_on=verified_on, investigation=request.form.get("investigation", ""),
                    actor=current_user)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                flash(str(err), "error")
                model = self.get_one(str(model.id))
                verified_on = verified_on or today
            else:
                released = ("其尚未完成、工作日期在处分生效日及以后的任务已解除选派，由候补递补或由使用单位重新抽取。"
                            if step.sanction in ("suspension", "blacklist") else "")
                flash(f"已核实，处理结果：{step.label}。{released}", "success")
                return redirect(url_for(".details_view", id=model.id))
        preview = discipline_service.preview_step(model, verified_on)
        return self.render("admin/discipline/violation_verify.html", model=model, preview=preview,
                           history=self._history(model), status=status_of(model.expert_id, today),
                           verified_on=verified_on, today=today, form_values=request.form)

    @expose("/verify/preview/")
    def verify_preview_view(self):
        """What verifying would do on another 核实日期 (the verify page asks when the date changes)."""
        self._writable_or_403()
        rid = request.args.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None or model.state != "draft":
            abort(404)
        try:
            verified_on = validators.parse_date(request.args.get("verified_on"), "核实日期")
        except DomainError as err:
            return jsonify({"error": str(err)}), 400
        if verified_on is None or verified_on > clock.today():
            return jsonify({"error": "请填写不晚于今天的核实日期。"}), 400
        step = discipline_service.preview_step(model, verified_on)
        basis = f"以核实日期{verified_on.isoformat()}计算；暂停、黑名单期满之日起自动恢复，无需任何操作。"
        return jsonify({"verified_on": verified_on.isoformat(), "sanction": step.sanction, "label": step.label,
                        "note": step.note, "interview": step.interview, "basis": basis})

    @expose("/dismiss/", methods=("GET", "POST"))
    def dismiss_view(self):
        """不予认定 with its reason."""
        self._writable_or_403()
        model, response = self._draft_or_redirect()
        if response is not None:
            return response
        if request.method == "POST":
            try:
                discipline_service.dismiss_violation(model, request.form.get("reason", ""), actor=current_user)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                flash(str(err), "error")
                model = self.get_one(str(model.id))
            else:
                flash("已不予认定，该记录对专家不产生任何后果。", "success")
                return redirect(url_for(".details_view", id=model.id))
        return self.render("admin/discipline/violation_dismiss.html", model=model)

    @expose("/propose_dismissal/", methods=("POST",))
    def propose_dismissal_view(self):
        """Put the expert of a verified violation on the dismissal-proposal list (第十三条(七))."""
        if not allowed(current_role(), "dismissal", "create"):
            abort(403)
        rid = request.form.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None or model.state != "verified":
            flash("只能对已核实的违规提出解聘建议。", "error")
            return redirect(url_for(".index_view"))
        try:
            propose_dismissal(model.expert, "7", origin="manual", actor_id=current_user.id,
                              detail=f"{model.found_on.isoformat()}发现违规：{_short(model.finding, 150)}")
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            flash(f"已将{model.expert.name}列入拟解聘名单（第十三条(七)），待局领导审批。", "success")
        return redirect(url_for(".details_view", id=model.id))

    @expose("/blacklist_announcement/", methods=("POST",))
    def blacklist_announcement_view(self):
        """Draft the 黑名单公告 of a blacklisted expert; the office publishes it under 公告."""
        if not allowed(current_role(), "announcement", "create"):
            abort(403)
        rid = request.form.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None:
            abort(404)
        try:
            ann = discipline_service.draft_blacklist_announcement(model, actor=current_user)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
            return redirect(url_for(".details_view", id=model.id))
        flash(linked("黑名单公告已起草，请核对文字、填写文号后发布。" if not ann.published else "该黑名单公告已发布。",
                     url_for("announcement.details_view", id=ann.id), "查看公告"), "success")
        return redirect(url_for("announcement.details_view", id=ann.id))

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            model = kwargs["model"]
            # where the ladder stops (recorded only, already blacklisted) or the act is illegal,
            # the office may go further under 第十三条(七); a leader decides
            kwargs["can_propose_dismissal"] = allowed(current_role(), "dismissal", "create") and (
                model.state == "verified" and (model.sanction in (None, "blacklist") or model.illegal_referral))
            kwargs["can_announce_blacklist"] = (
                model.state == "verified"
                and model.sanction == "blacklist"
                and allowed(current_role(), "announcement", "create")
                and "announcement.details_view" in current_app.view_functions
            )
        return super().render(template, **kwargs)
