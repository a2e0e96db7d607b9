"""Fees in the admin (第十九、二十条, 附件4, SPEC §3.9–3.10).

* 费用标准 (``fee_standard``) — dated rows of 附件4, edited by the sysadmin; the whole
  history stays visible; a row that priced settled records cannot be changed (add a
  new dated row instead); printable as 附件4.
* 节假日 (``holiday``) — the editable official calendar and the years it covers.
* 服务记录 (``service_record``) — what experts did and what it costs; 计价; towns see
  their own unit's records (what they owe), experts their own.
* 费用审批 (``fee_approval``) — amounts 另行确定: units propose, only a leader approves.
* 季度发放 (``payout_batch``) — build a quarter's batch, review (lock), mark paid,
  adjustments in a later batch, .xlsx for finance and the PDF payout sheet.
* 各镇应付 (``town_dues``) — what each town owes for experts it engaged directly.

Views stay thin: every rule is in :mod:`app.services.payouts`; a refusal is a
``DomainError`` whose Chinese message is flashed, and nothing is saved.
"""
from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from sqlalchemy import extract, func, inspect, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from admin_views.base import ReadOnlyView, SecuredModelView, current_role
from admin_views.formatters import choice
from app.auth.rights import allowed, sees_unmasked
from app.extensions import db
from app.services import payouts, pricing, quarters, town_dues
from app.services.errors import DomainError
from app.services.fee_records import payer_for_unit
from app.services.identity import mask_id
from app.services.payout_documents import (
    ATTACHMENT4_CATEGORIES,
    fee_standard_context,
    payout_sheet_context,
    payout_workbook,
    sheet_filename,
    workbook_filename,
)
from app.services.workcalendar import seed_rows, supported_years
from models import CalendarYear, Expert, FeeStandard, Holiday, OrgUnit, PayoutBatch, PayoutLine, ServiceRecord
from models.choices import ACTIVITY_TYPES, EXPERT_SOURCES, PAYERS, PAYOUT_STATES, UPPER_POOL_LEVELS

CATEGORY = "专家费用"
WEEKDAYS = "一二三四五六日"
#: The activities 附件4 prices by a standard row (the others are 另行确定 or entered).
STANDARD_ROWS = ATTACHMENT4_CATEGORIES


def _money(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def _money_fmt(view, context, model, name):
    return _money(getattr(model, name))


def _parse_date(raw: str | None, label: str) -> dt.date | None:
    if not raw or not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise DomainError(f"{label}不是有效的日期：{raw}") from None


def _pdf_response(data: bytes, filename: str, inline: bool = True):
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=not inline,
                         download_name=filename)
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _fail(err: DomainError) -> None:
    db.session.rollback()
    flash(str(err), "error")


def _own_unit_id() -> int | None:
    """The unit a 局科室/大队 or 镇街 user is limited to (None: not limited)."""
    if current_role() in ("department", "town"):
        return current_user.org_unit_id or -1
    return None


# --------------------------------------------------------------------------------------
# 费用标准 (附件4)
# --------------------------------------------------------------------------------------


def _standard_state(view, context, model, name):
    today = dt.date.today()
    if model.effective_from > today:
        return "尚未生效"
    later = db.session.scalar(
        select(func.count()).select_from(FeeStandard).where(
            FeeStandard.activity == model.activity, FeeStandard.effective_from > model.effective_from,
            FeeStandard.effective_from <= today,
        )
    )
    return "已被调整" if later else "现行"


