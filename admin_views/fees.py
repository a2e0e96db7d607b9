"""Fees in the admin (第十九、二十条, 附件4, SPEC §3.9–3.10): what experts did and what
it costs.

* 服务记录 (``service_record``) — what experts did and what it costs; 计价; towns see
  their own unit's records (what they owe), experts their own.
* 费用审批 (``fee_approval``) — amounts 另行确定: units propose, only a leader approves.

The same menu (专家费用) goes on with the quarterly payouts and what the towns owe
(:mod:`admin_views.payouts`), then the fee standards and the holiday calendar
(:mod:`admin_views.pricing`).

Views stay thin: every rule is in :mod:`app.services.fees.payouts`; a refusal is a
``DomainError`` whose Chinese message is flashed, and nothing is saved.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from admin_views.base import ReadOnlyView, SecuredModelView, current_role
from admin_views.formatters import choice, money, money_value
from admin_views.helpers import refuse
from app import clock
from app.auth.rights import allowed, is_expert_self, works_for_a_unit
from app.extensions import db
from app.form_choices import options
from app.services.errors import DomainError
from app.services.fees import pricing, quarters, settlement
from app.services.fees.record_status import record_status
from app.services.fees.records import payer_for_unit
from app.services.fees.standard import whole_units
from models import OrgUnit, PayoutBatch, PayoutLine, ServiceRecord
from models.choices import ACTIVITY_TYPES, EXPERT_SOURCES, PAYERS, UPPER_POOL_LEVELS

CATEGORY = "专家费用"


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def own_unit_id() -> int | None:
    """The unit a 局科室/大队 or 镇街 user is limited to (None: not limited)."""
    if works_for_a_unit(current_role()):
        return current_user.org_unit_id or -1
    return None


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
    year, quarter = quarters.quarter_of(clock.today())
    newest = quarters.shift_quarter(year, quarter, 1)
    shown = (quarters.shift_quarter(*newest, -n) for n in range(4 * years_back + 1))
    return [(f"{y}-{q}", quarters.quarter_label(y, q)) for y, q in shown]


class PricedFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column.is_not(None) if value == "1" else column.is_(None))

    def operation(self):
        return "为"


class SettledFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        condition = settlement.settled_condition()
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
        g.fees_draft_quarters = settlement.draft_quarters()
    return record_status(model, state, g.fees_draft_quarters)


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
    details_template = "admin/fees/service_record_details.html"
    column_list = ("service_date", "expert", "unit", "activity", "units", "payer", "amount", "status")
    column_labels = {
        "service_date": "服务日期", "expert": "专家", "unit": "使用单位", "activity": "服务类别", "units": "数量",
        "started_at": "开始时间（应急处置）", "payer": "支付方", "amount": "金额（元）", "status": "状态",
        "basis": "计费依据", "is_night": "夜间", "is_holiday": "节假日", "proposed_amount": "建议/录入金额（元）",
        "approved_at": "批准时间", "note": "备注", "unit_paid_on": "用人单位支付日期",
        "expert.name": "专家姓名", "unit.name": "使用单位",
    }
    column_formatters = {
        "activity": choice(ACTIVITY_TYPES), "payer": choice(PAYERS), "amount": money,
        "proposed_amount": money, "status": _record_status, "expert": _expert_label,
        "units": lambda v, c, m, n: f"{m.units.normalize():f}" if m.units is not None else "",
        "is_night": lambda v, c, m, n: "是" if m.is_night else "",
        "is_holiday": lambda v, c, m, n: "是" if m.is_holiday else "",
        "started_at": lambda v, c, m, n: f"{m.started_at:%Y-%m-%d %H:%M}" if m.started_at else "",
    }
    # Exports keep amounts and quantities as numbers (a spreadsheet sums them).
    column_formatters_export = {**column_formatters, "amount": money_value, "proposed_amount": money_value,
                                "units": lambda v, c, m, n: m.units.normalize() if m.units is not None else ""}
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
        "payer": SelectField("支付方（第十九条）", choices=options(PAYERS, blank="按使用单位自动确定"), default=""),
    }
    form_args = {
        "started_at": {"description": "应急救援处置必填：开始处置的当地时间，决定是否按夜间标准计费"},
        "units": {"description": "天数（执法检查等）、次数（事故调查）或起数（应急救援处置），正整数"},
        "proposed_amount": {
            "description": "标准化评审：按上级标准录入的金额；其他、教育培训授课及上级库专家：建议金额，须经局领导批准"
        },
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
        if is_expert_self(role):
            return query.filter(ServiceRecord.expert_id == (current_user.expert_id or -1))
        unit_id = own_unit_id()
        if unit_id is not None:
            return query.filter(ServiceRecord.unit_id == unit_id)
        return query

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and request.method == "GET":
            form.payer.data = obj.payer
        return form

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        """A settled record opens read-only, the reason at the top, instead of a form refused at 保存."""
        record = self.get_one(request.args.get("id", ""))
        if record is not None and settlement.is_settled(record):
            return redirect(url_for(".details_view", id=record.id, url=request.args.get("url")))
        return super().edit_view()

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["lock"] = self._lock_of(kwargs["model"])
        return super().render(template, **kwargs)

    def _lock_of(self, record: ServiceRecord) -> dict | None:
        """Why a settled record may not change, and the batch that settled it (linked when allowed)."""
        if not settlement.is_settled(record):
            return None
        if record.unit_paid_on is not None:
            reason = f"用人单位已于{record.unit_paid_on}支付该服务费用（第十九条），金额已结算，不能修改或删除。"
            return {"reason": reason, "batch": None, "url": None}
        batch = settlement.batch_of_record(record)
        label = f"{quarters.quarter_label(batch.year, batch.quarter)}第{batch.sequence}批"
        state = {"paid": "已发放", "reviewed": "已审核"}.get(batch.state, batch.state)
        url = (url_for("payout_batch.details_view", id=batch.id)
               if allowed(current_role(), "payout_batch", "details") else None)
        return {"reason": f"该服务记录已纳入{label}（{state}），金额已结算，不能修改或删除；"
                          "如需更正，请在以后的草稿批次中录入调整。", "batch": label, "url": url}

    def validate_form(self, form):
        ok = super().validate_form(form)
        if not ok or not hasattr(form, "units"):
            return ok
        try:
            whole_units(form.units.data)  # 附件4 counts whole days, times and events
        except DomainError:
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
        if not is_created and settlement.is_settled(model):
            raise DomainError(settlement.SETTLED_MESSAGE)
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
        if settlement.is_settled(model):
            raise DomainError(settlement.SETTLED_MESSAGE)

    @action("price", "计价", "按现行费用标准和节假日安排对选中的未结算服务记录重新计价？")
    def action_price(self, ids):
        records = db.session.scalars(
            self.scope_query(select(ServiceRecord).where(ServiceRecord.id.in_([int(i) for i in ids])))
        ).all()
        try:
            report = pricing.price_records(records)
            db.session.commit()
        except DomainError as err:
            refuse(err)
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
            refuse(err)
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
        unit_id = own_unit_id()
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
        unit_id = own_unit_id()
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
            refuse(err)
        else:
            flash(f"已提出建议金额{record.proposed_amount:,.2f}元，等待局领导批准。"
                  if record.amount is None else f"已录入金额{record.amount:,.2f}元。", "success")
        return redirect(url_for(".index_view"))

    # -- the leader's decision: chosen on the list (nothing preset), confirmed by name -------

    @expose("/decide/", methods=("POST",))
    def decide_view(self):
        """Approve or return proposed amounts in two steps: the list posts each record's choice,
        this page lists the names, amounts and counts, and only its confirmation saves."""
        if not self._may("approve"):
            abort(403)
        if request.form.get("stage") == "save":
            approve_ids = set(_ids(request.form.getlist("approve")))
            return_ids = set(_ids(request.form.getlist("return")))
        else:
            waiting = {r.id for r in db.session.scalars(pricing.awaiting_approval_query(own_unit_id()))}
            approve_ids = {i for i in waiting if request.form.get(f"decision-{i}") == "approve"}
            return_ids = {i for i in waiting if request.form.get(f"decision-{i}") == "return"}
        return self._decide(approve_ids - return_ids, return_ids - approve_ids)

    @expose("/approve/<int:record_id>", methods=("POST",))
    def approve(self, record_id):
        """One record to approve: goes to the same confirmation."""
        if not self._may("approve"):
            abort(403)
        return self._decide({self._record(record_id).id}, set(), saving=False)

    @expose("/return/<int:record_id>", methods=("POST",))
    def return_view(self, record_id):
        """One record to return: goes to the same confirmation."""
        if not self._may("approve"):
            abort(403)
        return self._decide(set(), {self._record(record_id).id}, saving=False)

    def _decide(self, approve_ids, return_ids, saving=None):
        saving = request.form.get("stage") == "save" if saving is None else saving
        approving = sorted((self._record(i) for i in approve_ids), key=lambda r: (r.service_date, r.id))
        returning = sorted((self._record(i) for i in return_ids), key=lambda r: (r.service_date, r.id))
        if not approving and not returning:
            flash("未作任何修改：请对至少一条记录选择“批准”或“退回”。", "error")
            return redirect(url_for(".index_view"))
        reason = request.form.get("reason", "")
        if saving:
            try:
                if returning and not reason.strip():
                    raise DomainError("退回须填写理由。")
                for record in approving:
                    pricing.approve_amount(record, current_user)
                for record in returning:
                    pricing.return_proposal(record, current_user, reason)
                db.session.commit()
            except DomainError as err:
                refuse(err)
            else:
                parts = []
                if approving:
                    total = sum(r.amount for r in approving)
                    parts.append(f"已批准{len(approving)}条，合计{total:,.2f}元：" + "、".join(
                        f"{r.expert.name} {r.amount:,.2f}元" for r in approving))
                if returning:
                    parts.append(f"已退回{len(returning)}条：" + "、".join(r.expert.name for r in returning))
                flash("；".join(parts) + "。", "success")
                return redirect(url_for(".index_view"))
        total = sum((r.proposed_amount or 0) for r in approving)
        return self.render("admin/fees/approval_confirm.html", approving=approving, returning=returning,
                           total=total, reason=reason, activity_types=ACTIVITY_TYPES)
