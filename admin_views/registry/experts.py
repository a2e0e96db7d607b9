"""The expert's record (附件2): list, details with the areas' panels, form, roster import, photo."""
from pathlib import Path

from flask import abort, flash, g, redirect, request, send_file
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.contrib.sqla.tools import parse_like_term
from flask_admin.model.form import InlineFormAdmin
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField as UploadField
from flask_wtf.file import FileRequired
from sqlalchemy import or_
from sqlalchemy.orm import defer, joinedload, selectinload
from wtforms import FileField

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import choice, names, thumbnail, yes_no
from admin_views.lifecycle.expert_fields import ExtraFieldsMixin
from admin_views.list_counts import BoundedCountMixin
from admin_views.registry.common import _choices
from app import clock, validators
from app.auth.rights import is_expert_self, sees_unmasked
from app.extensions import db
from app.services import identity
from app.services.errors import DomainError
from app.services.lifecycle.roster_import import ImportRefused, import_roster, template_workbook
from app.services.lifecycle.work_history import check_history
from app.services.personal_data import expert_search_clauses
from app.services.status import STANDINGS, standing_expr, status_of, statuses_of_loaded
from app.services.uploads import read_upload, store_photo
from models import Expert, WorkHistory
from models.choices import EDUCATION_LEVELS, EXPERT_SOURCES, GENDERS, TITLE_LEVELS, UPPER_POOL_LEVELS

PANEL_DIR = Path(__file__).resolve().parent.parent.parent / "app" / "templates" / "admin" / "expert_panels"


def expert_panel_templates() -> list[str]:
    """Panels shown above an expert's details, one template per area, in file-name order."""
    return [f"admin/expert_panels/{p.name}" for p in sorted(PANEL_DIR.glob("*.html"))]


EXPERT_LABELS = {
    "serial_no": "登记表编号", "name": "姓名", "gender": "性别", "birth_date": "出生日期", "ethnicity": "民族",
    "party": "党派", "birthplace": "出生地", "photo": "照片", "photo_upload": "一寸照片",
    "employer": "工作单位（全称）", "employer_uscc": "工作单位统一社会信用代码", "supervising_dept": "主管部门（全称）",
    "position": "现任职务",
    "title": "职称（全称）", "title_level": "职称等级", "graduated_from": "毕业院校", "education": "学历",
    "full_time_education": "全日制学历", "profession": "从事专业", "specialty": "擅长领域",
    "registered_safety_engineer": "注册安全工程师", "registered_safety_assessor": "注册安全评价师",
    "id_number": "身份证号", "retired": "已退休", "address": "通讯地址", "wechat": "微信号",
    "work_phone": "工作电话", "home_phone": "住宅电话", "mobile": "手机", "email": "电子邮箱", "qq": "QQ号",
    "groups": "专家组别", "field_start_year": "从事相关专业起始年份", "work_history": "主要工作经历",
    "achievements": "主要工作业绩", "awards": "曾获何种奖励", "own_opinion": "本人意见",
    "recommender_opinion": "推荐单位意见", "recommender_contact": "推荐单位经办联系人",
    "recommender_phone": "推荐单位联系电话", "review_opinion": "审核意见", "source": "来源",
    "upper_pool_level": "上级库级别", "standing": "状态", "town": "所在镇/街道", "health_declared": "身体健康声明",
    "ethics_declared": "职业道德声明", "note": "备注", "documents": "证明材料", "created_at": "登记时间",
}


class StandingFilter(BaseSQLAFilter):
    """状态: the expert's standing today, by the rule of app.services.status in SQL."""

    def apply(self, query, value, alias=None):
        return query.filter(standing_expr() == value)

    def operation(self):
        return "为"


def _standing(view, context, model, name):
    """The standing word of app.services.status (the same on the details page and the dashboard)."""
    cached = g.get("expert_statuses", {})
    status = cached.get(model.id) or status_of(model)
    return status.standing_display


class ImportForm(FlaskForm):
    """The roster file to import."""

    file = UploadField("名单文件（.xlsx）", validators=[FileRequired("请选择要导入的 .xlsx 文件")])


class WorkHistoryInline(InlineFormAdmin):
    """主要工作经历 rows, edited inside the expert form."""

    form_columns = ("id", "position_no", "period", "employer", "department", "position", "title")
    form_label = "主要工作经历"
    column_labels = {
        "position_no": "序号", "period": "起止年月（如1988.09-1992.07）", "employer": "单位",
        "department": "部门", "position": "职务", "title": "职称",
    }
    form_args = {
        "period": {"validators": [validators.required("请填写起止年月")]},
        "employer": {"validators": [validators.required("请填写单位")]},
    }


