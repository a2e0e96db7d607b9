"""The expert registry: org units, users, experts, documents, enterprises, conflicts."""
from pathlib import Path

from flask import abort, flash, g, redirect, request, send_file
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.contrib.sqla.tools import parse_like_term
from flask_admin.model.form import InlineFormAdmin
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField as UploadField
from flask_wtf.file import FileRequired
from sqlalchemy import or_
from sqlalchemy.orm import defer, joinedload, selectinload
from wtforms import FileField, PasswordField

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import choice, names, thumbnail, yes_no
from admin_views.helpers import commit_and_flash, int_ids, refuse
from admin_views.lifecycle.expert_fields import ExtraFieldsMixin
from admin_views.list_counts import BoundedCountMixin
from app import clock, validators
from app.auth.login import end_all_sessions
from app.auth.passwords import check_password_policy, hash_password
from app.auth.rights import ACCOUNT_CREATE_FIELDS, ACCOUNT_FIELDS, ADMIN_ROLES, sees_unmasked
from app.extensions import db
from app.services import duties, identity
from app.services.errors import DomainError
from app.services.lifecycle.roster_import import ImportRefused, import_roster, template_workbook
from app.services.lifecycle.work_history import check_history
from app.services.personal_data import expert_search_clauses
from app.services.status import STANDINGS, standing_expr, status_of, statuses_for
from app.services.uploads import read_upload, store_document, store_photo
from models import Expert, User, WorkHistory
from models.choices import (
    CONFLICT_RELATIONS,
    CONFLICT_SOURCES,
    DOCUMENT_KINDS,
    EDUCATION_LEVELS,
    EXPERT_SOURCES,
    GENDERS,
    ORG_KINDS,
    ROLES,
    TITLE_LEVELS,
    UPPER_POOL_LEVELS,
)

