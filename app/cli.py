"""``flask --app wsgi …`` commands: create-user, reset-password, reset-2fa, seed-demo, backup, restore,
check-integrity, audit-verify, audit-archive, rotate-data-key, reference-data (SPEC §6, §7, §3.20).

Every command of the system answers bad input — a missing or unknown option, a value of the
wrong kind, a refusal of a rule, a conflict with what is stored — with one Chinese line on
stderr and exit status 1, never click's English usage text or a traceback
(:class:`ChineseCommand`, given to every command by :func:`register`).
"""
import sys

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.auth.passwords import check_password_policy, hash_password
from app.extensions import db
from app.services.errors import DomainError
from models import Expert, OrgUnit, User
from models.choices import ROLES


class CliError(click.ClickException):
    """A refusal shown as one Chinese line (no "Error:" prefix), exit status 1."""

    exit_code = 1

    def show(self, file=None):
        click.echo(" ".join(self.format_message().split()), err=True)


def _option_name(param: click.Parameter | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, click.Argument):
        return param.human_readable_name
    return max(param.opts, key=len)


def usage_message(err: click.UsageError, command: str) -> str:
    """click's usage error in one Chinese line."""
    param = getattr(err, "param", None)
    name = _option_name(param)
    hint = f"用法见 flask --app wsgi {command} --help。"
    if isinstance(err, click.MissingParameter):
        what = f"（{param.help}）" if getattr(param, "help", None) else ""
        return f"缺少参数 {name}{what}。{hint}"
    if isinstance(err, click.NoSuchOption):
        return f"无法识别的选项 {err.option_name}。{hint}"
    if isinstance(err, click.BadOptionUsage):
        return f"选项 {err.option_name} 的用法不正确（须带一个值）。{hint}"
    if isinstance(err, click.BadParameter):
        kind = getattr(param, "type", None)
        if isinstance(kind, click.Choice):
            return f"参数 {name} 的取值无效，可选：{'、'.join(map(str, kind.choices))}。"
        if isinstance(kind, click.types.IntParamType):
            return f"参数 {name} 须为整数。"
        if isinstance(kind, click.Path):
            return f"参数 {name} 指定的路径不存在或类型不符。"
        return f"参数 {name} 的值无效。{hint}"
    return f"参数有误（多余的参数或用法不正确）。{hint}"


def database_message(err: SQLAlchemyError) -> str:
    """A database refusal in Chinese: the schema missing, a conflict, or the server unreachable."""
    text = str(getattr(err, "orig", err)).splitlines()[0][:200]
    if isinstance(err, IntegrityError):
        return f"保存失败：与已有数据冲突（{text}），未做任何改动。"
    if "no such table" in text or "does not exist" in text:
        return "数据库尚未建立：请先运行 flask --app wsgi db upgrade。"
    return f"数据库操作失败（{text}），未做任何改动。"


class ChineseCommand(click.Command):
    """A command whose every refusal is one Chinese line and exit status 1."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as err:
            raise CliError(usage_message(err, self.name)) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CliError:
            raise
        except click.Abort:
            raise CliError("已取消，未做任何改动。") from None
        except click.ClickException as err:
            raise CliError(err.format_message()) from None
        except DomainError as err:
            db.session.rollback()
            raise CliError(str(err)) from None
        except SQLAlchemyError as err:
            db.session.rollback()
            raise CliError(database_message(err)) from None


def register(app: Flask) -> None:
    """Attach every ``flask`` command of the system to ``app.cli``: this is the list.

    Each becomes a :class:`ChineseCommand` here, so commands written in other modules
    (backups, accounts, demo data) answer bad input the same way without knowing of it.
    """
    from app.commands.accounts import reset_2fa, reset_password
    from app.commands.audit import audit_archive_command, audit_verify_command
    from app.commands.backup import backup_command, restore_command, verify_command
    from app.commands.data_key import rotate_data_key
    from app.commands.integrity import check_integrity
    from app.commands.reference import reference_data
    from app.demo import seed_demo_command

    for command in (create_user, seed_demo_command, backup_command, restore_command, verify_command, reset_2fa,
                    check_integrity, reset_password, audit_verify_command, audit_archive_command,
                    rotate_data_key, reference_data):
        if not isinstance(command, ChineseCommand):
            command.__class__ = type("Chinese" + type(command).__name__, (ChineseCommand, type(command)), {})
        app.cli.add_command(command)


@click.command("create-user", cls=ChineseCommand)
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
    username = username.strip()
    if not username or len(username) > 50:
        raise CliError("用户名不能为空，且不能超过50个字符。")
    if len(full_name) > 50:
        raise CliError("姓名不能超过50个字符。")
    if db.session.scalar(select(User).where(User.username == username)):
        if if_absent:
            click.echo(f"账号 {username} 已存在，未做改动。")
            return
        raise CliError(f"用户名“{username}”已存在。")
    password = _read_password(password, password_file)
    check_password_policy(password, username)
    org = None
    if unit:
        org = db.session.scalar(select(OrgUnit).where(OrgUnit.name == unit))
        if org is None:
            raise CliError(f"单位“{unit}”不存在。")
    if role in ("department", "town") and org is None:
        raise CliError("局科室/大队和镇街账号必须用 --unit 指定所属单位。")
    if role == "expert":
        if expert_id is None or db.session.get(Expert, expert_id) is None:
            raise CliError("专家账号必须用 --expert-id 指定已登记的专家。")
    elif expert_id is not None:
        raise CliError("只有专家账号（--role expert）才能用 --expert-id 关联专家。")
    if expert_id is not None:
        holder = db.session.scalar(select(User.username).where(User.expert_id == expert_id))
        if holder is not None:
            raise CliError(f"该专家（编号{expert_id}）已有登录账号“{holder}”，一名专家只能有一个账号。")
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
