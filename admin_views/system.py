"""System views: the audit log (read-only, read as a person would write it), its export
records and verification, settings.

The audit views change nothing, for anyone: no create, edit or delete (``ReadOnlyView``), and
the chain refuses it in code besides (``app.services.audit.chain``).
"""
from flask import request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from admin_views.base import ReadOnlyView, SecuredModelView
from app import clock
from app.services.audit import text as audit_text
from app.services.audit.verify import verify_chain
from models import AuditLog


def _actor(view, context, model, name):
    user = model.user
    if user is not None and user.full_name and user.full_name != model.username:
        return f"{model.username}（{user.full_name}）"
    return model.username


def _changes_detail(view, context, model, name):
    """Every field: label, old → new (a new record: its values; a deleted one: what it held;
    an event such as a login or an export: its details), in words."""
    changes = audit_text.field_changes(model, view.labels_of(model.table_name))
    if not changes:
        return ""
    if model.action in ("create", "delete") or audit_text.is_event(model):
        title = "删除前的值" if model.action == "delete" else "值"
        head = f"<tr><th>字段</th><th>{title}</th></tr>"
        rows = "".join(f"<tr><th scope='row'>{escape(c.label)}</th>"
                       f"<td>{escape(c.old if model.action == 'delete' else c.new)}</td></tr>" for c in changes)
    else:
        head = "<tr><th>字段</th><th>原值</th><th></th><th>新值</th></tr>"
        rows = "".join(f"<tr><th scope='row'>{escape(c.label)}</th><td>{escape(c.old)}</td><td>→</td>"
                       f"<td>{escape(c.new)}</td></tr>" for c in changes)
    return Markup(f"<table class='table table-sm mb-0'><thead>{head}</thead><tbody>{rows}</tbody></table>")


def _changes_list(view, context, model, name):
    if audit_text.is_event(model):
        return "；".join(f"{c.label}：{c.new}" for c in audit_text.field_changes(model, resolve=False)[:3])
    if audit_text.is_login(model):
        return ""
    labels = [c.label for c in audit_text.field_changes(model, view.labels_of(model.table_name), resolve=False)]
    return "、".join(labels[:6]) + (f"等{len(labels)}项" if len(labels) > 6 else "")


def _changes_export(view, context, model, name):
    if audit_text.is_event(model):
        return "；".join(f"{c.label}：{c.new}" for c in audit_text.field_changes(model))
    return "；".join(f"{c.label}：{c.old} → {c.new}"
                    for c in audit_text.field_changes(model, view.labels_of(model.table_name)))


def _summary(view, context, model, name):
    if audit_text.is_event(model):
        return model.summary
    return "" if audit_text.is_login(model) else audit_text.record_label(model)


class AuditLogView(ReadOnlyView):
    """Who changed what and when; nobody can edit or delete it. Shown in words
    (``app.services.audit.text``): what is stored — and hashed into the chain — is not changed."""

    column_list = ("at", "username", "client_addr", "action", "table_name", "summary", "changes")
    column_details_list = ("id", "at", "username", "client_addr", "action", "table_name", "row_id", "summary",
                           "changes", "prev_hash", "hash")
    column_export_list = ("id", "at", "username", "client_addr", "action", "table_name", "row_id", "summary",
                          "changes", "prev_hash", "hash")
    column_labels = {"id": "编号", "at": "时间", "username": "操作人", "client_addr": "来源地址", "action": "操作",
                     "table_name": "对象", "row_id": "记录编号", "summary": "记录",
                     "changes": "变更内容（原值 → 新值）", "prev_hash": "前一条的哈希（SM3）",
                     "hash": "本条哈希（SM3）"}
    column_formatters = {
        "username": _actor,
        "action": lambda v, c, m, n: audit_text.action_label(m),
        "table_name": lambda v, c, m, n: audit_text.entity_label(m.table_name) if m.table_name else "",
        "summary": _summary,
        "changes": _changes_list,
    }
    column_formatters_detail = {**column_formatters, "changes": _changes_detail}
    column_formatters_export = {**column_formatters, "changes": _changes_export}
    column_filters = (
        FilterEqual(AuditLog.table_name, "对象", options=sorted(audit_text.ENTITIES.items(), key=lambda kv: kv[1])),
        FilterEqual(AuditLog.action, "操作", options=list(audit_text.ACTIONS.items())),
        "username", "at", "client_addr",
    )
    column_searchable_list = ("username", "summary", "table_name", "client_addr")
    column_sortable_list = ("id", "at", "username", "table_name")
    column_default_sort = ("id", True)
    simple_list_pager = True

    def labels_of(self, table: str) -> dict[str, str]:
        """The column labels the admin's own views give ``table``'s columns (cached)."""
        cache = self.__dict__.setdefault("_labels_by_table", {})
        if not cache:
            for view in self.admin._views:
                model = getattr(view, "model", None)
                if model is not None and hasattr(model, "__tablename__"):
                    labels = {k: str(v) for k, v in (view.column_labels or {}).items() if "." not in k}
                    cache.setdefault(model.__tablename__, {}).update(labels)
            cache.setdefault("", {})
        return cache.get(table, {})

    def get_query(self):
        return super().get_query().options(selectinload(AuditLog.user))


class ExportLogView(AuditLogView):
    """导出记录: who exported which list, how many rows, from where (entries of the audit log)."""

    column_list = ("at", "username", "client_addr", "summary", "changes")
    column_labels = {**AuditLogView.column_labels, "summary": "导出内容", "changes": "行数和条件"}
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

    # What the setting means and its value first; its code (as the guide and the commands name
    # it) last, for the system administrator who looks it up there.
    column_list = ("label", "value", "key")
    column_labels = {"key": "代码", "label": "参数", "value": "值"}
    form_columns = ("label", "value")
    can_create = False
