"""Verifying the audit chain (SPEC §3.20): the one check behind ``flask audit-verify`` and the
auditor's page. It names the FIRST entry that was changed, inserted or removed.

The walk reads the archive files (oldest first), then the table in id order, and for each
entry checks that its ``prev_hash`` is the hash of the entry before it and that its ``hash``
is the SM3 of its content. A broken link tells what happened by what it finds:

- the entry's ``prev_hash`` is the hash of an earlier entry: the entries between were
  inserted (the first of them is named);
- ids are missing between the two: entries were removed (the first missing id is named);
- otherwise the entry before was replaced by one whose hash was recomputed.

At the end the chain head must name the last entry (entries removed from the end, or
appended outside the chain, show here) and its seal must verify under the audit key.
Archived entries are checked by their file's HMAC-SM3 and by the same walk; without the file
the table's first entry must continue exactly where an archive event of the chain says the
archive ended.

The table is read in short chunks, each in its own transaction: on SQLite a transaction holds
the write lock, and a verification of a long log must not stop everybody's work.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.services.audit import archive as archive_files
from app.services.audit import chain
from models import AuditLog

CHUNK = 2000
#: How far back an inserted entry is looked for (hashes of the last entries walked).
LOOKBACK = 5000


@dataclass
class Finding:
    """What is wrong: ``first_bad`` is the id of the first changed, inserted or removed entry
    (a removed one no longer exists); ``shown_at`` an entry that exists, for a link."""

    kind: str  # changed / inserted / removed / head / seal / archive
    message: str
    first_bad: int | None = None
    shown_at: int | None = None


@dataclass
class ArchiveCheck:
    path: str
    first_id: int
    last_id: int
    count: int


@dataclass
class Verification:
    """The outcome: ``ok`` and what was checked, or the first problem found."""

    finding: Finding | None = None
    table_count: int = 0
    table_first: int | None = None
    table_last: int | None = None
    archives: list[ArchiveCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seal_ok: bool | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.finding is None

    @property
    def checked(self) -> int:
        return self.table_count + sum(a.count for a in self.archives)

    def summary(self) -> str:
        """One Chinese line: the outcome."""
        if self.finding is not None:
            return f"操作日志核验未通过：{self.finding.message}"
        parts = [f"操作日志核验通过：共核对{self.checked}条"]
        if self.table_count:
            parts.append(f"表中第{self.table_first}至{self.table_last}条（{self.table_count}条）")
        if self.archives:
            parts.append("归档文件" + "、".join(f"第{a.first_id}至{a.last_id}条" for a in self.archives))
        return "，".join(parts) + "；哈希链完整，链头封印有效。"


class _Broken(Exception):
    def __init__(self, finding: Finding):
        self.finding = finding


def _label(entry: dict) -> str:
    return f"第{entry['id']}条"


class _Walk:
    """The chain walked entry by entry."""

    def __init__(self, boundaries: dict[str, dict]):
        self.boundaries = boundaries  # last_hash -> archive event details, from the table
        self.prev: dict | None = None
        self.recent: deque = deque(maxlen=LOOKBACK)  # (id, hash) of the entries walked
        self.notes: list[str] = []

    def start(self, entry: dict) -> None:
        if entry["prev_hash"] == chain.GENESIS:
            return
        boundary = self.boundaries.get(entry["prev_hash"])
        if boundary is not None and boundary["last_id"] < entry["id"]:
            self.notes.append(f"第{boundary['first_id']}至{boundary['last_id']}条已归档到文件"
                              f"“{boundary['file']}”；本次未核对该文件（可用 --archive 指定）。")
            return
        raise _Broken(Finding(
            "removed", f"{_label(entry)}之前的记录被删除：它的前序哈希既不是日志链的起点，也不是任何一次归档的末条。",
            first_bad=entry["id"] - 1 if entry["id"] > 1 else None, shown_at=entry["id"]))

    def feed(self, entry: dict, where: str = "") -> None:
        prev = self.prev
        if prev is None:
            self.start(entry)
        elif entry["prev_hash"] != prev["hash"]:
            raise _Broken(self._broken_link(prev, entry, where))
        if chain.entry_hash(entry) != entry["hash"]:
            raise _Broken(Finding("changed", f"{where}{_label(entry)}被改动：内容与其哈希不符。",
                                  first_bad=entry["id"], shown_at=entry["id"]))
        self.recent.append((entry["id"], entry["hash"]))
        self.prev = {"id": entry["id"], "hash": entry["hash"]}

    def _broken_link(self, prev: dict, entry: dict, where: str) -> Finding:
        walked = list(self.recent)
        for i, (earlier_id, earlier_hash) in enumerate(walked[:-1]):
            if earlier_hash == entry["prev_hash"]:
                inserted = walked[i + 1][0]
                count = len(walked) - i - 1
                message = (f"{where}第{inserted}条是插入的记录（共{count}条）：第{entry['id']}条原本紧接在"
                           f"第{earlier_id}条之后。")
                return Finding("inserted", message, first_bad=inserted, shown_at=inserted)
        if entry["id"] > prev["id"] + 1:
            gone = prev["id"] + 1
            span = f"第{gone}条" if gone == entry["id"] - 1 else f"第{gone}至{entry['id'] - 1}条"
            return Finding("removed", f"{where}{span}被删除：第{entry['id']}条的前序哈希与第{prev['id']}条不符。",
                           first_bad=gone, shown_at=entry["id"])
        if chain.entry_hash(entry) == entry["hash"]:
            message = (f"{where}第{prev['id']}条被改动或替换（其哈希被重新计算过，"
                       f"与第{entry['id']}条记下的前序哈希不符）。")
            return Finding("changed", message, first_bad=prev["id"], shown_at=prev["id"])
        return Finding("changed", f"{where}{_label(entry)}被改动：前序哈希与第{prev['id']}条不符。",
                       first_bad=entry["id"], shown_at=entry["id"])


def _row(mapping) -> dict:
    return {key: mapping[key] for key in (*chain.HASHED, "prev_hash", "hash")}


def _table_chunks(after: int | None):
    """The table's entries in id order, one short transaction per chunk (see module doc)."""
    log = AuditLog.__table__
    last = after
    while True:
        query = select(log).order_by(log.c.id).limit(CHUNK)
        if last is not None:
            query = query.where(log.c.id > last)
        rows = [_row(r) for r in db.session.execute(query).mappings()]
        db.session.commit()
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def archive_boundaries() -> dict[str, dict]:
    """The archive events of the table, by the hash of the last entry each archived."""
    out = {}
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "archive").order_by(AuditLog.id))
    for entry in rows:
        details = archive_files.event_details(entry)
        if details is not None:
            out[details["last_hash"]] = details
    return out


