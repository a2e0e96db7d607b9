"""Retention (等保 level 3: at least 6 months) and the archive round trip: old entries move to a
signed file, the chain continues across the boundary, and ``audit-verify`` checks the file
together with what remains in the table."""
import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import clock
from app.services import audit
from app.services.audit.archive import latest_cutoff, months_before
from app.services.audit.verify import verify_chain
from models import AuditLog
from tests.audit.conftest import stored, tamper

TODAY = dt.datetime(2026, 9, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def _entries_on(db, day: dt.datetime, n: int, label: str):
    with clock.frozen(day):
        for i in range(n):
            audit.record_event("backup", f"{label}{i + 1}")
            db.session.commit()


@pytest.fixture
def old_and_new(app, db):
    """Three entries of January, three of August (ids 1–3 and 4–6)."""
    _entries_on(db, dt.datetime(2026, 1, 10, 3, 0, tzinfo=dt.UTC), 3, "一月")
    _entries_on(db, dt.datetime(2026, 8, 20, 3, 0, tzinfo=dt.UTC), 3, "八月")


def _archive(runner, *args):
    with clock.frozen(TODAY):
        return runner.invoke(args=["audit-archive", *args])


def _folder(app) -> Path:
    return Path(app.config["AUDIT_ARCHIVE_DIR"])


@pytest.mark.parametrize(("today", "months", "expected"), [
    (dt.date(2026, 9, 15), 6, dt.date(2026, 3, 15)),
    (dt.date(2026, 8, 31), 6, dt.date(2026, 2, 28)),
    (dt.date(2028, 8, 31), 6, dt.date(2028, 2, 29)),
    (dt.date(2026, 3, 10), 6, dt.date(2025, 9, 10)),
])
def test_six_calendar_months_back(today, months, expected):
    assert months_before(today, months) == expected


def test_round_trip(app, db, runner, old_and_new):
    out = _archive(runner, "--before", "2026-03-01")
    assert out.exit_code == 0, out.output
    assert "已归档第1至3条操作日志（2026-03-01以前，共3条）" in out.output
    files = sorted(_folder(app).glob("*.archive.json.gz"))
    assert [f.name for f in files] == ["audit-00000001-00000003.archive.json.gz"]
    assert files[0].stat().st_mode & 0o777 == 0o600
    # The table keeps the newer entries and gains the archive event, chained to them.
    ids = list(db.session.scalars(select(AuditLog.id).order_by(AuditLog.id)))
    assert ids == [4, 5, 6, 7]
    event = db.session.get(AuditLog, 7)
    assert event.action == "archive" and event.changes["末条编号"] == [None, 3]
    assert stored(4)["prev_hash"] == json.loads(gzip.decompress(files[0].read_bytes()))["last_hash"]
    # The command and the page verify the file and the table together.
    result = verify_chain()
    assert result.ok, result.finding
    assert [(a.first_id, a.last_id) for a in result.archives] == [(1, 3)] and result.table_count == 4
    checked = runner.invoke(args=["audit-verify"])
    assert checked.exit_code == 0 and "共核对7条" in checked.output and "归档文件第1至3条" in checked.output


def test_without_the_file_the_boundary_is_still_checked(app, db, runner, old_and_new, tmp_path):
    assert _archive(runner, "--before", "2026-03-01", "--to", str(tmp_path / "elsewhere")).exit_code == 0
    result = verify_chain()
    assert result.ok and result.archives == []
    assert any("第1至3条已归档到文件" in note for note in result.notes)
    out = runner.invoke(args=["audit-verify"])
    assert out.exit_code == 0 and "注意：第1至3条已归档" in out.output
    # The file kept elsewhere is named on the command line.
    (kept,) = (tmp_path / "elsewhere").glob("*.archive.json.gz")
    out = runner.invoke(args=["audit-verify", "--archive", str(kept)])
    assert out.exit_code == 0 and "共核对7条" in out.output


def test_removing_the_first_entry_left_is_found_with_and_without_the_file(app, db, runner, old_and_new):
    assert _archive(runner, "--before", "2026-03-01").exit_code == 0
    tamper("DELETE FROM audit_log WHERE id = 4")
    result = verify_chain()
    assert result.finding.kind == "removed" and result.finding.first_bad == 4
    moved = _folder(app).with_name("moved")
    _folder(app).rename(moved)
    result = verify_chain()
    assert result.finding.kind == "removed" and "第5条之前的记录被删除" in result.finding.message


def test_a_changed_archive_file_is_found(app, db, runner, old_and_new):
    assert _archive(runner, "--before", "2026-03-01").exit_code == 0
    (path,) = _folder(app).glob("*.archive.json.gz")
    doc = json.loads(gzip.decompress(path.read_bytes()))
    doc["entries"][1]["summary"] = "一月2（改过）"
    path.write_bytes(gzip.compress(json.dumps(doc, ensure_ascii=False).encode()))
    out = runner.invoke(args=["audit-verify"])
    assert out.exit_code == 1 and f"归档文件“{path.name}”的签名不符" in out.output


def test_an_archive_signed_with_another_key_says_so(app, db, runner, old_and_new):
    assert _archive(runner, "--before", "2026-03-01").exit_code == 0
    app.config["AUDIT_HMAC_KEY"] = "another-key"
    out = runner.invoke(args=["audit-verify"])
    assert out.exit_code == 1 and "由另一密钥签名" in out.output


def test_a_second_archive_continues_the_first(app, db, runner, old_and_new):
    assert _archive(runner, "--before", "2026-03-01").exit_code == 0
    with clock.frozen(dt.datetime(2027, 3, 20, 2, 0, tzinfo=dt.UTC)):
        out = runner.invoke(args=["audit-archive", "--before", "2026-09-16"])
    assert out.exit_code == 0, out.output
    assert "已归档第4至7条" in out.output
    assert verify_chain().ok
    first = _folder(app) / "audit-00000001-00000003.archive.json.gz"
    first.rename(first.with_name("away.gz"))
    result = verify_chain()  # the second file holds the first archive's event: its boundary
    assert result.ok and any("第1至3条已归档" in n for n in result.notes), result.notes


@pytest.mark.parametrize(("args", "message"), [
    (["--before", "2026-04-01"], "操作日志至少保存6个月：截止日期不能晚于2026-03-15（今天是2026-09-15）。"),
    (["--before", "2026-13-01"], "截止日期“2026-13-01”无效：格式应为 YYYY-MM-DD。"),
    ([], "请用 --before YYYY-MM-DD 指定截止日期（最晚 2026-03-15）。"),
    (["--before", "2025-01-01"], "没有2025-01-01以前的操作日志可归档。"),
])
def test_refusals_change_nothing(app, db, runner, old_and_new, args, message):
    out = _archive(runner, *args)
    assert out.exit_code == 1 and out.output.strip() == message
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 6
    assert not list(_folder(app).glob("*.archive.json.gz"))


def test_a_broken_chain_is_not_archived(app, db, runner, old_and_new):
    tamper("UPDATE audit_log SET summary = 'x' WHERE id = 2")
    out = _archive(runner, "--before", "2026-03-01")
    assert out.exit_code == 1 and out.output.startswith("操作日志核验未通过，不能归档：第2条被改动")
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 6


def test_latest_cutoff_follows_the_bureaus_day():
    with clock.frozen(dt.datetime(2026, 9, 14, 17, 0, tzinfo=dt.UTC)):  # 01:00 on the 15th in Beijing
        assert latest_cutoff() == dt.date(2026, 3, 15)
