"""``scripts/start.sh`` as a user runs it: one command, 127.0.0.1 only, the printed address is the
QR address, long or broken permit links get the Chinese 无效证件 page from the real server, and
several workers on ``memory://`` are warned about (SPEC §6; README "开放到局域网").

The script runs for real (migrations, demo data, then Flask's server or gunicorn) on a private
database and key files; ``SKIP_INSTALL=1`` and ``VENV`` reuse this interpreter's packages.
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVALID = "无效证件"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(host: str, port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _other_local_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return next((a for a in out if ":" not in a and not a.startswith("127.")), None)


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """The environment of one trial installation (database, uploads, keys) in a temporary folder."""
    base = tmp_path_factory.mktemp("trial")
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "PUBLIC_BASE_URL", "HOST", "WORKERS", "APP_ENV",
                        "RATELIMIT_STORAGE_URI")}
    env.update(SKIP_INSTALL="1", VENV=sys.prefix, DATABASE_URL=f"sqlite:///{base / 'trial.sqlite3'}",
               UPLOAD_DIR=str(base / "uploads"), SECRET_KEY_FILE=str(base / "secret_key"),
               DATA_ENCRYPTION_KEY_FILE=str(base / "data.key"))
    return env


class Started:
    def __init__(self, env: dict, port: int, log: Path):
        self.port = port
        self.log = log
        # The child writes its own copy of the descriptor; ours is closed at once.
        with log.open("w") as out:
            self.proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "start.sh")], env={**env, "PORT": str(port)},
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"start.sh ended:\n{log.read_text()}")
            try:
                if _get("127.0.0.1", port, "/login")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise AssertionError(f"start.sh did not answer in time:\n{log.read_text()}")

    @property
    def output(self) -> str:
        return self.log.read_text()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def test_start_listens_on_loopback_and_prints_the_qr_address(installation, tmp_path):
    port = _free_port()
    started = Started(installation, port, tmp_path / "start.log")
    try:
        out = started.output
        assert f"http://127.0.0.1:{port}/login" in out
        assert "admin" in out and "Demo#2026pass" in out
        assert f"二维码中的地址为 http://127.0.0.1:{port}" in out
        other = _other_local_address()
        if other:
            with pytest.raises(OSError):
                _get(other, port, "/login")
        # Broken links from a damaged or misread QR code reach the app and get the Chinese page.
        for path in ("/verify/" + "A" * 10_000, "/verify/abc%0D%0Adef"):
            status, body = _get("127.0.0.1", port, path)
            assert status == 404 and INVALID in body, (path[:40], status, body[:200])
        # Logged in as 基础科, the expert page's 打开核验页 (the QR target) has the address served here,
        # and there is no warning that it differs.
        page = _office_page(port, "/admin/expert/details/?id=1")
        assert f'href="http://127.0.0.1:{port}/verify/' in page
        assert "二维码地址与当前访问地址不一致" not in page
    finally:
        started.stop()


def _office_page(port: int, path: str) -> str:
    """``path`` as the demo 基础科 account sees it (logged in through the real form)."""
    import re
    import urllib.parse
    import urllib.request
    from http.cookiejar import CookieJar

    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": "office", "password": "Demo#2026pass", "csrf_token": token})
    opener.open(f"{base}/login", data=data.encode()).read()
    return opener.open(f"{base}{path}").read().decode()


def test_several_workers_on_memory_storage_are_warned_about(installation, tmp_path):
    port = _free_port()
    started = Started({**installation, "WORKERS": "2"}, port, tmp_path / "start.log")
    try:
        out = started.output
        assert "2 个进程使用 memory:// 计数" in out and "RATELIMIT_STORAGE_URI=redis://" in out
        status, body = _get("127.0.0.1", port, "/verify/" + "A" * 10_000)  # through gunicorn
        assert status == 404 and INVALID in body and "URI Too Long" not in body
    finally:
        started.stop()
