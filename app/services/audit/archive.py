"""Archiving old audit entries (等保 level 3: entries are kept at least 6 months).

``archive_entries(before)`` moves the entries made before a day — refused for a day less than
:data:`RETENTION_MONTHS` months ago — to one signed file, and deletes them from the table in
the same transaction that appends an ``archive`` event naming the range, the hash of the last
archived entry and the file's signature. The chain continues across the boundary: the first
entry left in the table has the last archived entry's hash as its ``prev_hash``.

The file (``audit-<first>-<last>.archive.json.gz``, mode 0600) holds every archived entry as
stored — with its ``prev_hash`` and ``hash`` — and an HMAC-SM3 over all of it under the audit
key (:func:`app.services.audit.chain.audit_key`, not in the database). ``flask audit-verify``
checks the file's signature, walks its entries and continues into the table.

The chain is verified before anything is archived: a tampered log is not signed into a file.
"""
from __future__ import annotations

import calendar
import datetime as dt
import gzip
import hmac as std_hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select

from app import clock
from app.extensions import db
from app.services.audit import chain
from app.services.errors import DomainError
from models import AuditLog

FORMAT = "expertpool-audit-archive"
VERSION = 1
SUFFIX = ".archive.json.gz"
RETENTION_MONTHS = 6
FILE_MODE = 0o600
#: Labels of an archive event's details (they are also read back: the boundary of the chain).
DETAIL_LABELS = {"first_id": "首条编号", "last_id": "末条编号", "count": "条数", "last_hash": "末条哈希",
                 "before": "截止日期", "file": "文件", "signature": "文件签名"}


class ArchiveError(DomainError):
    """An archive file that cannot be trusted or read."""


@dataclass
class Archive:
    """A verified archive file."""

    path: Path
    first_id: int
    last_id: int
    last_hash: str
    signature: str
    before: str
    entries: list[dict] = field(default_factory=list)


# --- the retention rule ---------------------------------------------------------------------------

