"""A backup holds the personal data as ciphertext only, and names the data key it needs
(SPEC §3.20): a backup made before a key rotation restores once that key is named."""
import gzip
import secrets
import subprocess
import tarfile

from app import crypto
from app.services import backups
from tests import factories

ID = "11010519491231002X"
MOBILE = "13812345678"


def test_a_backup_archive_contains_no_clear_id_number_or_phone(app, db, tmp_path):
    factories.expert(name="王建国", id_number=ID, mobile=MOBILE, address="常州市武进区湖塘镇花园新村12幢",
                     birth=__import__("datetime").date(1949, 12, 31), male=False)
    db.session.commit()
    info = backups.create_backup(tmp_path / "b.tar.gz")
    raw = gzip.decompress(info.path.read_bytes())  # every member, uncompressed
    with tarfile.open(info.path) as tar:
        if info.kind == "sqlite":
            database = tar.extractfile("database.sqlite3").read()
        else:  # pg_dump's custom format is compressed: read it back as SQL
            tar.extract("database.pgdump", tmp_path, filter="data")
            database = subprocess.run([backups._pg_tool("pg_restore"), "-f", "-", str(tmp_path / "database.pgdump")],
                                      check=True, capture_output=True).stdout
    assert b"sm4gcm:" in database  # the values are there, encrypted
    for plain in (ID, MOBILE, "花园新村"):
        for blob in (raw, database):
            assert plain.encode() not in blob and plain.encode("utf-16-le") not in blob


def test_a_backup_made_before_rotation_restores_with_the_old_key_named(app, db, runner, tmp_path, monkeypatch):
    factories.expert(name="王建国", id_number=ID, mobile=MOBILE, birth=__import__("datetime").date(1949, 12, 31),
                     male=False)
    db.session.commit()
    old = crypto.keyring()
    archive = backups.create_backup(tmp_path / "before.tar.gz").path
    # The rotation: key 2 current, then key 1 dropped from the configuration.
    new_key = bytes.fromhex(secrets.token_hex(16))
    monkeypatch.setitem(app.extensions, crypto.EXTENSION, crypto.Keyring("2", {"2": new_key}))
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 1
    assert "数据加密密钥 1" in result.output and "DATA_ENCRYPTION_OLD_KEYS" in result.output
    # A wrong key under the same id is refused too.
    monkeypatch.setitem(app.extensions, crypto.EXTENSION,
                        crypto.Keyring("2", {"2": new_key, "1": bytes.fromhex(secrets.token_hex(16))}))
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 1 and "与备份时的不同" in result.output
    # With the old key named (DATA_ENCRYPTION_OLD_KEYS=1:…) it restores and reads.
    monkeypatch.setitem(app.extensions, crypto.EXTENSION, crypto.Keyring("2", {"2": new_key, "1": old.keys["1"]}))
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    from sqlalchemy import select

    from models import Expert
    db.session.remove()
    assert db.session.scalar(select(Expert.id_number).where(Expert.name == "王建国")) == ID
