"""Login form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Username and password; ``next`` is checked to be a local path before use."""

    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"), Length(max=50)])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码"), Length(max=200)])
    remember = BooleanField("保持登录")
    next = HiddenField()
