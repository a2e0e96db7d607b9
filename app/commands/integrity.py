"""``flask --app wsgi check-integrity``: records that contradict each other (app.services.integrity)."""
import sys

import click

from app.services import integrity


@click.command("check-integrity")
def check_integrity():
    """检查数据一致性：已完成任务的服务记录、抽取记录、已发放批次、已解聘专家的工作证、评价表评分、审计日志、加密数据能否解密。"""
    found = integrity.findings(deep=True)
    if not found:
        click.echo("数据一致性检查完成：未发现问题。")
        return
    click.echo(f"数据一致性检查发现{len(found)}类问题：")
    for n, finding in enumerate(found, start=1):
        click.echo(f"{n}. {finding}")
    sys.exit(1)
