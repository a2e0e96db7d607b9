"""Is the last good backup recent enough? The one rule behind every backup warning.

A backup older than 26 hours (nightly backups plus two hours of slack), or none at all,
is overdue; a failed run after the last good one is reported with its message. The
sysadmin's dashboard shows it, and any other screen that warns about backups (the
office's 待我处理) calls :func:`last_backup_status` rather than re-deriving the rule.
Runs are recorded by ``app.services.backups`` (:class:`models.BackupRun`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from models import BackupRun

#: A backup older than this is overdue: nightly backups plus two hours of slack.
MAX_BACKUP_AGE = dt.timedelta(hours=26)


@dataclass(frozen=True)
class BackupStatus:
    """How old the last good backup is, and whether anyone must act (:func:`last_backup_status`)."""

    last_at: dt.datetime | None  # the bureau's time
    path: str
    size_bytes: int | None
    seconds: float | None
    age: dt.timedelta | None
    overdue: bool
    failed_at: dt.datetime | None  # a failure after the last good backup, the bureau's time
    failure: str

    @property
    def summary(self) -> str:
        """One Chinese line: when, how long ago, how big."""
        if self.last_at is None:
            return "尚无成功的备份记录。"
        size = f"，{_size_text(self.size_bytes)}" if self.size_bytes is not None else ""
        return f"最近一次成功备份：{self.last_at:%Y-%m-%d %H:%M}（{_age_text(self.age)}{size}）"

    @property
    def warning(self) -> str | None:
        """What the sysadmin must hear, or None when backups are current."""
        if not self.overdue and self.failed_at is None:
            return None
        hours = int(MAX_BACKUP_AGE.total_seconds() // 3600)
        parts = []
        if self.last_at is None:
            parts.append("系统还没有任何成功的备份。")
        elif self.overdue:
            parts.append(f"已超过{hours}小时没有成功的备份（最近一次成功备份是{_age_text(self.age)}）。")
        if self.failed_at is not None:
            reason = self.failure.rstrip("。") or "原因未记录"
            parts.append(f"{self.failed_at:%Y-%m-%d %H:%M}的备份失败：{reason}。")
        parts.append("请检查每晚的备份任务及其日志。")
        return "".join(parts)


def _age_text(age: dt.timedelta | None) -> str:
    minutes = max(0, int(age.total_seconds() // 60)) if age is not None else 0
    if minutes < 1:
        return "刚刚"
    if minutes < 60:
        return f"{minutes}分钟前"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}小时前"
    return f"{hours // 24}天{hours % 24}小时前"


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def latest_runs() -> dict[str, Any]:
    """The time of the latest good and of the latest failed run, as two one-value selects
    (keys ``good``, ``failed``): what :func:`needs_attention` decides from, for a caller that
    asks them together with other questions in one statement (the office's menu badge)."""
    return {"good": select(func.max(BackupRun.at)).where(BackupRun.ok.is_(True)),
            "failed": select(func.max(BackupRun.at)).where(BackupRun.ok.is_(False))}


def _overdue(good_at: dt.datetime | None, now: dt.datetime) -> bool:
    return good_at is None or now - clock.local(good_at) > MAX_BACKUP_AGE


def _failed_since(good_at: dt.datetime | None, failed_at: dt.datetime | None) -> bool:
    return failed_at is not None and (good_at is None or failed_at > good_at)


def needs_attention(good_at: dt.datetime | None, failed_at: dt.datetime | None,
                    now: dt.datetime | None = None) -> bool:
    """True when :attr:`BackupStatus.warning` would speak: the last good run (``good_at``) is
    overdue or missing, or a run failed (``failed_at``) after it. Times as stored."""
    now = now or clock.now()
    return _overdue(good_at, now) or _failed_since(good_at, failed_at)


def last_backup_status() -> BackupStatus:
    """The age of the last good backup and whether it is overdue (older than 26 hours, or none).

    The one rule for every screen that warns about backups (the sysadmin's dashboard, the
    office's 待我处理). A failure after the last good backup is reported with its message.
    """
    now = clock.now()
    # The latest good run and the latest failed one, in one statement; the failure counts only
    # if it came after the good run.
    def latest(ok: bool):
        return (select(BackupRun.id).where(BackupRun.ok.is_(ok))
                .order_by(BackupRun.at.desc(), BackupRun.id.desc()).limit(1).scalar_subquery())

    runs = db.session.scalars(select(BackupRun).where(BackupRun.id.in_([latest(True), latest(False)]))).all()
    good = next((r for r in runs if r.ok), None)
    failed = next((r for r in runs if not r.ok and _failed_since(good.at if good else None, r.at)), None)
    last_at = clock.local(good.at) if good is not None else None
    age = now - last_at if last_at is not None else None
    return BackupStatus(
        last_at=last_at,
        path=good.path if good else "",
        size_bytes=good.size_bytes if good else None,
        seconds=good.seconds if good else None,
        age=age,
        overdue=_overdue(good.at if good else None, now),
        failed_at=clock.local(failed.at) if failed is not None else None,
        failure=failed.message if failed is not None else "",
    )
