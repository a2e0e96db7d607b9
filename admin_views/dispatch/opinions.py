"""Experts' opinions and suggestions in the admin (第九条(三)): what experts sent, and the office's
reply.
"""
from __future__ import annotations

from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from admin_views.base import SecuredModelView, current_role
from app import validators
from app.auth.rights import is_expert_self
from app.services.dispatch import (
    notices,
)


class OpinionView(SecuredModelView):
    """专家意见建议 (第九条(三)): what experts sent from their phones, and the office's reply.

    An expert's words are never edited: the edit form carries the reply only. 基础科 may
    also record an opinion received on paper or by telephone (create)."""

    column_list = ("created_at", "expert", "subject", "replied_at")
    column_labels = {"created_at": "提交时间", "expert": "专家", "subject": "主题", "body": "内容",
                     "reply": "基础科答复",
                     "replied_at": "答复时间", "expert.name": "专家姓名"}
    column_formatters = {
        "created_at": lambda v, c, m, n: notices.format_time(m.created_at),
        "replied_at": lambda v, c, m, n: notices.format_time(m.replied_at) if m.replied_at else Markup(
            '<span class="badge badge-warning">待答复</span>'),
    }
    column_formatters_export = {"created_at": lambda v, c, m, n: notices.format_time(m.created_at),
                                "replied_at": lambda v, c, m, n: notices.format_time(m.replied_at)}
    column_details_list = ("created_at", "expert", "subject", "body", "reply", "replied_at")
    column_formatters_detail = {"created_at": column_formatters["created_at"],
                                "replied_at": column_formatters_export["replied_at"]}
    column_searchable_list = ("subject", "expert.name")
    column_default_sort = ("created_at", True)
    column_auto_select_related = False
    form_columns = ("expert", "subject", "body", "reply")
    form_args = {
        "expert": {"validators": [validators.required("请选择专家")]},
        "subject": {"validators": [validators.required("请填写主题")]},
        "body": {"validators": [validators.required("请填写内容")]},
    }
    form_widget_args = {"body": {"rows": 5}, "reply": {"rows": 5}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    edit_template = "admin/dispatch/opinion_edit.html"

    def get_query(self):
        return super().get_query().options(selectinload(self.model.expert))

    def scope_query(self, query):
        if is_expert_self(current_role()):
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        for name in ("expert", "subject", "body"):
            if hasattr(form, name):
                delattr(form, name)
        return form

    def on_model_change(self, form, model, is_created):
        from app.clock import utcnow

        if (model.reply or "").strip():
            model.reply = model.reply.strip()
            model.replied_at = utcnow()
        else:
            model.reply, model.replied_at = None, None
