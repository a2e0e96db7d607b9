"""Load without loss: 2,000 附件5 evaluations from 50 phones at once (SPEC §6; issue 8).

Builds a database (50 towns, each with an inspector login, 300 appointed experts), serves
the real app with gunicorn — 4 workers on 127.0.0.1 — and runs 50 concurrent clients. Each
client logs in as its town's inspector through the login form (session cookie + CSRF token
from the page), then POSTs its share of evaluations to ``/m/score/new`` exactly as the
phone page's script does (form fields, ``Accept: application/json``, a fresh
``client_uuid``). Every 10th evaluation is sent a second time with the same
``client_uuid``, as a phone that lost the answer would, and 20 clients send their last
form from two connections at the same moment: each must be answered, and stored once.

Then it counts, from the database: evaluations stored (must be exactly 2,000), their form
submissions (2,000) and item scores (2,000 × 15), duplicates; and from the responses: 5xx
(must be 0), other failures, and the throughput. Exit status 1 when anything is lost, duplicated or answered 5xx;
2 when nothing is lost but the target of issue 14 is missed (≥ 150 evaluations/s, p95 ≤ 500 ms).

    .venv/bin/python bench/load_evaluations.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/load_evaluations.py --database sqlite
    .venv/bin/python bench/load_evaluations.py --database postgresql   # private server, as the tests
    BENCH_WORKERS=2 .venv/bin/python bench/load_evaluations.py --database sqlite  # other worker count

PostgreSQL runs on a throw-away server started with scripts/pg-test-server.sh (needs the
Debian ``postgresql`` package), or on ``BENCH_DATABASE_URL`` if set (its tables are
dropped and rebuilt). Run from the repository root; takes a few minutes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENTS = 50
EVALUATIONS = 2_000
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))  # the setting; BENCH_WORKERS to compare
EXPERTS = 300
PASSWORD = "Bench#2026pass"
RESEND_EVERY = 10
RACES = 20  # clients whose last form is sent from two connections at once
SECRET = "bench-load-secret"
TARGET_RATE = 150.0  # evaluations per second (issue 14 target 3)
TARGET_P95 = 0.5  # seconds


# --- the server side ---------------------------------------------------------------------------

def make_app():
    """gunicorn entry point (``load_evaluations:make_app()``): the production app on the bench DB.

    The login rate limit is off: 50 inspectors behind one address (127.0.0.1) would
    otherwise be throttled as one client — which is what the limit is for.
    """
    from app import create_app

    return create_app({
        "ENV_NAME": "production", "SECRET_KEY": SECRET, "DATA_ENCRYPTION_KEY": "0" * 32,
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DB_URL"], "UPLOAD_DIR": os.environ["BENCH_UPLOAD_DIR"],
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False,
    })


def populate(url: str, upload_dir: str) -> None:
    from sqlalchemy import insert, select

    from app import create_app
    from app.auth.passwords import hash_password
    from app.extensions import db
    from app.services.reference import ensure_reference_data
    from models import CommitmentLetter, Expert, ExpertGroup, OrgUnit, Term, User, expert_group_link

    app = create_app({"ENV_NAME": "production", "SECRET_KEY": SECRET, "DATA_ENCRYPTION_KEY": "0" * 32,
                      "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_DIR": upload_dir})
    rng = random.Random(3)
    today = dt.date.today()
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_reference_data()
        db.session.commit()
        units = [OrgUnit(kind="town", name=f"测试镇{n:02d}") for n in range(CLIENTS)]
        db.session.add_all(units)
        db.session.flush()
        password_hash = hash_password(PASSWORD)  # one argon2id hash, reused: same password
        db.session.execute(insert(User), [
            dict(username=f"town{n:02d}", full_name=f"检查员{n:02d}", role="town", org_unit_id=u.id, active=True,
                 password_hash=password_hash, session_epoch=0, failed_logins=0)
            for n, u in enumerate(units)
        ])
        groups = list(db.session.scalars(select(ExpertGroup.id)))
        db.session.execute(insert(Expert), [
            dict(id=n, name=f"专家{n:04d}", gender="male", birth_date=dt.date(1965 + n % 25, 1 + n % 12, 1 + n % 28),
                 employer=f"常州测试企业{n}有限公司", education="bachelor", title_level="associate_senior",
                 id_number=f"320412{n:012d}", mobile=f"139{n:08d}", source="district", stage="in_pool")
            for n in range(1, EXPERTS + 1)
        ])
        db.session.execute(insert(expert_group_link), [{"expert_id": n, "group_id": rng.choice(groups)}
                                                       for n in range(1, EXPERTS + 1)])
        start = today - dt.timedelta(days=100)
        db.session.execute(insert(Term), [
            dict(id=n, expert_id=n, cohort=1, doc_no="武应急〔2026〕1号", start_date=start,
                 end_date=start.replace(year=start.year + 3) - dt.timedelta(days=1)) for n in range(1, EXPERTS + 1)
        ])
        db.session.execute(insert(CommitmentLetter), [dict(expert_id=n, term_id=n, signed_on=start)
                                                      for n in range(1, EXPERTS + 1)])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def counts(url: str, upload_dir: str) -> dict:
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from models import Evaluation, FormAnswer, FormField, FormSubmission

    app = create_app({"ENV_NAME": "production", "SECRET_KEY": SECRET, "DATA_ENCRYPTION_KEY": "0" * 32,
                      "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_DIR": upload_dir})
    with app.app_context():
        out = {
            "evaluations": db.session.scalar(select(func.count(Evaluation.id))),
            "distinct_uuids": db.session.scalar(select(func.count(func.distinct(Evaluation.client_uuid)))),
            "submissions": db.session.scalar(select(func.count(FormSubmission.id))),
            "scores": db.session.scalar(select(func.count(FormAnswer.id)).join(FormField)
                                        .where(FormField.kind == "score")),
        }
        db.session.remove()
        db.engine.dispose()
    return out


def form_items(url: str, upload_dir: str) -> tuple[int, list[tuple[str, int]]]:
    """The current 附件5 version: its id and (field key, maximum) of the required and A items."""
    from app import create_app
    from app.extensions import db
    from app.services.scoring import evaluations as scoring

    app = create_app({"ENV_NAME": "production", "SECRET_KEY": SECRET, "DATA_ENCRYPTION_KEY": "0" * 32,
                      "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_DIR": upload_dir})
    with app.app_context():
        form = scoring.current_form()
        sections = scoring.form_sections(form)
        items = [(i.key, i.max_score) for key in ("required", "A") for i in sections[key]]
        form_id = form.id
        db.session.remove()
        db.engine.dispose()
    return form_id, items


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, upload_dir: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "BENCH_DB_URL": url, "BENCH_UPLOAD_DIR": upload_dir, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(ROOT / "bench"), "-w", str(WORKERS),
         "-b", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "10", "--log-level", "warning",
         "load_evaluations:make_app()"],
        env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start in 60 s")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- the client side ---------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Phone:
    """One inspector's phone: a keep-alive connection, its cookies, its CSRF token."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once, as a browser does.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def login(self, username: str) -> None:
        status, page = self.request("GET", "/login")
        m = CSRF_RE.search(page.decode())
        token = m.group(1) or m.group(2)
        form = urlencode({"username": username, "password": PASSWORD, "csrf_token": token})
        status, _ = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"login of {username} answered {status}")
        status, page = self.request("GET", "/m/score/new")
        if status != 200:
            raise RuntimeError(f"/m/score/new answered {status}")
        m = CSRF_RE.search(page.decode())
        self.csrf = m.group(1) or m.group(2)


