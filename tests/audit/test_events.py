"""Events on the audit trail, each in Chinese (SPEC §3.20): exports (who, what, how many rows —
through any list's export and the payout workbook), backups good and failed, and restores,
which name the last entry of the database they replaced."""
from pathlib import Path

from sqlalchemy import select

from app.services import backups
from app.services.audit.verify import verify_chain
from models import AuditLog, PayoutBatch
from tests import factories


def _events(db, action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def test_a_list_export_names_the_list_the_rows_and_the_search(app, db, client, login_as):
    for name in ("王建国", "王小明", "李娜"):
        factories.expert(name=name)
    db.session.commit()
    client.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    user = login_as("office")
    response = client.get("/admin/expert/export/xlsx/?search=王")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    (entry,) = _events(db, "export")
    assert entry.summary == "导出“专家”2行（xlsx）" and entry.table_name == "expert"
    assert entry.changes["行数"] == [None, 2] and entry.changes["搜索条件"] == [None, "王"]
    assert (entry.user_id, entry.client_addr) == (user.id, "10.9.8.7")


def test_a_csv_export_streams_all_its_rows_after_the_entry_is_written(app, db, client, login_as):
    for i in range(25):
        factories.enterprise(name=f"常州某化工有限公司{i:02d}")
    db.session.commit()
    login_as("office")
    text = client.get("/admin/enterprise/export/csv/").get_data(as_text=True)
    assert len([line for line in text.splitlines() if "常州某化工有限公司" in line]) == 25
    assert _events(db, "export")[0].summary == "导出“服务单位”25行（csv）"


def test_the_payout_workbook_is_an_audited_export(demo, db, client, login_as):
    batch = db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id)).first()
    login_as("office")
    response = client.get(f"/admin/payout_batch/{batch.id}/xlsx/")
    assert response.status_code == 200
    (entry,) = _events(db, "export")
    assert "发放明细（含完整身份证号）" in entry.summary and entry.summary.endswith("（xlsx）")
    assert entry.changes["行数"][1] == len(batch.lines) > 0


def test_backup_and_restore_are_on_the_trail(app, db, runner, tmp_path):
    factories.expert(name="王建国")
    db.session.commit()
    archive = tmp_path / "b.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    (done,) = _events(db, "backup")
    assert done.summary == "备份完成：b.tar.gz" and done.changes["备份文件"] == [None, str(archive)]
    before_restore = db.session.scalars(select(AuditLog.id).order_by(AuditLog.id.desc())).first()
    assert runner.invoke(args=["restore", str(archive), "--yes"]).exit_code == 0, "restore"
    db.session.remove()
    (restore,) = _events(db, "restore")
    assert restore.summary.startswith("从备份恢复数据库和上传文件：b.tar.gz（备份时间 ")
    assert restore.changes["恢复前日志末条"] == [None, f"第{before_restore}条"]
    # The backed-up database did not hold its own backup entry: the restore follows the entry before.
    assert _events(db, "backup") == [] and verify_chain().ok


def test_a_failed_backup_is_on_the_trail(app, db, runner, tmp_path):
    missing = Path(tmp_path) / "no-such-folder" / "b.tar.gz"
    result = runner.invoke(args=["backup", str(missing)])
    assert result.exit_code == 1
    (failed,) = _events(db, "backup")
    assert failed.summary.startswith("备份失败：备份目录不存在")


def test_restore_refusals_are_not_restores(app, db, runner, tmp_path):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    assert runner.invoke(args=["restore", str(bad), "--yes"]).exit_code == 1
    assert _events(db, "restore") == []
    assert backups.database_kind() in ("sqlite", "postgresql")


def test_the_log_keeps_personal_data_masked_never_in_clear(app, db):
    """The log is append-only: what it receives stays. Personal data reaches it masked, as on
    screen, and the blind indexes not at all (SPEC §3.20)."""
    expert = factories.expert(name="周敏", address="江苏省常州市武进区湖塘镇花园街88号",
                              wechat="zhoumin_wx2026", qq="8812345678", email="zhoumin@example.com")
    db.session.commit()
    (entry,) = [e for e in _events(db, "create") if e.table_name == "expert"]
    text = str(entry.changes)
    for clear in ("花园街88号", "zhoumin_wx2026", "8812345678", "zhoumin@example.com", expert.id_number,
                  expert.mobile):
        assert clear not in text, clear
    assert "id_number_bidx" not in entry.changes and "mobile_bidx" not in entry.changes
    assert entry.changes["address"][1].startswith("江苏省常州市")  # masked, still recognisable
