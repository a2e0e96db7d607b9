"""约谈记录 (``interview``): interviews opened by a suspension or an unqualified grade; the office
records when they were held and, for a grade, the outcome.
"""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEmpty
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import inspect
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from admin_views.base import SecuredModelView
from admin_views.discipline.common import _date, _short, local_time
from app import validators
from app.form_choices import options
from app.services.discipline import assessment as assessment_service
from app.services.errors import DomainError
from models import Interview
from models.choices import INTERVIEW_OUTCOMES


class InterviewView(SecuredModelView):
    """约谈记录: opened by a suspension (第二十一条) or an unqualified grade (第十三条(六))."""

    column_list = ("expert", "reason", "held_on", "outcome", "interviewer", "notes")
    column_details_list = ("expert", "reason", "violation", "assessment", "held_on", "outcome", "interviewer", "notes",
                           "created_at")
    column_export_list = ("expert", "reason", "held_on", "outcome", "interviewer", "notes")
    column_labels = {
        "expert": "专家", "expert.name": "专家姓名", "reason": "约谈事由", "held_on": "约谈日期", "outcome": "约谈结论",
        "interviewer": "约谈人", "notes": "约谈情况", "violation": "相关违规", "assessment": "相关年度考核",
        "created_at": "生成时间",
    }
    column_default_sort = ("created_at", True)
    column_sortable_list = ("held_on", "created_at", ("expert", "expert.name"))
    column_searchable_list = ("expert.name", "reason")
    column_filters = (FilterEmpty(Interview.held_on, "待约谈"), "held_on")
    column_formatters = {
        "held_on": lambda v, c, m, n: (
            _date(m.held_on) if m.held_on else Markup('<span class="badge badge-warning">待约谈</span>')
        ),
        "outcome": lambda v, c, m, n: m.outcome_label,
        "interviewer": lambda v, c, m, n: (m.interviewer.full_name or m.interviewer.username) if m.interviewer else "",
        "notes": lambda v, c, m, n: _short(m.notes, 40),
        "violation": lambda v, c, m, n: (
            f"{m.violation.found_on.isoformat()} {_short(m.violation.finding, 40)}" if m.violation else ""
        ),
        "assessment": lambda v, c, m, n: f"{m.assessment.year}年度 {m.assessment.grade_label}" if m.assessment else "",
        "created_at": lambda v, c, m, n: local_time(m.created_at),
    }
    column_formatters_detail = {**column_formatters, "notes": lambda v, c, m, n: m.notes or ""}
    column_formatters_export = {**column_formatters, "held_on": lambda v, c, m, n: _date(m.held_on) or "待约谈",
                                "notes": lambda v, c, m, n: m.notes or ""}
    form_columns = ("expert", "reason", "held_on", "outcome", "notes")
    form_overrides = {"outcome": SelectField}
    form_args = {
        "expert": {"label": "专家", "validators": [validators.required("请选择专家")]},
        "reason": {"label": "约谈事由", "validators": [validators.required("请填写约谈事由")]},
        "held_on": {"label": "约谈日期", "validators": [validators.not_in_future], "description": "约谈后填写"},
        "outcome": {"label": "约谈结论", "choices": options(INTERVIEW_OUTCOMES, blank="（不适用）"),
                    "description": "年度考核不合格的约谈必选；“仍无法达到工作要求”将列入拟解聘名单（第十三条(六)）"},
        "notes": {"label": "约谈情况"},
    }
    form_widget_args = {"notes": {"rows": 4}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    column_auto_select_related = False

    def get_query(self):
        return super().get_query().options(selectinload(Interview.expert), selectinload(Interview.interviewer))

    def create_form(self, obj=None):
        form = super().create_form(obj)
        del form.outcome  # an outcome belongs to an interview opened by an unqualified grade
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and obj.id:  # who and why were set by the rule that opened it
            del form.expert
            if obj.violation_id or obj.assessment_id:
                del form.reason
            if not obj.assessment_id:
                del form.outcome
        return form

    def on_model_change(self, form, model, is_created):
        model.outcome = model.outcome or None
        if is_created:
            if model.outcome:
                raise DomainError("约谈结论只适用于年度考核不合格的约谈。")
            if model.held_on:
                model.interviewer_id = current_user.id
            return
        held = inspect(model).attrs.held_on.history
        outcome = inspect(model).attrs.outcome.history
        first_time = bool(held.deleted) and held.deleted[0] is None
        if model.held_on is None:
            if model.outcome:
                raise DomainError("请填写约谈日期。")
            return
        if first_time or outcome.has_changes():
            assessment_service.record_interview(model, held_on=model.held_on, notes=model.notes,
                                                outcome=model.outcome, actor=current_user)
