"""Backups: ``flask backup PATH`` / ``restore PATH`` / ``verify-backup PATH`` (SPEC §6–7).

The restore drill backs up, changes data and files, restores, and compares every table
row and every upload with what was backed up. Tampered, damaged, foreign and malicious
archives are refused with a Chinese message and change nothing. On SQLite the copy is
made with the online backup API; on PostgreSQL (CI's second pass) with pg_dump/pg_restore.
"""
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app.services import backups
from app.services.errors import DomainError
from models import Expert
from tests.backups.conftest import _change_everything, _files, _snapshot


def test_restore_drill(app, db, runner, world, tmp_path):
    before_rows, before_files = _snapshot(db), _files(world)
    archive = tmp_path / "drill.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output and "3 个上传文件" in result.output

    _change_everything(db, world)
    assert _snapshot(db) != before_rows and _files(world) != before_files

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert "恢复完成" in result.output
    after = _snapshot(db)
    # The restore itself is on the restored database's audit trail: one entry after those backed up.
    assert len(after.pop("audit_log")) == len(before_rows.pop("audit_log")) + 1
    del after["audit_chain_head"], before_rows["audit_chain_head"]
    assert after == before_rows
    assert _files(world) == before_files
    # The restored database works for the application as before.
    assert db.session.scalar(select(Expert.name).where(Expert.name == "王建国")) == "王建国"


