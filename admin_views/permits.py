"""Work permits (专家工作证, 第七条) and the complaint inbox (投诉举报, 附件3 第5点).

Permits change only through ``app.services.permits.issuing`` (issue, 补办/换发, revoke): nobody
creates or edits one through a form, so a token can never be typed in. The office prints
single cards and A4 sheets of 8 from here. Complaints arrive from the public form; the
office links them to an expert, handles them and notes the outcome.
"""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEmpty
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from admin_views.base import DistinctCountMixin, ReadOnlyView, SecuredModelView, current_role
from admin_views.formatters import choice
from app import clock
from app.auth.rights import is_expert_self, keeps_permits
from app.extensions import db
from app.services.discipline.complaints import check_handling
from app.services.errors import DomainError
from app.services.permits import issuing as permit_service
from app.services.permits.verification import check_permit
from app.services.uploads import read_upload
from models import Expert, Permit
from models.choices import COMPLAINT_STATES

LIFECYCLE = "聘任管理"
FEEDBACK = "违规与考核"  # complaints feed investigations of violations (第二十一条)


def local_time(view, context, model, name):
    """A stored UTC time in Beijing time, to the minute."""
    return clock.format_time(getattr(model, name))


def _is_office() -> bool:
    """基础科 (and the system administrator) print and re-issue permits (第七条; rights table)."""
    return keeps_permits(current_role())


def _pdf(data: bytes, filename: str):
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False, download_name=filename)


class PermitFilterEmpty(FilterEmpty):
    """有效/已作废 by whether the permit was revoked."""

    def get_options(self, view):
        return [("1", "未作废"), ("0", "已作废")]


