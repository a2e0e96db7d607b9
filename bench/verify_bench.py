"""Benchmark: the permit verification page vs a bare endpoint (SPEC §5; issue: permits and QR).

Builds a SQLite database with 10,000 appointed experts (groups, terms, commitment letters,
permits; a few suspended, blacklisted and dismissed), serves ``bench/verify_wsgi.py`` with
gunicorn (2 workers) on 127.0.0.1, and loads from 127.0.0.1

* ``GET /verify/<token>`` over 1,000 random permits (each request: rate-limit check, the
  lookup, the live status, the scan logged — written by each worker in batches, see
  app/services/permits/scan_log.py — and the page);
* ``GET /bench/bare``: a fixed 200-byte page from the same app and server.

Prints the requests/s of both and their ratio (target ≥ 0.5), and the bytes the verify
page transfers (HTML, stylesheets, photo). The load comes from ``wrk`` when it is installed
(``apt-get install wrk``), else from a small Python keep-alive client (which itself needs
CPU on a 2-core machine and flatters the bare endpoint less precisely). Run::

    .venv/bin/python bench/verify_bench.py [--rounds 4] [--seconds 5] [--workers 2] [--connections 8]

Both are measured in alternating rounds and the medians compared, so that other load on
the machine affects both alike; the gunicorn workers' CPU time per request is printed too
(a figure that other load barely moves). Exit status 1 when the ratio is below the
target, or when the database holds fewer scans than verify responses were counted (each
worker writes its last scans when gunicorn stops it). Not a test: it takes about a minute and a half.
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
TARGET = 0.5


def populate(url: str, upload_dir: str) -> tuple[list[str], str]:
    """Fill the database in bulk; return (sample tokens, token of the expert with a photo)."""
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
        for n in range(1, EXPERTS + 1):
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
        sanctioned = rng.sample(range(1, EXPERTS + 1), 300)
        db.session.execute(insert(Violation), [
            dict(expert_id=n, found_on=today, finding="违规", state="verified", verified_on=today,
                 sanction="suspension" if i % 3 else "blacklist", sanction_start=today - dt.timedelta(days=5),
                 sanction_end=today + dt.timedelta(days=80))
            for i, n in enumerate(sanctioned[:200])
        ])
        db.session.execute(insert(Dismissal), [dict(expert_id=n, reason="1", state="approved", effective_on=today)
                                               for n in sanctioned[200:]])
        db.session.commit()
        tokens = [p["token"] for p in rng.sample(permits, SAMPLE)]
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
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), int(
        re.search(r"(\d+) requests in", out).group(1)
    )


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")

    workdir = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    uploads = str(workdir / "uploads")
    t0 = time.time()
    tokens, photo_token = populate(url, uploads)
    print(f"database: {EXPERTS} experts, permits, terms, letters, groups in {time.time() - t0:.1f} s ({workdir})")

    port = free_port()
    env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_UPLOAD_DIR": uploads}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--pythonpath", str(ROOT), "--log-level", "warning", "bench.verify_wsgi:app"],
        env=env, cwd=str(ROOT), start_new_session=True,
    )
    try:
        wait_for(port)
        verify_paths = [f"/verify/{t}" for t in tokens]
        load = (lambda paths, s: run_wrk(port, paths, s, args.connections, workdir)) if client == "wrk" else \
            (lambda paths, s: run_python(port, paths, s, args.connections))
        served = load(verify_paths, 2)[1]  # warm up: templates compiled, connections pooled
        load(["/bench/bare"], 2)
        # Alternating short rounds, so that a change in the machine's other load hits both alike.
        rounds = {"bare": [], "verify": []}
        cpu = {"bare": [], "verify": []}
        for _ in range(args.rounds):
            for name, paths in (("bare", ["/bench/bare"]), ("verify", verify_paths)):
                before = worker_cpu(server.pid)
                rate, count = load(paths, args.seconds)
                if name == "verify":
                    served += count
                rounds[name].append(rate)
                cpu[name].append((worker_cpu(server.pid) - before) / (rate * args.seconds) * 1000)
        sizes = transferred(port, photo_token)
        served += 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    logged = scans_logged(url)
    shutil.rmtree(workdir, ignore_errors=True)

    bare, verify = statistics.median(rounds["bare"]), statistics.median(rounds["verify"])
    ratio = verify / bare
    pair_ratios = [v / b for b, v in zip(rounds["bare"], rounds["verify"], strict=True)]
    cpu_bare, cpu_verify = statistics.median(cpu["bare"]), statistics.median(cpu["verify"])
    besides_photo = sum(v for k, v in sizes.items() if k != "photo")
    print(f"load: {client}, {args.connections} connections, {args.rounds} alternating rounds of {args.seconds} s; "
          f"gunicorn {args.workers} sync workers; machine load average {os.getloadavg()[0]:.1f}")
    print(f"bare endpoint (200 B):  {bare:8.0f} requests/s  (rounds: {', '.join(f'{r:.0f}' for r in rounds['bare'])})")
    print(
        f"verify page:            {verify:8.0f} requests/s  (rounds: {', '.join(f'{r:.0f}' for r in rounds['verify'])})"
    )
    print(f"ratio verify/bare:      {ratio:8.2f}   (target ≥ {TARGET}; per round: "
          f"{', '.join(f'{r:.2f}' for r in pair_ratios)})")
    print(f"server CPU per request: bare {cpu_bare:.2f} ms, verify {cpu_verify:.2f} ms "
          f"(CPU-bound ratio {cpu_bare / cpu_verify:.2f})")
    # wrk counts the responses it read before its time was up; a few more were being answered.
    print(f"scans logged: {logged} for {served} verify responses counted by the client (a few more were in "
          f"flight when each round ended; written in batches by each worker, the last when it stopped)")
    print("verify page transfers: " + ", ".join(f"{k} {v} B" for k, v in sizes.items())
          + f"; besides the photo {besides_photo} B (limit 30720), photo {sizes['photo']} B (limit 25600)")
    return 0 if ratio >= TARGET and besides_photo <= 30 * 1024 and logged >= served else 1


if __name__ == "__main__":
    sys.exit(main())
