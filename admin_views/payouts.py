"""Paying experts (第十九、二十条, SPEC §3.10), under 专家费用.

* 季度发放 (``payout_batch``) — build a quarter's batch, review (lock), mark paid,
  adjustments in a later batch, .xlsx for finance and the PDF payout sheet.
* 各镇应付 (``town_dues``) — what each town owes for experts it engaged directly.

Views stay thin: the rules are in :mod:`app.services.fees.payouts` and
:mod:`app.services.fees.town_dues`; a refusal is a ``DomainError`` whose Chinese message is
flashed, and nothing is saved.
"""
from __future__ import annotations

import io
from urllib.parse import quote

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload

from admin_views.base import ReadOnlyView, SecuredModelView, current_role, record_export
from admin_views.fees import own_unit_id, quarter_options
from admin_views.formatters import choice, fmt_money
from admin_views.helpers import pdf_response, refuse, run
from app import clock
from app.auth.rights import allowed, sees_unmasked
from app.extensions import db
from app.services.errors import DomainError
from app.services.fees import payouts, pricing, quarters, settlement, town_dues
from app.services.fees.documents import (
    payout_sheet_context,
    payout_workbook,
    sheet_filename,
    workbook_filename,
)
from app.services.fees.record_status import record_status
from app.services.identity import mask_id
from app.validators import parse_date
from models import Expert, OrgUnit, PayoutBatch, PayoutLine, ServiceRecord
from models.choices import ACTIVITY_TYPES, PAYOUT_STATES

# --------------------------------------------------------------------------------------
# 季度发放
# --------------------------------------------------------------------------------------


def _batch_label(view, context, model, name):
    return f"{quarters.quarter_label(model.year, model.quarter)} 第{model.sequence}批"


def _totals_of(view, model):
    cache = g.setdefault("fees_batch_totals", {})
    if model.id not in cache:
        cache.update(payouts.batch_totals([model.id]))
    return cache[model.id]