def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back by whole calendar months (31 August − 6 months = 28/29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_cutoff(today: dt.date | None = None) -> dt.date:
    """The latest day before which entries may be archived: entries stay 6 months at least."""
    return months_before(today or clock.today(), RETENTION_MONTHS)


def check_cutoff(before: dt.date, today: dt.date | None = None) -> None:
    """Refuse to archive anything younger than 6 months (``DomainError``)."""
    latest = latest_cutoff(today)
    if before > latest:
        raise DomainError(f"操作日志至少保存{RETENTION_MONTHS}个月：截止日期不能晚于{latest.isoformat()}"
                          f"（今天是{(today or clock.today()).isoformat()}）。")


# --- the file -------------------------------------------------------------------------------------

def _entry_json(row: dict) -> dict:
    out = {key: row[key] for key in (*chain.HASHED, "prev_hash", "hash")}
    out["at"] = chain.utc_text(row["at"])
    return out


def _entry_from_json(item: dict) -> dict:
    out = dict(item)
    out["at"] = dt.datetime.strptime(item["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    return out


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def write_archive(folder: Path, rows: list[dict], before: dt.date) -> Archive:
    """Write ``rows`` (stored entries, id order) to a signed file in ``folder``; read it back."""
    folder.mkdir(parents=True, exist_ok=True)
    first, last = rows[0], rows[-1]
    body = {
        "format": FORMAT, "version": VERSION, "created_at": clock.now().isoformat(timespec="seconds"),
        "before": before.isoformat(), "first_id": first["id"], "last_id": last["id"], "count": len(rows),
        "first_prev_hash": first["prev_hash"], "last_hash": last["hash"], "key_id": chain.key_fingerprint(),
        "entries": [_entry_json(r) for r in rows],
    }
    signature = chain.mac(chain.audit_key(), _canonical(body))
    path = folder / f"audit-{first['id']:08d}-{last['id']:08d}{SUFFIX}"
    if path.exists():
        raise DomainError(f"归档文件已存在：{path}（请先核对该文件，或换一个目录）。")
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(json.dumps({**body, "signature": signature}, ensure_ascii=False, indent=0).encode())
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, path)
    written = read_archive(path)
    if [e["hash"] for e in written.entries] != [r["hash"] for r in rows]:
        raise DomainError(f"归档文件写入后核对不符：{path}")
    return written


def read_archive(path: Path) -> Archive:
    """Read and check an archive file: format, signature (the audit key), ids and count."""
    name = path.name
    try:
        with gzip.open(path, "rb") as fh:
            doc = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise ArchiveError(f"归档文件不存在：{path}") from None
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"归档文件“{name}”无法读取（已损坏或不是操作日志归档）：{exc.__class__.__name__}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ArchiveError(f"“{name}”不是本系统的操作日志归档文件。")
    if doc.get("version") != VERSION:
        raise ArchiveError(f"归档文件“{name}”的格式版本 {doc.get('version')} 与本系统（{VERSION}）不符。")
    body = {k: v for k, v in doc.items() if k != "signature"}
    ours = chain.key_fingerprint()
    if body.get("key_id") != ours:
        raise ArchiveError(f"归档文件“{name}”由另一密钥签名（文件的密钥指纹 {body.get('key_id')}，本系统 {ours}）："
                           "请在使用当时 SECRET_KEY/AUDIT_HMAC_KEY 的系统上核验。")
    expected = chain.mac(chain.audit_key(), _canonical(body))
    if not std_hmac.compare_digest(expected, str(doc.get("signature", ""))):
        raise ArchiveError(f"归档文件“{name}”的签名不符：文件在归档后被改动。")
    try:
        entries = [_entry_from_json(item) for item in body["entries"]]
        ids = [e["id"] for e in entries]
        if not entries or ids != sorted(set(ids)) or ids[0] != body["first_id"] or ids[-1] != body["last_id"] \
                or len(ids) != body["count"]:
            raise ValueError("range")
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"归档文件“{name}”的内容与其清单不符：{exc.__class__.__name__}") from None
    return Archive(path=path, first_id=body["first_id"], last_id=body["last_id"], last_hash=body["last_hash"],
                   signature=doc["signature"], before=body.get("before", ""), entries=entries)


def event_details(entry) -> dict | None:
    """An archive event's range and boundary, read back from its stored details."""
    changes = entry.changes if hasattr(entry, "changes") else entry.get("changes")
    try:
        values = {key: (changes or {})[label][1] for key, label in DETAIL_LABELS.items()}
        values["first_id"], values["last_id"] = int(values["first_id"]), int(values["last_id"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return values


# --- archiving --------------------------------------------------------------------------------------

@dataclass
class ArchiveResult:
    archive: Archive
    count: int
    remaining_first: int | None


def archive_entries(before: dt.date, folder: Path) -> ArchiveResult:
    """Move the entries made before ``before`` (the bureau's day) to a signed file in ``folder``
    and append the ``archive`` event. Flushes; the caller commits (the file is written first:
    if the commit fails, the entries stay in the table and the file is a harmless copy)."""
    from app.services.audit import events
    from app.services.audit.verify import verify_chain

    check_cutoff(before)
    checked = verify_chain(include_archive_dir=False)
    if not checked.ok:
        raise DomainError(f"操作日志核验未通过，不能归档：{checked.finding.message}")
    cutoff = clock.at_local(before, dt.time(0, 0))
    log = AuditLog.__table__
    boundary = db.session.scalar(select(func.min(log.c.id)).where(log.c.at >= cutoff))
    query = select(log).order_by(log.c.id)
    if boundary is not None:
        query = query.where(log.c.id < boundary)
    rows = [dict(r) for r in db.session.execute(query).mappings()]
    if not rows:
        raise DomainError(f"没有{before.isoformat()}以前的操作日志可归档。")
    archive = write_archive(folder, rows, before)
    if db.engine.dialect.name == "postgresql":
        # The trigger of migration 0018 lets this transaction delete entries older than 6 months.
        db.session.execute(chain.pg_archive_permit())
    db.session.execute(delete(AuditLog).where(AuditLog.id <= archive.last_id)
                       .execution_options(**{chain.MAINTENANCE_OPTION: True, "synchronize_session": False}))
    details = {"first_id": archive.first_id, "last_id": archive.last_id, "count": len(rows),
               "last_hash": archive.last_hash, "before": before.isoformat(), "file": archive.path.name,
               "signature": archive.signature}
    events.record_event(
        "archive", f"归档第{archive.first_id}至{archive.last_id}条操作日志（{before.isoformat()}以前，共{len(rows)}条）"
                   f"到文件 {archive.path.name}",
        table="audit_log", details={DETAIL_LABELS[k]: v for k, v in details.items()})
    db.session.flush()
    return ArchiveResult(archive=archive, count=len(rows), remaining_first=boundary)