class FeeStandardView(SecuredModelView):
    """Dated rows of 附件4 (第二十条: 根据全区社会经济发展水平适时予以调整)."""

    list_template = "admin/fees/fee_standard_list.html"
    column_list = ("activity", "unit_label", "amount", "night_holiday_amount", "effective_from", "state", "note")
    column_labels = {
        "activity": "类别", "unit_label": "单位", "amount": "费用（元）", "night_holiday_amount": "夜间、节假日（元）",
        "effective_from": "执行日期", "state": "状态", "note": "备注", "created_at": "录入时间",
    }
    column_formatters = {
        "activity": choice(STANDARD_ROWS), "amount": _money_fmt, "night_holiday_amount": _money_fmt,
        "state": _standard_state,
    }
    column_default_sort = [("activity", False), ("effective_from", True)]
    column_sortable_list = ("activity", "effective_from", "amount")
    column_filters = ("activity", "effective_from")
    column_details_list = ("activity", "unit_label", "amount", "night_holiday_amount", "effective_from", "note",
                           "created_at")
    form_columns = ("activity", "unit_label", "amount", "night_holiday_amount", "effective_from", "note")
    form_choices = {"activity": list(STANDARD_ROWS.items())}
    form_args = {
        "unit_label": {"description": "附件4的写法：一天、一次、一起"},
        "night_holiday_amount": {"description": "仅应急处置有夜间、节假日标准；其他类别留空"},
        "effective_from": {"description": "新标准自该日起适用；该日以后已结算的服务记录不能被改变，请选在其后"},
    }

    def validate_form(self, form):
        ok = super().validate_form(form)
        if not ok or not hasattr(form, "amount"):
            return ok
        for field in (form.amount, form.night_holiday_amount):
            if field.data is not None and field.data <= 0:
                field.errors = list(field.errors) + ["金额必须大于零"]
                ok = False
        if form.amount.data is None:
            form.amount.errors = list(form.amount.errors) + ["请填写费用"]
            ok = False
        if form.effective_from.data is None:
            form.effective_from.errors = list(form.effective_from.errors) + ["请填写执行日期"]
            ok = False
        if form.activity.data != "emergency" and form.night_holiday_amount.data is not None:
            form.night_holiday_amount.errors = list(form.night_holiday_amount.errors) + [
                "附件4只有应急处置有夜间、节假日标准"]
            ok = False
        return ok

    def on_model_change(self, form, model, is_created):
        with db.session.no_autoflush:  # the row being saved must not find itself
            duplicate = db.session.scalar(
                select(FeeStandard.id).where(
                    FeeStandard.activity == model.activity, FeeStandard.effective_from == model.effective_from,
                    FeeStandard.id != (model.id or -1),
                )
            )
        if duplicate:
            raise DomainError(f"{STANDARD_ROWS.get(model.activity)}已有一条自{model.effective_from:%Y-%m-%d}起执行的标准")
        dates = [model.effective_from]
        if not is_created:
            history = inspect(model).attrs.effective_from.history
            dates += list(history.deleted or [])
            activity_history = inspect(model).attrs.activity.history
            g.fee_standard_old_activity = (activity_history.deleted or [None])[0]
        g.fee_standard_since = min(dates)

    def after_model_change(self, form, model, is_created):
        self._reprice(model.activity, getattr(g, "fee_standard_since", model.effective_from))
        old = getattr(g, "fee_standard_old_activity", None)
        if old and old != model.activity:
            self._reprice(old, getattr(g, "fee_standard_since", model.effective_from))

    def on_model_delete(self, model):
        g.fee_standard_deleted = (model.activity, model.effective_from)

    def after_model_delete(self, model):
        activity, since = getattr(g, "fee_standard_deleted", (model.activity, model.effective_from))
        self._reprice(activity, since)

    def _reprice(self, activity, since):
        try:
            report = pricing.reprice_after_standard_change(activity, since)
            db.session.commit()
        except DomainError as err:
            _fail(err)
            return
        if report.priced or report.failed:
            flash(f"已按新标准重新计价{since:%Y-%m-%d}以后未结算的服务记录：{report.summary()}", "info")

    @expose("/print/")
    def print_view(self):
        """附件4 as in force on a day (default today), as PDF."""
        from printables import render_pdf

        try:
            on = _parse_date(request.args.get("on"), "日期") or dt.date.today()
        except DomainError as err:
            flash(str(err), "error")
            return redirect(url_for(".index_view"))
        pdf = render_pdf("fee_standard.html", fee_standard_context(on))
        return _pdf_response(pdf, f"武进区安全生产专家费用发放标准_{on:%Y%m%d}.pdf")


# --------------------------------------------------------------------------------------
# 节假日
# --------------------------------------------------------------------------------------


class YearFilter(BaseSQLAFilter):
    """Rows of one calendar year (options computed without the database)."""

    def apply(self, query, value, alias=None):
        try:
            year = int(value)
        except (TypeError, ValueError):
            return query
        return query.filter(self.get_column(alias) >= dt.date(year, 1, 1),
                            self.get_column(alias) <= dt.date(year, 12, 31))

    def operation(self):
        return "为"


def _year_options():
    this = dt.date.today().year
    return [(str(y), f"{y}年") for y in range(this + 1, 2018, -1)]


