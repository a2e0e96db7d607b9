"""Org units (科室、大队、镇、开发区、街道) and user accounts, kept apart by 三员分立."""
from flask import flash, request
from flask_admin.actions import action
from flask_login import current_user
from wtforms import PasswordField

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import choice, yes_no
from admin_views.helpers import int_ids, run
from admin_views.registry.common import _choices
from app import clock, validators
from app.auth.login import end_all_sessions
from app.auth.passwords import check_password_policy, hash_password
from app.auth.rights import ACCOUNT_CREATE_FIELDS, ACCOUNT_FIELDS, ADMIN_ROLES, is_expert_self, works_for_a_unit
from app.services import duties
from app.services.errors import DomainError
from models import User
from models.choices import ORG_KINDS, ROLES


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
            if is_expert_self(role) and "expert" in fields and not fields["expert"].data:
                problems.append((fields["expert"], "专家账号必须关联一名专家。"))
            if works_for_a_unit(role) and "org_unit" in fields and not fields["org_unit"].data:
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
        if is_expert_self(model.role) and not model.expert:
            raise DomainError("专家账号必须关联一名专家。")
        if works_for_a_unit(model.role) and not model.org_unit:
            raise DomainError("局科室/大队和镇街账号必须选择所属单位。")

    def after_model_change(self, form, model, is_created):
        if is_created:
            flash(f"账号“{model.username}”已创建，目前为停用状态：请安全管理员核对角色后启用。", "info")

    def is_action_allowed(self, name):
        if name in ("unlock", "reset_2fa"):
            return self._can(name)
        return super().is_action_allowed(name)

    def _each_selected(self, ids, change, done: str, nothing: str):
        def change_each():
            users = self.get_query().filter(User.id.in_(int_ids(ids))).all()
            return sum(bool(change(user, current_user._get_current_object())) for user in users)

        run(change_each, lambda changed: done.format(n=changed) if changed else nothing)

    @action("unlock", "解除登录锁定", "确定解除所选账号的登录锁定吗？")
    def action_unlock(self, ids):
        self._each_selected(ids, duties.unlock, "已解除{n}个账号的登录锁定。", "所选账号均未被锁定。")

    @action("reset_2fa", "重置两步验证", "确定重置所选账号的两步验证吗？这些账号须重新登录，并重新绑定手机验证器。")
    def action_reset_2fa(self, ids):
        self._each_selected(ids, duties.reset_two_factor,
                            "已重置{n}个账号的两步验证；这些账号下次登录时须重新绑定手机验证器。",
                            "所选账号均未启用两步验证。")
