"""Where a request's time goes: the product's hooks, request by request, against pure Flask.

Runs a few thousand requests of each kind straight through the WSGI app in this process
(no server, no socket: only what Flask and the product do) under ``cProfile``, and prints
per request: CPU time without the profiler, function calls, SQL statements (SQLite's trace
callback, BEGIN and COMMIT included), and the cumulative time of each global hook and of
the session, the URL matching, the view and the response — the breakdown in bench/README.md.

Kinds: ``pure`` (bench/pure_wsgi.py, the yardstick), ``bare`` (the product's 200-byte page of
bench/verify_wsgi.py), ``verify`` (``/verify/<token>``), ``static`` (``/static/light.css``),
``index`` (the public home page). Run from the repository root::

    .venv/bin/python bench/request_profile.py [--requests 3000] [--kinds pure,bare,verify,static,index] [--top 0]

``--top N`` also prints the N functions with the most own time for each kind. Not a test.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADERS = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) bench", "Accept": "text/html,*/*;q=0.8",
           "Accept-Encoding": "gzip, deflate, br", "Accept-Language": "zh-CN,zh;q=0.9"}


def environ_for(path: str) -> dict:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=path, headers=HEADERS, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return builder.get_environ()
    finally:
        builder.close()


def caller(app, path: str):
    """A function that sends one GET ``path`` through ``app`` and checks the status."""
    base = environ_for(path)
    statuses = []

    def start_response(status, _headers, _exc=None):
        statuses.append(status)

    def call():
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO()
        body = app(environ, start_response)
        try:
            for _chunk in body:
                pass
        finally:
            getattr(body, "close", lambda: None)()
        status = statuses.pop()
        if not status.startswith("200"):
            raise SystemExit(f"{path}: {status}")

    return call


def code_of(func):
    """The code object behind a hook (plain function, bound method, partial), or None."""
    while hasattr(func, "func"):
        func = func.func
    func = getattr(func, "__func__", func)
    func = getattr(func, "__wrapped__", func)
    return getattr(func, "__code__", None)


def parts_of(app) -> list[tuple[str, object]]:
    """(label, code) of everything the breakdown reports for ``app``."""
    import flask.app
    import flask.ctx

    parts = [("request context push (session open + URL match)", flask.ctx.RequestContext.push),
             ("  session open", type(app.session_interface).open_session),
             ("  URL match", flask.ctx.RequestContext.match_request)]
    for name, funcs in app.before_request_funcs.items():
        for func in funcs:
            parts.append((f"before_request {name or 'app'}: {getattr(func, '__qualname__', func)}", func))
    parts.append(("view function (dispatch_request)", flask.app.Flask.dispatch_request))
    for name, funcs in app.after_request_funcs.items():
        for func in funcs:
            label = getattr(func, "__qualname__", None) or getattr(getattr(func, "func", None), "__qualname__", func)
            parts.append((f"after_request {name or 'app'}: {label}", func))
    parts.append(("session save", type(app.session_interface).save_session))
    for name, funcs in app.teardown_request_funcs.items():
        for func in funcs:
            parts.append((f"teardown_request {name or 'app'}: {getattr(func, '__qualname__', func)}", func))
    for func in app.teardown_appcontext_funcs:
        parts.append((f"teardown_appcontext: {getattr(func, '__qualname__', func)}", func))
    parts.append(("response to WSGI (headers, body)", flask.app.Flask.__call__))
    return parts


def cumulative(stats: pstats.Stats, code) -> float:
    """Cumulative seconds of the function whose code object is ``code`` (0 if never called)."""
    if code is None:
        return 0.0
    key = (code.co_filename, code.co_firstlineno, code.co_name)
    entry = stats.stats.get(key)
    return entry[3] if entry else 0.0


def measure(name: str, app, path: str, requests: int, top: int, counter: dict) -> dict:
    call = caller(app, path)
    for _ in range(200):  # warm-up: templates compiled, caches filled, pool connected
        call()
    counter["n"] = 0
    start = time.process_time()
    for _ in range(requests):
        call()
    cpu_ms = (time.process_time() - start) / requests * 1000
    statements = counter["n"] / requests
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        call()
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt
    print(f"\n== {name}: GET {path}")
    print(f"CPU {cpu_ms:.3f} ms/request without the profiler; {stats.total_calls / requests:.0f} function calls "
          f"and {statements:.2f} SQL statements per request")
    rows = [(label, cumulative(stats, code_of(func))) for label, func in parts_of(app)]
    profiled_ms = total / requests * 1000
    print(f"{'part (cumulative, profiled)':<78}{'ms/request':>11}{'share':>8}")
    for label, seconds in rows:
        if seconds:
            print(f"{label[:78]:<78}{seconds / requests * 1000:>11.3f}{seconds / total:>8.0%}")
    print(f"{'whole request (profiled)':<78}{profiled_ms:>11.3f}{1:>8.0%}")
    if top:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
        stats.print_stats(top)
        if os.environ.get("PROFILE_CALLEES"):
            stats.print_callees(os.environ["PROFILE_CALLEES"])
        print(out.getvalue().split("\n", 6)[-1])
    return {"cpu_ms": cpu_ms, "calls": stats.total_calls / requests, "statements": statements}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--kinds", default="pure,bare,verify,static,index")
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args()
    kinds = args.kinds.split(",")

    workdir = Path(tempfile.mkdtemp(prefix="request-profile-"))
    url = f"sqlite:///{workdir / 'profile.sqlite3'}"
    os.environ.update(BENCH_DATABASE_URL=url, BENCH_UPLOAD_DIR=str(workdir / "uploads"))
    from bench.verify_bench import populate

    _tokens, token = populate(url, str(workdir / "uploads"), size=200)

    from sqlalchemy import event

    from app.extensions import db
    from app.services.permits.scan_log import buffer
    from bench.pure_wsgi import app as pure
    from bench.verify_wsgi import app as product

    me = threading.get_ident()
    counter = {"n": 0}

    def trace(_sql):
        if threading.get_ident() == me:
            counter["n"] += 1

    with product.app_context():
        engine = db.engine
    event.listen(engine, "connect", lambda dbapi_conn, _record: dbapi_conn.set_trace_callback(trace))
    engine.dispose()

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.requests} requests per kind; "
          f"python {sys.version.split()[0]}")
    paths = {"pure": (pure, "/bench/bare"), "bare": (product, "/bench/bare"), "verify": (product, f"/verify/{token}"),
             "static": (product, "/static/light.css"), "index": (product, "/")}
    results = {kind: measure(kind, *paths[kind], args.requests, args.top, counter) for kind in kinds}
    buffer.flush()
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    if "pure" in results:
        print("\nCPU per request against pure Flask (in process, no server):")
        for kind, figures in results.items():
            print(f"  {kind:<8}{figures['cpu_ms']:.3f} ms  ×{figures['cpu_ms'] / results['pure']['cpu_ms']:.2f}  "
                  f"{figures['calls']:.0f} calls  {figures['statements']:.2f} statements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
