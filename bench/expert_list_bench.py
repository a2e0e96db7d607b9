"""Benchmark: the admin expert list (/admin/expert/) at 100 vs 100,000 experts (SPEC §6; issues 8, 14).

For each size it builds a database with that many experts (1–3 groups each, a town, a
term), logs in as 基础科 through the login form, and requests the first list page (20 rows,
the default sort by name) ``--requests`` times after a warm-up, counting the SQL statements
each request sends (a ``before_cursor_execute`` listener on the engine; SQLite's ``BEGIN``
counts). Then it does the same for a search (``?search=专家0``) and the second page.

Prints, per size, the median and p90 time and the statements per request, and the ratio of
the medians. Targets: ratio ≤ 1.3, the same number of statements at both sizes, ≤ 5.
Exit status 1 when a target is missed. Run from the repository root::

    .venv/bin/python bench/expert_list_bench.py [--requests 40] [--sizes 100,100000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/expert_list_bench.py

(on PostgreSQL the database is emptied and refilled for each size). Building 100,000
experts takes a minute or two.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (100, 100_000)
MAX_RATIO = 1.3
MAX_STATEMENTS = 5
PASSWORD = "Bench#2026pass"


def build(url: str, upload_dir: str, size: int):
    """A fresh app whose database holds ``size`` experts and one office login."""
    from sqlalchemy import insert, select

    from app import create_app
    from app.auth.passwords import hash_password
    from app.extensions import db
    from app.services.reference import ensure_reference_data
    from models import Expert, ExpertGroup, OrgUnit, Term, User, expert_group_link

    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "bench-secret",
                      "DATA_ENCRYPTION_KEY": "0" * 32, "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_DIR": upload_dir, "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False,
                      "TOTP_REQUIRED": False, "WTF_CSRF_ENABLED": True})
    rng = random.Random(size)
    today = dt.date.today()
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_reference_data()
        towns = [OrgUnit(kind="town", name=f"测试镇{i}") for i in range(20)]
        db.session.add_all(towns)
        db.session.flush()
        db.session.add(User(username="office", full_name="基础科", role="office", active=True,
                            password_hash=hash_password(PASSWORD)))
        groups = list(db.session.scalars(select(ExpertGroup.id)))
        experts, links, terms = [], [], []
        for n in range(1, size + 1):
            experts.append(dict(
                id=n, name=f"专家{n:05d}", gender="male" if n % 3 else "female",
                birth_date=dt.date(1960 + n % 30, 1 + n % 12, 1 + n % 28), employer=f"常州测试企业{n % 500}有限公司",
                education="bachelor", title="高级工程师", title_level="associate_senior",
                id_number=f"320412{n:012d}", mobile=f"139{n:08d}", source="district", stage="in_pool",
                town_id=towns[n % len(towns)].id,
            ))
            for gid in rng.sample(groups, k=rng.choice([1, 1, 2, 3])):
                links.append({"expert_id": n, "group_id": gid})
            start = today - dt.timedelta(days=rng.randint(10, 900))
            terms.append(dict(expert_id=n, cohort=1, doc_no="武应急〔2024〕36号", start_date=start,
                              end_date=start.replace(year=start.year + 3) - dt.timedelta(days=1)))
        # Core inserts (one executemany each): the ORM's bulk path takes minutes at 100,000.
        connection = db.session.connection()
        connection.execute(insert(Expert.__table__), experts)
        connection.execute(insert(expert_group_link), links)
        connection.execute(insert(Term.__table__), terms)
        db.session.commit()
        if db.engine.url.get_backend_name() == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
    return app


def measure(app, requests: int) -> dict:
    """Median/p90 milliseconds and statements per request for three list URLs."""
    import re

    from sqlalchemy import event

    from app.extensions import db

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "office", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def count(*_args, **_kw):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    results = {}
    try:
        for label, url in (("第1页", "/admin/expert/"), ("搜索", "/admin/expert/?search=专家0"),
                           ("第2页", "/admin/expert/?page=1")):
            for _ in range(5):  # warm-up: templates compiled, caches filled
                assert client.get(url).status_code == 200
            times, statements = [], set()
            for _ in range(requests):
                counter["n"] = 0
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                statements.add(counter["n"])
                assert response.status_code == 200
            body = response.get_data(as_text=True)
            rows = body.count('name="rowid"')
            total = re.search(r'class="nav-link active">[^<(]*\((\d+)\)', body)
            times.sort()
            results[label] = {"median": statistics.median(times), "p90": times[int(len(times) * 0.9) - 1],
                              "statements": sorted(statements), "rows": rows,
                              "total": total.group(1) if total else "未计数"}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="two sizes, small,large")
    args = parser.parse_args()
    sizes = tuple(int(n) for n in args.sizes.split(","))
    url = os.environ.get("BENCH_DATABASE_URL")
    figures = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="expertlist-") as tmp:
        for size in sizes:
            started = time.time()
            db_url = url or f"sqlite:///{tmp}/bench-{size}.sqlite3"
            app = build(db_url, f"{tmp}/uploads", size)
            print(f"{size} experts built in {time.time() - started:.0f} s", flush=True)
            figures[size] = measure(app, args.requests)
            with app.app_context():
                from app.extensions import db

                db.session.remove()
                db.engine.dispose()
    backend = "PostgreSQL" if url else "SQLite"
    print(f"专家列表 /admin/expert/（{backend}，每项 {args.requests} 次请求取中位数）")
    loads = [" ".join(f"{x:.2f}" for x in figures) for figures in (load_before, os.getloadavg())]
    print(f"机器负载 {loads[0]}（开始），{loads[1]}（结束）")
    print(f"{'页面':<6}{'专家数':>8}{'中位数 ms':>12}{'p90 ms':>10}{'SQL 语句数':>12}{'行数':>6}{'总数':>8}")
    ok = True
    small, large = sizes
    for label in figures[small]:
        for size in sizes:
            f = figures[size][label]
            print(f"{label:<6}{size:>8}{f['median']:>12.1f}{f['p90']:>10.1f}{'/'.join(map(str, f['statements'])):>12}"
                  f"{f['rows']:>6}{f['total']:>8}")
        ratio = figures[large][label]["median"] / figures[small][label]["median"]
        same = figures[large][label]["statements"] == figures[small][label]["statements"]
        few = max(figures[large][label]["statements"]) <= MAX_STATEMENTS
        verdict = "达标" if ratio <= MAX_RATIO and same and few else "未达标"
        ok = ok and verdict == "达标"
        print(f"{label:<6}  ratio {large}/{small} = {ratio:.2f}（目标 ≤ {MAX_RATIO}）；"
              f"语句数{'相同' if same else '不同'}，{'≤' if few else '>'} {MAX_STATEMENTS} —— {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
