"""``flask --app wsgi audit-verify`` and ``audit-archive``: the audit trail on the server (SPEC §3.20).

``audit-verify`` checks the hash chain, the head's seal and every archive file, and names
the first entry that was changed, inserted or removed; ``audit-archive`` moves entries older
than 6 months to a signed file. Each refusal or finding is one Chinese line on standard
error with exit status 1 (cron and monitoring can watch ``audit-verify``).
"""
import datetime as dt
from pathlib import Path

import click

from app.extensions import db
from app.services.audit.archive import archive_entries, latest_cutoff
from app.services.audit.verify import default_archive_dir, verify_chain
from app.services.errors import DomainError


class Refusal(click.ClickException):
    """One Chinese line on standard error, exit status 1."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(" ".join(self.format_message().split()), err=True)


@click.command("audit-verify")
@click.option("--archive", "archives", multiple=True, metavar="FILE",
              help="另行核对存放在别处的归档文件（可多次给出）；AUDIT_ARCHIVE_DIR 中的归档文件总会核对。")
def audit_verify_command(archives):
    """核验操作日志：逐条重算 SM3 哈希链，核对链头封印和归档文件签名；发现问题时指出最先出问题的一条，退出码为 1。"""
    missing = [name for name in archives if not Path(name).is_file()]
    if missing:
        raise Refusal(f"归档文件不存在：{missing[0]}")
    result = verify_chain(list(archives))
    if not result.ok:
        raise Refusal(result.summary())
    click.echo(result.summary())
    for note in result.notes:
        click.echo(f"注意：{note}")


@click.command("audit-archive")
@click.option("--before", default=None, metavar="YYYY-MM-DD", help="归档该日（北京时间）以前的记录；须在6个月以前。")
@click.option("--to", "folder", default=None, metavar="DIR", help="归档文件存放目录（默认为 AUDIT_ARCHIVE_DIR）。")
def audit_archive_command(before, folder):
    """把6个月以前的操作日志移到一个签名的归档文件中（先核验整条日志链；日志链跨归档延续）。"""
    if not before:
        raise Refusal(f"请用 --before YYYY-MM-DD 指定截止日期（最晚 {latest_cutoff().isoformat()}）。")
    try:
        day = dt.date.fromisoformat(before.strip())
    except ValueError:
        raise Refusal(f"截止日期“{before}”无效：格式应为 YYYY-MM-DD。") from None
    target = Path(folder) if folder else default_archive_dir()
    if target.exists() and not target.is_dir():
        raise Refusal(f"归档目录不是目录：{target}")
    try:
        result = archive_entries(day, target)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise Refusal(str(err)) from None
    except OSError as err:
        db.session.rollback()
        raise Refusal(f"无法写入归档文件（{err.strerror or err}：{err.filename or target}），未做任何改动。") from None
    arc = result.archive
    click.echo(f"已归档第{arc.first_id}至{arc.last_id}条操作日志（{day.isoformat()}以前，共{result.count}条）"
               f"到 {arc.path}。")
    click.echo("请把归档文件另行保存（至少与系统的备份一样久）；核验时它所在的目录应为 AUDIT_ARCHIVE_DIR，"
               "或用 audit-verify --archive 指定。")
