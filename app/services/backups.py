"""Backups and restores of the whole system: the database plus the uploads folder (SPEC §6).

One archive (``.tar.gz``) holds:

- ``database.sqlite3`` — an online copy made with SQLite's backup API
  (``sqlite3.Connection.backup``; never a ``cp`` of a live file: STACK-NOTES), checked
  with ``PRAGMA integrity_check``; or ``database.pgdump`` — ``pg_dump --format=custom``
  of a PostgreSQL database;
- ``uploads/…`` — every photo and scan;
- ``manifest.json`` — what the archive holds, each file's size and SHA-256, the id and
  fingerprint of each data-encryption key its personal data is encrypted with (the key
  itself is never in a backup), and an HMAC-SHA256 of the manifest keyed with the
  system's ``SECRET_KEY``.

A restore checks everything before it touches anything: the manifest signature, every
checksum, no file missing or extra, no path leaving the archive, and (SQLite)
``PRAGMA integrity_check`` of the copy. A tampered or damaged archive is refused with a
Chinese message and changes nothing. The database is then replaced in one step — SQLite's
backup API copies the whole file inside one transaction into the live database, and
``pg_restore --single-transaction`` does the same on PostgreSQL — and the uploads folder
is swapped by renaming.

Restored uploads are ID-card and certificate scans: every file is written 0640 and every
folder 0750, owned by the user running the restore (the service user), whatever modes
the archive or the umask carry. The uploads folder holds a marker file naming the
database it belongs to (written by every backup and restore); a restore whose database
is not the one named there is refused, so that a restore drill into a second database
cannot replace the live uploads.

Every backup is recorded (:class:`models.BackupRun`, good or failed);
``app.services.backup_status`` says how old the last good one is and whether that is too old.
Backups (good or failed) and restores are also on the audit trail; a restore names the last
audit entry the database held before it was replaced.

Services raise :class:`DomainError`; the CLI (``app/commands/backup.py``) prints.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy.engine import make_url

from app import clock
from app.extensions import db
from app.services import audit
from app.services.errors import DomainError
from models import BackupRun

FORMAT = "expertpool-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
UPLOADS = "uploads"
_CHUNK = 1024 * 1024
#: Modes of restored uploads: the service user reads and writes, its group reads, nobody else.
FILE_MODE = 0o640
DIR_MODE = 0o750
#: The file in the uploads folder that names the database the folder belongs to.
MARKER = ".expertpool-database"


@dataclass
class BackupInfo:
    """What an archive holds (from its verified manifest)."""

    path: Path
    kind: str  # "sqlite" or "postgresql"
    created_at: str
    files: dict = field(default_factory=dict)
    alembic_revision: str | None = None
    archive_bytes: int | None = None
    seconds: float | None = None
    warnings: list = field(default_factory=list)

    @property
    def upload_count(self) -> int:
        return sum(1 for name in self.files if name.startswith(UPLOADS + "/"))

    @property
    def total_bytes(self) -> int:
        return sum(f["size"] for f in self.files.values())


# --- helpers -------------------------------------------------------------------------------------

def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _signing_key() -> bytes:
    secret = current_app.config.get("SECRET_KEY") or ""
    return hashlib.sha256(b"expertpool-backup-manifest:" + str(secret).encode()).digest()


def _sign(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(_signing_key(), canonical, hashlib.sha256).hexdigest()


def database_kind(url: str | None = None) -> str:
    """``sqlite`` or ``postgresql`` for the configured database URL."""
    backend = make_url(url or current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DomainError(f"不支持备份该类型的数据库：{backend}。")
    return backend


def database_identity(url: str | None = None) -> str:
    """The database an URL points at, without user or password: what the uploads marker names.

    ``localhost``, ``127.0.0.1`` and ``::1`` are one machine; SQLite files by absolute path.
    """
    u = make_url(url or current_app.config["SQLALCHEMY_DATABASE_URI"])
    backend = u.get_backend_name()
    if backend == "sqlite":
        name = u.database or ""
        return "sqlite:///" + (str(Path(name).resolve()) if name and name != ":memory:" else ":memory:")
    host = (u.host or "localhost").lower()
    if host in ("localhost", "::1", "[::1]"):
        host = "127.0.0.1"
    return f"{backend}://{host}:{u.port or 5432}/{u.database or ''}"


def uploads_owner(upload_root: Path) -> str | None:
    """The database named by the marker in ``upload_root`` (None: no marker yet)."""
    try:
        data = json.loads((upload_root / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "（标记文件无法读取）"
    return str(data.get("database", "")) if isinstance(data, dict) else "（标记文件无法读取）"


def _write_marker(upload_root: Path, identity: str, why: str) -> None:
    """Name the database ``upload_root`` belongs to (atomically, mode 0640)."""
    body = json.dumps({"database": identity, "written_by": why,
                       "at": clock.now().isoformat(timespec="seconds")}, ensure_ascii=False)
    tmp = upload_root / (MARKER + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), FILE_MODE)
        fh.write(body + "\n")
    os.replace(tmp, upload_root / MARKER)


def check_restore_target() -> tuple[str, Path]:
    """(database, uploads folder) a restore would replace; refuses uploads of another database.

    A restore drill sets ``DATABASE_URL`` to a second database; if ``UPLOAD_DIR`` still
    points at the live folder, the marker there names the live database and the restore is
    refused before anything changes.
    """
    here = database_identity()
    upload_root = Path(current_app.config["UPLOAD_DIR"])
    owner = uploads_owner(upload_root)
    if owner is not None and owner != here:
        raise DomainError(
            f"上传目录 {upload_root} 属于另一个数据库（{owner}），而本次恢复的数据库是 {here}："
            "已拒绝恢复，以免覆盖正在使用的上传文件。恢复演练请同时把 UPLOAD_DIR 设为另一个目录；"
            f"如确属同一系统、只是数据库地址已变更，请删除标记文件 {upload_root / MARKER} 后重试。"
        )
    return here, upload_root


def _alembic_revision() -> str | None:
    try:
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except Exception:  # noqa: BLE001 - no migrations table (tests build the schema directly)
        return None


def _integrity_check(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise DomainError(f"备份中的数据库文件已损坏，无法使用：{exc}") from exc
    finally:
        conn.close()
    if rows != ["ok"]:
        raise DomainError("备份中的数据库未通过完整性检查（PRAGMA integrity_check）：" + "；".join(rows[:3]))


def _pg_tool(name: str) -> str:
    """The newest ``pg_dump``/``pg_restore`` on this machine (Debian keeps them per version)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()])
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found:
        return found
    raise DomainError(
        f"未找到 {name}：PostgreSQL 数据库的备份和恢复需要 PostgreSQL 客户端工具"
        "（Debian：apt-get install postgresql-client，版本不低于数据库服务器）。"
    )


