"""Notices and receipts in the admin (第十六条): the notices a unit issued, and the paper receipt
uploaded by the unit that issued the notice.
"""
from __future__ import annotations

import io
from urllib.parse import quote

from flask import abort, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from admin_views.base import ReadOnlyView
from admin_views.dispatch.common import _unit_query, can_manage, own_unit_id
from admin_views.formatters import choice
from admin_views.helpers import run
from app import clock
from app.services.dispatch import (
    notices,
)
from app.services.uploads import read_upload
from app.validators import parse_date
from models import Notice, UsageRequest
from models.choices import (
    RECEIPT_METHODS,
    RECEIPT_STATES,
)

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
            own_requests = select(UsageRequest.id).where(UsageRequest.unit_id == unit_id)
            return query.filter(self.model.request_id.in_(own_requests))
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
                    signed_on=parse_date(request.form.get("signed_on"), "签收日期"),
                )

            _, ok = run(action, f"已上传{notice.enterprise.name}的纸质回执，状态为“已回收”。")
            if ok:
                return redirect(url_for("notice.index_view"))
        return self.render("admin/dispatch/notice_upload.html", notice=notice, today=clock.today())
