"""Secured base classes that every admin view inherits.

- Rights come from ``app.auth.rights.RIGHTS`` by the view's endpoint, per action.
- Every form (create, edit, delete, bulk action) carries flask-wtf's CSRF token.
- ID numbers, phones, home address, WeChat, QQ and e-mail are masked for roles other than
  基础科/系统管理员, in lists, details and exports alike, and not searchable (SPEC §3.15).
- Exports (CSV, XLSX) are computed inside the request, typed, and safe to open
  (app/services/spreadsheets.py); page, sort and filter arguments never give an error page.
- Versioned records carry their version in the form; a stale save is refused.
- A ``DomainError`` raised by a service shows its Chinese message and changes nothing.
- Every export is put on the audit trail: who exported which list, how many rows.
- Small helpers of the views' own pages (role check, row or 404, commit or refuse,
  dates from forms, PDF responses) sit at the end.
"""
import datetime as dt
import functools
import gettext
import logging
import os
from urllib.parse import quote

from flask import abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_admin import babel as admin_babel
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import BaseForm
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import distinct, func
from sqlalchemy.exc import DataError, ProgrammingError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, ValidationError

from admin_views.row_actions import lean
from app import clock
from app.auth.rights import allowed, sees_unmasked
from app.database import writing
from app.extensions import db
from app.services import audit, limits, spreadsheets
from app.services.errors import DomainError
from app.services.identity import mask

#: Names of the bookkeeping columns most models share (TimestampMixin), where a view has none.
COMMON_LABELS = {"created_at": "创建时间", "updated_at": "最后修改时间"}

#: The furthest page a list argument may ask for (an OFFSET every database takes at any page size).
MAX_PAGE = 1_000_000
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STALE_MESSAGE = "保存失败：该记录在您编辑期间已被他人修改。请重新打开记录，核对最新内容后再修改。"
#: What an empty choice of a select reads (WTForms 3.3 shows the value "__None" when it is "").
BLANK_CHOICE = "（不选）"

# --- Chinese words of Flask-Admin's own templates ---------------------------------------------
# Flask-Admin merges its shipped catalog after ours, so its words win where both have one
# ("items" → 项目). These two put our catalog (admin_views/translations) first for the
# templates of our views; anything it lacks still comes from Flask-Admin's.


@functools.cache
def _our_catalog() -> dict:
    path = os.path.join(os.path.dirname(__file__), "translations", "zh_Hans_CN", "LC_MESSAGES", "admin.mo")
    with open(path, "rb") as f:
        return dict(gettext.GNUTranslations(f)._catalog)


def admin_gettext(string, **variables):
    """Our catalog's Chinese for ``string`` if it has one, else Flask-Admin's."""
    text = _our_catalog().get(string)
    if text is None:
        return admin_babel.gettext(string, **variables)
    return text % variables if variables else text


def admin_ngettext(singular, plural, num, **variables):
    """Plural forms likewise (Chinese has one form: key (singular, 0))."""
    text = _our_catalog().get((singular, 0))
    if text is None:
        return admin_babel.ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    return text % variables


class CSRFBaseForm(BaseForm):
    """Flask-Admin's form base with flask-wtf's CSRF ``Meta`` (see STACK-NOTES)."""

    Meta = FlaskForm.Meta


class VersionField(HiddenField):
    """The record version the editor started from; compared on save, never written."""

    def populate_obj(self, obj, name):
        pass


def current_role():
    """The logged-in user's role, or None."""
    return current_user.role if getattr(current_user, "is_authenticated", False) else None


class RoleGuardMixin:
    """Access by ``RIGHTS[endpoint][role]``; unauthenticated users go to the login page."""

    def is_accessible(self):
        return allowed(current_role(), self.endpoint, "list")

    def inaccessible_callback(self, name, **kwargs):
        if not getattr(current_user, "is_authenticated", False):
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class ModelConverter(AdminModelConverter):
    """Flask-Admin's converter, knowing our encrypted column types (models/base.py).

    Flask-Admin picks a form field by the column type's class names; an SM4-encrypted column
    is a ``TypeDecorator`` it does not know, and such a column was silently left out of every
    form (the expert's 身份证号 and 手机 vanished from 新建专家). Each is a text field as long
    as its plain text may be."""

    @converts("EncryptedString", "PersonalString")
    def conv_encrypted(self, column, field_args, **extra):
        length = getattr(column.type, "plain_length", None)
        if length:
            field_args["validators"].append(Length(max=length, message=f"不能超过{length}个字"))
        self._nullable_common(column, field_args)
        return StringField(**field_args)


