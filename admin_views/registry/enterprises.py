"""服务单位 and the experts' conflicts of interest with them (回避)."""
from flask_login import current_user
from sqlalchemy.orm import selectinload

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import choice
from admin_views.registry.common import _choices
from app import validators
from app.auth.rights import is_expert_self
from models.choices import CONFLICT_RELATIONS, CONFLICT_SOURCES

ENTERPRISE_LABELS = {
    "name": "企业名称（全称）", "uscc": "统一社会信用代码", "town": "所在镇/街道", "address": "地址",
    "contact_person": "联系人", "contact_phone": "联系电话", "industry": "行业",
}


class EnterpriseView(SecuredModelView):
    """服务单位 with a checked 统一社会信用代码."""

    column_list = ("name", "uscc", "town", "address", "contact_person", "contact_phone")
    column_labels = ENTERPRISE_LABELS
    column_searchable_list = ("name", "uscc", "address")
    column_filters = ("town.name", "industry")
    column_sortable_list = ("name", "uscc")
    form_columns = ("name", "uscc", "town", "address", "contact_person", "contact_phone", "industry")
    form_args = {
        "name": {"validators": [validators.required("请填写企业全称")]},
        "uscc": {"validators": [validators.required("请填写统一社会信用代码"), validators.uscc]},
        "contact_phone": {"validators": [validators.landline_or_mobile]},
    }
    form_ajax_refs = {"town": {"fields": ("name",), "page_size": 20}}

    column_auto_select_related = False

    def get_query(self):
        return super().get_query().options(selectinload(self.model.town))


class ConflictView(SecuredModelView):
    """Conflicts of interest (回避, 第十条(四)): expert ↔ enterprise and the relation."""

    column_list = ("expert", "enterprise", "relation", "source", "note", "created_at")
    column_labels = {"expert": "专家", "enterprise": "企业", "relation": "关系", "source": "来源", "note": "说明",
                     "created_at": "登记时间"}
    column_formatters = {"relation": choice(CONFLICT_RELATIONS), "source": choice(CONFLICT_SOURCES)}
    column_filters = ("relation", "source")
    column_searchable_list = ("expert.name", "enterprise.name")
    form_columns = ("expert", "enterprise", "relation", "source", "note")
    form_choices = {"relation": _choices(CONFLICT_RELATIONS), "source": _choices(CONFLICT_SOURCES)}
    form_args = {
        "expert": {"validators": [validators.required("请选择专家")]},
        "enterprise": {"validators": [validators.required("请选择企业")]},
    }
    form_ajax_refs = {
        "expert": {"fields": ("name",), "page_size": 10},
        "enterprise": {"fields": ("name", "uscc"), "page_size": 10},
    }

    def scope_query(self, query):
        if is_expert_self(current_role()):
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query
