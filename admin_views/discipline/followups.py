"""回访测评 (``follow_up``): the enterprise's view of an expert's service, recorded by staff."""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEqual
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from admin_views.base import SecuredModelView
from admin_views.discipline.common import _short, local_time
from app import validators
from app.extensions import db
from app.form_choices import options
from app.services.errors import DomainError
from models import FollowUp, User
from models.choices import FOLLOW_UP_SATISFACTION


class FollowUpView(SecuredModelView):
    """回访测评 (第二十二条): the enterprise's view of the expert's service, recorded by staff."""

    column_list = ("visited_on", "expert", "enterprise", "satisfaction", "comment")
    column_details_list = ("visited_on", "expert", "enterprise", "satisfaction", "comment", "recorded_by_id",
                           "created_at")
    column_export_list = ("visited_on", "expert", "enterprise", "satisfaction", "comment")
    column_labels = {
        "visited_on": "回访日期", "expert": "专家", "expert.name": "专家姓名", "enterprise": "服务企业",
        "enterprise.name": "企业名称", "satisfaction": "满意度", "comment": "企业意见", "recorded_by_id": "记录人",
        "created_at": "记录时间",
    }
    column_default_sort = ("visited_on", True)
    column_sortable_list = ("visited_on", "satisfaction", ("expert", "expert.name"))
    column_searchable_list = ("expert.name", "enterprise.name", "comment")
    column_filters = (FilterEqual(FollowUp.satisfaction, "满意度",
                                  options=[(str(k), v) for k, v in FOLLOW_UP_SATISFACTION.items()]), "visited_on")
    column_formatters = {
        "satisfaction": lambda v, c, m, n: f"{m.satisfaction}分 {FOLLOW_UP_SATISFACTION.get(m.satisfaction, '')}",
        "comment": lambda v, c, m, n: _short(m.comment, 50),
        "recorded_by_id": lambda v, c, m, n: _user_name(m.recorded_by_id),
        "created_at": lambda v, c, m, n: local_time(m.created_at),
    }
    column_formatters_detail = {**column_formatters, "comment": lambda v, c, m, n: m.comment or ""}
    column_formatters_export = column_formatters_detail
    form_columns = ("expert", "enterprise", "visited_on", "satisfaction", "comment")
    form_overrides = {"satisfaction": SelectField}
    form_args = {
        "expert": {"label": "专家", "validators": [validators.required("请选择专家")]},
        "enterprise": {"label": "服务企业"},
        "visited_on": {
            "label": "回访日期",
            "validators": [validators.required("请填写回访日期"), validators.not_in_future],
        },
        "satisfaction": {
            "label": "企业满意度",
            "coerce": int,
            "choices": options((k, f"{k}分 {v}") for k, v in FOLLOW_UP_SATISFACTION.items()),
        },
        "comment": {"label": "企业意见", "description": "企业对专家服务的评价、反映的问题"},
    }
    form_widget_args = {"comment": {"rows": 3}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10},
                      "enterprise": {"fields": ("name", "uscc"), "page_size": 10}}
    column_auto_select_related = False

    def get_query(self):
        return super().get_query().options(selectinload(FollowUp.expert), selectinload(FollowUp.enterprise))

    def on_model_change(self, form, model, is_created):
        if model.satisfaction not in FOLLOW_UP_SATISFACTION:
            raise DomainError("满意度须为1至5分。")
        if is_created:
            model.recorded_by_id = current_user.id


def _user_name(user_id) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return (user.full_name or user.username) if user else ""