def client_run(n: int, port: int, share: int, form_id: int, items, results: dict, lock: threading.Lock,
               start_gate: threading.Barrier) -> None:
    rng = random.Random(n)
    phone = Phone(port)
    statuses, latencies, sent_uuids = {}, [], []
    try:
        phone.login(f"town{n:02d}")
    except Exception as exc:  # noqa: BLE001 - reported in the summary
        with lock:
            results["login_errors"].append(f"town{n:02d}: {exc}")
        start_gate.wait()
        return
    start_gate.wait()
    today = dt.date.today()
    for k in range(share):
        client_uuid = str(uuid.uuid4())
        fields = {
            # The names the phone page posts (app/services/forms/posted.py).
            "csrf_token": phone.csrf, "client_uuid": client_uuid, "version_id": form_id, "g_1": "A",
            "expert_id": rng.randint(1, EXPERTS), "f_enterprise_name": f"常州测试化工有限公司{rng.randint(1, 500)}",
            "f_matter": "执法检查：危险化学品储存专项检查", "f_evaluator_name": f"检查员{n:02d}",
            "f_evaluated_on": (today - dt.timedelta(days=rng.randint(0, 20))).isoformat(),
            "f_suggestions": "无",
        }
        for key, maximum in items:
            fields[f"f_{key}"] = rng.randint(max(0, maximum - 3), maximum)
        body = urlencode(fields)
        if k == share - 1 and n < RACES:
            # The same form from two connections at the same moment (a queue flushed twice).
            twin = Phone(port)
            twin.cookies = dict(phone.cookies)
            outcome = {}

            def send(p, key, body, outcome):
                t0 = time.perf_counter()
                try:
                    outcome[key] = p.request("POST", "/m/score/new", body, {
                        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})[0]
                except OSError as exc:
                    outcome[key] = f"connection error: {type(exc).__name__}"
                latencies.append(time.perf_counter() - t0)

            pair = [threading.Thread(target=send, args=(phone, "a", body, outcome)),
                    threading.Thread(target=send, args=(twin, "b", body, outcome))]
            for t in pair:
                t.start()
            for t in pair:
                t.join()
            for status in outcome.values():
                statuses[status] = statuses.get(status, 0) + 1
            with lock:
                results["races"].append(tuple(sorted(map(str, outcome.values()))))
            sent_uuids.append(client_uuid)
            continue
        sends = 2 if k % RESEND_EVERY == RESEND_EVERY - 1 else 1
        for _ in range(sends):
            t0 = time.perf_counter()
            try:
                status, data = phone.request("POST", "/m/score/new", body, {
                    "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                })
            except OSError as exc:
                status, data = f"connection error: {type(exc).__name__}", b""
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            if status not in (200, 201):
                with lock:
                    if len(results["samples"]) < 5:
                        results["samples"].append((status, data[:300].decode("utf-8", "replace")))
        sent_uuids.append(client_uuid)
    with lock:
        for status, count in statuses.items():
            results["statuses"][status] = results["statuses"].get(status, 0) + count
        results["latencies"].extend(latencies)
        results["uuids"].extend(sent_uuids)


def process_group_cpu(master: int) -> tuple[float, float]:
    """CPU seconds (user, system) used so far by the gunicorn master ``master`` and its workers."""
    user = system = 0.0
    pids = [str(master)] + Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
        system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
    return user, system


def run_load(port: int, form_id: int, items, master: int) -> dict:
    results = {"statuses": {}, "latencies": [], "uuids": [], "samples": [], "login_errors": [], "races": []}
    lock = threading.Lock()
    gate = threading.Barrier(CLIENTS + 1)
    shares = [EVALUATIONS // CLIENTS + (1 if n < EVALUATIONS % CLIENTS else 0) for n in range(CLIENTS)]
    threads = [threading.Thread(target=client_run, args=(n, port, shares[n], form_id, items, results, lock, gate))
               for n in range(CLIENTS)]
    for t in threads:
        t.start()
    gate.wait()  # every phone logged in: go
    t0, server0, client0 = time.perf_counter(), process_group_cpu(master), time.process_time()
    for t in threads:
        t.join()
    results["seconds"] = time.perf_counter() - t0
    # Where the two cores went: the server's workers and this process's 50 client threads.
    server1 = process_group_cpu(master)
    results["server_cpu"] = sum(server1) - sum(server0)
    results["server_sys"] = server1[1] - server0[1]
    results["client_cpu"] = time.process_time() - client0
    return results


# --- PostgreSQL -----------------------------------------------------------------------------------

def start_postgres() -> tuple[str, dict]:
    out = subprocess.run(
        ["bash", "-c", 'source scripts/pg-test-server.sh && pg_test_server_start >&2 && '
                       'echo "$PG_TEST_URL|$PG_TEST_DIR|$PG_TEST_BINDIR"'],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    url, data_dir, bindir = out.split("|")
    return url, {"PG_TEST_DIR": data_dir, "PG_TEST_BINDIR": bindir}


def stop_postgres(env: dict) -> None:
    subprocess.run(["bash", "-c", "source scripts/pg-test-server.sh && pg_test_server_stop"],
                   cwd=ROOT, env={**os.environ, **env}, check=False)


# --- one run ------------------------------------------------------------------------------------

def one_run(label: str, url: str) -> tuple[bool, bool]:
    """(nothing lost, target met) of one run on ``url``."""
    with tempfile.TemporaryDirectory(prefix="loadbench-") as tmp:
        upload_dir = f"{tmp}/uploads"
        populate(url, upload_dir)
        form_id, items = form_items(url, upload_dir)
        port = free_port()
        proc = start_gunicorn(url, upload_dir, port, Path(tmp) / "gunicorn.log")
        try:
            results = run_load(port, form_id, items, proc.pid)
        finally:
            stop(proc)
        stored = counts(url, upload_dir)
        log_tail = (Path(tmp) / "gunicorn.log").read_text(errors="replace")[-1500:]
    statuses = results["statuses"]
    requests_sent = sum(statuses.values())
    server_errors = sum(c for s, c in statuses.items() if isinstance(s, int) and s >= 500)
    other = {s: c for s, c in statuses.items() if s not in (200, 201) and not (isinstance(s, int) and s >= 500)}
    lat = sorted(results["latencies"]) or [0.0]
    sent_unique = len(set(results["uuids"]))
    ok = (stored["evaluations"] == EVALUATIONS == sent_unique and server_errors == 0 and not other
          and stored["distinct_uuids"] == EVALUATIONS and stored["submissions"] == EVALUATIONS
          and stored["scores"] == EVALUATIONS * len(items) and not results["login_errors"]
          and statuses.get(201, 0) == EVALUATIONS
          and all(r == ("200", "201") for r in results["races"]) and len(results["races"]) == RACES)
    print(f"\n== {label}：gunicorn {WORKERS} 个 worker，{CLIENTS} 个并发客户端，127.0.0.1 ==")
    resent = requests_sent - sent_unique
    print(f"  发送：{requests_sent} 次提交（{sent_unique} 份评价表，其中 {resent} 份按原 client_uuid 重发）")
    print(f"  应答：{', '.join(f'{s}×{c}' for s, c in sorted(statuses.items(), key=str))}；5xx：{server_errors}")
    print(f"  入库：评价表 {stored['evaluations']} 份（应为 {EVALUATIONS}），表单填报 {stored['submissions']} 份，"
          f"不同 client_uuid {stored['distinct_uuids']}，"
          f"评分项 {stored['scores']} 条（应为 {EVALUATIONS * len(items)}）")
    print(f"  用时 {results['seconds']:.1f} s；吞吐 {EVALUATIONS / results['seconds']:.1f} 份/s"
          f"（{requests_sent / results['seconds']:.1f} 次请求/s）；"
          f"延迟中位数 {lat[len(lat) // 2] * 1000:.0f} ms，p95 {lat[int(len(lat) * 0.95) - 1] * 1000:.0f} ms，"
          f"最大 {lat[-1] * 1000:.0f} ms")
    print(f"  CPU：服务端（gunicorn）每次请求 {results['server_cpu'] / requests_sent * 1000:.1f} ms"
          f"（其中内核 {results['server_sys'] / requests_sent * 1000:.1f} ms），"
          f"客户端每次请求 {results['client_cpu'] / requests_sent * 1000:.1f} ms"
          f"（共 {results['server_cpu']:.1f} s + {results['client_cpu']:.1f} s；{os.cpu_count()} 核在用时内共有 "
          f"{(os.cpu_count() or 1) * results['seconds']:.1f} s）")
    races_ok = sum(1 for r in results["races"] if r == ("200", "201"))
    print(f"  同一份表从两个连接同时提交：{len(results['races'])} 对，其中 {races_ok} 对恰好一次 201、一次 200")
    if results["login_errors"]:
        print("  登录失败：", results["login_errors"][:3])
    if results["samples"]:
        print("  失败样例：", results["samples"][:3])
    if not ok and "Traceback" in log_tail:
        print("  gunicorn 日志：", log_tail)
    rate, p95 = EVALUATIONS / results["seconds"], lat[int(len(lat) * 0.95) - 1]
    fast = rate >= TARGET_RATE and p95 <= TARGET_P95
    print(f"  结论：{'无丢失、无重复、无 5xx' if ok else '未达标（有丢失、重复或 5xx）'}；"
          f"性能目标（≥ {TARGET_RATE:.0f} 份/s，p95 ≤ {TARGET_P95 * 1000:.0f} ms）{'达到' if fast else '未达到'}")
    return ok, fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    try:
        print(f"机器负载（1 分钟平均）：{os.getloadavg()[0]:.1f}，CPU 核数 {os.cpu_count()}")
    except OSError:
        pass
    ok = fast = True
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="loadbench-db-") as tmp:
            run_ok, run_fast = one_run("SQLite（WAL，busy_timeout，BEGIN IMMEDIATE）", f"sqlite:///{tmp}/load.sqlite3")
            ok, fast = ok and run_ok, fast and run_fast
    if args.database in ("postgresql", "both"):
        url = os.environ.get("BENCH_DATABASE_URL")
        env = None
        if not url:
            url, env = start_postgres()
        try:
            run_ok, run_fast = one_run("PostgreSQL", url)
            ok, fast = ok and run_ok, fast and run_fast
        finally:
            if env:
                stop_postgres(env)
    try:
        print(f"机器负载（1 分钟平均）：结束时 {os.getloadavg()[0]:.1f}")
    except OSError:
        pass
    return 1 if not ok else 0 if fast else 2


if __name__ == "__main__":
    sys.exit(main())
