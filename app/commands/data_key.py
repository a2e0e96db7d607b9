"""``flask --app wsgi rotate-data-key``: re-encrypt the personal data under the current key.

The rotation itself (SPEC §3.20; docs/deployment.md, "数据加密密钥"):

1. back up (the archive records which key its data needs);
2. put the new key in ``DATA_ENCRYPTION_KEY`` with a new ``DATA_ENCRYPTION_KEY_ID``, and the
   old one in ``DATA_ENCRYPTION_OLD_KEYS`` (``<id>:<hex>``), restart the service — from then
   on new values are written with the new key and old ones still read;
3. run this command: every value still under an old key is rewritten, batch by batch, each
   batch committed; the count of rows done is printed as it goes. Interrupted, it is simply
   run again: rows already under the new key are skipped;
4. when it reports nothing left under an old key, remove the old key from
   ``DATA_ENCRYPTION_OLD_KEYS`` (keep it with the backups made before the rotation).

The start and the end of each run are written to the audit log.
"""
import click

from app import crypto
from app.extensions import db
from app.services.audit import record_event
from app.services.personal_data import BATCH_SIZE, key_ids_in_use, rotate


@click.command("rotate-data-key")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=BATCH_SIZE, show_default=True,
              help="每批重新加密的行数（每批单独提交）")
def rotate_data_key(batch_size):
    """用当前数据加密密钥重新加密全部个人信息（更换密钥后运行；中断后再次运行即从中断处继续）。"""
    ring = crypto.keyring()
    old = sorted(k for k in ring.keys if k != ring.current_id)
    click.echo(f"当前数据加密密钥编号：{ring.current_id}；可读取的旧密钥：{'、'.join(old) if old else '无'}。")
    record_event("key_rotation", f"开始数据加密密钥轮换：改用密钥 {ring.current_id}",
                 details={"当前密钥编号": ring.current_id, "每批行数": batch_size})
    db.session.commit()
    result = rotate(batch_size, progress=click.echo)
    remaining = {k: n for k, n in key_ids_in_use().items() if k != ring.current_id}
    record_event("key_rotation",
                 f"完成数据加密密钥轮换：以密钥 {ring.current_id} 重新加密 {result.total_rewritten} 行",
                 details={"当前密钥编号": ring.current_id, "重新加密行数": result.total_rewritten,
                  "无法解密的值": len(result.unreadable),
                  "仍使用旧密钥的值": sum(remaining.values())})
    db.session.commit()
    click.echo(f"共重新加密 {result.total_rewritten} 行。")
    for line in result.unreadable:
        click.echo(line)
    if result.unreadable:
        raise click.ClickException(f"有 {len(result.unreadable)} 个值无法解密，未能改用新密钥：请用 "
                                   "flask check-integrity 查看，并从密钥轮换前的备份中找回这些数据。")
    if remaining:
        counts = "、".join(f"密钥 {k} {n} 个" for k, n in sorted(remaining.items()))
        raise click.ClickException(f"仍有值使用旧密钥：{counts}。请再次运行本命令。")
    click.echo(f"全部个人信息已使用密钥 {ring.current_id} 加密。可以从 DATA_ENCRYPTION_OLD_KEYS 中删去旧密钥"
               "（旧密钥请与轮换前的备份一起妥善保管：恢复这些备份时需要它）。")
