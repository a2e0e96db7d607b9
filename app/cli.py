"""``flask --app wsgi …`` commands: create-user, seed-demo, backup, restore, audit-verify, audit-archive."""
import sys

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
    from app.commands.accounts import reset_2fa, reset_password
    from app.commands.audit import audit_archive_command, audit_verify_command
    from app.commands.backup import backup_command, restore_command, verify_command
    from app.demo import seed_demo_command

    for command in (create_user, seed_demo_command, backup_command, restore_command, verify_command, reset_2fa,
                    reset_password, audit_verify_command, audit_archive_command):
        app.cli.add_command(command)


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="角色")
@click.option("--password-file", default=None, metavar="PATH",
              help="从文件的第一行读取密码（“-”为标准输入）；不给出密码时在终端中询问两次")
@click.option("--password", default=None, help="密码（至少10位；会留在命令历史和进程列表中，请改用 --password-file）")
@click.option("--name", "full_name", default="", help="姓名")
@click.option("--unit", default=None, help="所属单位名称（局科室/大队/镇街账号必填）")
@click.option("--expert-id", type=int, default=None, help="专家账号关联的专家编号")
@click.option("--if-absent", is_flag=True, help="账号已存在时不做任何改动，正常退出（部署脚本重复运行时）")
def create_user(username, role, password_file, password, full_name, unit, expert_id, if_absent):
    """创建登录账号。密码从 --password-file 读取，或在终端中输入两次；不要写在命令行上。"""
    if db.session.scalar(select(User).where(User.username == username)):
        if if_absent:
            click.echo(f"账号 {username} 已存在，未做改动。")
            return
        raise click.ClickException(f"用户名“{username}”已存在。")
    password = _read_password(password, password_file)
    try:
        check_password_policy(password, username)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
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


def _read_password(password: str | None, password_file: str | None) -> str:
    """The new account's password: ``--password`` (kept for scripts that use it), the first
    line of ``--password-file`` (``-`` reads standard input), or typed twice without echo.

    A password on the command line stays in the shell history and in ``ps`` for every local
    user to read; a file (mode 0600) or the prompt leave no trace.
    """
    if password is not None and password_file is not None:
        raise click.ClickException("--password 和 --password-file 只能给出一个。")
    if password_file is not None:
        try:
            if password_file == "-":
                line = sys.stdin.readline()
            else:
                with open(password_file, encoding="utf-8") as fh:
                    line = fh.readline()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"无法读取密码文件 {password_file}：{exc.__class__.__name__}") from exc
        line = line.rstrip("\r\n")
        if not line:
            raise click.ClickException("密码文件为空：请在文件第一行写入密码。")
        return line
    if password is not None:
        return password
    first = click.prompt("密码（至少10位，输入时不显示）", hide_input=True, show_default=False)
    second = click.prompt("再次输入密码", hide_input=True, show_default=False)
    if first != second:
        raise click.ClickException("两次输入的密码不一致，未创建账号。")
    return first