def default_archive_dir() -> Path:
    return Path(current_app.config.get("AUDIT_ARCHIVE_DIR") or Path(current_app.instance_path) / "audit-archive")


def find_archives(extra: list[str] | None = None) -> list[Path]:
    """Archive files of the archive folder and those named; each once."""
    found = {}
    folder = default_archive_dir()
    if folder.is_dir():
        for path in sorted(folder.glob(f"*{archive_files.SUFFIX}")):
            found[path.resolve()] = path
    for name in extra or ():
        path = Path(name)
        found.setdefault(path.resolve(), path)
    return list(found.values())


def verify_chain(archives: list[str] | None = None, *, include_archive_dir: bool = True) -> Verification:
    """Check the whole trail: archive files (those of ``AUDIT_ARCHIVE_DIR`` and ``archives``),
    then the table, then the head. Reads only; ends the session's transaction between chunks."""
    started = time.monotonic()
    result = Verification()
    db.session.commit()
    boundaries = archive_boundaries()
    walk = _Walk(boundaries)
    paths = find_archives(archives) if include_archive_dir else [Path(p) for p in archives or ()]
    try:
        loaded = _check_archives(paths, boundaries, result)
        last_archived = None
        for arc in loaded:
            for entry in arc.entries:
                walk.feed(entry, where=f"归档文件“{arc.path.name}”中")
            last_archived = arc.last_id
        _walk_table(walk, result, last_archived)
        _check_head(walk, result)
    except _Broken as broken:
        result.finding = broken.finding
    result.notes = walk.notes + result.notes
    result.seconds = time.monotonic() - started
    return result


