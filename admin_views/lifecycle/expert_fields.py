"""The office's extra registry fields on the expert's admin edit page (issue 17 §2).

The fields in force change at run time, so the form class is extended per request; the
values are checked by :func:`app.services.lifecycle.extra_fields.clean_values` (the engine's
one validation) and stored after the expert is saved.
"""
from __future__ import annotations

import datetime as dt

from flask import has_request_context, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.helpers import get_form_data
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from admin_views.base import current_role
from app.services.lifecycle import extra_fields
from models import Expert, ExpertFieldValue

PREFIX = "x__"


def wtforms_field(field):
    """The WTForms field of a registry field (its checks stay in the service)."""
    label = field.label + ("" if field.required else "（选填）")
    description = field.help or ""
    common = {"label": label, "description": description, "validators": [Optional()]}
    if field.kind == "textarea":
        return TextAreaField(render_kw={"rows": 3, "maxlength": field.max_length}, **common)
    if field.kind == "integer":
        return StringField(render_kw={"inputmode": "numeric"}, **common)
    if field.kind == "date":
        return StringField(render_kw={"type": "date"}, **common)
    if field.kind == "choice":
        return SelectField(choices=[("", "请选择")] + [(o, o) for o in field.options or []], **common)
    if field.kind == "yesno":
        return SelectField(choices=[("", "请选择"), ("1", "是"), ("0", "否")], **common)
    return StringField(render_kw={"maxlength": field.max_length}, **common)


class ExtraFieldsMixin:
    """Mixed into the expert's ModelView before ``SecuredModelView``."""

    def get_filters(self):
        return list(super().get_filters() or []) + extra_filters()

    @expose("/")
    def index_view(self):
        # The fields in force change at run time: the filters are computed for each list page.
        self._refresh_filters_cache()
        return super().index_view()

    def _extra_form(self, cls):
        fields = extra_fields.active_fields()
        if not fields:
            return cls
        return type(cls.__name__ + "Extra", (cls,), {PREFIX + f.key: wtforms_field(f) for f in fields})

    def create_form(self, obj=None):
        return self._extra_form(self._create_form_class)(get_form_data(), obj=obj)

    def edit_form(self, obj=None):
        form = self._extra_form(self._edit_form_class)(get_form_data(), obj=obj)
        if request.method != "POST" and obj is not None:
            stored = extra_fields.values_of(obj)
            for f in extra_fields.active_fields():
                getattr(form, PREFIX + f.key).data = stored.get(f.key, "")
        return form

    @staticmethod
    def _posted(form) -> dict:
        return {name[len(PREFIX):]: (field.data or "") for name, field in form._fields.items()
                if name.startswith(PREFIX)}

    def validate_form(self, form):
        ok = super().validate_form(form)
        posted = self._posted(form)
        if not posted:
            return ok
        try:
            form._extra_values = extra_fields.clean_values(posted)
        except extra_fields.FormInvalid as err:
            for key, message in err.field_errors.items():
                target = getattr(form, PREFIX + key, None)
                if target is not None:
                    target.errors = list(target.errors) + [message]
            return False
        return ok

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        cleaned = getattr(form, "_extra_values", None)
        if cleaned:
            from app.extensions import db

            db.session.add(model)
            db.session.flush()
            extra_fields.store_values(model.id, cleaned)

    def export_table(self):
        """The roster export with the office's fields in force as extra columns, personal data
        masked for the role; the workbook writer keeps formula-looking text as text."""
        headers, rows = super().export_table()
        columns = extra_fields.sheet_columns()
        if not columns:
            return headers, rows
        _count, data = self._export_data()
        role = current_role()
        out = []
        for model, row in zip(data, rows, strict=False):
            stored = extra_fields.values_of(model)
            out.append(list(row) + [extra_fields.display(f, stored.get(f.key), role=role) for _, f in columns])
        return headers + [h for h, _ in columns], out


class ExtraValueFilter(BaseSQLAFilter):
    """A list filter on one registry field: equal (choice, yes/no, integer), contains (text),
    before / after (date). Personal-data fields get no filter: searching by a masked value
    would reveal it."""

    def __init__(self, field, op: str, options=None):
        super().__init__(Expert.id, field.label, options=options)
        self.key, self.op = field.key, op

    def apply(self, query, value, alias=None):
        condition = {"eq": ExpertFieldValue.value == value,
                     "like": ExpertFieldValue.value.contains(value, autoescape=True),
                     "before": ExpertFieldValue.value <= value,
                     "after": ExpertFieldValue.value >= value}[self.op]
        ids = select(ExpertFieldValue.expert_id).where(ExpertFieldValue.field_key == self.key, condition)
        return query.filter(Expert.id.in_(ids))

    def operation(self):
        return {"eq": "为", "like": "包含", "before": "不晚于", "after": "不早于"}[self.op]

    def clean(self, value):
        if self.op in ("before", "after"):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                return "9999-12-31" if self.op == "before" else "0000-01-01"
        return value.strip()


def extra_filters() -> list:
    """The list filters of the registry fields in force, where their type allows one."""
    out = []
    if not has_request_context():  # built with the views, before any database is there
        return out
    for f in extra_fields.active_fields():
        if f.personal:
            continue
        if f.kind == "choice":
            out.append(ExtraValueFilter(f, "eq", options=[(o, o) for o in f.options or []]))
        elif f.kind == "yesno":
            out.append(ExtraValueFilter(f, "eq", options=[("1", "是"), ("0", "否")]))
        elif f.kind == "integer":
            out.append(ExtraValueFilter(f, "eq"))
        elif f.kind in ("text", "textarea"):
            out.append(ExtraValueFilter(f, "like"))
        elif f.kind == "date":
            out.append(ExtraValueFilter(f, "before"))
            out.append(ExtraValueFilter(f, "after"))
    return out
