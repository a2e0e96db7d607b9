"""``flask --app wsgi backup PATH`` / ``restore PATH`` / ``verify-backup PATH`` (SPEC §7)."""
import click

from app.services import backups
from app.services.errors import DomainError

KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _describe(info: backups.BackupInfo) -> str:
    return (f"{KINDS.get(info.kind, info.kind)} 数据库 + {info.upload_count} 个上传文件，"
            f"共 {_size(info.total_bytes)}，备份时间 {info.created_at}")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True))
def backup_command(path):
    """备份数据库和上传文件到一个归档（PATH 为文件名或已有目录）。"""
    try:
        info = backups.create_backup(path)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"备份完成：{info.path}")
    click.echo(f"  内容：{_describe(info)}")
    click.echo("  每个文件的 SHA-256 校验值记录在归档内的 manifest.json 中。")


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
@click.option("--yes", is_flag=True, help="不再询问，直接恢复")
@click.option("--ignore-signature", is_flag=True, help="不核对清单签名（备份来自 SECRET_KEY 不同的系统时）")
def restore_command(path, yes, ignore_signature):
    """从备份归档恢复数据库和上传文件（先全部校验，校验不通过则不做任何改动）。"""
    try:
        info = backups.verify_backup(path, check_signature=not ignore_signature)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"备份完好：{_describe(info)}")
    if not yes and not click.confirm("恢复将用备份内容替换当前全部数据和上传文件，确定继续吗？", default=False):
        raise click.ClickException("已取消，未做任何改动。")
    try:
        backups.restore_backup(path, check_signature=not ignore_signature)
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    click.echo("恢复完成。如备份来自较早版本，请再运行 flask --app wsgi db upgrade。")