class ExpertView(ExtraFieldsMixin, BoundedCountMixin, SecuredModelView):
    """Every 附件2 field; groups multi-select; photo upload; masked PII for most roles."""

    masked_columns = {"id_number": "id", "mobile": "phone", "work_phone": "phone", "home_phone": "phone",
                      "recommender_phone": "phone", "address": "address", "wechat": "account", "qq": "account",
                      "email": "email"}
    column_list = ("photo", "name", "gender", "employer", "title", "education", "groups", "mobile", "standing", "town")
    column_labels = EXPERT_LABELS
    column_formatters = {
        "photo": thumbnail("expert.photo"),
        "gender": choice(GENDERS),
        "education": choice(EDUCATION_LEVELS),
        "title_level": choice(TITLE_LEVELS),
        "standing": _standing,
        "source": choice(EXPERT_SOURCES),
        "upper_pool_level": choice(UPPER_POOL_LEVELS),
        "groups": names,
        "registered_safety_engineer": yes_no,
        "registered_safety_assessor": yes_no,
        "retired": yes_no,
        "full_time_education": yes_no,
        "health_declared": yes_no,
        "ethics_declared": yes_no,
        "work_history": lambda v, c, m, n: "；".join(
            f"{w.period} {w.employer} {w.department or ''} {w.position or ''} {w.title or ''}".strip()
            for w in m.work_history
        ),
        "documents": names,
    }
    column_formatters_export = {k: v for k, v in column_formatters.items() if k != "photo"}
    column_sortable_list = ("name", "employer", "title", "education", "birth_date", "created_at")
    column_default_sort = ("name", False)
    # 手机 and 身份证号 are encrypted: they are found whole, through their blind index
    # (_apply_search below), never with LIKE on ciphertext.
    column_searchable_list = ("name", "employer")
    column_filters = (
        "groups.name", StandingFilter(Expert.id, "状态", options=list(STANDINGS.items())), "education", "title_level",
        "registered_safety_engineer", "registered_safety_assessor", "town.name", "source", "retired",
    )
    column_details_list = (
        "serial_no", "photo", "name", "gender", "birth_date", "ethnicity", "party", "birthplace", "employer",
        "employer_uscc", "supervising_dept", "position", "title", "title_level", "graduated_from", "education",
        "full_time_education", "profession", "specialty", "registered_safety_engineer", "registered_safety_assessor",
        "id_number", "retired", "address", "wechat", "work_phone", "home_phone", "mobile", "email", "qq", "groups",
        "field_start_year", "work_history", "achievements", "awards", "own_opinion", "recommender_opinion",
        "recommender_contact", "recommender_phone", "review_opinion", "source", "upper_pool_level", "standing", "town",
        "health_declared", "ethics_declared", "documents", "note",
    )
    column_export_list = tuple(c for c in column_details_list if c not in ("photo", "documents"))
    form_columns = (
        "serial_no", "name", "gender", "birth_date", "ethnicity", "party", "birthplace", "photo_upload", "employer",
        "employer_uscc", "supervising_dept", "position", "title", "title_level", "graduated_from", "education",
        "full_time_education", "profession", "specialty", "registered_safety_engineer", "registered_safety_assessor",
        "id_number", "retired", "address", "wechat", "work_phone", "home_phone", "mobile", "email", "qq", "groups",
        "field_start_year", "achievements", "awards", "own_opinion", "recommender_opinion", "recommender_contact",
        "recommender_phone", "review_opinion", "source", "upper_pool_level", "town", "health_declared",
        "ethics_declared", "note",
    )
    form_extra_fields = {
        "photo_upload": FileField("一寸照片", description="JPEG或PNG，不超过5MB；保存时去除拍摄信息。")
    }
    form_choices = {
        "gender": _choices(GENDERS),
        "education": _choices(EDUCATION_LEVELS),
        "title_level": _choices(TITLE_LEVELS),
        "source": _choices(EXPERT_SOURCES),
        "upper_pool_level": [("", "（不适用）")] + _choices(UPPER_POOL_LEVELS),
    }
    form_args = {
        "name": {"validators": [validators.required("请填写姓名")]},
        "birth_date": {"validators": [validators.required("请填写出生日期"), validators.not_in_future]},
        "employer": {"validators": [validators.required("请填写工作单位全称")]},
        "id_number": {"validators": [validators.required("请填写身份证号"), validators.id_number]},
        "mobile": {"validators": [validators.required("请填写手机号码"), validators.mobile]},
        "work_phone": {"validators": [validators.landline_or_mobile]},
        "home_phone": {"validators": [validators.landline_or_mobile]},
        "recommender_phone": {"validators": [validators.landline_or_mobile]},
        "email": {"validators": [validators.email]},
        "employer_uscc": {"validators": [validators.uscc]},
        "groups": {"validators": [validators.required("请至少选择一个专家组别")]},
    }
    form_ajax_refs = {"town": {"fields": ("name",), "page_size": 20}}
    inline_models = (WorkHistoryInline(WorkHistory),)
    form_widget_args = {"specialty": {"rows": 3}, "achievements": {"rows": 4}, "awards": {"rows": 3}}

    # The groups load with selectinload (one statement, flat at any size) instead of Flask-Admin's
    # automatic joinedload, which scans the group links on every page; the town (many-to-one)
    # comes in the page's own statement. The total is counted up to a cap (admin_views/list_counts.py).
    column_auto_select_related = False

    # Encrypted columns the list page does not show: not read (so not decrypted) for a list
    # page; the details page, the edit form and the export read them as usual.
    list_deferred = ("id_number", "address", "wechat", "work_phone", "home_phone", "email", "qq",
                     "recommender_phone")

    def get_query(self):
        query = super().get_query().options(selectinload(self.model.groups), joinedload(self.model.town))
        if request.endpoint == f"{self.endpoint}.index_view":
            query = query.options(*(defer(getattr(self.model, name)) for name in self.list_deferred))
        return query

    def search_placeholder(self):
        if sees_unmasked(current_role()):
            return "姓名, 工作单位, 手机或身份证号（完整号码）"
        return "姓名, 工作单位"

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Each word: in the name or the employer, or (a whole number) the expert's 手机 or
        身份证号 through the blind index (app/services/personal_data.py)."""
        for term in search.split(" "):
            if not term:
                continue
            like = parse_like_term(term)
            clauses = [self.model.name.ilike(like), self.model.employer.ilike(like)]
            if sees_unmasked(current_role()):
                # Only roles that see numbers in full may search by them: for the others the
                # search would tell whose a known number is (an oracle).
                clauses += expert_search_clauses(term)
            query = query.filter(or_(*clauses))
            if count_query is not None:
                count_query = count_query.filter(or_(*clauses))
        return query, count_query, joins, count_joins

    def scope_query(self, query):
        if is_expert_self(current_role()):
            return query.filter(self.model.id == (current_user.expert_id or -1))
        return query

    def get_list(self, *args, **kwargs):
        """The page's rows (or an export's), with their standings decided in one batch."""
        count, data = super().get_list(*args, **kwargs)
        g.expert_statuses = statuses_of_loaded(data)
        return count, data

    def validate_form(self, form):
        ok = super().validate_form(form)
        if not ok or not hasattr(form, "id_number"):
            return ok
        # Cross-field checks: the ID number must agree with 出生日期 and 性别.
        try:
            identity.check_id_consistent(
                form.id_number.data, form.birth_date.data, GENDERS.get(form.gender.data, form.gender.data)
            )
        except DomainError as err:
            form.id_number.errors = list(form.id_number.errors) + [str(err)]
            return False
        upload = getattr(form, "photo_upload", None)
        if upload is not None and upload.data and getattr(upload.data, "filename", ""):
            data = upload.data.read()
            try:
                form._photo_paths = store_photo(data) if data else None
            except DomainError as err:
                upload.errors = list(upload.errors) + [str(err)]
                return False
        return True

    def on_model_change(self, form, model, is_created):
        errors = check_history([w.period for w in model.work_history], clock.today())
        if errors:
            raise DomainError("主要工作经历有误：" + "；".join(e.message for e in errors))
        for i, row in enumerate(model.work_history, start=1):
            row.position_no = row.position_no or i
        paths = getattr(form, "_photo_paths", None)
        if paths:
            model.photo_path, model.photo_thumb_path = paths

    details_template = "admin/expert_details.html"
    list_template = "admin/expert_list.html"

    def render(self, template, **kwargs):
        if template == self.details_template:
            kwargs["expert_panels"] = expert_panel_templates()
            kwargs["expert_status"] = status_of
        return super().render(template, **kwargs)

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        """Import a roster from the .xlsx template: all rows or none, with per-cell errors."""
        if not self.can_create:
            abort(403)
        form = ImportForm()
        errors = []
        if form.validate_on_submit():
            try:
                result = import_roster(form.file.data.read())
                db.session.commit()
            except ImportRefused as err:
                db.session.rollback()
                flash(str(err), "error")
                errors = err.errors
            except DomainError as err:
                db.session.rollback()
                flash(str(err), "error")
            else:
                flash(result.message(), "success")
                return redirect(self.get_url(".index_view"))
        return self.render("admin/expert_import.html", form=form, errors=errors)

    @expose("/import/template.xlsx")
    def import_template(self):
        """The roster template to fill in."""
        if not self.can_create:
            abort(403)
        import io

        return send_file(io.BytesIO(template_workbook()), download_name="专家名单导入模板.xlsx", as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/photo/<int:id>/<kind>")
    def photo(self, id, kind):
        """The stored photo or its thumbnail, for users who may see this expert."""
        model = self.get_one(str(id))
        if model is None:
            abort(404)
        data = read_upload(model.photo_thumb_path if kind == "thumb" else model.photo_path)
        if data is None:
            abort(404)
        import io

        response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=300)
        response.headers["Cache-Control"] = "private, max-age=300"
        return response
