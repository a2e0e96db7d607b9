"""``flask --app wsgi reset-2fa USERNAME``: unbind a lost phone (the user enrols again)."""
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
