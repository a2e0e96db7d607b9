"""Restores keep secrets secret: uploads come back 0640 in 0750 folders owned by the user
who restores, whatever the archive or the umask say; a restore drill into a second
database cannot replace the live uploads folder; root cannot leave root-owned files in the
service user's data."""
import json
import os
import stat
from pathlib import Path

import pytest

from app.services import backups
from tests.backups.conftest import _change_everything, _files, _snapshot


@pytest.fixture
def loose_world(app, db, world):
    """The uploads of ``world`` made world-readable and world-writable, as a careless copy would."""
    for path in [world, *world.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    return world


@pytest.fixture
def loose_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def _modes(root: Path) -> dict:
    return {p.relative_to(root).as_posix() or ".": stat.S_IMODE(p.stat().st_mode)
            for p in [root, *root.rglob("*")]}


def test_restored_uploads_are_0640_in_0750_folders_whatever_archive_and_umask_say(
        app, db, runner, loose_world, tmp_path, loose_umask):
    archive = tmp_path / "b.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    _change_everything(db, loose_world)
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    modes = _modes(loose_world)
    folders = {name: mode for name, mode in modes.items() if (loose_world / name).is_dir()}
    files = {name: mode for name, mode in modes.items() if (loose_world / name).is_file()}
    assert set(folders) == {".", "photos", "documents", "documents/2026"}
    assert set(folders.values()) == {0o750}, folders
    assert "documents/2026/身份证扫描.png" in files and set(files.values()) == {0o640}, files
    owners = {p.stat().st_uid for p in [loose_world, *loose_world.rglob("*")]}
    assert owners == {os.geteuid()}


def test_a_drill_into_an_empty_folder_gets_the_same_modes_and_names_its_database(
        app, db, runner, world, tmp_path, loose_umask):
    archive = tmp_path / "b.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    drill = tmp_path / "drill-uploads"
    app.config["UPLOAD_DIR"] = str(drill)
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert _files(drill) == _files(world)
    assert set(_modes(drill).values()) <= {0o640, 0o750} and stat.S_IMODE(drill.stat().st_mode) == 0o750
    marker = json.loads((drill / backups.MARKER).read_text(encoding="utf-8"))
    assert marker["database"] == backups.database_identity()


def test_backup_marks_the_live_folder_and_keeps_the_marker_out_of_the_archive(app, db, world, tmp_path):
    info = backups.create_backup(tmp_path / "b.tar.gz")
    assert backups.uploads_owner(world) == backups.database_identity()
    assert not any(name.endswith(backups.MARKER) for name in info.files)


def _other_database_url(app) -> str:
    """A second database of the same kind, as a restore drill would name in DATABASE_URL."""
    if backups.database_kind() == "sqlite":
        return "sqlite:////var/lib/expertpool/drill.sqlite3"
    return "postgresql+psycopg://expertpool@127.0.0.1:5432/expertpool_drill"


def test_a_restore_into_the_live_uploads_of_another_database_is_refused(app, db, runner, world, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0  # marks the live folder
    _change_everything(db, world)
    rows, files = _snapshot(db), _files(world)
    live_marker = (world / backups.MARKER).read_bytes()
    # The drill names a second database but forgets UPLOAD_DIR: it still points at the live folder.
    app.config["SQLALCHEMY_DATABASE_URI_SAVED"] = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_DATABASE_URI"] = _other_database_url(app)
    try:
        result = runner.invoke(args=["restore", str(archive), "--yes"])
    finally:
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config.pop("SQLALCHEMY_DATABASE_URI_SAVED")
    assert result.exit_code == 1
    assert "属于另一个数据库" in result.output and "UPLOAD_DIR" in result.output, result.output
    assert _snapshot(db) == rows and _files(world) == files
    assert (world / backups.MARKER).read_bytes() == live_marker


def test_database_identity_ignores_user_password_and_spelling_of_localhost():
    same = {
        backups.database_identity("postgresql://expertpool:secret@127.0.0.1:5432/expertpool"),
        backups.database_identity("postgresql+psycopg://other@localhost/expertpool"),
    }
    assert same == {"postgresql://127.0.0.1:5432/expertpool"}
    assert backups.database_identity("postgresql://u@127.0.0.1:5432/expertpool_drill") != same.pop()
    assert "secret" not in backups.database_identity("postgresql://u:secret@db.example/x")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the folder to another user")
def test_root_is_refused_on_the_service_users_data(app, db, runner, world, tmp_path):
    archive = backups.create_backup(tmp_path / "b.tar.gz").path
    os.chown(world, 65534, 65534)  # nobody: the service user of this test
    for args in (["backup", str(tmp_path)], ["restore", str(archive), "--yes"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "请以该用户运行" in result.output and "expertpool-flask" in result.output, result.output
    assert len(list(tmp_path.glob("专家库备份-*.tar.gz"))) == 0