def _pg_args(url: str) -> tuple[list[str], dict]:
    """libpq connection arguments and environment (the password never goes on a command line)."""
    u = make_url(url)
    args = ["--dbname", u.database or "postgres"]
    if u.host:
        args += ["--host", u.host]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return args, env


def _run(cmd: list[str], env: dict, what: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise DomainError(f"{what}失败：" + " ".join(detail))


# --- backup --------------------------------------------------------------------------------------

def _dump_database(kind: str, dest: Path) -> None:
    if kind == "sqlite":
        target = sqlite3.connect(dest)
        try:
            with db.engine.connect() as conn:
                source = conn.connection.driver_connection
                source.backup(target)
        finally:
            target.close()
        _integrity_check(dest)
    else:
        args, env = _pg_args(current_app.config["SQLALCHEMY_DATABASE_URI"])
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(dest), *args],
             env, "pg_dump 导出数据库")


def create_backup(path: str | os.PathLike) -> BackupInfo:
    """Write a backup archive of the database and the uploads folder to ``path``.

    ``path`` may be a folder (a file ``专家库备份-YYYYmmdd-HHMMSS.tar.gz`` is made in it).
    The archive is written under a temporary name and renamed when complete, so a crash
    never leaves a half-written file under the final name.
    """
    started = time.monotonic()
    kind = database_kind()
    target = Path(path)
    now = clock.now()
    if target.is_dir():
        target = target / f"专家库备份-{now:%Y%m%d-%H%M%S}.tar.gz"
    if not target.parent.is_dir():
        raise DomainError(f"备份目录不存在：{target.parent}")
    upload_root = Path(current_app.config["UPLOAD_DIR"])

    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as tmp:
        work = Path(tmp)
        db_name = SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER
        _dump_database(kind, work / db_name)
        files = {db_name: {"size": (work / db_name).stat().st_size, "sha256": _sha256_file(work / db_name)}}
        uploads = []
        if upload_root.is_dir():
            for file in sorted(p for p in upload_root.rglob("*") if p.is_file() and not p.is_symlink()):
                if file.parent == upload_root and file.name.startswith(MARKER):
                    continue  # names this installation's database, not part of the data
                rel = file.relative_to(upload_root).as_posix()
                name = f"{UPLOADS}/{rel}"
                files[name] = {"size": file.stat().st_size, "sha256": _sha256_file(file)}
                uploads.append((name, file))
        body = {
            "format": FORMAT, "version": FORMAT_VERSION, "database": kind,
            "created_at": now.isoformat(timespec="seconds"), "alembic_revision": _alembic_revision(), "files": files,
            "data_keys": data_keys_in_use(),
        }
        manifest = {**body, "signature": _sign(body)}
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(work / db_name, arcname=db_name)
            for name, file in uploads:
                tar.add(file, arcname=name)
        # Verify what was written before calling it a backup.
        _read_verified(partial, extract_to=None)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    warnings = []
    if upload_root.is_dir():
        here, owner = database_identity(), uploads_owner(upload_root)
        if owner is None:
            _write_marker(upload_root, here, "backup")
        elif owner != here:
            warnings.append(f"上传目录 {upload_root} 的标记文件写的是另一个数据库（{owner}），"
                            f"而本次备份的数据库是 {here}：请确认 DATABASE_URL 和 UPLOAD_DIR 属于同一系统。")
    info = BackupInfo(path=target, kind=kind, created_at=body["created_at"], files=files,
                      alembic_revision=body["alembic_revision"], archive_bytes=target.stat().st_size,
                      seconds=time.monotonic() - started, warnings=warnings)
    db.session.add(BackupRun(ok=True, path=str(target)[:500], size_bytes=info.archive_bytes,
                             seconds=round(info.seconds, 2), host=socket.gethostname()[:100]))
    audit.record_event("backup", f"备份完成：{target.name}", table="backup_run",
                       details={"备份文件": str(target), "大小（字节）": info.archive_bytes,
                                "上传文件数": info.upload_count, "数据库": kind})
    db.session.flush()
    return info