class SecuredModelView(RoleGuardMixin, ModelView):
    """Base for every model view: rights, CSRF, masking, stale-edit check, Chinese errors."""

    form_base_class = CSRFBaseForm
    model_form_converter = ModelConverter
    page_size = 20
    can_set_page_size = True
    export_types = ["xlsx", "csv"]
    # Columns masked for roles that may not see them in full: name -> a kind of identity.MASKS
    # ("id", "phone", "address", "account" for WeChat/QQ, "email").
    masked_columns: dict[str, str] = {}
    # Columns a form must never offer (bookkeeping).
    form_excluded_columns = ("created_at", "updated_at", "version")
    column_display_pk = False
    # Stored instants (UTC) are shown in the bureau's time zone, to the minute (SPEC §3.17).
    # Exports keep them as date-times (local, to the second) so spreadsheets can sort and compute.
    column_type_formatters = {
        **typefmt.BASE_FORMATTERS,
        dt.datetime: lambda view, value, name: clock.format_time(value),
    }
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS,
                                     dt.datetime: lambda view, value, name: clock.format_time(value, seconds=True)}
    column_type_formatters_export = {
        **typefmt.EXPORT_FORMATTERS,
        dt.datetime: lambda view, value, name: clock.local(value).replace(tzinfo=None, microsecond=0),
    }

    # -- rights, per action, decided per request --------------------------------
    def _can(self, action):
        return allowed(current_role(), self.endpoint, action)

    @property
    def can_create(self):
        return self._can("create")

    @property
    def can_edit(self):
        return self._can("edit")

    @property
    def can_delete(self):
        return self._can("delete")

    @property
    def can_export(self):
        return self._can("export")

    @property
    def can_view_details(self):
        return self._can("details")

    def get_list_row_actions(self):
        return lean(super().get_list_row_actions())

    def _refresh_cache(self):
        super()._refresh_cache()
        # Rights are decided per request, so the details columns must exist regardless.
        self._details_columns = self.get_details_columns()

    # -- every column's name in Chinese ----------------------------------------------------------
    def get_column_name(self, field):
        """The view's label; for ``relation.column`` (a search or a filter through a relation)
        the relation's label; for the bookkeeping columns every model has, :data:`COMMON_LABELS`.
        Flask-Admin would otherwise make "Created At" or "expert.name" out of the attribute."""
        labels = self.column_labels or {}
        if field in labels:
            return labels[field]
        if isinstance(field, str) and "." in field and field.split(".")[0] in labels:
            return labels[field.split(".")[0]]
        if field in COMMON_LABELS:
            return COMMON_LABELS[field]
        return super().get_column_name(field)

    def get_details_columns(self):
        """As Flask-Admin's, without the edit counter of optimistic locking (``version``), which
        means nothing to a reader, unless the view lists it."""
        columns = super().get_details_columns()
        table = getattr(self.model, "__table__", None)
        if table is None or "version" not in table.c or "version" in (self.column_details_list or ()):
            return columns
        return [(name, label) for name, label in columns if name != "version"]

    def scaffold_filters(self, name):
        """Flask-Admin names a filter on ``relation.column`` "town / Org Unit / 姓名" (attribute,
        class and column names) unless ``relation.column`` is labelled; here it is named as
        :meth:`get_column_name` names it (所在镇/街道)."""
        filters = super().scaffold_filters(name)
        if isinstance(name, str) and "." in name and name not in (self.column_labels or {}):
            for flt in filters or ():
                flt.name = self.get_column_name(name)
        return filters

    # -- forms: Chinese for the empty choice and the picker's placeholder ---------------------
    def _process_ajax_references(self):
        loaders = super()._process_ajax_references()
        for name, loader in loaders.items():
            label = (self.column_labels or {}).get(name, name)
            # Flask-Admin's own placeholder reads 请选择模型 ("Please select model").
            loader.options.setdefault("placeholder", f"输入文字搜索{label}")
        return loaders

    def create_form(self, obj=None):
        return chinese_blanks(super().create_form(obj))

    def edit_form(self, obj=None):
        return chinese_blanks(super().edit_form(obj))

    # Bulk actions need the edit right, unless a view's actions are workflow steps it checks
    # one by one in ``is_action_allowed`` (e.g. 初审 on many applications by 基础科).
    actions_need_edit = True

    def _handle_view(self, name, **kwargs):
        result = super()._handle_view(name, **kwargs)
        if result is not None:
            return result
        if name == "action_view" and not self.actions_need_edit:
            return None
        needed = {
            "create_view": "create",
            "edit_view": "edit",
            "delete_view": "delete",
            "details_view": "details",
            "export": "export",
            "ajax_update": "edit",
            "action_view": "edit",
        }.get(name)
        if needed and not self._can(needed):
            abort(403)
        # Picker lookups serve the create/edit forms only; without this, a role that may
        # merely list (an expert, a town) could page through every row's name.
        if name == "ajax_lookup" and not (self._can("create") or self._can("edit")):
            abort(403)
        return None

    def handle_action(self, return_view=None):
        # The bulk "delete" needs the delete right whatever a view's is_action_allowed says.
        if request.form.get("action") == "delete" and not self.can_delete:
            abort(403)
        return super().handle_action(return_view)

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        # The ticked rows arrive as text; PostgreSQL refuses ``integer IN (varchar)`` (a 500),
        # so they are turned into the key's own type first (ids that are not are dropped).
        pk = self.model.__mapper__.primary_key
        if len(pk) == 1:
            try:
                kind = pk[0].type.python_type
            except NotImplementedError:
                kind = None
            if kind is int:
                ids = [int(i) for i in ids if str(i).strip().lstrip("-").isdigit()]
        return super().action_delete(ids)

    def get_actions_list(self):
        # Nor is it offered in the 选中项 menu to a role that may not delete.
        actions, confirmations = super().get_actions_list()
        if not self.can_delete:
            actions = [a for a in actions if a[0] != "delete"]
            confirmations.pop("delete", None)
        return actions, confirmations

    def is_action_allowed(self, name):
        if name == "delete" and not self.can_delete:
            return False
        if not self.can_edit and name != "delete":
            return False
        return super().is_action_allowed(name)

    def _get_list_extra_args(self):
        # ?page=-1 would become a negative OFFSET, which PostgreSQL refuses (a 500), and
        # ?page=99999999999999999999 an OFFSET no database takes (OverflowError); get_list
        # then shows the last page there is.
        args = super()._get_list_extra_args()
        raw = (request.args.get("page") or "").strip()
        if raw.isdigit() and int(raw) > MAX_PAGE:  # (the request's int parsing gives up on it)
            args.page = MAX_PAGE
        if args.page is not None:
            args.page = min(max(args.page, 0), MAX_PAGE)
        return args

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        # A filter value of the wrong type (text for a number column: ?flt0_3=abc) passes
        # Flask-Admin's plain FilterEqual and PostgreSQL refuses the comparison. Show the
        # list empty with a message instead of an error page.
        try:
            count, data = super().get_list(page, sort_column, sort_desc, search, filters, execute=execute,
                                           page_size=page_size)
            size = self.page_size if page_size is None else page_size
            if execute and page and size and count and not data:
                # A page past the end: show the last page there is (and say so in the pager).
                g.admin_list_page = (count - 1) // size
                count, data = super().get_list(g.admin_list_page, sort_column, sort_desc, search, filters,
                                               execute=execute, page_size=page_size)
            return count, data
        except (DataError, ProgrammingError, OverflowError):
            db.session.rollback()
            logging.getLogger(__name__).warning("list query refused for %s", request.full_path, exc_info=True)
            flash("筛选、排序或翻页条件无效，请检查后重试。", "error")
            return 0, []

    def render(self, template, **kwargs):
        # A page number out of range shows the nearest valid page (get_list clamped it).
        if "page" in kwargs and g.get("admin_list_page") is not None:
            kwargs["page"] = g.pop("admin_list_page")
        # Flask-Admin sets _gettext/_ngettext, then applies _template_args: ours come first.
        self._template_args.update(_gettext=admin_gettext, _ngettext=admin_ngettext)
        return super().render(template, **kwargs)

    # -- exports: every row computed inside the request, every cell safe to open ------------
    def export_table(self) -> tuple[list[str], list[list]]:
        """(headers, rows) of the export as the list shows it: same rows, masking and formatters.

        Every value is computed here, inside the request and its database session; Flask-Admin's
        own CSV export streamed the rows lazily after the view had returned, and relations not
        loaded yet (an expert's 工作经历) failed with DetachedInstanceError half-way through.
        """
        _count, data = self._export_data()
        headers = [str(title) for _name, title in self._export_columns]
        rows = [[self.get_export_value(model, name) for name, _title in self._export_columns] for model in data]
        return headers, rows

    def get_export_name(self, export_type="csv"):
        return f"{self.name}_{clock.now():%Y%m%d-%H%M%S}.{export_type}"

    def _export_file(self, data: bytes, export_type: str, mimetype: str):
        filename = self.get_export_name(export_type)
        response = current_app.response_class(data, mimetype=mimetype)
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"export.{export_type}\"; filename*=UTF-8''{quote(filename)}")
        response.headers["Cache-Control"] = "private, no-store"
        return response

    def _export_csv(self, return_url):
        headers, rows = self.export_table()
        return self._export_file(spreadsheets.csv_bytes(headers, rows), "csv", "text/csv; charset=utf-8")

    def _export_tablib(self, export_type, return_url):
        if export_type != "xlsx":
            flash("不支持该导出格式。", "error")
            return redirect(return_url)
        headers, rows = self.export_table()
        return self._export_file(spreadsheets.table_workbook(str(self.name), headers, rows), "xlsx", XLSX_MIMETYPE)
    # -- exports are audited ------------------------------------------------------------
    def _export_data(self):
        count, data = super()._export_data()
        record_export(self, len(data), request.view_args.get("export_type", ""))
        return count, data

    # -- row scope: override scope_query to limit rows per role ------------------
    def scope_query(self, query):
        """Limit rows for the current user; the default shows all rows."""
        return query

    def get_query(self):
        return self.scope_query(super().get_query())

    def get_count_query(self):
        return self.scope_query(super().get_count_query())

    def get_one(self, id):
        model = super().get_one(id)
        if model is None or type(self).scope_query is SecuredModelView.scope_query:
            return model
        pk = self.model.__mapper__.primary_key[0]
        visible = self.scope_query(db.session.query(pk).filter(pk == getattr(model, pk.key)))
        return model if visible.first() is not None else None

    # -- masking -------------------------------------------------------------------
    def _mask(self, name, value):
        kind = self.masked_columns.get(name)
        if value is None:
            return ""  # (not the word None on the page)
        if not kind or value == "" or sees_unmasked(current_role()):
            return value
        return mask(kind, value)

    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        if name in self.masked_columns and not sees_unmasked(current_role()):
            return self._mask(name, self._get_field_value(model, name))
        return super()._get_list_value(context, model, name, column_formatters, column_type_formatters)

    def get_export_value(self, model, name):
        if name in self.masked_columns and not sees_unmasked(current_role()):
            return self._mask(name, self._get_field_value(model, name))
        return super().get_export_value(model, name)

    # A masked column is not searchable for a role that sees it masked: searching by a known
    # phone number would tell which expert has it. Flask-Admin builds its search fields once;
    # they are filtered per request here (the views are shared, so nothing is mutated).
    @property
    def _search_fields(self):
        fields = self.__dict__.get("_all_search_fields")
        if not fields or not self.masked_columns or not has_request_context() or sees_unmasked(current_role()):
            return fields
        return [(column, path) for column, path in fields if getattr(column, "key", None) not in self.masked_columns]

    @_search_fields.setter
    def _search_fields(self, value):
        self.__dict__["_all_search_fields"] = value

    def search_placeholder(self):
        """The searchable columns' labels (搜索：姓名、工作单位…), without those masked for the role."""
        hidden = set()
        if self.masked_columns and has_request_context() and not sees_unmasked(current_role()):
            hidden = set(self.masked_columns)
        names = [c if isinstance(c, str) else c.key for c in self.column_searchable_list or ()]
        return "、".join(str(self.get_column_name(n)) for n in names if n not in hidden) or None

    # -- forms: version travels in the form; every text field has its length limit -----------
    def scaffold_form(self):
        form_class = super().scaffold_form()
        if "version" in self.model.__table__.c:
            form_class.version = VersionField()
        self._add_length_limits(form_class)
        return form_class

    def _add_length_limits(self, form_class) -> None:
        """A Chinese length check on every field of a text column (app/services/limits.py has the
        same numbers for the service side): ``主要工作业绩不能超过4000个字``."""
        columns = self.model.__table__.c
        for name in dir(form_class):
            field = getattr(form_class, name, None)
            if name not in columns or not isinstance(field, UnboundField):
                continue
            label, limit = limits.limit_of(columns[name])
            if limit is None:
                continue
            label = str(self.column_labels.get(name) or label or name)
            checks = [v for v in field.kwargs.get("validators", []) if not isinstance(v, Length)]
            message = f"{label}不能超过{limit}个字（现为%(length)d个字）"
            field.kwargs["validators"] = [*checks, Length(max=limit, message=message)]

    def update_model(self, form, model):
        if "version" in self.model.__table__.c and hasattr(form, "version"):
            sent = (form.version.data or "").strip()
            if sent != str(model.version):
                flash(STALE_MESSAGE, "error")
                return False
        return super().update_model(form, model)

    def handle_view_exception(self, exc):
        if isinstance(exc, DomainError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, ValidationError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, StaleDataError):
            flash(STALE_MESSAGE, "error")
            return True
        return super().handle_view_exception(exc)


