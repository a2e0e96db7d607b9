"""System views: the audit log (read-only), its export records and verification, settings.

The audit views change nothing, for anyone: no create, edit or delete (``ReadOnlyView``), and
the chain refuses it in code besides (``app.services.audit.chain``).
"""
import json

from flask import request
from flask_admin import expose
from markupsafe import Markup, escape

from admin_views.base import ReadOnlyView, SecuredModelView
from app import clock
from app.services.audit import ACTION_LABELS, EVENT_KINDS
from app.services.audit.verify import verify_chain
from models import AuditLog


def _changes(view, context, model, name):
    rows = []
    for field, (old, new) in (model.changes or {}).items():
        if model.action in EVENT_KINDS:  # an event's details: label and value, no "old"
            rows.append(f"<li><b>{escape(field)}</b>：{escape(new if new is not None else '（空）')}</li>")
            continue
        rows.append(f"<li><b>{escape(field)}</b>：{escape(old if old is not None else '（空）')} → "
                    f"{escape(new if new is not None else '（空）')}</li>")
    return Markup("<ul class='mb-0 pl-3'>" + "".join(rows) + "</ul>")


class AuditLogView(ReadOnlyView):
    """Who changed what and when; nobody can edit or delete it."""

    column_list = ("id", "at", "username", "client_addr", "action", "table_name", "row_id", "summary")
    column_details_list = ("id", "at", "username", "client_addr", "action", "table_name", "row_id", "summary",
                           "changes", "prev_hash", "hash")
    column_export_list = ("id", "at", "username", "client_addr", "action", "table_name", "row_id", "summary",
                          "changes", "prev_hash", "hash")
    column_labels = {"id": "编号", "at": "时间", "username": "操作人", "client_addr": "来源地址", "action": "操作",
                     "table_name": "数据表", "row_id": "记录编号", "summary": "记录",
                     "changes": "变更内容（原值 → 新值）", "prev_hash": "前一条的哈希（SM3）",
                     "hash": "本条哈希（SM3）"}
    column_formatters = {"action": lambda v, c, m, n: ACTION_LABELS.get(m.action, m.action)}
    column_formatters_detail = {"changes": _changes, "action": column_formatters["action"]}
    column_formatters_export = {
        "changes": lambda v, c, m, n: json.dumps(m.changes, ensure_ascii=False),
        "action": column_formatters["action"],
    }
    column_filters = ("table_name", "username", "action", "at", "client_addr")
    column_searchable_list = ("username", "summary", "table_name", "client_addr")
    column_default_sort = ("id", True)
    column_sortable_list = ("id", "at", "username", "action", "table_name")
    simple_list_pager = True


class ExportLogView(AuditLogView):
    """导出记录: who exported which list, how many rows, from where (entries of the audit log)."""

    column_list = ("id", "at", "username", "client_addr", "summary")
    column_labels = {**AuditLogView.column_labels, "summary": "导出内容"}
    column_filters = ("username", "at", "client_addr")

    def scope_query(self, query):
        return query.filter(AuditLog.action == "export")


class AuditVerifyView(ReadOnlyView):
    """日志核验: the whole chain checked on request (``app.services.audit.verify``); the first
    changed, inserted or removed entry is named and linked."""

    can_view_details = False

    @expose("/")
    def index_view(self):
        result = verify_chain() if request.args.get("run") else None
        return self.render("admin/audit/verify.html", result=result, now=clock.utcnow())


class SettingView(SecuredModelView):
    """Named settings (night hours, paperwork days, grade thresholds)."""

    column_list = ("key", "label", "value")
    column_labels = {"key": "键", "label": "说明", "value": "值"}
    form_columns = ("label", "value")
    can_create = False