PANEL_DIR = Path(__file__).resolve().parent.parent / "app" / "templates" / "admin" / "expert_panels"


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
ENTERPRISE_LABELS = {
    "name": "企业名称（全称）", "uscc": "统一社会信用代码", "town": "所在镇/街道", "address": "地址",
    "contact_person": "联系人", "contact_phone": "联系电话", "industry": "行业",
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


def _choices(mapping):
    return list(mapping.items())


class OrgUnitView(SecuredModelView):
    """科室、大队、镇、开发区、街道."""

    column_list = ("kind", "name", "contact_person", "contact_phone", "active")
    column_labels = {
        "kind": "类别",
        "name": "名称",
        "contact_person": "联系人",
        "contact_phone": "联系电话",
        "active": "启用",
    }
    column_formatters = {"kind": choice(ORG_KINDS), "active": yes_no}
    column_filters = ("kind", "active")
    column_searchable_list = ("name",)
    form_columns = ("kind", "name", "contact_person", "contact_phone", "active")
    form_choices = {"kind": _choices(ORG_KINDS)}
    form_args = {
        "name": {"validators": [validators.required("请输入名称")]},
        "contact_phone": {"validators": [validators.landline_or_mobile]},
    }


def _locked(view, context, model, name):
    if model.locked_until and clock.local(model.locked_until) > clock.now():
        return f"锁定至{clock.format_time(model.locked_until)}"
    return ""


class UserView(SecuredModelView):
    """Accounts: role, unit, linked expert; passwords only ever stored as argon2id hashes.

    三员分立 (``app.services.duties``): the sysadmin's form holds the account's name, phone and
    password (and, for a new account, the proposed role, unit and expert: it stays disabled
    until the secadmin enables it); the secadmin's holds role, unit, expert and 启用, and his
    actions lift login locks and reset two-factor login. The auditor only reads.
    """

    column_list = ("username", "full_name", "role", "org_unit", "active", "locked_until", "totp_secret",
                   "last_login_at")
    column_labels = {
        "username": "用户名", "full_name": "姓名", "role": "角色", "org_unit": "所属单位", "active": "启用",
        "last_login_at": "最近登录", "expert": "关联专家", "phone": "手机", "new_password": "新密码",
        "locked_until": "登录锁定", "totp_secret": "两步验证",
    }
    column_formatters = {"role": choice(ROLES), "active": yes_no, "locked_until": _locked,
                         "totp_secret": lambda v, c, m, n: "已启用" if m.totp_secret else "未启用"}
    column_filters = ("role", "active", "org_unit.name")
    column_searchable_list = ("username", "full_name")
    column_details_exclude_list = ("password_hash", "totp_secret", "session_epoch", "failed_logins", "totp_last_step")
    column_export_list = ("username", "full_name", "role", "org_unit", "active", "last_login_at")
    form_columns = ("username", "full_name", "role", "org_unit", "expert", "phone", "active", "new_password")
    form_choices = {"role": _choices(ROLES)}
    form_extra_fields = {
        "new_password": PasswordField("新密码", description="新建账号必填；修改时留空表示不改密码。至少10位。")
    }
    form_args = {
        "username": {"validators": [validators.required("请输入用户名")]},
        "phone": {"validators": [validators.mobile]},
        "active": {"description": "由安全管理员启用或停用；停用的账号不能登录。"},
    }
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    edit_template = "admin/user_edit.html"
    # Form field -> the account attribute of ACCOUNT_FIELDS it sets.
    FORM_FIELDS = {"username": "username", "full_name": "full_name", "role": "role", "org_unit": "org_unit",
                   "expert": "expert", "phone": "phone", "active": "active", "new_password": "password"}

    def _trim(self, form, created: bool, obj=None):
        """Only the fields the current administrator holds (the others are neither shown nor
        saved); the administrator roles are not offered (they are given on the server only)."""
        table = ACCOUNT_CREATE_FIELDS if created else ACCOUNT_FIELDS
        own = table.get(current_role(), frozenset())
        for name, field in self.FORM_FIELDS.items():
            if field not in own and name in form:
                del form[name]
        if "role" in form:
            if obj is not None and obj.role in ADMIN_ROLES:
                del form["role"]
            else:
                form.role.choices = [(code, label) for code, label in form.role.choices if code not in ADMIN_ROLES]
        return form

    def create_form(self, obj=None):
        return self._trim(super().create_form(obj), created=True)

    def edit_form(self, obj=None):
        return self._trim(super().edit_form(obj), created=False, obj=obj)

    def validate_form(self, form):
        """Every problem of the account at once, each on its own field (not only the first).

        Only the fields this administrator holds are in the form (:meth:`_trim`); the role
        rules are checked against the role the account will have (the form's or its own)."""
        ok = super().validate_form(form)
        fields = {name: form[name] for name in self.FORM_FIELDS if name in form}
        if not fields:
            return ok  # the delete form
        problems = []
        creating = request.endpoint == f"{self.endpoint}.create_view"
        if "new_password" in fields:
            password = fields["new_password"].data or ""
            username = fields["username"].data if "username" in fields else ""
            if creating and not password:
                problems.append((fields["new_password"], "新建账号必须设置密码。"))
            elif password:
                try:
                    check_password_policy(password, username or "")
                except DomainError as err:
                    problems.append((fields["new_password"], str(err)))
        if "role" in fields:
            role = fields["role"].data
            if role == "expert" and "expert" in fields and not fields["expert"].data:
                problems.append((fields["expert"], "专家账号必须关联一名专家。"))
            if role in ("department", "town") and "org_unit" in fields and not fields["org_unit"].data:
                problems.append((fields["org_unit"], "局科室/大队和镇街账号必须选择所属单位。"))
        for field, message in problems:
            field.errors = list(field.errors) + [message]
        return ok and not problems

    def on_model_change(self, form, model, is_created):
        pw = form.new_password.data if "new_password" in form else None
        if is_created and not pw:
            raise DomainError("新建账号必须设置密码。")
        if pw:
            check_password_policy(pw, model.username)
            model.password_hash = hash_password(pw)
        duties.check_account_change(model, current_user, duties.changed_fields(model), created=is_created)
        if is_created:
            duties.open_account(model)
        elif pw or not model.active:
            end_all_sessions(model)
        if model.role == "expert" and not model.expert:
            raise DomainError("专家账号必须关联一名专家。")
        if model.role in ("department", "town") and not model.org_unit:
            raise DomainError("局科室/大队和镇街账号必须选择所属单位。")

    def after_model_change(self, form, model, is_created):
        if is_created:
            flash(f"账号“{model.username}”已创建，目前为停用状态：请安全管理员核对角色后启用。", "info")

    def is_action_allowed(self, name):
        if name in ("unlock", "reset_2fa"):
            return self._can(name)
        return super().is_action_allowed(name)

    def _each_selected(self, ids, change, done: str, nothing: str):
        changed = 0
        try:
            for user in self.get_query().filter(User.id.in_(int_ids(ids))).all():
                changed += bool(change(user, current_user._get_current_object()))
        except DomainError as err:
            refuse(err)
            return
        commit_and_flash(done.format(n=changed) if changed else nothing)

    @action("unlock", "解除登录锁定", "确定解除所选账号的登录锁定吗？")
    def action_unlock(self, ids):
        self._each_selected(ids, duties.unlock, "已解除{n}个账号的登录锁定。", "所选账号均未被锁定。")

    @action("reset_2fa", "重置两步验证", "确定重置所选账号的两步验证吗？这些账号须重新登录，并重新绑定手机验证器。")
    def action_reset_2fa(self, ids):
        self._each_selected(ids, duties.reset_two_factor,
                            "已重置{n}个账号的两步验证；这些账号下次登录时须重新绑定手机验证器。",
                            "所选账号均未启用两步验证。")


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
        if current_role() == "expert":
            return query.filter(self.model.id == (current_user.expert_id or -1))
        return query

    def get_list(self, *args, **kwargs):
        """The page's rows (or an export's), with their standings decided in one batch."""
        count, data = super().get_list(*args, **kwargs)
        g.expert_statuses = statuses_for([m.id for m in data])
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


class ExpertDocumentView(SecuredModelView):
    """Supporting files: 身份证、职称证书、毕业证书 and other proofs (sniffed, not trusted by name)."""

    column_list = ("expert", "kind", "title", "mime_type", "size_bytes", "created_at")
    column_labels = {
        "expert": "专家", "kind": "类别", "title": "说明", "mime_type": "文件类型", "size_bytes": "大小（字节）",
        "created_at": "上传时间", "upload": "文件",
    }
    column_formatters = {"kind": choice(DOCUMENT_KINDS)}
    column_filters = ("kind",)
    column_searchable_list = ("expert.name", "title")
    form_columns = ("expert", "kind", "title", "upload")
    form_choices = {"kind": _choices(DOCUMENT_KINDS)}
    form_extra_fields = {"upload": FileField("文件", description="JPEG、PNG或PDF，不超过5MB。")}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}

    def scope_query(self, query):
        if current_role() == "expert":
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def validate_form(self, form):
        ok = super().validate_form(form)
        upload = getattr(form, "upload", None)
        if not ok or upload is None:
            return ok
        data = upload.data.read() if upload.data and getattr(upload.data, "filename", "") else b""
        if not data:
            upload.errors = list(upload.errors) + ["请选择要上传的文件"]
            return False
        if len(data) > 5 * 1024 * 1024:
            upload.errors = list(upload.errors) + ["文件不能超过5MB"]
            return False
        try:
            form._stored = store_document(data) + (len(data),)
        except DomainError as err:
            upload.errors = list(upload.errors) + [str(err)]
            return False
        return True

    def on_model_change(self, form, model, is_created):
        stored = getattr(form, "_stored", None)
        if stored:
            model.file_path, model.mime_type, model.size_bytes = stored
            model.uploaded_by_id = current_user.id
        elif is_created:
            raise DomainError("请选择要上传的文件。")

    @expose("/file/<int:id>")
    def file(self, id):
        """Download the stored file."""
        model = self.get_one(str(id))
        if model is None:
            abort(404)
        data = read_upload(model.file_path)
        if data is None:
            abort(404)
        import io

        return send_file(io.BytesIO(data), mimetype=model.mime_type, as_attachment=False,
                         download_name=f"document-{model.id}")


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
        if current_role() == "expert":
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query
