"""``flask --app wsgi reset-2fa USERNAME``: unbind a lost phone (the user enrols again);
``reset-password USERNAME``: a lost password, reset on the server (the only way for the three
administrators' accounts, whose passwords no other account may set: 三员分立)."""
import click
from sqlalchemy import select

from app.auth.login import end_all_sessions
from app.auth.totp import disable
from app.extensions import db
from models import User


@click.command("reset-2fa")
@click.argument("username")
def reset_2fa(username):
    """解除账号的两步验证绑定（手机丢失或更换时）；该账号的所有登录随即失效。"""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"用户名“{username}”不存在。")
    if not user.totp_secret:
        raise click.ClickException(f"账号“{username}”未启用两步验证。")
    disable(user)
    end_all_sessions(user)
    db.session.commit()
    click.echo(f"已解除账号 {username} 的两步验证绑定；该账号下次登录后须重新绑定手机验证器。")


@click.command("reset-password")
@click.argument("username")
@click.option("--password-file", default=None, metavar="PATH",
              help="从文件的第一行读取新密码（“-”为标准输入）；不给出时在终端中询问两次")
def reset_password(username, password_file):
    """重置账号的密码（遗失密码时由服务器管理员运行，记入操作日志）；该账号的所有登录随即失效。"""
    from app.auth.passwords import check_password_policy, hash_password
    from app.cli import _read_password
    from app.services.errors import DomainError

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"用户名“{username}”不存在。")
    password = _read_password(None, password_file)
    try:
        check_password_policy(password, username)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    db.session.commit()
    click.echo(f"已重置账号 {username} 的密码；该账号的所有登录已失效。")