class HolidayView(SecuredModelView):
    """The official calendar (SPEC §3.9): holidays and 调休 working days, by year."""

    list_template = "admin/fees/holiday_list.html"
    column_display_pk = True
    column_list = ("day", "weekday", "is_workday", "name")
    column_labels = {"day": "日期", "weekday": "星期", "is_workday": "安排", "name": "名称"}
    column_formatters = {
        "weekday": lambda v, c, m, n: f"星期{WEEKDAYS[m.day.weekday()]}",
        "is_workday": lambda v, c, m, n: "调休上班" if m.is_workday else "放假",
    }
    column_default_sort = ("day", True)
    column_sortable_list = ("day",)
    column_searchable_list = ("name",)
    form_columns = ("day", "is_workday", "name")
    form_args = {
        "is_workday": {"label": "调休上班（勾选表示该日为工作日；不勾选表示放假）"},
        "name": {"description": "如：国庆节、国庆节调休上班"},
    }

    def get_filters(self):
        return [YearFilter(Holiday.day, "年度", options=_year_options())]

    def get_one(self, id):
        try:
            day = dt.date.fromisoformat(str(id))
        except ValueError:
            return None
        return db.session.get(Holiday, day)

    def validate_form(self, form):
        ok = super().validate_form(form)
        if ok and hasattr(form, "day") and form.day.data is None:
            form.day.errors = list(form.day.errors) + ["请填写日期"]
            return False
        return ok

    def on_model_change(self, form, model, is_created):
        days = {model.day}
        if not is_created:
            days |= set(inspect(model).attrs.day.history.deleted or [])
        else:
            with db.session.no_autoflush:
                exists_already = db.session.scalar(select(Holiday.day).where(Holiday.day == model.day))
            if exists_already is not None:
                raise DomainError(f"{model.day:%Y-%m-%d}已在节假日表中，请直接修改该日")
        g.holiday_days = days

    def after_model_change(self, form, model, is_created):
        self._reprice(getattr(g, "holiday_days", {model.day}))

    def after_model_delete(self, model):
        self._reprice({model.day})

    def _reprice(self, days):
        records = db.session.scalars(
            pricing.open_records_query().where(ServiceRecord.activity == "emergency",
                                               ServiceRecord.service_date.in_(list(days)))
        ).all()
        if not records:
            return
        report = pricing.price_records(records)
        db.session.commit()
        flash(f"已按修改后的节假日安排重新计价当日未结算的应急处置记录：{report.summary()}", "info")

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["covered_years"] = db.session.scalars(select(CalendarYear.year).order_by(CalendarYear.year)).all()
            kwargs["package_years"] = sorted(supported_years())
        return super().render(template, **kwargs)

    @expose("/years/", methods=("POST",))
    def years_view(self):
        """Mark a year maintained, import it from the official calendar package, or withdraw it."""
        if not self._can("edit"):
            abort(403)
        op = request.form.get("op")
        try:
            year = int(request.form.get("year", ""))
            if not 2000 <= year <= 2100:
                raise ValueError
        except ValueError:
            flash("请填写有效的年份", "error")
            return redirect(url_for(".index_view"))
        try:
            if op == "import":
                rows = seed_rows([year])  # refuses a year the package lacks
                for day, (is_workday, name) in rows.items():
                    db.session.merge(Holiday(day=day, is_workday=is_workday, name=name))
                if db.session.get(CalendarYear, year) is None:
                    db.session.add(CalendarYear(year=year))
                message = f"已从国务院办公厅节假日安排导入{year}年的{len(rows)}天，{year}年已标记为已维护"
            elif op == "mark":
                if db.session.get(CalendarYear, year) is not None:
                    raise DomainError(f"{year}年已经标记为已维护")
                if not db.session.scalar(select(func.count()).select_from(Holiday).where(
                        extract("year", Holiday.day) == year)):
                    raise DomainError(f"节假日表中还没有{year}年的任何日期，请先逐日录入放假和调休上班安排")
                db.session.add(CalendarYear(year=year))
                message = f"{year}年已标记为已维护：系统将按节假日表判断{year}年的工作日"
            elif op == "unmark":
                row = db.session.get(CalendarYear, year)
                if row is None:
                    raise DomainError(f"{year}年尚未标记为已维护")
                db.session.delete(row)
                message = f"已撤销{year}年的已维护标记：{year}年的节假日将不再判断，直至重新维护"
            else:
                abort(400)
            db.session.flush()
            report = pricing.reprice_open_records(since=dt.date(year, 1, 1), activities=["emergency"])
            db.session.commit()
        except DomainError as err:
            _fail(err)
            return redirect(url_for(".index_view"))
        flash(message + (f"；{report.summary()}" if report.priced or report.failed else "。"), "success")
        return redirect(url_for(".index_view", flt0_0=str(year)))


