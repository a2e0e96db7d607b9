"""A public rate limit holds in total across worker processes when they share Redis (SPEC §6).

Two server processes of the app, as two gunicorn workers would be, share one database and one
``RATELIMIT_STORAGE_URI``; requests alternate between them. With a real ``redis-server`` the
limit of 5 a minute lets exactly 5 through in total; with ``memory://`` each process counts on
its own and 10 get through — which is why production sets ``RATELIMIT_STORAGE_URI=redis://…``.

The Redis server is the one ``scripts/test.sh`` starts (``REDIS_TEST_URL``), or a private one
started here when Debian's ``redis-server`` is installed.
"""
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5
SERVE = """
import os, sys
from werkzeug.serving import make_server
from app import create_app
app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": os.environ["RL_DB"],
                  "UPLOAD_DIR": os.environ["RL_UPLOADS"], "RATELIMIT_ENABLED": True,
                  "RATELIMIT_STORAGE_URI": os.environ["RL_STORAGE"], "RATELIMIT_KEY_PREFIX": os.environ["RL_PREFIX"],
                  "PUBLIC_RATE_LIMIT": os.environ["RL_LIMIT"]})
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    url = os.environ.get("REDIS_TEST_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("需要 redis-server（scripts/test.sh 会安装并启动）")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'rl.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


def _workers(storage: str, database: str, tmp_path, n: int = 2) -> list[tuple[subprocess.Popen, int]]:
    env = {**os.environ, "RL_DB": database, "RL_UPLOADS": str(tmp_path / "uploads"), "RL_STORAGE": storage,
           "RL_PREFIX": uuid.uuid4().hex, "RL_LIMIT": f"{LIMIT} per minute", "PYTHONPATH": str(ROOT)}
    workers = []
    for _ in range(n):
        proc = subprocess.Popen([sys.executable, "-c", SERVE], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        workers.append((proc, int(proc.stdout.readline())))
    return workers


def _served(workers, requests: int = 12) -> int:
    """How many of ``requests`` alternating between the workers were answered (not 429)."""
    answered = 0
    for i in range(requests):
        _, port = workers[i % len(workers)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/verify/AAAAAAAAAAAAAAAAAAAAAAAA")
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status in (404, 429), response.status
        answered += response.status != 429
    return answered


def _stop(workers):
    for proc, _ in workers:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_a_limit_shared_through_redis_holds_in_total(redis_url, database, tmp_path):
    workers = _workers(redis_url, database, tmp_path)
    try:
        assert _served(workers) == LIMIT
    finally:
        _stop(workers)


def test_with_memory_storage_each_process_counts_alone(database, tmp_path):
    workers = _workers("memory://", database, tmp_path)
    try:
        assert _served(workers) == 2 * LIMIT
    finally:
        _stop(workers)
