"""Backups that warn: every run is recorded, a failure exits 1 with a dated line on stderr,
and ``last_backup_status`` — the one rule — says when the last good backup is older than
26 hours. The sysadmin's dashboard shows it."""
import datetime as dt

import pytest
from sqlalchemy import select

from app import clock
from app.services import backup_status, backups
from models import BackupRun

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)  # 18:00 in Beijing


def _status_at(instant):
    with clock.frozen(instant):
        return backup_status.last_backup_status()


def _run(db, hours_ago, ok=True, message=""):
    db.session.add(BackupRun(at=NOW - dt.timedelta(hours=hours_ago), ok=ok, path="/var/backups/expertpool/x.tar.gz",
                             size_bytes=3 * 1024 * 1024, seconds=2.5, host="zjk", message=message))
    db.session.commit()


def test_no_backup_at_all_is_overdue(app, db):
    status = _status_at(NOW)
    assert status.overdue and status.last_at is None
    assert status.summary == "尚无成功的备份记录。"
    assert "系统还没有任何成功的备份" in status.warning


@pytest.mark.parametrize("hours_ago, overdue", [
    (0.1, False), (25, False), (25.98, False), (26.02, True), (49, True),
])
def test_a_backup_is_overdue_after_26_hours(app, db, hours_ago, overdue):
    _run(db, hours_ago)
    status = _status_at(NOW)
    assert status.overdue is overdue
    assert (status.warning is not None) is overdue
    if overdue:
        assert "已超过26小时没有成功的备份" in status.warning


def test_summary_in_beijing_time_with_age_and_size(app, db):
    _run(db, 5)
    status = _status_at(NOW)
    assert status.summary == "最近一次成功备份：2026-12-03 13:00（5小时前，3.0 MB）"


def test_a_failure_after_the_last_good_backup_is_reported_with_its_reason(app, db):
    _run(db, 30)
    _run(db, 6, ok=False, message="pg_dump 导出数据库失败：connection refused")
    status = _status_at(NOW)
    assert status.overdue
    assert "2026-12-03 12:00的备份失败：pg_dump 导出数据库失败：connection refused。" in status.warning
    _run(db, 1)  # a good one since: the old failure no longer matters
    assert _status_at(NOW).warning is None


def test_the_status_is_read_in_one_statement(app, db):
    """It is asked on every admin page the office opens (the 待我处理 badge)."""
    from sqlalchemy import event

    _run(db, 30)
    _run(db, 6, ok=False, message="磁盘已满")
    sent = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert "磁盘已满" in _status_at(NOW).warning
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 1


def test_backup_command_records_a_good_run(app, db, runner, world, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output and "耗时" in result.output
    run = db.session.scalar(select(BackupRun))
    assert run.ok and run.path.startswith(str(tmp_path)) and run.size_bytes > 0
    status = backup_status.last_backup_status()
    assert not status.overdue and "刚刚" in status.summary


def test_a_failed_backup_exits_1_says_why_on_stderr_and_is_recorded(app, db, runner, world, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "missing" / "b.tar.gz")])
    assert result.exit_code == 1
    assert "备份失败：备份目录不存在" in result.stderr and "备份失败" not in result.stdout
    assert result.stderr.startswith("20")  # dated, for the cron log
    run = db.session.scalar(select(BackupRun))
    assert run is not None and not run.ok and "备份目录不存在" in run.message
    assert "备份目录不存在" in backup_status.last_backup_status().warning


def test_an_unwritable_target_is_a_failure_not_a_traceback(app, db, runner, world, tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path))

    monkeypatch.setattr(backups.tempfile, "TemporaryDirectory", full_disk)
    result = runner.invoke(args=["backup", str(tmp_path)])
    assert result.exit_code == 1 and "备份失败：No space left on device" in result.stderr
    assert not db.session.scalar(select(BackupRun)).ok


def _dashboard(client, at=NOW):
    """The dashboard as it reads at ``at`` (the runs are dated from NOW, not from today)."""
    with clock.frozen(at):
        return client.get("/admin/").get_data(as_text=True)


def test_sysadmin_dashboard_shows_the_age_and_warns_when_overdue(app, db, client, login_as):
    login_as("sysadmin")
    page = _dashboard(client)
    assert "数据备份" in page and "系统还没有任何成功的备份" in page
    _run(db, 2, ok=True)
    page = _dashboard(client)
    assert "最近一次成功备份" in page and "（2小时前" in page and "超过" not in page
    page = _dashboard(client, NOW + dt.timedelta(days=2))
    assert "已超过26小时没有成功的备份" in page and "（2天2小时前" in page


def test_other_roles_do_not_see_the_backup_card(app, db, client, login_as):
    login_as("leader")
    assert "数据备份" not in _dashboard(client)


@pytest.mark.parametrize("runs", [
    [],
    [(1, True, "")],
    [(30, True, "")],
    [(30, True, ""), (6, False, "磁盘已满")],
    [(6, False, "磁盘已满"), (1, True, "")],
    [(6, False, "磁盘已满")],
])
def test_the_badges_question_agrees_with_the_status(app, db, runs):
    """The office's menu badge asks only the two times (in its one statement) and decides with
    ``needs_attention``: it warns exactly when the full status has a warning."""
    from app.services.inbox.counting import scalars_all

    for hours_ago, ok, message in runs:
        _run(db, hours_ago, ok=ok, message=message)
    times = scalars_all(backup_status.latest_runs())
    assert backup_status.needs_attention(times["good"], times["failed"], now=NOW) is (
        _status_at(NOW).warning is not None)