# --------------------------------------------------------------------------------------
# 服务记录
# --------------------------------------------------------------------------------------


class QuarterFilter(BaseSQLAFilter):
    """Records of one calendar quarter (value ``2026-2``)."""

    def apply(self, query, value, alias=None):
        try:
            year, quarter = (int(x) for x in str(value).split("-"))
            first, last = quarters.quarter_bounds(year, quarter)
        except (ValueError, DomainError):
            return query
        column = self.get_column(alias)
        return query.filter(column >= first, column <= last)

    def operation(self):
        return "为"


def quarter_options(years_back: int = 3) -> list[tuple[str, str]]:
    """The quarters from next quarter back ``years_back`` years, newest first."""
    year, quarter = quarters.quarter_of(dt.date.today())
    year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    out = []
    for _ in range(4 * years_back + 1):
        out.append((f"{year}-{quarter}", quarters.quarter_label(year, quarter)))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return out


class PricedFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column.is_not(None) if value == "1" else column.is_(None))

    def operation(self):
        return "为"


class SettledFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        condition = payouts.settled_condition()
        return query.filter(condition if value == "1" else ~condition)

    def operation(self):
        return "为"


def _batch_state_of(line_id):
    """The state of the batch a line belongs to, cached per request (list pages)."""
    cache = g.setdefault("fees_line_states", {})
    if line_id not in cache:
        cache[line_id] = db.session.scalar(
            select(PayoutBatch.state).join(PayoutLine, PayoutLine.batch_id == PayoutBatch.id)
            .where(PayoutLine.id == line_id)
        )
    return cache[line_id]


def _record_status(view, context, model, name):
    state = _batch_state_of(model.payout_line_id) if model.payout_line_id else ""
    if "fees_draft_quarters" not in g:
        g.fees_draft_quarters = payouts.draft_quarters()
    return payouts.record_status(model, state, g.fees_draft_quarters)


def _expert_label(view, context, model, name):
    expert = model.expert
    if expert is None:
        return ""
    if expert.source != "district":
        level = UPPER_POOL_LEVELS.get(expert.upper_pool_level or "", "")
        return f"{expert.name}（{level or EXPERT_SOURCES.get(expert.source, '')}）"
    return expert.name


