"""``flask --app wsgi backup PATH`` / ``restore PATH`` / ``verify-backup PATH`` (SPEC §7).

``backup`` is run by cron every night: each run prints one dated line — ``备份完成`` on
standard output, ``备份失败`` and the reason on standard error — which the cron line
appends to a log file, and a failure exits with status 1. Every run is also recorded in
the database, so the sysadmin's dashboard shows the age of the last good backup.

Backups and restores run as the service user (``expertpool-flask`` in production): run
as root, they would leave a root-owned archive the service cannot read, or uploads the
application cannot open, so root is refused when the data belongs to another user.
"""
import os
import pwd
import time
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app import clock
from app.extensions import db
from app.services import backups
from app.services.errors import DomainError

KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class Failure(click.ClickException):
    """A refusal or failure printed as one dated Chinese line on stderr (exit status 1)."""

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def _stamp() -> str:
    """The bureau's time, to the second, at the head of each line of the backup log."""
    return clock.now().strftime("%Y-%m-%d %H:%M:%S")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _describe(info: backups.BackupInfo) -> str:
    return (f"{KINDS.get(info.kind, info.kind)} 数据库 + {info.upload_count} 个上传文件，"
            f"共 {_size(info.total_bytes)}，备份时间 {info.created_at}")


def _refuse_root_on_service_data(what: str, command: str) -> None:
    """Root must not back up or restore data that belongs to the service user."""
    if os.geteuid() != 0:
        return
    root = Path(current_app.config["UPLOAD_DIR"])
    probe = root if root.exists() else root.parent
    if not probe.exists() or probe.stat().st_uid == 0:
        return
    try:
        owner = pwd.getpwuid(probe.stat().st_uid).pw_name
    except KeyError:
        owner = str(probe.stat().st_uid)
    raise Failure(f"{_stamp()} {what}已拒绝：上传目录 {probe} 属于用户 {owner}，请以该用户运行"
                  f"（部署后用 expertpool-flask {command} …）；"
                  "以 root 运行会留下该用户无法读取的文件。")


def _record_failure(message: str, path) -> None:
    """Record the failed run if the database still answers (it may be the cause)."""
    try:
        db.session.rollback()
        backups.record_failed_backup(message, path)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - the failure itself is already being reported
        db.session.rollback()
        click.echo(f"{_stamp()} （未能在数据库中记录这次失败：{exc.__class__.__name__}）", err=True)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True))
def backup_command(path):
    """备份数据库和上传文件到一个归档（PATH 为文件名或已有目录）；失败时退出码为 1。"""
    _refuse_root_on_service_data("备份", "backup")
    try:
        info = backups.create_backup(path)
        db.session.commit()
    except (DomainError, OSError) as err:
        reason = str(err) if isinstance(err, DomainError) else f"{err.strerror or err}（{err.filename or ''}）"
        _record_failure(reason, path)
        raise Failure(f"{_stamp()} 备份失败：{reason}") from err
    except Exception as err:
        _record_failure(f"意外错误：{err!r}"[:500], path)
        click.echo(f"{_stamp()} 备份失败：意外错误，详见下方记录。", err=True)
        raise
    click.echo(f"{_stamp()} 备份完成：{info.path}（{_size(info.archive_bytes or 0)}，耗时 {info.seconds:.1f} 秒）")
    click.echo(f"  内容：{_describe(info)}")
    click.echo("  每个文件的 SHA-256 校验值记录在归档内的 manifest.json 中。")
    for warning in info.warnings:
        click.echo(f"{_stamp()} 注意：{warning}", err=True)


@click.command("verify-backup")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--ignore-signature", is_flag=True, help="不核对清单签名（备份来自 SECRET_KEY 不同的系统时）")
def verify_command(path, ignore_signature):
    """校验备份归档（校验值、签名、数据库完整性），不做恢复。"""
    try:
        info = backups.verify_backup(path, check_signature=not ignore_signature)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"备份完好：{_describe(info)}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="不再询问，直接恢复（脚本和恢复演练用）")
@click.option("--ignore-signature", is_flag=True, help="不核对清单签名（备份来自 SECRET_KEY 不同的系统时）")
def restore_command(path, yes, ignore_signature):
    """从备份归档恢复数据库和上传文件（先全部校验，校验不通过则不做任何改动）。

    恢复到的数据库和上传目录由 DATABASE_URL 和 UPLOAD_DIR 决定；上传目录属于另一个数据库时拒绝恢复。
    """
    _refuse_root_on_service_data("恢复", "restore")
    try:
        database, upload_root = backups.check_restore_target()
        info = backups.verify_backup(path, check_signature=not ignore_signature)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"备份完好：{_describe(info)}")
    click.echo(f"恢复目标：数据库 {database}；上传目录 {upload_root}")
    question = "恢复将用备份内容替换上述数据库和上传目录中的全部数据，确定继续吗？"
    if not yes and not click.confirm(question, default=False):
        raise click.ClickException("已取消，未做任何改动。")
    started = time.monotonic()
    try:
        backups.restore_backup(path, check_signature=not ignore_signature)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    try:
        db.session.commit()  # the restore's audit entry, in the restored database
    except SQLAlchemyError:
        db.session.rollback()
        click.echo("注意：未能在操作日志中记下这次恢复（备份来自较早版本？请运行 db upgrade）。", err=True)
    seconds = time.monotonic() - started
    click.echo(f"恢复完成（耗时 {seconds:.1f} 秒）。如备份来自较早版本，请再运行 flask --app wsgi db upgrade。")
