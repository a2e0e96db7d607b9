"""What a service is priced by (第二十条, 附件4, SPEC §3.9), under 专家费用.

* 费用标准 (``fee_standard``) — dated rows of 附件4, edited by the sysadmin; the whole
  history stays visible; a row that priced settled records cannot be changed (add a
  new dated row instead); printable as 附件4.
* 节假日 (``holiday``) — the editable official calendar and the years it covers.

A change to either reprices the open records it touches (:mod:`app.services.fees.pricing`);
a refusal is a ``DomainError`` whose Chinese message is flashed, and nothing is saved.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from sqlalchemy import extract, func, inspect, select

from admin_views.base import SecuredModelView
from admin_views.formatters import choice, money
from admin_views.helpers import pdf_response, refuse
from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.fees import pricing
from app.services.fees.documents import ATTACHMENT4_CATEGORIES, fee_standard_context
from app.services.workcalendar import seed_rows, supported_years
from app.validators import parse_date
from models import CalendarYear, FeeStandard, Holiday, ServiceRecord

WEEKDAYS = "一二三四五六日"
#: The activities 附件4 prices by a standard row (the others are 另行确定 or entered).
STANDARD_ROWS = ATTACHMENT4_CATEGORIES


# --------------------------------------------------------------------------------------
# 费用标准 (附件4)
# --------------------------------------------------------------------------------------


def _standard_state(view, context, model, name):
    today = clock.today()
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
        "activity": choice(STANDARD_ROWS), "amount": money, "night_holiday_amount": money,
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
            raise DomainError(
                f"{STANDARD_ROWS.get(model.activity)}已有一条自{model.effective_from:%Y-%m-%d}起执行的标准"
            )
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
            refuse(err)
            return
        if report.priced or report.failed:
            flash(f"已按新标准重新计价{since:%Y-%m-%d}以后未结算的服务记录：{report.summary()}", "info")

    @expose("/print/")
    def print_view(self):
        """附件4 as in force on a day (default today), as PDF."""
        from printables import render_pdf

        try:
            on = parse_date(request.args.get("on"), "日期") or clock.today()
        except DomainError as err:
            flash(str(err), "error")
            return redirect(url_for(".index_view"))
        pdf = render_pdf("fee_standard.html", fee_standard_context(on))
        return pdf_response(pdf, f"武进区安全生产专家费用发放标准_{on:%Y%m%d}.pdf")


# --------------------------------------------------------------------------------------
# 节假日
# --------------------------------------------------------------------------------------


class YearFilter(BaseSQLAFilter):
    """Rows of one calendar year (options computed without the database)."""

    def validate(self, value):
        # Anything but a plausible year is refused with Flask-Admin's 筛选条件无效 message.
        return str(value).strip().isdigit() and 1900 <= int(value) <= 9999

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
    this = clock.today().year
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
            refuse(err)
            return redirect(url_for(".index_view"))
        flash(message + (f"；{report.summary()}" if report.priced or report.failed else "。"), "success")
        return redirect(url_for(".index_view", flt0_0=str(year)))