def data_keys_in_use() -> dict[str, str]:
    """{key id: fingerprint} of the data-encryption keys the database's values are written
    with (the personal data is ciphertext in the archive: SPEC §3.20). A restore names the
    keys it needs from this."""
    from app import crypto
    from app.services.personal_data import key_ids_in_use

    ring = crypto.keyring()
    return {key_id: ring.fingerprint(key_id) for key_id in sorted(key_ids_in_use()) if key_id in ring.keys}


def check_data_keys(manifest: dict) -> None:
    """Refuse, before anything changes, to restore an archive whose encrypted values need a
    data key this installation is not configured with (e.g. a backup made before a key
    rotation): the message names the key. Archives without the record pass."""
    from app import crypto

    ring = crypto.keyring()
    for key_id, fingerprint in sorted((manifest.get("data_keys") or {}).items()):
        if key_id not in ring.keys:
            raise DomainError(f"该备份中的个人信息是用数据加密密钥 {key_id} 加密的，当前配置中没有这把密钥："
                              f"请在 DATA_ENCRYPTION_OLD_KEYS 中写明“{key_id}:该密钥的32位十六进制数”后重新恢复"
                              f"（恢复后运行 flask rotate-data-key 改用当前密钥）。未做任何改动。")
        if ring.fingerprint(key_id) != fingerprint:
            raise DomainError(f"当前配置的数据加密密钥 {key_id} 与备份时的不同（指纹 {ring.fingerprint(key_id)}，"
                              f"备份记录为 {fingerprint}）：请找到备份时使用的密钥 {key_id}。未做任何改动。")