class PermitView(DistinctCountMixin, ReadOnlyView):
    """专家工作证: list with the live scan status; print, A4 batch print, 补办/换发."""

    column_list = ("expert", "permit_no", "term", "issued_at", "verify_status", "scan_count", "revoked_at",
                   "revoke_reason")
    column_details_list = ("expert", "permit_no", "term", "issued_at", "printed_at", "verify_status", "scan_count",
                           "revoked_at", "revoke_reason", "verify_link")
    column_export_list = ("expert", "permit_no", "term", "issued_at", "verify_status", "scan_count", "revoked_at",
                          "revoke_reason")
    column_labels = {
        "expert": "专家", "permit_no": "证件编号", "term": "聘期", "issued_at": "发证时间", "printed_at": "打印时间",
        "verify_status": "扫码核验结果",
        "scan_count": "扫码次数", "revoked_at": "作废时间", "revoke_reason": "作废原因", "verify_link": "核验网址",
        "expert.name": "专家姓名", "expert.groups.name": "专家组别",
    }
    column_sortable_list = ("permit_no", "issued_at", "scan_count", "revoked_at", ("expert", "expert.name"))
    column_default_sort = ("issued_at", True)
    column_searchable_list = ("permit_no", "expert.name")
    column_filters = (
        PermitFilterEmpty(Permit.revoked_at, "证件状态"),
        "expert.groups.name",
        "expert.name",
        "permit_no",
        "issued_at",
    )
    column_auto_select_related = False
    can_view_details = True

    def _verify_status(view, context, model, name):
        check = view._checks().get(model.id)
        return check.display if check else ""

    def _verify_link(view, context, model, name):
        url = permit_service.verify_url(model.token)
        return Markup(f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>')

    column_formatters = {
        "issued_at": local_time, "revoked_at": local_time, "verify_status": _verify_status, "verify_link": _verify_link,
        "printed_at": lambda v, c, m, n: local_time(v, c, m, n) if m.printed_at else "未打印",
    }
    column_formatters_export = {"issued_at": local_time, "revoked_at": local_time, "verify_status": _verify_status}

    # -- rights: no forms at all (ReadOnlyView, also if RIGHTS were widened: a token is never
    #    typed in); printing and 补办 for 基础科 ---------------------------------------------
    actions_need_edit = False  # each action checks its own right in is_action_allowed

    def is_action_allowed(self, name):
        return _is_office()

    def get_list_row_actions(self):
        actions = list(super().get_list_row_actions())
        if _is_office():
            actions += [
                EndpointLinkRowAction("fa fa-print", ".print_view", title="打印工作证"),
                EndpointLinkRowAction("fa fa-refresh fa-sync", ".reissue_view", title="补办/换发"),
            ]
        return actions

    def scope_query(self, query):
        if is_expert_self(current_role()):
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def get_query(self):
        return super().get_query().options(selectinload(self.model.expert), selectinload(self.model.term))

    # The scan status of each listed permit, computed once per request.
    def _checks(self):
        from flask import g

        return getattr(g, "_permit_checks", {})

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        from flask import g

        g._permit_checks = {p.id: check_permit(p.token, log=False) for p in rows}
        return count, rows

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if model is not None and isinstance(model, Permit):
            from flask import g

            g._permit_checks = {model.id: check_permit(model.token, log=False)}
        return super().render(template, **kwargs)

    # -- printing ---------------------------------------------------------------------
    def _live_selected(self, ids):
        rows = db.session.scalars(
            self.scope_query(select(Permit).where(Permit.id.in_([int(i) for i in ids if str(i).isdigit()])))
            .options(selectinload(Permit.expert).selectinload(Expert.groups), selectinload(Permit.term))
        ).all()
        live = sorted((p for p in rows if p.revoked_at is None), key=lambda p: p.permit_no)
        skipped = len(rows) - len(live)
        if skipped:
            flash(f"已跳过 {skipped} 张已作废的工作证。", "warning")
        return live

    def _print_sheet(self, ids, backs):
        permits = self._live_selected(ids)
        try:
            data = permit_service.render_permit_sheet(permits, backs=backs)
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
            return redirect(url_for(".index_view"))
        permit_service.mark_printed(permits)  # they leave the office's 待打印 queue
        db.session.commit()
        return _pdf(data, f"专家工作证-批量打印-{len(permits)}张.pdf")

    @action("print_sheet", "批量打印（A4每页8张，正面）")
    def action_print_sheet(self, ids):
        return self._print_sheet(ids, backs=False)

    @action("print_sheet_backs", "批量打印（A4每页8张，正反面）")
    def action_print_sheet_backs(self, ids):
        return self._print_sheet(ids, backs=True)

    @action("reissue", "补办/换发")
    def action_reissue(self, ids):
        if len(ids) != 1:
            flash("补办/换发请每次只选择一张工作证。", "error")
            return redirect(url_for(".index_view"))
        return redirect(url_for(".reissue_view", id=ids[0]))

    def _permit_or_404(self, id):
        permit = self.get_one(str(id)) if id else None
        if permit is None:
            abort(404)
        return permit

    @expose("/print/")
    def print_view(self):
        """One card, front and back, on card-sized pages (85.6 × 54 mm)."""
        if not _is_office():
            abort(403)
        permit = self._permit_or_404(request.args.get("id", type=int))
        try:
            data = permit_service.render_permit_pdf(permit, back=request.args.get("back", "1") != "0")
        except DomainError as err:
            flash(str(err), "error")
            return redirect(request.referrer or url_for(".index_view"))
        return _pdf(data, f"专家工作证-{permit.expert.name}-{permit.permit_no}.pdf")

    @expose("/reissue/", methods=("GET", "POST"))
    def reissue_view(self):
        """补办/换发: the same number with a new token; the old card's QR reads 已作废 at once."""
        if not _is_office():
            abort(403)
        permit = self._permit_or_404(request.values.get("id", type=int))
        if request.method == "POST":
            try:
                if permit.revoked_at is not None:
                    raise DomainError("该工作证已作废，不能再补办；请对该专家当前有效的工作证办理。")
                new = permit_service.reissue_with_reason(permit.expert, request.form.get("reason", ""))
            except DomainError as err:
                db.session.rollback()
                flash(str(err), "error")
            else:
                db.session.commit()
                flash(f"已为{new.expert.name}补办工作证 {new.permit_no}，原证二维码已作废。请打印新证。", "success")
                return redirect(url_for(".details_view", id=new.id))
        return self.render("admin/permit_reissue.html", permit=permit, reasons=permit_service.REISSUE_REASONS)

    @expose("/issue/", methods=("POST",))
    def issue_view(self):
        """签发 a permit for an expert in a term who has none (e.g. appointed before this system)."""
        if not _is_office():
            abort(403)
        expert = db.session.get(Expert, request.form.get("expert_id", type=int) or 0)
        if expert is None:
            abort(404)
        try:
            permit = permit_service.issue_for_current_term(expert)
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
            return redirect(url_for("expert.details_view", id=expert.id))
        db.session.commit()
        flash(f"已为{expert.name}签发工作证 {permit.permit_no}。", "success")
        return redirect(url_for(".details_view", id=permit.id))


def _body_excerpt(view, context, model, name):
    text = " ".join((model.body or "").split())
    return text if len(text) <= 40 else text[:40] + "…"


def _complaint_photo(view, context, model, name):
    if not model.photo_path:
        return "无"
    src = url_for(".photo_view", id=model.id)
    return Markup(f'<a href="{escape(src)}" target="_blank" rel="noopener"><img src="{escape(src)}" alt="现场照片" '
                  f'style="max-height:160px;border-radius:3px"></a>')


def _complaint_permit(view, context, model, name):
    permit = db.session.get(Permit, model.permit_id) if model.permit_id else None
    if permit is None:
        return ""
    return f"{permit.permit_no}（已作废）" if permit.revoked_at else permit.permit_no


class ComplaintView(SecuredModelView):
    """投诉举报 inbox for 基础科: complainant data stays here (rights: office and sysadmin only)."""

    column_list = ("complaint_no", "received_at", "expert", "enterprise_name", "contact_name", "contact_phone",
                   "body", "state")
    column_details_list = ("complaint_no", "received_at", "expert", "permit", "enterprise_name", "contact_name",
                           "contact_phone", "body", "photo", "state", "handling_note", "updated_at")
    column_export_list = ("complaint_no", "received_at", "expert", "enterprise_name", "contact_name", "contact_phone",
                          "body", "state", "handling_note")
    column_labels = {
        "complaint_no": "受理编号", "received_at": "收到时间", "expert": "被投诉专家", "permit": "工作证",
        "enterprise_name": "企业名称", "contact_name": "联系人", "contact_phone": "联系电话", "body": "情况说明",
        "photo": "现场照片", "state": "处理状态", "handling_note": "处理情况", "updated_at": "最近处理",
        "expert.name": "专家姓名",
    }
    column_formatters = {
        "received_at": local_time, "updated_at": local_time, "state": choice(COMPLAINT_STATES), "body": _body_excerpt,
        "photo": _complaint_photo,
        "permit": _complaint_permit,
    }
    column_formatters_detail = {
        "received_at": local_time, "updated_at": local_time, "state": choice(COMPLAINT_STATES),
        "photo": _complaint_photo,
        "permit": _complaint_permit,
    }
    column_formatters_export = {"received_at": local_time, "state": choice(COMPLAINT_STATES)}
    column_filters = ("state", "expert.name", "received_at", "enterprise_name")
    column_searchable_list = ("complaint_no", "enterprise_name", "expert.name", "body")
    column_sortable_list = ("complaint_no", "received_at", "state", ("expert", "expert.name"))
    column_default_sort = ("received_at", True)
    form_columns = ("expert", "state", "handling_note")
    form_choices = {"state": list(COMPLAINT_STATES.items())}
    column_choices = {"state": list(COMPLAINT_STATES.items())}  # the state filter offers the Chinese labels
    form_args = {"handling_note": {"label": "处理情况", "description": "核实经过、处理结果；办结时必填。"}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    form_widget_args = {"handling_note": {"rows": 5}}
    column_auto_select_related = False
    edit_template = "admin/complaint_edit.html"

    def get_query(self):
        return super().get_query().options(selectinload(self.model.expert))

    def on_model_change(self, form, model, is_created):
        check_handling(model.state, model.handling_note)

    @expose("/photo/")
    def photo_view(self):
        """The complaint's photo, for the office only (same rights as the inbox)."""
        rid = request.args.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None or not model.photo_path:
            abort(404)
        data = read_upload(model.photo_path)
        if data is None:
            abort(404)
        response = send_file(io.BytesIO(data), mimetype="image/jpeg")
        response.headers["Cache-Control"] = "private, no-store"
        return response