def _check_archives(paths: list[Path], boundaries: dict, result: Verification) -> list:
    loaded = []
    for path in paths:
        try:
            arc = archive_files.read_archive(path)
        except archive_files.ArchiveError as err:
            raise _Broken(Finding("archive", str(err))) from None
        loaded.append(arc)
        # An archive may hold the archive events of earlier archives: their boundaries count too.
        for entry in arc.entries:
            if entry["action"] == "archive":
                details = archive_files.event_details(entry)
                if details is not None:
                    boundaries.setdefault(details["last_hash"], details)
    loaded.sort(key=lambda a: a.first_id)
    kept = []
    for arc in loaded:
        if kept and arc.first_id <= kept[-1].last_id:
            if (arc.first_id, arc.last_id, arc.last_hash) == (kept[-1].first_id, kept[-1].last_id, kept[-1].last_hash):
                continue  # the same archive twice (a copy)
            raise _Broken(Finding("archive", f"归档文件“{arc.path.name}”与“{kept[-1].path.name}”的记录范围重叠。"))
        recorded = boundaries.get(arc.last_hash)
        if recorded is not None and recorded.get("signature") and recorded["signature"] != arc.signature:
            raise _Broken(Finding("archive", f"归档文件“{arc.path.name}”的签名与日志中归档事件记下的签名不符。"))
        kept.append(arc)
        result.archives.append(ArchiveCheck(str(arc.path), arc.first_id, arc.last_id, len(arc.entries)))
    return kept


def _walk_table(walk: _Walk, result: Verification, last_archived: int | None) -> None:
    for rows in _table_chunks(None):
        for entry in rows:
            if last_archived is not None and entry["id"] <= last_archived:
                continue  # archived and still in the table (an archive whose commit failed)
            walk.feed(entry)
            result.table_count += 1
            if result.table_first is None:
                result.table_first = entry["id"]
            result.table_last = entry["id"]


def _check_head(walk: _Walk, result: Verification) -> None:
    """The head names the last entry; entries appended while walking are walked too."""
    while True:
        head = chain.read_head(db.session.connection())
        db.session.commit()
        last = walk.prev
        if head is None:
            if last is None:
                result.seal_ok = True
                return
            raise _Broken(Finding("head", "链头记录缺失（在本系统之外被删除），无法确认日志末尾是否完整。"))
        if last is not None and head.last_id > last["id"]:
            more = False
            for rows in _table_chunks(last["id"]):
                for entry in rows:
                    walk.feed(entry)
                    result.table_count += 1
                    result.table_last = entry["id"]
                    more = True
            if more:
                continue
        break
    last_id = last["id"] if last else 0
    last_hash = last["hash"] if last else chain.GENESIS
    if head.last_id > last_id:
        span = f"第{last_id + 1}条" if head.last_id == last_id + 1 else f"第{last_id + 1}至{head.last_id}条"
        raise _Broken(Finding("removed", f"日志末尾的{span}被删除（链头记录的最后一条是第{head.last_id}条）。",
                              first_bad=last_id + 1, shown_at=last["id"] if last else None))
    if head.last_id < last_id:
        first = next(i for i, _ in walk.recent if i > head.last_id) if walk.recent else last_id
        message = f"第{first}条起的记录不是本系统写入的（链头记录的最后一条是第{head.last_id}条）。"
        raise _Broken(Finding("inserted", message, first_bad=first, shown_at=first))
    if head.last_hash != last_hash:
        raise _Broken(Finding("changed", f"第{last_id}条被改动或替换（与链头记下的哈希不符）。", first_bad=last_id,
                              shown_at=last_id))
    result.seal_ok = chain.seal_ok(head.last_id, head.last_hash, head.seal)
    if not result.seal_ok:
        raise _Broken(Finding("seal", "链头封印不符：日志链在本系统之外被改动或重新计算过，或签名密钥（SECRET_KEY/"
                                      "AUDIT_HMAC_KEY）已更换。"))