class DistinctCountMixin:
    """List totals counted by distinct id when searching joins a many-to-many."""

    def get_count_query(self):
        pk = self.model.__mapper__.primary_key[0]
        return self.scope_query(db.session.query(func.count(distinct(pk))).select_from(self.model))


class ReadOnlyView(SecuredModelView):
    """A view nobody edits through forms (logs, computed records)."""

    def _can(self, action):
        return action in ("list", "details", "export") and super()._can(action)


# --- helpers of the views' own pages ---------------------------------------------------------


def chinese_blanks(form):
    """Give every select's empty choice a Chinese text (also inside inline rows); returns ``form``."""
    for field in form:
        entries = getattr(field, "entries", None)
        if entries is not None:
            for entry in entries:
                if hasattr(entry, "form"):
                    chinese_blanks(entry.form)
        elif hasattr(field, "form") and hasattr(field.form, "_fields"):
            chinese_blanks(field.form)
        elif getattr(field, "allow_blank", False) and not getattr(field, "blank_text", None):
            field.blank_text = BLANK_CHOICE
    return form

def record_export(view, rows: int, fmt: str, what: str | None = None) -> None:
    """Put an export of ``view`` on the audit trail (list name, rows, format, search and
    filters) and commit it: the download itself writes nothing else."""
    filters = "；".join(f"{k}={v}" for k, v in request.args.items(multi=True) if k.startswith("flt"))
    model = getattr(view, "model", None)
    # A download is a GET: its read transaction ends (it wrote nothing), and the entry is
    # written in a transaction of its own that takes the write lock (app/database.py).
    # Committed without expiring the rows about to be written out (no reload, row by row).
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
        with writing():
            audit.export_made(what or str(view.name), rows, fmt, table=getattr(model, "__tablename__", ""),
                              search=request.args.get("search", ""), filters=filters)
            session.commit()
    finally:
        session.expire_on_commit = keep