class ServiceRecordView(SecuredModelView):
    """Service records and fees (附件4): 计价, who pays (第十九条), status of payment."""

    list_template = "admin/fees/service_record_list.html"
    column_list = ("service_date", "expert", "unit", "activity", "units", "payer", "amount", "status")
    column_labels = {
        "service_date": "服务日期", "expert": "专家", "unit": "使用单位", "activity": "服务类别", "units": "数量",
        "started_at": "开始时间（应急处置）", "payer": "支付方", "amount": "金额（元）", "status": "状态",
        "basis": "计费依据", "is_night": "夜间", "is_holiday": "节假日", "proposed_amount": "建议/录入金额（元）",
        "approved_at": "批准时间", "note": "备注", "unit_paid_on": "用人单位支付日期",
        "expert.name": "专家姓名", "unit.name": "使用单位",
    }
    column_formatters = {
        "activity": choice(ACTIVITY_TYPES), "payer": choice(PAYERS), "amount": _money_fmt,
        "proposed_amount": _money_fmt, "status": _record_status, "expert": _expert_label,
        "units": lambda v, c, m, n: f"{m.units.normalize():f}" if m.units is not None else "",
        "is_night": lambda v, c, m, n: "是" if m.is_night else "",
        "is_holiday": lambda v, c, m, n: "是" if m.is_holiday else "",
        "started_at": lambda v, c, m, n: f"{m.started_at:%Y-%m-%d %H:%M}" if m.started_at else "",
    }
    column_formatters_export = column_formatters
    column_details_list = ("service_date", "expert", "unit", "activity", "units", "started_at", "payer",
                           "proposed_amount", "approved_at", "amount", "basis", "is_night", "is_holiday",
                           "status", "unit_paid_on", "note")
    column_export_list = ("service_date", "expert", "unit", "activity", "units", "started_at", "payer", "amount",
                          "basis", "status", "unit_paid_on", "note")
    column_default_sort = ("service_date", True)
    column_sortable_list = ("service_date", "activity", "amount", "payer")
    column_searchable_list = ("expert.name",)
    form_columns = ("expert", "unit", "activity", "service_date", "started_at", "units", "payer", "proposed_amount",
                    "note")
    form_choices = {"activity": list(ACTIVITY_TYPES.items())}
    form_extra_fields = {
        "payer": SelectField("支付方（第十九条）", choices=[("", "按使用单位自动确定"), *PAYERS.items()], default=""),
    }
    form_args = {
        "started_at": {"description": "应急救援处置必填：开始处置的当地时间，决定是否按夜间标准计费"},
        "units": {"description": "天数（执法检查等）、次数（事故调查）或起数（应急救援处置），正整数"},
        "proposed_amount": {"description": "标准化评审：按上级标准录入的金额；其他、教育培训授课及上级库专家：建议金额，须经局领导批准"},
    }
    form_ajax_refs = {
        "expert": {"fields": ("name",), "page_size": 10},
        "unit": {"fields": ("name",), "page_size": 20},
    }
    column_auto_select_related = False

    def get_filters(self):
        return [
            QuarterFilter(ServiceRecord.service_date, "季度", options=quarter_options()),
            PayerFilter(ServiceRecord.payer, "支付方", options=list(PAYERS.items())),
            UnitNameFilter(ServiceRecord.unit_id, "使用单位"),
            ActivityFilter(ServiceRecord.activity, "服务类别", options=list(ACTIVITY_TYPES.items())),
            PricedFilter(ServiceRecord.amount, "已计价", options=[("1", "是"), ("0", "否")]),
            SettledFilter(ServiceRecord.id, "已结算", options=[("1", "是"), ("0", "否")]),
        ]

    def get_query(self):
        return super().get_query().options(selectinload(ServiceRecord.expert), selectinload(ServiceRecord.unit))

    def scope_query(self, query):
        role = current_role()
        if role == "expert":
            return query.filter(ServiceRecord.expert_id == (current_user.expert_id or -1))
        unit_id = _own_unit_id()
        if unit_id is not None:
            return query.filter(ServiceRecord.unit_id == unit_id)
        return query

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and request.method == "GET":
            form.payer.data = obj.payer
        return form

    def validate_form(self, form):
        ok = super().validate_form(form)
        if not ok or not hasattr(form, "units"):
            return ok
        units = form.units.data
        if units is None or units <= 0 or units != units.to_integral_value():
            form.units.errors = list(form.units.errors) + ["数量必须是正整数（天、次或起）"]
            ok = False
        if form.expert.data is None:
            form.expert.errors = list(form.expert.errors) + ["请选择专家"]
            ok = False
        if form.service_date.data is None:
            form.service_date.errors = list(form.service_date.errors) + ["请填写服务日期"]
            ok = False
        if form.activity.data == "emergency" and form.started_at.data is None:
            form.started_at.errors = list(form.started_at.errors) + ["应急救援处置须填写开始时间"]
            ok = False
        if form.proposed_amount.data is not None and form.proposed_amount.data <= 0:
            form.proposed_amount.errors = list(form.proposed_amount.errors) + ["金额必须大于零"]
            ok = False
        return ok

    def on_model_change(self, form, model, is_created):
        if not is_created and payouts.is_settled(model):
            raise DomainError(payouts.SETTLED_MESSAGE)
        model.payer = form.payer.data or payer_for_unit(model.unit)
        if model.activity == "emergency" and model.started_at and model.started_at.date() != model.service_date:
            model.service_date = model.started_at.date()
        state = inspect(model)
        if not is_created and any(state.attrs[k].history.has_changes()
                                   for k in ("activity", "expert_id", "units", "proposed_amount")):
            if model.approved_by_id is not None:
                flash("服务记录已修改，原批准的金额需要局领导重新批准。", "info")
            model.approved_by_id = None
            model.approved_at = None
        if state.attrs.expert.history.has_changes() and model.approved_by_id is not None:
            model.approved_by_id = None
            model.approved_at = None
        report = pricing.price_records([model])
        g.fees_price_report = report

    def after_model_change(self, form, model, is_created):
        report = getattr(g, "fees_price_report", None)
        if report is not None and report.failed:
            flash(f"已保存，但暂不能计价：{report.failed[0][1]}", "info")
        elif model.amount is not None:
            flash(f"已计价：{model.basis}，金额{model.amount:,.2f}元。", "success")

    def on_model_delete(self, model):
        if payouts.is_settled(model):
            raise DomainError(payouts.SETTLED_MESSAGE)

    @action("price", "计价", "按现行费用标准和节假日安排对选中的未结算服务记录重新计价？")
    def action_price(self, ids):
        records = db.session.scalars(
            self.scope_query(select(ServiceRecord).where(ServiceRecord.id.in_([int(i) for i in ids])))
        ).all()
        try:
            report = pricing.price_records(records)
            db.session.commit()
        except DomainError as err:
            _fail(err)
            return
        flash(report.summary(), "error" if report.failed and not report.priced else "success")

    @expose("/price-all/", methods=("POST",))
    def price_all_view(self):
        """计价: every record without an amount yet."""
        if not self._can("edit"):
            abort(403)
        try:
            report = pricing.price_unpriced()
            db.session.commit()
        except DomainError as err:
            _fail(err)
        else:
            flash(report.summary(), "success" if not report.failed else "info")
        return redirect(url_for(".index_view"))


class PayerFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias) == value)

    def operation(self):
        return "为"


class ActivityFilter(PayerFilter):
    pass


class UnitNameFilter(BaseSQLAFilter):
    """使用单位 by (part of) its name."""

    def apply(self, query, value, alias=None):
        ids = select(OrgUnit.id).where(OrgUnit.name.contains(str(value).strip()))
        return query.filter(self.get_column(alias).in_(ids))

    def operation(self):
        return "包含"


# --------------------------------------------------------------------------------------
# 费用审批 (附件4 备注)
# --------------------------------------------------------------------------------------


class FeeApprovalView(ReadOnlyView):
    """Amounts 另行确定: the using unit proposes, a leader approves (附件4 备注).

    A page over service records: only its list page is reachable by GET (RIGHTS
    "list"); proposing and approving are POST actions with rights of their own
    ("propose", "approve").
    """

    def _may(self, action_name):
        return allowed(current_role(), self.endpoint, action_name)

    @expose("/")
    def index_view(self):
        unit_id = _own_unit_id()
        waiting = db.session.scalars(pricing.awaiting_approval_query(unit_id)).all()
        recent_query = (
            select(ServiceRecord)
            .where(ServiceRecord.approved_by_id.is_not(None))
            .options(selectinload(ServiceRecord.expert), selectinload(ServiceRecord.unit))
            .order_by(ServiceRecord.approved_at.desc())
            .limit(20)
        )
        if unit_id is not None:
            recent_query = recent_query.where(ServiceRecord.unit_id == unit_id)
        return self.render(
            "admin/fees/approval.html", waiting=waiting, recent=db.session.scalars(recent_query).all(),
            can_approve=self._may("approve"), can_propose=self._may("propose"), activity_types=ACTIVITY_TYPES,
            sources=EXPERT_SOURCES, levels=UPPER_POOL_LEVELS, payers=PAYERS,
        )

    def _record(self, record_id: int) -> ServiceRecord:
        record = db.session.get(ServiceRecord, record_id)
        unit_id = _own_unit_id()
        if record is None or (unit_id is not None and record.unit_id != unit_id):
            abort(404)
        return record

    @expose("/propose/<int:record_id>", methods=("POST",))
    def propose(self, record_id):
        if not self._may("propose"):
            abort(403)
        record = self._record(record_id)
        try:
            pricing.propose_amount(record, current_user, request.form.get("amount", ""), request.form.get("note"))
            db.session.commit()
        except DomainError as err:
            _fail(err)
        else:
            flash(f"已提出建议金额{record.proposed_amount:,.2f}元，等待局领导批准。"
                  if record.amount is None else f"已录入金额{record.amount:,.2f}元。", "success")
        return redirect(url_for(".index_view"))

    @expose("/approve/<int:record_id>", methods=("POST",))
    def approve(self, record_id):
        if not self._may("approve"):
            abort(403)
        record = self._record(record_id)
        try:
            pricing.approve_amount(record, current_user)
            db.session.commit()
        except DomainError as err:
            _fail(err)
        else:
            flash(f"已批准：{record.expert.name} {record.amount:,.2f}元。", "success")
        return redirect(url_for(".index_view"))

    @expose("/return/<int:record_id>", methods=("POST",))
    def return_view(self, record_id):
        if not self._may("approve"):
            abort(403)
        record = self._record(record_id)
        try:
            pricing.return_proposal(record, current_user, request.form.get("reason", ""))
            db.session.commit()
        except DomainError as err:
            _fail(err)
        else:
            flash(f"已退回{record.expert.name}的建议金额。", "success")
        return redirect(url_for(".index_view"))


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
        "gross": lambda v, c, m, n: _money(_totals_of(v, m).gross),
        "tax": lambda v, c, m, n: _money(_totals_of(v, m).tax),
        "net": lambda v, c, m, n: _money(_totals_of(v, m).net),
        "reviewed_at": lambda v, c, m, n: f"{m.reviewed_at:%Y-%m-%d %H:%M}" if m.reviewed_at else "",
    }
    column_export_list = ("label", "state", "pay_date", "experts", "gross", "tax", "net", "reviewed_at")
    column_formatters_export = column_formatters
    column_default_sort = [("year", True), ("quarter", True), ("sequence", True)]
    column_sortable_list = ("pay_date",)
    column_filters = ("year", "quarter", "state")
    form_columns = ("pay_date",)
    form_args = {"pay_date": {"label": "计划发放日期", "description": "个人所得税按发放月份合并计算（同一月份多次发放只补扣差额）"}}

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
                    .where(PayoutBatch.state.in_(payouts.LOCKED_STATES))
                ))
                .order_by(Expert.name)
            ).all()
        return dict(
            rows=rows, totals=payouts.batch_totals([batch.id])[batch.id], title=_batch_label(None, None, batch, None),
            state_label=PAYOUT_STATES.get(batch.state, batch.state), can_edit_batch=self._can("edit"),
            can_export=self._can("export"), can_xlsx=self._can("export") and full, candidates=candidates,
            pay_month=quarters.month_label(payouts.pay_month_of(batch)), today=dt.date.today(),
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
        year, quarter = quarters.quarter_of(dt.date.today())
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)  # default: last quarter
        if request.args.get("year") and request.args.get("quarter"):  # the overview of another quarter
            try:
                year, quarter = quarters.check_quarter(request.args["year"], request.args["quarter"])
            except DomainError as err:
                _fail(err)
        if request.method == "POST":
            try:
                year, quarter = quarters.check_quarter(request.form.get("year"), request.form.get("quarter"))
                pay_date = _parse_date(request.form.get("pay_date"), "计划发放日期")
                report = pricing.price_unpriced(year, quarter) if request.form.get("price_first") else None
                batch = payouts.build_batch(year, quarter, current_user, pay_date=pay_date)
                db.session.commit()
            except DomainError as err:
                _fail(err)
            else:
                totals = payouts.batch_totals([batch.id])[batch.id]
                flash(f"已生成{quarters.quarter_label(year, quarter)}第{batch.sequence}批（草稿）：{totals.experts}人，"
                      f"{totals.services}条服务记录，应发{totals.gross:,.2f}元。", "success")
                if report is not None and (report.failed):
                    flash(f"计价情况：{report.summary()}未计价的记录未纳入本批次。", "info")
                return redirect(url_for(".details_view", id=batch.id))
        overview = payouts.quarter_overview(year, quarter)
        previous = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        following = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        return self.render("admin/fees/payout_build.html", year=year, quarter=quarter, overview=overview,
                           previous=previous, following=following,
                           quarters=quarter_options(), today=dt.date.today())

    # -- edit: only a draft's planned pay date --------------------------------------------

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        batch = self.get_one(request.args.get("id", ""))
        if batch is not None and batch.state != "draft":
            flash(payouts.LOCKED_MESSAGE, "error")
            return redirect(url_for(".details_view", id=batch.id))
        return super().edit_view()

    def on_model_change(self, form, model, is_created):
        if is_created:
            raise DomainError("请通过“生成批次”汇总季度服务记录")
        if _old_state(model) != "draft":
            raise DomainError(payouts.LOCKED_MESSAGE)

    def after_model_change(self, form, model, is_created):
        try:
            payouts.set_pay_date(model, model.pay_date)
            db.session.commit()
        except DomainError as err:
            _fail(err)

    def delete_model(self, model):
        try:
            payouts.discard_batch(model)
            db.session.commit()
        except DomainError as err:
            _fail(err)
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
        try:
            work(batch)
            db.session.commit()
        except DomainError as err:
            _fail(err)
        else:
            flash(success(batch), "success")
        return redirect(url_for(".details_view", id=batch_id))

    @expose("/<int:batch_id>/refresh/", methods=("POST",))
    def refresh_view(self, batch_id):
        return self._act(batch_id, payouts.refresh_batch, lambda b: "已按当前服务记录重新汇总本批次。")

    @expose("/<int:batch_id>/pay-date/", methods=("POST",))
    def pay_date_view(self, batch_id):
        return self._act(
            batch_id,
            lambda b: payouts.set_pay_date(b, _parse_date(request.form.get("pay_date"), "计划发放日期")),
            lambda b: "已修改计划发放日期，个人所得税已按发放月份重新计算。",
        )

    @expose("/<int:batch_id>/review/", methods=("POST",))
    def review_view(self, batch_id):
        return self._act(
            batch_id,
            lambda b: payouts.review_batch(b, current_user, _parse_date(request.form.get("pay_date"), "发放日期")),
            lambda b: f"已审核：本批次已锁定，按{b.pay_date.year}年{b.pay_date.month}月发放代扣个人所得税。",
        )

    @expose("/<int:batch_id>/paid/", methods=("POST",))
    def paid_view(self, batch_id):
        return self._act(
            batch_id,
            lambda b: payouts.mark_paid(b, current_user, _parse_date(request.form.get("paid_on"), "实际发放日期")),
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
            flash(payouts.LOCKED_MESSAGE, "error")
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
                _fail(err)
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
            _fail(err)
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
            select(ServiceRecord).where(payouts.line_records_condition(line))
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
        return _pdf_response(pdf, sheet_filename(batch))


def payout_sheet_context_names(batch):
    """Who built and reviewed the batch, for the details header."""
    from app.services.payout_documents import _name_of

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
            return quarters.quarter_of(dt.date.today())

    @expose("/")
    def index_view(self):
        year, quarter = self._quarter()
        own = _own_unit_id()
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
                           activity_types=ACTIVITY_TYPES, today=dt.date.today(), status=payouts.record_status)

    @expose("/paid/", methods=("POST",))
    def paid_view(self):
        """The town records that it has paid the selected records."""
        if not self._may("mark_paid"):
            abort(403)
        own = _own_unit_id()
        ids = [int(x) for x in request.form.getlist("record") if x.isdigit()]
        back = url_for(".index_view", q=request.form.get("q", ""))
        if not ids:
            flash("请勾选已支付的服务记录", "error")
            return redirect(back)
        records = db.session.scalars(select(ServiceRecord).where(ServiceRecord.id.in_(ids))).all()
        if own is not None and any(r.unit_id != own for r in records):
            abort(403)
        try:
            paid_on = _parse_date(request.form.get("paid_on"), "支付日期")
            n = town_dues.mark_unit_paid(records, current_user, paid_on)
            db.session.commit()
        except DomainError as err:
            _fail(err)
        else:
            flash(f"已登记{n}条服务记录的费用已由本单位支付。", "success")
        return redirect(back)


# --------------------------------------------------------------------------------------


def register(admin):
    """Add the fee views under 专家费用 (endpoints match app.auth.rights.RIGHTS)."""
    admin.add_view(ServiceRecordView(ServiceRecord, db, name="服务记录", category=CATEGORY, endpoint="service_record"))
    admin.add_view(FeeApprovalView(ServiceRecord, db, name="费用审批", category=CATEGORY, endpoint="fee_approval"))
    admin.add_view(PayoutBatchView(PayoutBatch, db, name="季度发放", category=CATEGORY, endpoint="payout_batch"))
    admin.add_view(TownDuesView(ServiceRecord, db, name="各镇应付", category=CATEGORY, endpoint="town_dues"))
    admin.add_view(FeeStandardView(FeeStandard, db, name="费用标准", category=CATEGORY, endpoint="fee_standard"))
    admin.add_view(HolidayView(Holiday, db, name="节假日", category=CATEGORY, endpoint="holiday"))
