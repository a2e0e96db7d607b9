"""Benchmark: the product's request path against pure Flask (SPEC §5; issue 14 target 1).

Builds a SQLite database with 10,000 appointed experts (groups, terms, commitment letters,
permits; a few suspended, blacklisted and dismissed) and serves, side by side under the same
gunicorn settings (``--workers`` sync workers on 127.0.0.1):

* the yardstick, ``bench/pure_wsgi.py``: pure Flask, one route, no extension and no hook,
  answering a fixed 200-byte page at ``/bench/bare``;
* the product, ``bench/verify_wsgi.py``: the real app (every extension and global hook) plus
  the same 200-byte page at ``/bench/bare``, registered the way a public page is;
  and ``GET /verify/<token>`` over 1,000 random permits (each request: rate-limit count,
  the lookup, the live status, the scan logged — written by each worker in batches, see
  app/services/permits/scan_log.py — and the page).

Load from 127.0.0.1 with ``wrk`` (``apt-get install wrk``; without it a Python keep-alive
client is used) in alternating rounds pure → bare → verify, so that the machine's other load
hits all three alike. Prints requests/s, the ratios product bare / pure (target ≥ 0.85) and
verify / pure (target ≥ 0.6), the gunicorn workers' CPU time per request of each (robust to
other load: the same ratios computed from CPU time are printed beside), the SQL statements
per request, and the bytes the verify page transfers. Run::

    .venv/bin/python bench/verify_bench.py [--rounds 4] [--seconds 5] [--workers 2] [--connections 8] [--judge wall|cpu]

Exit status 1 when a ratio is below its target (by default the requests/s ratios; ``--judge
cpu`` uses the CPU-time ratios, for a machine busy with other work), when the database holds
fewer scans than verify responses were counted (each worker writes its last scans when
gunicorn stops it), or when the page is heavier than its limits. Not a test: about two minutes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXPERTS = 10_000
SAMPLE = 1_000
#: Targets against pure Flask (issue 14): the product's bare page, and the verify page.
BARE_TARGET = 0.85
VERIFY_TARGET = 0.6


def populate(url: str, upload_dir: str, size: int = EXPERTS) -> tuple[list[str], str]:
    """Fill the database in bulk with ``size`` experts; return (sample tokens, a token whose expert has a photo)."""
    from PIL import Image
    from sqlalchemy import insert, select

    from app import create_app
    from app.extensions import db
    from app.services.permits.issuing import new_token
    from app.services.reference import ensure_reference_data
    from app.services.uploads import store_photo
    from models import CommitmentLetter, Dismissal, Expert, ExpertGroup, Permit, Term, Violation, expert_group_link

    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "bench-secret",
                      "DATA_ENCRYPTION_KEY": "0" * 32, "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_DIR": upload_dir})
    rng = random.Random(7)
    today = dt.date.today()
    with app.app_context():
        db.create_all()
        ensure_reference_data()
        db.session.commit()
        groups = list(db.session.scalars(select(ExpertGroup.id)))
        buf = io.BytesIO()
        Image.new("RGB", (295, 413), (67, 142, 219)).save(buf, "JPEG", quality=90)
        photo, thumb = store_photo(buf.getvalue())
        experts, links, terms, letters, permits = [], [], [], [], []
        for n in range(1, size + 1):
            experts.append(dict(
                id=n, name=f"专家{n:05d}", gender="male", birth_date=dt.date(1960 + n % 30, 1 + n % 12, 1 + n % 28),
                employer=f"常州测试企业{n % 500}有限公司", education="bachelor", title_level="associate_senior",
                id_number=f"320412{n:012d}", mobile=f"139{n:08d}", source="district", stage="in_pool",
                photo_path=photo, photo_thumb_path=thumb,
            ))
            for gid in rng.sample(groups, k=rng.choice([1, 1, 2, 3])):
                links.append({"expert_id": n, "group_id": gid})
            start = today - dt.timedelta(days=rng.randint(10, 900))
            terms.append(dict(id=n, expert_id=n, cohort=1, doc_no="武应急〔2024〕36号", start_date=start,
                              end_date=start.replace(year=start.year + 3) - dt.timedelta(days=1)))
            letters.append(dict(expert_id=n, term_id=n, signed_on=start))
            permits.append(dict(expert_id=n, term_id=n, permit_no=f"WJAQZJ-2024-{n:05d}", token=new_token()))
        db.session.execute(insert(Expert), experts)
        db.session.execute(insert(expert_group_link), links)
        db.session.execute(insert(Term), terms)
        db.session.execute(insert(CommitmentLetter), letters)
        db.session.execute(insert(Permit), permits)
        sanctioned = rng.sample(range(1, size + 1), min(300, size // 4))
        db.session.execute(insert(Violation), [
            dict(expert_id=n, found_on=today, finding="违规", state="verified", verified_on=today,
                 sanction="suspension" if i % 3 else "blacklist", sanction_start=today - dt.timedelta(days=5),
                 sanction_end=today + dt.timedelta(days=80))
            for i, n in enumerate(sanctioned[:len(sanctioned) * 2 // 3])
        ])
        db.session.execute(insert(Dismissal), [dict(expert_id=n, reason="1", state="approved", effective_on=today)
                                               for n in sanctioned[len(sanctioned) * 2 // 3:]])
        db.session.commit()
        tokens = [p["token"] for p in rng.sample(permits, min(SAMPLE, size))]
        return tokens, tokens[0]


def scans_logged(url: str) -> int:
    """Rows in verify_scan once the server has stopped (each worker writes its last scans on exit)."""
    from sqlalchemy import create_engine, func, select

    from models import VerifyScan

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(VerifyScan.__table__))
    engine.dispose()
    return count


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/bare")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def run_wrk(port: int, paths: list[str], seconds: int, connections: int, workdir: Path) -> tuple[float, int]:
    script = workdir / "paths.lua"
    script.write_text(
        "local paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
        "math.randomseed(7)\n"
        "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n"
    )
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script),
                          f"http://127.0.0.1:{port}"], check=True, capture_output=True, text=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{errors.group(1)} error responses during the load:\n{out}")
    requests_per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return requests_per_second, int(re.search(r"(\d+) requests in", out).group(1))


def run_python(port: int, paths: list[str], seconds: int, connections: int) -> tuple[float, int]:
    """A keep-alive client per thread; counts completed 200 responses."""
    stop = time.time() + seconds
    counts = [0] * connections

    def worker(i):
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.time() < stop:
            conn.request("GET", rng.choice(paths))
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"status {response.status}")
            counts[i] += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.time() - start), sum(counts)


def worker_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers of ``master``."""
    total = 0.0
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def transferred(port: int, token: str) -> dict[str, int]:
    """Bytes on the wire (headers + body) of the page, its stylesheets and the photo."""
    def get(path):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        r = conn.getresponse()
        body = r.read()
        head = sum(len(k) + len(v) + 4 for k, v in r.getheaders()) + 17
        return r.status, body, head + len(body)

    status, html, page = get(f"/verify/{token}")
    assert status == 200, status
    sizes = {"page": page}
    for href in re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html):
        sizes[href.decode()] = get(href.decode())[2]
    sizes["photo"] = get(f"/verify/{token}/photo")[2]
    return sizes


