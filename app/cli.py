"""``flask --app wsgi …`` commands: create-user, seed-demo, backup, restore, check-integrity."""
import click
from flask import Flask
from sqlalchemy import select

from app.auth.passwords import check_password_policy, hash_password
from app.extensions import db
from app.services.errors import DomainError
from models import Expert, OrgUnit, User
from models.choices import ROLES


def register(app: Flask) -> None:
    """Attach every ``flask`` command of the system to ``app.cli``: this is the list."""
    from app.commands.accounts import reset_2fa
    from app.commands.backup import backup_command, restore_command, verify_command
    from app.commands.integrity import check_integrity
    from app.demo import seed_demo_command

    for command in (create_user, seed_demo_command, backup_command, restore_command, verify_command, reset_2fa,
                    check_integrity):
        app.cli.add_command(command)


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="角色")
@click.option("--password", required=True, help="密码（至少10位）")
@click.option("--name", "full_name", default="", help="姓名")
@click.option("--unit", default=None, help="所属单位名称（局科室/大队/镇街账号必填）")
@click.option("--expert-id", type=int, default=None, help="专家账号关联的专家编号")
def create_user(username, role, password, full_name, unit, expert_id):
    """创建登录账号。"""
    try:
        check_password_policy(password, username)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"用户名“{username}”已存在。")
    org = None
    if unit:
        org = db.session.scalar(select(OrgUnit).where(OrgUnit.name == unit))
        if org is None:
            raise click.ClickException(f"单位“{unit}”不存在。")
    if role in ("department", "town") and org is None:
        raise click.ClickException("局科室/大队和镇街账号必须用 --unit 指定所属单位。")
    if role == "expert":
        if expert_id is None or db.session.get(Expert, expert_id) is None:
            raise click.ClickException("专家账号必须用 --expert-id 指定已登记的专家。")
    user = User(username=username, full_name=full_name or username, role=role, org_unit=org,
                expert_id=expert_id, password_hash=hash_password(password), active=True)
    db.session.add(user)
    db.session.commit()
    click.echo(f"已创建账号 {username}（{ROLES[role]}）。")
