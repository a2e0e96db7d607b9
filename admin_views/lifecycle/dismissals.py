"""解聘 (第十三条): proposals by 基础科 and by rules; a leader approves or rejects; the
approved ones are drafted into a 解聘公告."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length
from wtforms.validators import Optional as OptionalValidator

from admin_views.base import STALE_MESSAGE, SecuredModelView, current_role
from admin_views.formatters import choice, fmt_time, linked, local_time
from admin_views.helpers import int_ids, one_or_404, refuse, require_role, run
from admin_views.lifecycle import OfficeStepActions
from app import clock, validators
from app.auth.rights import allowed
from app.extensions import db
from app.form_choices import options
from app.services.errors import DomainError
from app.services.lifecycle import announcements as announcement_service
from app.services.lifecycle import dismissal as dismissal_service
from app.services.permits.issuing import current_permit
from app.services.proposals import reason_text
from models import Dismissal, Expert
from models.choices import DISMISSAL_ORIGINS, DISMISSAL_REASONS, DISMISSAL_STATES


class DecideForm(FlaskForm):
    decision = RadioField("决定", choices=options([("approve", "批准解聘"), ("reject", "不予解聘")]),
                          validate_choice=False, validators=[InputRequired("请选择批准解聘或不予解聘。")])
    effective_on = DateField("解聘生效日期", format="%Y-%m-%d", validators=[OptionalValidator()])
    note = TextAreaField("审批意见", validators=[Length(max=2000, message="意见不能超过2000字")], render_kw={"rows": 3})


# --- Dismissal -----------------------------------------------------------------------------------------


class DismissalView(OfficeStepActions, SecuredModelView):
    """解聘 (第十三条): the proposal list (by 基础科 and by rules); a leader approves or rejects."""

    column_list = ("expert", "reason", "origin", "state", "proposed_at", "effective_on", "decision_note",
                   "announcement_id")
    column_labels = {
        "expert": "专家", "expert.name": "专家姓名", "reason": "解聘理由（第十三条）", "origin": "提出方式",
        "state": "状态", "detail": "事实和依据", "proposed_at": "提出时间", "decided_at": "审批时间",
        "decision_note": "审批意见", "effective_on": "生效日期", "announcement_id": "公告",
        "proposed_by": "提出人", "decided_by": "审批人",
    }
    column_details_list = ("expert", "reason", "origin", "detail", "state", "proposed_at", "decided_at",
                           "decision_note", "effective_on", "announcement_id")
    column_export_list = column_details_list

    def _announced(view, context, model, name):
        if not model.announcement_id:
            return "待公告" if model.state == "approved" else ""
        return Markup(
            f'<a href="{escape(url_for("announcement.details_view", id=model.announcement_id))}">已编入公告</a>'
        )

    column_formatters = {
        "reason": choice(DISMISSAL_REASONS), "origin": choice(DISMISSAL_ORIGINS), "state": choice(DISMISSAL_STATES),
        "proposed_at": local_time, "decided_at": local_time, "announcement_id": _announced,
    }
    column_formatters_export = {k: v for k, v in column_formatters.items() if k != "announcement_id"}
    column_filters = (
        FilterEqual(Dismissal.state, "状态", options=list(DISMISSAL_STATES.items())),
        FilterEqual(Dismissal.reason, "解聘理由", options=[(k, reason_text(k)) for k in DISMISSAL_REASONS]),
        FilterEqual(Dismissal.origin, "提出方式", options=list(DISMISSAL_ORIGINS.items())),
    )
    column_searchable_list = ("expert.name",)
    column_sortable_list = ("state", "proposed_at", "effective_on", ("expert", "expert.name"))
    column_default_sort = [("state", True), ("proposed_at", False)]
    column_auto_select_related = False
    form_columns = ("expert", "reason", "detail")
    form_choices = {"reason": [(k, reason_text(k)) for k in DISMISSAL_REASONS]}
    form_args = {"expert": {"validators": [validators.required("请选择专家")]},
                 "detail": {"validators": [validators.required("请写明提出解聘的事实和依据")]}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    form_widget_args = {"detail": {"rows": 4}}
    details_template = "admin/lifecycle/dismissal_details.html"
    list_template = "admin/lifecycle/dismissal_list.html"

    def get_query(self):
        return super().get_query().options(selectinload(Dismissal.expert))

    def get_list_row_actions(self):
        actions = list(super().get_list_row_actions())
        if allowed(current_role(), "dismissal", "decide"):
            actions.append(EndpointLinkRowAction("fa fa-gavel", ".decide_view", title="审批", id_arg="id"))
        return actions

    def edit_form(self, obj=None):
        # the expert and the reason stay as proposed: only the facts may be amended
        form = super().edit_form(obj)
        del form.expert
        del form.reason
        return form

    def create_form(self, obj=None):
        form = super().create_form(obj)
        expert_id = request.args.get("expert_id", "")
        if request.method == "GET" and expert_id.isdigit():
            form.expert.data = db.session.get(Expert, int(expert_id))
        return form

    def create_model(self, form):
        try:
            proposal = dismissal_service.propose_by_office(form.expert.data, form.reason.data, form.detail.data,
                                                           current_user._get_current_object())
            db.session.commit()
        except DomainError as err:
            refuse(err)
            return False
        self.after_model_change(form, proposal, True)
        return proposal

    def update_model(self, form, model):
        """Only the facts of a pending proposal may be amended."""
        if model.state != "proposed":
            flash("已审批的解聘记录不能修改。", "error")
            return False
        if hasattr(form, "version") and (form.version.data or "").strip() != str(model.version):
            flash(STALE_MESSAGE, "error")
            return False
        if not (form.detail.data or "").strip():
            flash("请写明提出解聘的事实和依据。", "error")
            return False
        model.detail = form.detail.data.strip()
        db.session.commit()
        return True

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(role=current_role(), fmt_time=fmt_time)
        return super().render(template, **kwargs)

    @expose("/decide/", methods=("GET", "POST"))
    def decide_view(self):
        """The leader's decision: approve (effective date, opinion) or reject (reason). Nothing
        is preset; a confirmation names the expert and what follows before anything is saved."""
        require_role("leader")
        dismissal = one_or_404(self, request.values.get("id"))
        form = DecideForm()
        if request.method == "GET":
            form.effective_on.data = clock.today()
        confirm = False
        if request.method == "POST" and form.validate():
            if form.decision.data not in ("approve", "reject"):
                form.decision.errors = list(form.decision.errors) + ["请选择批准解聘或不予解聘。"]
            elif form.decision.data == "reject" and not (form.note.data or "").strip():
                form.note.errors = list(form.note.errors) + ["不予解聘须填写理由。"]
            elif request.form.get("stage") != "save":
                confirm = True
        if request.method == "POST" and request.form.get("stage") == "save" and form.validate():
            user = current_user._get_current_object()

            def decide():
                if form.decision.data == "approve":
                    dismissal_service.approve_dismissal(dismissal, user, effective_on=form.effective_on.data,
                                                        note=form.note.data)
                elif form.decision.data == "reject":
                    dismissal_service.reject_dismissal(dismissal, user, form.note.data)
                else:
                    raise DomainError("请选择批准解聘或不予解聘。")

            _, ok = run(decide, lambda _: (
                f"{dismissal.expert.name}：{dismissal.state_label}。"
                + (
                    "工作证已作废，已停止选派，生效日及以后的未完成任务已解除；解聘公告由基础科起草并发布。"
                    if dismissal.state == "approved"
                    else ""
                )
            ))
            if ok:
                return redirect(url_for(".details_view", id=dismissal.id))
        return self.render("admin/lifecycle/dismissal_decide.html", form=form, dismissal=dismissal,
                           permit=current_permit(dismissal.expert), fmt_time=fmt_time, confirm=confirm)

    @action("announce", "起草解聘公告")
    def action_announce(self, ids):
        rows = db.session.scalars(
            select(Dismissal).where(Dismissal.id.in_(int_ids(ids)))
            .options(selectinload(Dismissal.expert).selectinload(Expert.groups))
        ).all()
        user = current_user._get_current_object()
        ann, ok = run(lambda: announcement_service.create_dismissal_announcement(rows, user),
                      lambda ann: linked("已起草解聘公告，请核对文字、填写文号后发布。",
                                         url_for("announcement.details_view", id=ann.id), "查看公告"))
        if not ok:
            return redirect(url_for(".index_view"))
        return redirect(url_for("announcement.details_view", id=ann.id))