def statements_per_request(url: str, upload_dir: str, token: str, requests: int = 50) -> dict[str, float]:
    """SQL statements (BEGIN and COMMIT included) one request sends, through the product app in this process.

    Counted by SQLite's own trace callback on every connection — the verify page runs its
    lookup on a DBAPI connection, below SQLAlchemy's events — and only on the request's
    thread (the scan log's timer thread writes its batches apart).
    """
    os.environ.update(BENCH_DATABASE_URL=url, BENCH_UPLOAD_DIR=upload_dir)
    from sqlalchemy import event

    from app.extensions import db
    from app.services.permits.scan_log import buffer
    from bench.verify_wsgi import app

    me = threading.get_ident()
    counted = {"n": 0}

    def trace(_sql):
        if threading.get_ident() == me:
            counted["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "connect", lambda dbapi_conn, _record: dbapi_conn.set_trace_callback(trace))
    engine.dispose()
    client = app.test_client()
    out = {}
    for name, path in (("bare", "/bench/bare"), ("verify", f"/verify/{token}")):
        client.get(path)
        counted["n"] = 0
        for _ in range(requests):
            assert client.get(path).status_code == 200
        out[name] = round(counted["n"] / requests, 2)
    buffer.flush()
    engine.dispose()
    return out


def start_gunicorn(module: str, port: int, workers: int, env: dict) -> tuple[subprocess.Popen, list[str]]:
    command = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--pythonpath", str(ROOT), "--log-level", "warning", module]
    return subprocess.Popen(command, env=env, cwd=str(ROOT), start_new_session=True), command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--judge", choices=("wall", "cpu"), default="wall",
                        help="judge the targets by requests/s (default) or by worker CPU time per request")
    args = parser.parse_args()
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load_before = os.getloadavg()

    workdir = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    uploads = str(workdir / "uploads")
    t0 = time.time()
    tokens, photo_token = populate(url, uploads)
    print(f"database: {EXPERTS} experts, permits, terms, letters, groups in {time.time() - t0:.1f} s ({workdir})")

    env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_UPLOAD_DIR": uploads}
    ports = {"pure": free_port(), "product": free_port()}
    servers, commands = {}, {}
    for name, module in (("pure", "bench.pure_wsgi:app"), ("product", "bench.verify_wsgi:app")):
        servers[name], commands[name] = start_gunicorn(module, ports[name], args.workers, env)
    try:
        for port in ports.values():
            wait_for(port)
        verify_paths = [f"/verify/{t}" for t in tokens]

        def load(name, paths, seconds):
            port = ports["pure" if name == "pure" else "product"]
            if client == "wrk":
                return run_wrk(port, paths, seconds, args.connections, workdir)
            return run_python(port, paths, seconds, args.connections)

        plan = (("pure", ["/bench/bare"]), ("bare", ["/bench/bare"]), ("verify", verify_paths))
        served = 0
        for name, paths in plan:  # warm up: templates compiled, connections pooled
            count = load(name, paths, 2)[1]
            served += count if name == "verify" else 0
        # Alternating short rounds, so that a change in the machine's other load hits all alike.
        rounds = {name: [] for name, _ in plan}
        cpu = {name: [] for name, _ in plan}
        for _ in range(args.rounds):
            for name, paths in plan:
                server = servers["pure" if name == "pure" else "product"]
                before = worker_cpu(server.pid)
                rate, count = load(name, paths, args.seconds)
                if name == "verify":
                    served += count
                rounds[name].append(rate)
                cpu[name].append((worker_cpu(server.pid) - before) / count * 1000)
        sizes = transferred(ports["product"], photo_token)
        served += 1
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers.values():
            server.wait(timeout=20)
    logged = scans_logged(url)
    statements = statements_per_request(url, uploads, photo_token)
    shutil.rmtree(workdir, ignore_errors=True)

    rate = {name: statistics.median(values) for name, values in rounds.items()}
    cpu_ms = {name: statistics.median(values) for name, values in cpu.items()}
    wall_ratio = {name: rate[name] / rate["pure"] for name in ("bare", "verify")}
    cpu_ratio = {name: cpu_ms["pure"] / cpu_ms[name] for name in ("bare", "verify")}
    per_round = {name: [v / p for p, v in zip(rounds["pure"], rounds[name], strict=True)]
                 for name in ("bare", "verify")}
    targets = {"bare": BARE_TARGET, "verify": VERIFY_TARGET}
    judged = wall_ratio if args.judge == "wall" else cpu_ratio
    besides_photo = sum(v for k, v in sizes.items() if k != "photo")

    print(f"machine: load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} after; {os.cpu_count()} CPUs")
    print(f"servers: {' '.join(commands['pure'][1:])}\n         {' '.join(commands['product'][1:])}")
    print(f"load: {client} -t1 -c{args.connections}, {args.rounds} alternating rounds of {args.seconds} s "
          f"(pure → bare → verify)")
    for name, label in (("pure", "pure Flask /bench/bare"), ("bare", "product /bench/bare"),
                        ("verify", "product /verify/<token>")):
        print(f"{label:<26}{rate[name]:8.0f} requests/s  (rounds: {', '.join(f'{r:.0f}' for r in rounds[name])}); "
              f"worker CPU {cpu_ms[name]:.3f} ms/request")
    ok = True
    for name in ("bare", "verify"):
        met = judged[name] >= targets[name]
        ok = ok and met
        print(f"ratio {name}/pure: {wall_ratio[name]:.2f} by requests/s (per round: "
              f"{', '.join(f'{r:.2f}' for r in per_round[name])}), {cpu_ratio[name]:.2f} by CPU per request — "
              f"target ≥ {targets[name]} by {args.judge}: {'met' if met else 'MISSED'}")
    print(f"ratio verify/bare: {rate['verify'] / rate['bare']:.2f} by requests/s, "
          f"{cpu_ms['bare'] / cpu_ms['verify']:.2f} by CPU per request")
    print(f"SQL statements per request (in process): bare {statements['bare']}, verify {statements['verify']}")
    # wrk counts the responses it read before its time was up; a few more were being answered.
    print(f"scans logged: {logged} for {served} verify responses counted by the client (a few more were in "
          f"flight when each round ended; written in batches by each worker, the last when it stopped)")
    print("verify page transfers: " + ", ".join(f"{k} {v} B" for k, v in sizes.items())
          + f"; besides the photo {besides_photo} B (limit 30720), photo {sizes['photo']} B (limit 25600)")
    return 0 if ok and besides_photo <= 30 * 1024 and logged >= served else 1


if __name__ == "__main__":
    sys.exit(main())