def test_archive_holds_a_manifest_of_checksums(app, db, world, tmp_path):
    info = backups.create_backup(tmp_path / "b.tar.gz")
    with tarfile.open(info.path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = set(tar.getnames())
        for name, meta in manifest["files"].items():
            assert hashlib.sha256(tar.extractfile(name).read()).hexdigest() == meta["sha256"]
    db_member = "database.sqlite3" if manifest["database"] == "sqlite" else "database.pgdump"
    assert names == {"manifest.json", db_member, "uploads/photos/a.jpg", "uploads/documents/2026/id.pdf",
                     "uploads/documents/2026/身份证扫描.png"}
    assert manifest["signature"] and manifest["format"] == "expertpool-backup"


def test_backup_into_a_folder_names_the_file(app, db, world, tmp_path, runner):
    result = runner.invoke(args=["backup", str(tmp_path)])
    assert result.exit_code == 0, result.output
    made = list(tmp_path.glob("专家库备份-*.tar.gz"))
    assert len(made) == 1 and made[0].stat().st_mode & 0o077 == 0  # readable by the owner only


def test_sqlite_copy_passes_integrity_check(app, db, world, tmp_path):
    if backups.database_kind() != "sqlite":
        pytest.skip("SQLite only")
    import sqlite3

    info = backups.create_backup(tmp_path / "b.tar.gz")
    with tarfile.open(info.path) as tar:
        tar.extract("database.sqlite3", tmp_path / "x", filter="data")
    conn = sqlite3.connect(tmp_path / "x" / "database.sqlite3")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT name FROM expert WHERE name = '王建国'").fetchone()


# --- refusals -----------------------------------------------------------------------------------

def _rewrite(src: Path, dst: Path, change=None, add=None, manifest_change=None):
    """Copy an archive member by member, changing bytes, adding members or editing the manifest."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w:gz") as tout:
        for member in tin.getmembers():
            data = tin.extractfile(member).read()
            if member.name == "manifest.json" and manifest_change:
                manifest = json.loads(data)
                manifest_change(manifest)
                data = json.dumps(manifest).encode()
            elif change and member.name in change:
                data = change[member.name](data)
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
        for name, data in (add or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
    return dst


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


@pytest.fixture
def good_archive(app, db, world, tmp_path):
    return backups.create_backup(tmp_path / "good.tar.gz").path


def _db_member():
    return "database.sqlite3" if backups.database_kind() == "sqlite" else "database.pgdump"


def _recompute(manifest, name, data):
    manifest["files"][name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


TAMPERINGS = {
    "database byte flipped": lambda a, d: _rewrite(a, d, change={_db_member(): _flip}),
    "upload replaced": lambda a, d: _rewrite(
        a, d, change={"uploads/photos/a.jpg": lambda b: b"<?php system($_GET[1]);"}),
    "checksum recomputed": lambda a, d: _rewrite(
        a, d, change={"uploads/photos/a.jpg": lambda b: b"evil"},
        manifest_change=lambda m: _recompute(m, "uploads/photos/a.jpg", b"evil")),
    "file added": lambda a, d: _rewrite(a, d, add={"uploads/photos/evil.sh": b"#!/bin/sh\nrm -rf /\n"}),
    "file removed": lambda a, d: _rewrite(a, d, change={}, manifest_change=lambda m: m["files"].update(
        {"uploads/ghost.jpg": {"size": 1, "sha256": "0" * 64}})),
    "path traversal": lambda a, d: _rewrite(a, d, add={"../../etc/cron.d/evil": b"* * * * * root id"}),
    "absolute path": lambda a, d: _rewrite(a, d, add={"/tmp/evil": b"x"}),
}


@pytest.mark.parametrize("how", sorted(TAMPERINGS))
def test_tampered_archives_are_refused_and_change_nothing(app, db, runner, world, good_archive, tmp_path, how):
    bad = TAMPERINGS[how](good_archive, tmp_path / "bad.tar.gz")
    _change_everything(db, world)
    rows, files = _snapshot(db), _files(world)
    result = runner.invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0
    assert "拒绝恢复" in result.output or "校验失败" in result.output, result.output
    assert _snapshot(db) == rows and _files(world) == files
    assert not (tmp_path.parent / "etc").exists()
    verify = runner.invoke(args=["verify-backup", str(bad)])
    assert verify.exit_code != 0


def test_truncated_and_foreign_files_are_refused(app, db, runner, good_archive, tmp_path):
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good_archive.read_bytes()[: good_archive.stat().st_size // 2])
    result = runner.invoke(args=["restore", str(cut), "--yes"])
    assert result.exit_code != 0 and ("不完整" in result.output or "校验失败" in result.output
                                      or "无法读取" in result.output), result.output
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not an archive")
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0 and "无法读取备份文件" in result.output
    plain = tmp_path / "plain.tar.gz"
    with tarfile.open(plain, "w:gz") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    result = runner.invoke(args=["restore", str(plain), "--yes"])
    assert result.exit_code != 0 and "不是本系统的备份文件" in result.output


def test_an_archive_signed_with_another_key_needs_ignore_signature(app, db, runner, good_archive, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-system-key")
    result = runner.invoke(args=["verify-backup", str(good_archive)])
    assert result.exit_code != 0 and "签名不符" in result.output
    result = runner.invoke(args=["verify-backup", str(good_archive), "--ignore-signature"])
    assert result.exit_code == 0, result.output


def test_a_corrupt_sqlite_file_with_valid_checksums_is_refused(app, db, runner, good_archive, tmp_path):
    if backups.database_kind() != "sqlite":
        pytest.skip("SQLite only")
    garbage = b"SQLite format 3\x00" + b"\x00\x10\x01\x01" + b"\xab" * 8000

    def resign(manifest):
        _recompute(manifest, "database.sqlite3", garbage)
        body = {k: v for k, v in manifest.items() if k != "signature"}
        manifest["signature"] = backups._sign(body)

    bad = _rewrite(good_archive, tmp_path / "corrupt.tar.gz", change={"database.sqlite3": lambda b: garbage},
                   manifest_change=resign)
    result = runner.invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0 and ("完整性检查" in result.output or "已损坏" in result.output), result.output


def test_an_archive_of_the_other_database_kind_is_refused(app, db, runner, good_archive, tmp_path):
    other = "postgresql" if backups.database_kind() == "sqlite" else "sqlite"
    other_member = "database.pgdump" if other == "postgresql" else "database.sqlite3"
    payload = b"PGDMP not used"
    if other == "sqlite":  # a sound SQLite file, so only the kind is wrong
        import sqlite3

        conn = sqlite3.connect(tmp_path / "other.sqlite3")
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
        payload = (tmp_path / "other.sqlite3").read_bytes()

    def relabel(manifest):
        manifest["database"] = other
        manifest["files"].pop(_db_member())
        _recompute(manifest, other_member, payload)
        body = {k: v for k, v in manifest.items() if k != "signature"}
        manifest["signature"] = backups._sign(body)

    with tarfile.open(good_archive) as tin:
        manifest = json.loads(tin.extractfile("manifest.json").read())
        relabel(manifest)
        members = [(m.name, tin.extractfile(m).read()) for m in tin.getmembers()
                   if m.name not in ("manifest.json", _db_member())]
    bad = tmp_path / "other.tar.gz"
    with tarfile.open(bad, "w:gz") as tout:
        for name, data in [("manifest.json", json.dumps(manifest).encode()), (other_member, payload), *members]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
    result = runner.invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0 and "不能直接恢复" in result.output, result.output


def test_restore_asks_first_and_no_changes_nothing(app, db, runner, world, good_archive):
    _change_everything(db, world)
    rows = _snapshot(db)
    result = runner.invoke(args=["restore", str(good_archive)], input="n\n")
    assert result.exit_code != 0 and "已取消" in result.output
    assert _snapshot(db) == rows


def test_missing_postgresql_tools_get_a_clear_message():
    with pytest.raises(DomainError, match="未找到 pg_nonexistent_tool.*postgresql-client"):
        backups._pg_tool("pg_nonexistent_tool")
