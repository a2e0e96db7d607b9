"""Forms of the login, the second login step and the account pages."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

_CODE = [
    DataRequired(message="请输入6位动态验证码"),
    Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="动态验证码是6位数字"),
]


class LoginForm(FlaskForm):
    """Username and password; ``next`` is checked to be a local path before use."""

    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"), Length(max=50)])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码"), Length(max=200)])
    remember = BooleanField("保持登录（7天）")
    next = HiddenField()


class TotpLoginForm(FlaskForm):
    """The second login step: the code of the authenticator app."""

    code = StringField("动态验证码", validators=_CODE)


class PasswordChangeForm(FlaskForm):
    """Old password once, the new one twice."""

    old_password = PasswordField("当前密码", validators=[DataRequired(message="请输入当前密码"), Length(max=200)])
    new_password = PasswordField("新密码", validators=[DataRequired(message="请输入新密码"), Length(max=200)])
    new_password2 = PasswordField(
        "再次输入新密码",
        validators=[
            DataRequired(message="请再次输入新密码"),
            EqualTo("new_password", message="两次输入的新密码不一致"),
        ],
    )


class TotpEnrolForm(FlaskForm):
    """Confirm enrolment with the first code the app shows."""

    code = StringField("验证器显示的6位数字", validators=_CODE)


class TotpDisableForm(FlaskForm):
    """Turn two-factor login off (or re-bind another phone): password and a current code."""

    password = PasswordField("当前密码", validators=[DataRequired(message="请输入当前密码"), Length(max=200)])
    code = StringField("动态验证码", validators=_CODE)
