"""Benchmark: what the hash-chained audit trail costs (SPEC §3.20).

1. A write: one record edit committed with its audit entry appended to the chain (lock the
   head, number, SM3, INSERT, move the head) against the same edit committed with the audit
   hook suspended (no entry) — per commit, median of many, and their ratio.
2. Verification: ``verify_chain()`` over 1,000, 10,000 and 100,000 entries — seconds,
   entries per second, and the ratio 100k / 10k (linear is 10).

Run::

    .venv/bin/python bench/audit_bench.py                  # SQLite file in a temp dir
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/audit_bench.py
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

EDITS = 300
SIZES = (1_000, 10_000, 100_000)
BATCH = 2_000


def _edits(unit, suspended: bool) -> list[float]:
    from app.services import audit

    times = []
    for i in range(EDITS):
        assert unit.name  # loaded, as a request loads the record it edits (not timed)
        started = time.perf_counter()
        if suspended:
            with audit.suspended(db.session()):
                unit.contact_person = f"联系人{i}"
                db.session.commit()
        else:
            unit.contact_person = f"联系人{i}"
            db.session.commit()
        times.append(time.perf_counter() - started)
    return times


def write_cost() -> None:
    from models import OrgUnit

    unit = OrgUnit(kind="town", name="湖塘镇")
    db.session.add(unit)
    db.session.commit()
    _edits(unit, True)  # warm-up
    plain = statistics.median(_edits(unit, True))
    chained = statistics.median(_edits(unit, False))
    print(f"一次编辑并提交（{EDITS} 次的中位数）：不记日志 {plain * 1000:.2f} ms，"
          f"记日志并追加到哈希链 {chained * 1000:.2f} ms，比值 {chained / plain:.2f}")


def _grow_to(n: int) -> None:
    from sqlalchemy import func, select

    from app.services.audit.chain import append
    from models import AuditLog

    have = db.session.scalar(select(func.count()).select_from(AuditLog)) or 0
    while have < n:
        step = min(BATCH, n - have)
        append(db.session.connection(), [
            {"user_id": 7, "username": "office", "action": "update", "table_name": "expert", "row_id": have + i,
             "summary": "张三", "changes": {"employer": ["旧单位", "新单位"], "mobile": ["139****0001", None]},
             "client_addr": "10.0.0.8"} for i in range(step)])
        db.session.commit()
        have += step


def verify_cost() -> None:
    from app.services.audit.verify import verify_chain

    seconds = {}
    for n in SIZES:
        _grow_to(n)
        verify_chain()  # warm-up (and the file cache)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = verify_chain()
            runs.append(time.perf_counter() - started)
            assert result.ok and result.table_count >= n, result.finding
        seconds[n] = statistics.median(runs)
        print(f"核验 {n:>7,} 条：{seconds[n]:.2f} 秒（{n / seconds[n]:,.0f} 条/秒）")
    print(f"比值 100k / 10k：{seconds[100_000] / seconds[10_000]:.1f}（线性为 10）")


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmp}/bench.sqlite3",
                          "AUDIT_ARCHIVE_DIR": f"{tmp}/archive"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            print(f"数据库：{db.engine.dialect.name}；负载 {os.getloadavg()[0]:.2f}")
            write_cost()
            db.session.execute(text("SELECT 1"))
            verify_cost()
            db.session.remove()
            db.drop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
