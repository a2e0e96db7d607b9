"""Where one scoring submission's time goes (issue 14 target 3, for whoever rebuilds scoring).

Builds the database of bench/load_evaluations.py (50 towns with an inspector each, 300
appointed experts), logs one inspector in through the login form of the test client, and
posts ``--requests`` 附件5 evaluations to ``/m/score/new`` (``Accept: application/json``, a
fresh ``client_uuid`` each, 15 scores), straight through the WSGI app, under ``cProfile``.
Prints per submission: CPU time without the profiler, SQL statements (SQLite's trace
callback, BEGIN and COMMIT included), function calls, and the functions with the most
cumulative and own time. Not a test. Run::

    .venv/bin/python bench/scoring_profile.py [--requests 300] [--top 30]
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--callers", default="", help="also print who calls functions matching this pattern")
    parser.add_argument("--callees", default="", help="also print what functions matching this pattern call")
    parser.add_argument("--only", default="", help="restrict the two lists to functions matching this pattern")
    parser.add_argument("--sql", action="store_true", help="also print the SQL statements of one submission")
    args = parser.parse_args()
    import load_evaluations as le

    tmp = Path(tempfile.mkdtemp(prefix="scoring-profile-"))
    url, uploads = f"sqlite:///{tmp / 'score.sqlite3'}", str(tmp / "uploads")
    le.populate(url, uploads)
    form_id, items = le.form_items(url, uploads)
    os.environ.update(BENCH_DB_URL=url, BENCH_UPLOAD_DIR=uploads)
    app = le.make_app()

    from sqlalchemy import event

    from app.extensions import db

    me = threading.get_ident()
    counted = {"n": 0}
    seen: list[str] = []

    def trace(sql):
        if threading.get_ident() == me:
            counted["n"] += 1
            seen.append(sql)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "connect", lambda dbapi_conn, _record: dbapi_conn.set_trace_callback(trace))
    engine.dispose()

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    login = client.post("/login", data={"username": "town00", "password": le.PASSWORD, "csrf_token": token})
    assert login.status_code == 302
    page = client.get("/m/score/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    rng = random.Random(1)
    today = dt.date.today()

    def submit():
        # The names the phone page posts (app/services/forms/posted.py), as load_evaluations.py.
        fields = {"csrf_token": token, "client_uuid": str(uuid.uuid4()), "version_id": form_id, "g_1": "A",
                  "expert_id": rng.randint(1, le.EXPERTS),
                  "f_enterprise_name": f"常州测试化工有限公司{rng.randint(1, 500)}",
                  "f_matter": "执法检查：危险化学品储存专项检查", "f_evaluator_name": "检查员00",
                  "f_evaluated_on": (today - dt.timedelta(days=rng.randint(0, 20))).isoformat(),
                  "f_suggestions": "无"}
        for key, maximum in items:
            fields[f"f_{key}"] = rng.randint(max(0, maximum - 3), maximum)
        response = client.post("/m/score/new", data=fields, headers={"Accept": "application/json"})
        assert response.status_code == 201, (response.status_code, response.get_data(as_text=True)[:300])

    for _ in range(20):
        submit()
    seen.clear()
    submit()
    one_submission = list(seen)
    counted["n"] = 0
    started = time.process_time()
    for _ in range(args.requests):
        submit()
    cpu_ms = (time.process_time() - started) / args.requests * 1000
    statements = counted["n"] / args.requests
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        submit()
    profile.disable()
    stats = pstats.Stats(profile)
    with app.app_context():
        db.session.remove()
        engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.requests} submissions of "
          f"{len(items)} scores")
    print(f"CPU {cpu_ms:.2f} ms per submission without the profiler; {statements:.1f} SQL statements and "
          f"{stats.total_calls / args.requests:.0f} function calls per submission")
    if args.sql:
        print(f"The {len(one_submission)} statements of one submission:")
        for sql in one_submission:
            print("  " + " ".join(sql.split())[:160])
    if args.callees:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_callees(args.callees)
        print(out.getvalue())
    if args.callers:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_callers(args.callers)
        print(out.getvalue())
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        restrictions = [args.only, args.top] if args.only else [args.top]
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(*restrictions)
        print(out.getvalue().split("\n", 6)[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
