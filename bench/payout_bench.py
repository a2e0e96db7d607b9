"""Benchmark: building a quarter's payout batch vs one plain SQL aggregate (第二十条, SPEC §3.10).

Builds a database with 2,000 experts and 20,000 priced service records paid by
the bureau in one quarter (plus 4,000 records of other quarters and payers that
both queries must skip), then times

* the baseline: ``SELECT expert_id, SUM(amount) FROM service_record WHERE <the
  batch's filter> GROUP BY expert_id``, fetched whole;
* :func:`app.services.fees.payouts.build_batch` for that quarter: aggregate per
  expert, income tax per expert, bulk INSERT of 2,000 lines (rolled back after
  each run so every run starts alike).

Prints the median of each and their ratio; the target is ≤ 3 (no per-row ORM
loop). A draft pays its quarter's open records as they are; they are linked to
their lines when the batch is reviewed, so the review (consistency check, one
bulk UPDATE of the 20,000 records, the lock) is timed and printed as well, outside
the target. Run::

    .venv/bin/python bench/payout_bench.py                  # SQLite file in a temp dir
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/payout_bench.py

Exit status 1 when the ratio is above the target.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

EXPERTS = 2_000
RECORDS = 20_000
NOISE = 4_000
YEAR, QUARTER = 2026, 2
RUNS = 7
TARGET = 3.0


def _id_number(n: int) -> str:
    from stdnum.cn import ric

    birth = dt.date(1960, 1, 1) + dt.timedelta(days=n * 7)
    body = f"320412{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def populate() -> None:
    """2,000 experts, 20,000 bureau records in the quarter, 4,000 others."""
    from models import Expert, OrgUnit, ServiceRecord

    rng = random.Random(2026)
    db.session.execute(
        insert(OrgUnit), [{"kind": "section", "name": "基准测试科室"}, {"kind": "town", "name": "基准测试镇"}]
    )
    section, town = db.session.scalars(select(OrgUnit.id).order_by(OrgUnit.id)).all()
    db.session.execute(insert(Expert), [
        {"name": f"专家{n:04d}", "gender": "male", "birth_date": dt.date(1970, 1, 1),
         "employer": f"基准测试公司{n % 97}", "education": "bachelor", "title_level": "intermediate",
         "id_number": _id_number(n),
         "mobile": f"139{n:08d}", "stage": "in_pool", "source": "district"}
        for n in range(1, EXPERTS + 1)
    ])
    expert_ids = db.session.scalars(select(Expert.id)).all()
    amounts = [Decimal("1000.00"), Decimal("1500.00"), Decimal("2000.00"), Decimal("1234.56"), Decimal("800.10")]
    q_first = dt.date(YEAR, 3 * QUARTER - 2, 1)
    rows = []
    for i in range(RECORDS):
        rows.append({
            # Every expert gets at least one record, the rest at random.
            "expert_id": expert_ids[i] if i < EXPERTS else rng.choice(expert_ids),
            "unit_id": section, "activity": "inspection",
            "service_date": q_first + dt.timedelta(days=rng.randrange(91)),
            "units": Decimal(1), "payer": "bureau", "amount": rng.choice(amounts),
            "basis": "执法检查 1000元/天 × 1天",
        })
    for i in range(NOISE):
        other_quarter = i % 2 == 0
        rows.append({
            "expert_id": rng.choice(expert_ids), "unit_id": section if other_quarter else town,
            "activity": "inspection",
            "service_date": (q_first - dt.timedelta(days=1 + rng.randrange(80))) if other_quarter
            else q_first + dt.timedelta(days=rng.randrange(91)),
            "units": Decimal(1), "payer": "bureau" if other_quarter else "unit", "amount": Decimal("1000.00"),
            "basis": "执法检查 1000元/天 × 1天",
        })
    db.session.execute(insert(ServiceRecord), rows)
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE service_record"))
    db.session.commit()


def time_baseline() -> tuple[float, float]:
    """The plain aggregate over the same rows (what any report would cost)."""
    from app.services.fees.quarters import quarter_bounds
    from app.services.fees.settlement import _unpaid_bureau_filter
    from models import ServiceRecord

    first, last = quarter_bounds(YEAR, QUARTER)
    query = (
        select(ServiceRecord.expert_id, func.sum(ServiceRecord.amount))
        .where(_unpaid_bureau_filter(first, last))
        .group_by(ServiceRecord.expert_id)
    )
    start, cpu = time.perf_counter(), time.process_time()
    rows = db.session.execute(query).all()
    elapsed = (time.perf_counter() - start, time.process_time() - cpu)
    assert len(rows) == EXPERTS, len(rows)
    db.session.rollback()
    return elapsed


STATEMENTS: list[str] = []
LAST_BUILD: list[str] = []


def _count_statements(_conn, _cursor, statement, _params, _context, _executemany):
    STATEMENTS.append(statement)


def time_build() -> tuple[tuple[float, float], tuple[float, float], object]:
    """``build_batch`` for the quarter, then ``review_batch`` (which links the records); rolled back."""
    from app.services.fees.payouts import batch_totals, build_batch, review_batch
    from models import ServiceRecord

    STATEMENTS.clear()
    start, cpu = time.perf_counter(), time.process_time()
    batch = build_batch(YEAR, QUARTER, None, pay_date=dt.date(YEAR, 3 * QUARTER + 1, 10))
    db.session.flush()
    elapsed = (time.perf_counter() - start, time.process_time() - cpu)
    LAST_BUILD[:] = STATEMENTS
    totals = batch_totals([batch.id])[batch.id]
    assert totals.experts == EXPERTS and totals.services == RECORDS, totals
    start, cpu = time.perf_counter(), time.process_time()
    review_batch(batch, None)
    review = (time.perf_counter() - start, time.process_time() - cpu)
    linked = db.session.scalar(select(func.count()).select_from(ServiceRecord)
                               .where(ServiceRecord.payout_line_id.is_not(None)))
    assert linked == RECORDS, linked
    db.session.rollback()
    return elapsed, review, totals


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        config = {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmp}/bench.sqlite3"}
        app = create_app(config)
        with app.app_context():
            db.drop_all()
            db.create_all()
            from app.services.reference import ensure_reference_data

            ensure_reference_data()
            db.session.commit()
            t0 = time.perf_counter()
            populate()
            print(f"数据库：{db.engine.dialect.name}；准备数据 {EXPERTS} 名专家、{RECORDS + NOISE} 条服务记录，"
                  f"用时 {time.perf_counter() - t0:.1f} 秒")
            from sqlalchemy import event

            event.listen(db.engine, "before_cursor_execute", _count_statements)
            time_baseline()
            time_build()  # warm-up: caches, statement compilation
            baseline = [time_baseline() for _ in range(RUNS)]
            builds, reviews = [], []
            totals = None
            for _ in range(RUNS):
                elapsed, review, totals = time_build()
                builds.append(elapsed)
                reviews.append(review)
            db.session.remove()
            db.drop_all()
    print(f"批次合计：{totals.experts} 名专家，{totals.services} 条记录，应发 {totals.gross} 元，"
          f"代扣个税 {totals.tax} 元，实发 {totals.net} 元")
    print(f"build_batch sent {len(LAST_BUILD)} SQL statements for {RECORDS} records "
          f"(a per-row loop would send tens of thousands): "
          + "; ".join(" ".join(x.split()[:3]) for x in LAST_BUILD))
    ratios = {}
    for k, kind in ((0, "wall"), (1, "cpu")):
        b = statistics.median(x[k] for x in baseline)
        s = statistics.median(x[k] for x in builds)
        ratios[kind] = s / b
        print(f"[{kind}] plain SQL aggregate (SELECT expert_id, SUM(amount) ... GROUP BY expert_id): "
              f"median {b * 1000:.1f} ms (runs: {', '.join(f'{x[k] * 1000:.1f}' for x in baseline)})")
        print(f"[{kind}] build_batch (aggregate + tax + bulk INSERT lines): "
              f"median {s * 1000:.1f} ms (runs: {', '.join(f'{x[k] * 1000:.1f}' for x in builds)})")
        print(f"[{kind}] ratio build/aggregate: {s / b:.2f} (target ≤ {TARGET:.0f})")
        r = statistics.median(x[k] for x in reviews)
        print(f"[{kind}] review_batch (check + bulk UPDATE linking {RECORDS} records + lock; not in the target): "
              f"median {r * 1000:.1f} ms, {r / b:.1f}× the aggregate")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (wall times are noisy on a busy machine; "
          "CPU time is this process only)")
    return 0 if ratios["wall"] <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