def record_failed_backup(message: str, path: str | os.PathLike | None = None) -> None:
    """Note a failed backup run, so the dashboard can say why the last good one is old."""
    db.session.add(BackupRun(ok=False, path=str(path or "")[:500], message=message[:500],
                             host=socket.gethostname()[:100]))
    audit.record_event("backup", f"备份失败：{message}"[:200], table="backup_run",
                       details={"备份位置": str(path or ""), "原因": message[:300]})
    db.session.flush()


# --- verify ----------------------------------------------------------------------------------------

def _safe_member_name(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts and name == p.as_posix() and name not in ("", ".")


def _read_verified(archive: Path, extract_to: Path | None, *, check_signature: bool = True) -> dict:
    """Check the archive completely; with ``extract_to``, also extract it there. Returns the manifest."""
    tampered = "备份文件校验失败，可能已被篡改或损坏，已拒绝恢复："
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise DomainError(f"无法读取备份文件（不是有效的 .tar.gz 归档）：{exc}") from exc
    with tar:
        try:
            members = tar.getmembers()
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise DomainError(tampered + f"归档不完整（{exc}）。") from exc
        names = [m.name for m in members]
        if len(set(names)) != len(names):
            raise DomainError(tampered + "归档中有重复的文件。")
        for m in members:
            if not _safe_member_name(m.name) or not (m.isfile() or m.isdir()):
                raise DomainError(tampered + f"归档中有不安全的条目“{m.name}”。")
        if MANIFEST not in names:
            raise DomainError("这不是本系统的备份文件（缺少 manifest.json）。")
        try:
            manifest = json.loads(tar.extractfile(MANIFEST).read().decode("utf-8"))
            body = {k: v for k, v in manifest.items() if k != "signature"}
            if manifest.get("format") != FORMAT:
                raise ValueError("format")
        except (ValueError, AttributeError, UnicodeDecodeError) as exc:
            raise DomainError("这不是本系统的备份文件（manifest.json 无法识别）。") from exc
        if manifest.get("version") != FORMAT_VERSION:
            raise DomainError(f"备份格式版本 {manifest.get('version')} 与本系统（{FORMAT_VERSION}）不符。")
        if check_signature and not hmac.compare_digest(str(manifest.get("signature", "")), _sign(body)):
            raise DomainError(tampered + "清单签名不符（清单被改动，或备份来自 SECRET_KEY 不同的系统）。")
        files = manifest.get("files") or {}
        present = {m.name for m in members if m.isfile() and m.name != MANIFEST}
        missing, extra = sorted(set(files) - present), sorted(present - set(files))
        if missing:
            raise DomainError(tampered + f"缺少文件 {missing[0]} 等 {len(missing)} 个。")
        if extra:
            raise DomainError(tampered + f"多出未登记的文件 {extra[0]} 等 {len(extra)} 个。")
        db_member = SQLITE_MEMBER if manifest.get("database") == "sqlite" else PG_MEMBER
        if db_member not in files:
            raise DomainError(tampered + "缺少数据库文件。")
        for m in members:
            if not m.isfile() or m.name == MANIFEST:
                continue
            expected = files[m.name]
            digest, size = hashlib.sha256(), 0
            fh = tar.extractfile(m)
            out = None
            if extract_to is not None:
                dest = extract_to / m.name
                _make_private_dirs(dest.parent, extract_to)
                out = _open_private(dest)
            try:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    if out is not None:
                        out.write(chunk)
            except (OSError, tarfile.TarError, EOFError) as exc:
                raise DomainError(tampered + f"文件 {m.name} 读取出错（{exc}）。") from exc
            finally:
                if out is not None:
                    out.close()
            if size != expected.get("size") or not hmac.compare_digest(digest.hexdigest(), str(expected.get("sha256"))):
                raise DomainError(tampered + f"文件 {m.name} 的 SHA-256 校验值不符。")
    return manifest


def _make_private_dirs(folder: Path, top: Path) -> None:
    """Create ``folder`` and its missing parents below ``top``, each exactly 0750."""
    missing = []
    while folder != top and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir()
        os.chmod(each, DIR_MODE)  # mkdir's mode is cut by the umask; the result must not depend on it


def _open_private(dest: Path):
    """A new file opened for writing, exactly 0640 whatever the umask (not following links)."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


def verify_backup(path: str | os.PathLike, *, check_signature: bool = True) -> BackupInfo:
    """Check an archive without restoring it (signature, checksums, SQLite integrity)."""
    archive = Path(path)
    if not archive.is_file():
        raise DomainError(f"备份文件不存在：{archive}")
    with tempfile.TemporaryDirectory(prefix=".verify-") as tmp:
        manifest = _read_verified(archive, Path(tmp), check_signature=check_signature)
        if manifest["database"] == "sqlite":
            _integrity_check(Path(tmp) / SQLITE_MEMBER)
    return BackupInfo(path=archive, kind=manifest["database"], created_at=manifest.get("created_at", ""),
                      files=manifest["files"], alembic_revision=manifest.get("alembic_revision"))


# --- restore -------------------------------------------------------------------------------------

def _restore_sqlite(copy: Path) -> None:
    """Copy the verified file into the live database in one transaction (backup API)."""
    db.session.remove()
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        with db.engine.connect() as conn:
            dest = conn.connection.driver_connection
            source.backup(dest)
    finally:
        source.close()
    # No engine.dispose(): the other pooled connections see the new file at once (SQLite
    # notices the change), and an in-memory database would not survive it.


def _restore_postgresql(dump: Path) -> None:
    db.session.remove()
    db.engine.dispose()  # pg_restore must not wait for this process's locks
    args, env = _pg_args(current_app.config["SQLALCHEMY_DATABASE_URI"])
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", *args, str(dump)], env, "pg_restore 恢复数据库")


def _swap_uploads(new_root: Path, upload_root: Path) -> None:
    """Put ``new_root`` (on the same file system) in place of ``upload_root`` by renames."""
    if not new_root.exists():
        new_root.mkdir(parents=True)
    os.chmod(new_root, DIR_MODE)
    old = None
    if upload_root.exists():
        old = upload_root.with_name(f".{upload_root.name}-old-{clock.now():%Y%m%d%H%M%S%f}")
        os.replace(upload_root, old)
    os.replace(new_root, upload_root)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def restore_backup(path: str | os.PathLike, *, check_signature: bool = True) -> BackupInfo:
    """Replace the database and the uploads folder with the archive's, after checking it all.

    Refuses (``DomainError``, nothing changed) a damaged or tampered archive, or one made
    from the other kind of database. Stop the web workers first: a restore under running
    workers is safe for the database but their open pages show the old state.

    The restored database gets a ``restore`` audit entry naming the backup and the last audit
    entry of the database it replaced (entries made after the backup are gone with it); the
    caller commits.
    """
    archive = Path(path)
    if not archive.is_file():
        raise DomainError(f"备份文件不存在：{archive}")
    kind = database_kind()
    here, upload_root = check_restore_target()
    replaced = audit.chain_end()
    upload_root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=upload_root.parent, prefix=".restore-") as tmp:
        work = Path(tmp)
        manifest = _read_verified(archive, work, check_signature=check_signature)
        if manifest["database"] != kind:
            labels = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
            raise DomainError(f"该备份来自 {labels.get(manifest['database'], manifest['database'])} 数据库，"
                              f"当前系统使用 {labels[kind]}，不能直接恢复。")
        check_data_keys(manifest)
        if kind == "sqlite":
            _integrity_check(work / SQLITE_MEMBER)
            _restore_sqlite(work / SQLITE_MEMBER)
        else:
            _restore_postgresql(work / PG_MEMBER)
        _make_private_dirs(work / UPLOADS, work)
        _write_marker(work / UPLOADS, here, "restore")
        _swap_uploads(work / UPLOADS, upload_root)
    details = {"备份文件": str(archive), "备份时间": manifest.get("created_at", "")}
    if replaced is not None:
        details.update({"恢复前日志末条": f"第{replaced[0]}条", "恢复前末条哈希": replaced[1]})
    summary = f"从备份恢复数据库和上传文件：{archive.name}（备份时间 {manifest.get('created_at', '')}）"
    audit.record_event("restore", summary[:200], details=details)
    return BackupInfo(path=archive, kind=kind, created_at=manifest.get("created_at", ""), files=manifest["files"],
                      alembic_revision=manifest.get("alembic_revision"))

