"""Benchmark: readers beside writers on SQLite (issue 14 target 2: reads take no write lock).

Builds a SQLite database (WAL) with 2,000 experts and a 基础科 login (bench/expert_list_bench.py),
serves the product with gunicorn (one sync worker per client, so that no client waits for a
worker) on 127.0.0.1 and runs two phases of ``--seconds`` each:

1. **readers alone**: 8 clients read the expert list (``GET /admin/expert/?page=N``, a random
   page of 100) as fast as they are answered;
2. **readers and writers**: the same 8 readers, and 2 writers that each file a complaint
   through the public form (``POST /complaints/new``: a complaint row and its audit row,
   one transaction) ``--write-rate`` times a second.

Prints the readers' requests/s in both phases and their ratio (target ≥ 0.8: within 20 %),
the writes stored, every status other than 200/302 and every ``database is locked`` in the
server's log (target: none). ``--immediate-reads`` serves the product as it was before
(every transaction ``BEGIN IMMEDIATE``, GETs included), for comparison. The writers are
paced so that the comparison is about the database lock and not about two more processes
sharing the machine's two cores. Exit status 1 when a target is missed. Run::

    .venv/bin/python bench/read_write_bench.py [--seconds 20] [--write-rate 10] [--immediate-reads]
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

READERS = 8
WRITERS = 2
EXPERTS = 2_000
TARGET = 0.8


class Client:
    """A cookie-keeping HTTP client for one thread (gunicorn's sync workers close each connection)."""

    def __init__(self, port: int, cookies: dict | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, data, headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            conn.close()

    def csrf(self, path: str) -> str:
        status, page = self.request("GET", path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def login(port: int, password: str) -> dict:
    client = Client(port)
    token = client.csrf("/login")
    status, _ = client.request("POST", "/login", {"username": "office", "password": password, "csrf_token": token})
    assert status == 302, status
    return client.cookies


def run_phase(port: int, cookies: dict, seconds: float, writers: int, write_rate: float) -> dict:
    stop = time.time() + seconds
    reads, writes, odd = [0] * READERS, [0] * writers, []

    def reader(i):
        client = Client(port, cookies)
        rng = random.Random(i)
        while time.time() < stop:
            status, _ = client.request("GET", f"/admin/expert/?page={rng.randrange(100)}")
            if status == 200:
                reads[i] += 1
            else:
                odd.append(("GET /admin/expert/", status))

    def writer(i):
        client = Client(port)
        token = client.csrf("/complaints/new")
        n = 0
        while time.time() < stop:
            started = time.time()
            n += 1
            status, _ = client.request("POST", "/complaints/new", {
                "enterprise_name": f"基准测试企业{i}", "contact_name": "张经理", "contact_phone": "13912345678",
                "subject": "", "body": f"基准测试第{n}条：专家在检查中推销产品，要求企业委托辅导。",
                "csrf_token": token})
            if status == 302:
                writes[i] += 1
            else:
                odd.append(("POST /complaints/new", status))
            time.sleep(max(0.0, 1 / write_rate - (time.time() - started)))

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    threads += [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    return {"reads": sum(reads) / elapsed, "writes": sum(writes), "odd": odd}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--write-rate", type=float, default=10, help="writes a second per writer")
    parser.add_argument("--immediate-reads", action="store_true", help="every transaction BEGIN IMMEDIATE (before)")
    args = parser.parse_args()
    import expert_list_bench

    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="read-write-"))
    url = f"sqlite:///{tmp / 'rw.sqlite3'}"
    app = expert_list_bench.build(url, str(tmp / "uploads"), EXPERTS)
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_UPLOAD_DIR": str(tmp / "uploads"),
           "BENCH_IMMEDIATE_READS": "1" if args.immediate_reads else ""}
    port_socket = __import__("socket").socket()
    port_socket.bind(("127.0.0.1", 0))
    port = port_socket.getsockname()[1]
    port_socket.close()
    log_path = tmp / "gunicorn.log"
    command = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(READERS + WRITERS), "-b", f"127.0.0.1:{port}",
               "--pythonpath", str(ROOT), "--log-level", "warning", "--error-logfile", str(log_path),
               "--timeout", "120", "--graceful-timeout", "10", "bench.read_write_wsgi:app"]
    server = subprocess.Popen(command, env=env, cwd=str(ROOT), start_new_session=True)
    try:
        deadline = time.time() + 300  # ten workers each build the app: slow on a busy machine
        while True:
            try:
                Client(port).request("GET", "/login")
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        cookies = login(port, expert_list_bench.PASSWORD)
        run_phase(port, cookies, 3, 0, args.write_rate)  # warm-up: every worker's templates and pool
        alone = run_phase(port, cookies, args.seconds, 0, args.write_rate)
        mixed = run_phase(port, cookies, args.seconds, WRITERS, args.write_rate)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    shutil.rmtree(tmp, ignore_errors=True)
    locked = log.count("database is locked")
    ratio = mixed["reads"] / alone["reads"]
    odd = alone["odd"] + mixed["odd"]
    print(f"SQLite (WAL), {EXPERTS} experts; gunicorn {READERS + WRITERS} sync workers; "
          f"{'every transaction BEGIN IMMEDIATE (as before)' if args.immediate_reads else 'deferred reads'}")
    print(f"machine load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} after; command: {' '.join(command[1:])}")
    print(f"readers alone:        {alone['reads']:7.1f} expert-list pages/s ({READERS} readers, {args.seconds:.0f} s)")
    print(f"readers with writers: {mixed['reads']:7.1f} expert-list pages/s; {mixed['writes']} complaints stored by "
          f"{WRITERS} writers at ≤ {args.write_rate:g}/s each")
    print(f"ratio {ratio:.2f} (target ≥ {TARGET}); unexpected answers: {len(odd)} {odd[:5]}; "
          f"'database is locked' in the server log: {locked}")
    return 0 if ratio >= TARGET and not odd and not locked else 1


if __name__ == "__main__":
    sys.exit(main())
