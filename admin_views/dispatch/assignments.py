"""Assignments in the admin: which expert serves which usage request (read-only; the request
page changes them).
"""
from __future__ import annotations

from flask import url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from admin_views.base import ReadOnlyView, current_role
from admin_views.dispatch.common import own_unit_id
from admin_views.formatters import choice, yes_no
from app.auth.rights import is_expert_self
from models import UsageRequest
from models.choices import (
    RESPONSES,
    SELECTION_METHODS,
)

# --------------------------------------------------------------------------------------
# assignments
# --------------------------------------------------------------------------------------


def _assignment_request(view, context, model, name):
    url = url_for("usage_request.details_view", id=model.request_id)
    return Markup(f'<a href="{escape(url)}">{escape(model.request.request_no)}</a> {escape(model.request.subject)}')


class AssignmentView(ReadOnlyView):
    """选派记录: every expert on every job, how chosen and how he answered (read-only;
    answers are recorded on the request page or by the expert on his phone)."""

    column_list = ("request", "expert", "method", "is_backup", "response", "responded_at", "attended", "work_units",
                   "completed_at")
    column_labels = {
        "request": "使用申请", "expert": "专家", "method": "选派方式", "is_backup": "候补", "response": "答复",
        "response_reason": "答复理由", "responded_at": "答复时间", "attended": "到场", "work_units": "工作量",
        "completed_at": "完成登记时间", "designation_reason": "指定/添加理由", "rank": "序号",
        "work_started_at": "开始工作时间", "expert.name": "专家姓名",
    }
    column_formatters = {
        "request": _assignment_request,
        "method": choice(SELECTION_METHODS),
        "response": choice(RESPONSES),
        "is_backup": yes_no,
        "attended": yes_no,
    }
    column_formatters_export = {
        "request": lambda v, c, m, n: f"{m.request.request_no} {m.request.subject}",
        "method": choice(SELECTION_METHODS), "response": choice(RESPONSES), "is_backup": yes_no, "attended": yes_no,
    }
    column_details_list = ("request", "expert", "method", "designation_reason", "is_backup", "rank", "response",
                           "response_reason", "responded_at", "attended", "work_units", "work_started_at",
                           "completed_at")
    column_export_list = column_details_list
    column_formatters_detail = column_formatters
    column_filters = ("response", "method", "is_backup")
    column_searchable_list = ("expert.name",)
    column_default_sort = ("id", True)
    column_auto_select_related = False

    def get_query(self):
        return super().get_query().options(selectinload(self.model.request), selectinload(self.model.expert))

    def scope_query(self, query):
        role = current_role()
        if is_expert_self(role):
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        unit_id = own_unit_id()
        if unit_id is not None:
            own_requests = select(UsageRequest.id).where(UsageRequest.unit_id == unit_id)
            return query.filter(self.model.request_id.in_(own_requests))
        return query
