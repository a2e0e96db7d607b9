"""System views: the audit log (read-only) and settings."""
import json

from markupsafe import Markup, escape

from admin_views.base import ReadOnlyView, SecuredModelView

ACTION_LABELS = {"create": "新建", "update": "修改", "delete": "删除"}


def _changes(view, context, model, name):
    rows = []
    for field, (old, new) in (model.changes or {}).items():
        rows.append(f"<li><b>{escape(field)}</b>：{escape(old if old is not None else '（空）')} → "
                    f"{escape(new if new is not None else '（空）')}</li>")
    return Markup("<ul class='mb-0 pl-3'>" + "".join(rows) + "</ul>")


class AuditLogView(ReadOnlyView):
    """Who changed what and when; nobody can edit or delete it."""

    column_list = ("at", "username", "client_addr", "action", "table_name", "row_id", "summary")
    column_details_list = ("at", "username", "client_addr", "action", "table_name", "row_id", "summary", "changes")
    column_export_list = ("at", "username", "client_addr", "action", "table_name", "row_id", "summary", "changes")
    column_labels = {"at": "时间", "username": "操作人", "client_addr": "来源地址", "action": "操作",
                     "table_name": "数据表", "row_id": "记录编号", "summary": "记录",
                     "changes": "变更内容（原值 → 新值）"}
    column_formatters = {"action": lambda v, c, m, n: ACTION_LABELS.get(m.action, m.action)}
    column_formatters_detail = {"changes": _changes, "action": column_formatters["action"]}
    column_formatters_export = {
        "changes": lambda v, c, m, n: json.dumps(m.changes, ensure_ascii=False),
        "action": column_formatters["action"],
    }
    column_filters = ("table_name", "username", "action", "at", "client_addr")
    column_searchable_list = ("username", "summary", "table_name", "client_addr")
    column_default_sort = ("at", True)
    simple_list_pager = True


class SettingView(SecuredModelView):
    """Named settings (night hours, paperwork days, grade thresholds)."""

    column_list = ("key", "label", "value")
    column_labels = {"key": "键", "label": "说明", "value": "值"}
    form_columns = ("label", "value")
    can_create = False