class PayoutBatchView(SecuredModelView):
    """Quarterly payouts (第二十条: 每季度审核发放一次): 草稿 → 已审核 → 已发放."""

    list_template = "admin/fees/payout_batch_list.html"
    details_template = "admin/fees/payout_batch_details.html"
    column_list = ("label", "state", "pay_date", "experts", "gross", "tax", "net", "reviewed_at")
    column_labels = {
        "label": "批次", "state": "状态", "pay_date": "发放日期", "experts": "人数", "gross": "应发合计（元）",
        "tax": "代扣个税（元）", "net": "实发合计（元）", "reviewed_at": "审核时间", "year": "年度", "quarter": "季度",
    }
    column_formatters = {
        "label": _batch_label, "state": choice(PAYOUT_STATES),
        "experts": lambda v, c, m, n: _totals_of(v, m).experts,
        "gross": lambda v, c, m, n: fmt_money(_totals_of(v, m).gross),
        "tax": lambda v, c, m, n: fmt_money(_totals_of(v, m).tax),
        "net": lambda v, c, m, n: fmt_money(_totals_of(v, m).net),
        "reviewed_at": lambda v, c, m, n: clock.format_time(m.reviewed_at),
    }
    column_export_list = ("label", "state", "pay_date", "experts", "gross", "tax", "net", "reviewed_at")
    # Exports keep the totals as numbers (a spreadsheet sums them).
    column_formatters_export = {**column_formatters, "gross": lambda v, c, m, n: _totals_of(v, m).gross,
                                "tax": lambda v, c, m, n: _totals_of(v, m).tax,
                                "net": lambda v, c, m, n: _totals_of(v, m).net}
    column_default_sort = [("year", True), ("quarter", True), ("sequence", True)]
    column_sortable_list = ("pay_date",)
    column_filters = ("year", "quarter", "state")
    form_columns = ("pay_date",)
    form_args = {
        "pay_date": {
            "label": "计划发放日期",
            "description": "个人所得税按发放月份合并计算（同一月份多次发放只补扣差额）",
        }
    }

    # -- list / details -------------------------------------------------------------------

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self._details_context(kwargs["model"]))
        return super().render(template, **kwargs)

    def _details_context(self, batch):
        lines = payouts.batch_lines(batch)
        full = sees_unmasked(current_role())
        rows = [dict(line=line, id_number=line.id_number if full else mask_id(line.id_number)) for line in lines]
        candidates = []
        if batch.state == "draft" and self._can("edit"):
            candidates = db.session.execute(
                select(Expert.id, Expert.name, Expert.employer)
                .where(Expert.id.in_(
                    select(PayoutLine.expert_id).join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
                    .where(PayoutBatch.state.in_(settlement.LOCKED_STATES))
                ))
                .order_by(Expert.name)
            ).all()
        return dict(
            rows=rows, totals=payouts.batch_totals([batch.id])[batch.id], title=_batch_label(None, None, batch, None),
            state_label=PAYOUT_STATES.get(batch.state, batch.state), can_edit_batch=self._can("edit"),
            can_export=self._can("export"), can_xlsx=self._can("export") and full, candidates=candidates,
            pay_month=quarters.month_label(payouts.pay_month_of(batch)), today=clock.today(),
            created_by=payout_sheet_context_names(batch),
        )

    # -- create = build -------------------------------------------------------------------

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        return redirect(url_for(".build_view"))

    @expose("/build/", methods=("GET", "POST"))
    def build_view(self):
        """Build a quarter's batch: price what can be priced, then gather (第二十条)."""
        if not self._can("create"):
            abort(403)
        year, quarter = quarters.shift_quarter(*quarters.quarter_of(clock.today()), -1)  # default: last quarter
        if request.args.get("year") and request.args.get("quarter"):  # the overview of another quarter
            try:
                year, quarter = quarters.check_quarter(request.args["year"], request.args["quarter"])
            except DomainError as err:
                refuse(err)
        if request.method == "POST":
            try:
                year, quarter = quarters.check_quarter(request.form.get("year"), request.form.get("quarter"))
                pay_date = parse_date(request.form.get("pay_date"), "计划发放日期")
                report = pricing.price_unpriced(year, quarter) if request.form.get("price_first") else None
                batch = payouts.build_batch(year, quarter, current_user, pay_date=pay_date)
                db.session.commit()
            except DomainError as err:
                refuse(err)
            else:
                totals = payouts.batch_totals([batch.id])[batch.id]
                flash(f"已生成{quarters.quarter_label(year, quarter)}第{batch.sequence}批（草稿）：{totals.experts}人，"
                      f"{totals.services}条服务记录，应发{totals.gross:,.2f}元。", "success")
                if report is not None and (report.failed):
                    flash(f"计价情况：{report.summary()}未计价的记录未纳入本批次。", "info")
                return redirect(url_for(".details_view", id=batch.id))
        overview = settlement.quarter_overview(year, quarter)
        return self.render("admin/fees/payout_build.html", year=year, quarter=quarter, overview=overview,
                           previous=quarters.shift_quarter(year, quarter, -1),
                           following=quarters.shift_quarter(year, quarter, 1),
                           quarters=quarter_options(), today=clock.today())

    # -- edit: only a draft's planned pay date --------------------------------------------

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        batch = self.get_one(request.args.get("id", ""))
        if batch is not None and batch.state != "draft":
            flash(settlement.LOCKED_MESSAGE, "error")
            return redirect(url_for(".details_view", id=batch.id))
        return super().edit_view()

    def on_model_change(self, form, model, is_created):
        if is_created:
            raise DomainError("请通过“生成批次”汇总季度服务记录")
        if _old_state(model) != "draft":
            raise DomainError(settlement.LOCKED_MESSAGE)

    def after_model_change(self, form, model, is_created):
        try:
            payouts.set_pay_date(model, model.pay_date)
            db.session.commit()
        except DomainError as err:
            refuse(err)

    def delete_model(self, model):
        try:
            payouts.discard_batch(model)
            db.session.commit()
        except DomainError as err:
            refuse(err)
            return False
        return True

    # -- the workflow ---------------------------------------------------------------------------

    def _batch_or_404(self, batch_id):
        batch = db.session.get(PayoutBatch, batch_id)
        if batch is None:
            abort(404)
        return batch

    def _act(self, batch_id, work, success):
        if not self._can("edit"):
            abort(403)
        batch = self._batch_or_404(batch_id)

        def action():
            work(batch)
            return batch

        run(action, success)
        return redirect(url_for(".details_view", id=batch_id))

    @expose("/<int:batch_id>/refresh/", methods=("POST",))
    def refresh_view(self, batch_id):
        return self._act(batch_id, payouts.refresh_batch, lambda b: "已按当前服务记录重新汇总本批次。")

    @expose("/<int:batch_id>/pay-date/", methods=("POST",))
    def pay_date_view(self, batch_id):
        return self._act(
            batch_id,
            lambda b: payouts.set_pay_date(b, parse_date(request.form.get("pay_date"), "计划发放日期")),
            lambda b: "已修改计划发放日期，个人所得税已按发放月份重新计算。",
        )

    @expose("/<int:batch_id>/review/", methods=("POST",))
    def review_view(self, batch_id):
        return self._act(
            batch_id,
            lambda b: payouts.review_batch(b, current_user, parse_date(request.form.get("pay_date"), "发放日期")),
            lambda b: f"已审核：本批次已锁定，按{b.pay_date.year}年{b.pay_date.month}月发放代扣个人所得税。",
        )

    @expose("/<int:batch_id>/paid/", methods=("POST",))
    def paid_view(self, batch_id):
        return self._act(
            batch_id,
            lambda b: payouts.mark_paid(b, current_user, parse_date(request.form.get("paid_on"), "实际发放日期")),
            lambda b: f"已登记发放（{b.pay_date:%Y-%m-%d}）。",
        )

    @expose("/<int:batch_id>/adjust/", methods=("GET", "POST"))
    def adjust_view(self, batch_id):
        """An adjustment line in this draft, correcting an expert's earlier, locked payout."""
        if not self._can("edit"):
            abort(403)
        batch = self._batch_or_404(batch_id)
        expert = db.session.get(Expert, request.values.get("expert", type=int) or -1)
        if batch.state != "draft":
            flash(settlement.LOCKED_MESSAGE, "error")
            return redirect(url_for(".details_view", id=batch_id))
        if expert is None:
            flash("请选择要调整的专家", "error")
            return redirect(url_for(".details_view", id=batch_id))
        if request.method == "POST":
            line_id = request.form.get("adjusts_line", type=int)
            adjusts = db.session.get(PayoutLine, line_id) if line_id else None
            try:
                payouts.add_adjustment(batch, expert, request.form.get("amount", ""), request.form.get("note", ""),
                                       adjusts_line=adjusts, actor=current_user)
                db.session.commit()
            except DomainError as err:
                refuse(err)
            else:
                flash(f"已为{expert.name}录入调整。", "success")
                return redirect(url_for(".details_view", id=batch_id))
        earlier = [
            (line, line.batch) for line in payouts.locked_lines_of(expert.id)
        ]
        return self.render("admin/fees/payout_adjust.html", batch=batch, expert=expert, earlier=earlier,
                           title=_batch_label(None, None, batch, None), batch_label=_batch_label,
                           form_values=request.form)

    @expose("/adjustment/<int:line_id>/delete/", methods=("POST",))
    def delete_adjustment_view(self, line_id):
        if not self._can("edit"):
            abort(403)
        line = db.session.get(PayoutLine, line_id)
        if line is None:
            abort(404)
        batch_id = line.batch_id
        try:
            payouts.remove_adjustment(line)
            db.session.commit()
        except DomainError as err:
            refuse(err)
        else:
            flash("已删除调整明细。", "success")
        return redirect(url_for(".details_view", id=batch_id))

    @expose("/line/<int:line_id>/")
    def line_view(self, line_id):
        """The service records behind one line."""
        if not self._can("details"):
            abort(403)
        line = db.session.get(PayoutLine, line_id)
        if line is None:
            abort(404)
        records = db.session.scalars(
            select(ServiceRecord).where(settlement.line_records_condition(line))
            .options(selectinload(ServiceRecord.unit))
            .order_by(ServiceRecord.service_date, ServiceRecord.id)
        ).all()
        return self.render("admin/fees/payout_line.html", line=line, records=records, batch=line.batch,
                           title=_batch_label(None, None, line.batch, None), activity_types=ACTIVITY_TYPES)

    # -- documents ------------------------------------------------------------------------------

    @expose("/<int:batch_id>/xlsx/")
    def xlsx_view(self, batch_id):
        """The finance office's workbook with full ID numbers: 基础科 and sysadmin only."""
        if not self._can("export") or not sees_unmasked(current_role()):
            abort(403)
        batch = self._batch_or_404(batch_id)
        try:
            data = payout_workbook(batch, current_role())
        except PermissionError:
            abort(403)
        filename = workbook_filename(batch)
        record_export(self, len(payouts.batch_lines(batch)), "xlsx",
                      what=f"{_batch_label(None, None, batch, None)}发放明细（含完整身份证号）")
        response = send_file(io.BytesIO(data), as_attachment=True, download_name=filename,
                             mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/<int:batch_id>/pdf/")
    def pdf_view(self, batch_id):
        """The payout sheet with signature columns (ID numbers masked unless the reader may see them)."""
        from printables import render_pdf

        if not self._can("export"):
            abort(403)
        batch = self._batch_or_404(batch_id)
        pdf = render_pdf("payout_sheet.html", payout_sheet_context(batch, current_role()))
        record_export(self, len(payouts.batch_lines(batch)), "pdf",
                      what=f"{_batch_label(None, None, batch, None)}发放表")
        return pdf_response(pdf, sheet_filename(batch))


def payout_sheet_context_names(batch):
    """Who built and reviewed the batch, for the details header."""
    from app.services.fees.documents import _name_of

    return {"created": _name_of(batch.created_by_id), "reviewed": _name_of(batch.reviewed_by_id)}


def _old_state(batch):
    history = inspect(batch).attrs.state.history
    if history.deleted:
        return history.deleted[0]
    return batch.state


# --------------------------------------------------------------------------------------
# 各镇应付 (第十九条)
# --------------------------------------------------------------------------------------


class TownDuesView(ReadOnlyView):
    """What each town owes the experts it engaged directly (第十九条: 服务费用由用人单位支付).

    A page over service records: its list page by GET (RIGHTS "list"); a town records
    its payments by POST (RIGHTS "mark_paid").
    """

    def _may(self, action_name):
        return allowed(current_role(), self.endpoint, action_name)

    def _quarter(self):
        raw = request.values.get("q", "")
        try:
            year, quarter = (int(x) for x in raw.split("-"))
            return quarters.check_quarter(year, quarter)
        except (ValueError, DomainError):
            return quarters.quarter_of(clock.today())

    @expose("/")
    def index_view(self):
        year, quarter = self._quarter()
        own = own_unit_id()
        unit_id = own if own is not None else request.args.get("unit", type=int)
        if unit_id is None:
            return self.render("admin/fees/town_dues_all.html", year=year, quarter=quarter,
                               rows=town_dues.town_totals(year, quarter), quarters=quarter_options(),
                               label=quarters.quarter_label(year, quarter))
        unit = db.session.get(OrgUnit, unit_id)
        if unit is None:
            abort(404)
        dues = town_dues.what_town_owes(unit, year, quarter)
        return self.render("admin/fees/town_dues.html", dues=dues, year=year, quarter=quarter,
                           quarters=quarter_options(), label=quarters.quarter_label(year, quarter),
                           can_mark=self._may("mark_paid") and own is not None, show_all_link=own is None,
                           activity_types=ACTIVITY_TYPES, today=clock.today(), status=record_status)

    @expose("/paid/", methods=("POST",))
    def paid_view(self):
        """The town records that it has paid the selected records."""
        if not self._may("mark_paid"):
            abort(403)
        own = own_unit_id()
        ids = [int(x) for x in request.form.getlist("record") if x.isdigit()]
        back = url_for(".index_view", q=request.form.get("q", ""))
        if not ids:
            flash("请勾选已支付的服务记录", "error")
            return redirect(back)
        records = db.session.scalars(select(ServiceRecord).where(ServiceRecord.id.in_(ids))).all()
        if own is not None and any(r.unit_id != own for r in records):
            abort(403)
        try:
            paid_on = parse_date(request.form.get("paid_on"), "支付日期")
            n = town_dues.mark_unit_paid(records, current_user, paid_on)
            db.session.commit()
        except DomainError as err:
            refuse(err)
        else:
            flash(f"已登记{n}条服务记录的费用已由本单位支付。", "success")
        return redirect(back)
