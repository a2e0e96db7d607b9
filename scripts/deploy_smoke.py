"""Smoke test of a deployment made by scripts/deploy.sh (run by scripts/deploy-test.sh, as root).

It uses the installation as its users would, through nginx over HTTPS, and prints what it
measured: the first sysadmin logs in and enrols two-factor login; static files (the app's
and Flask-Admin's) come gzip-compressed from nginx with the right cache lifetimes; the
security headers are on every answer; the rate limit holds across the gunicorn workers
(Redis); the client's address reaches the logs and the audit trail (which the auditor reads,
not the sysadmin, and whose chain verifies); an applicant's uploads are private; a failed
backup warns and a good one clears the warning; a restore drill into a second database and
folder leaves the live uploads untouched and restores private files; a restore that names
another database over the live folder is refused.

Settings come from the environment deploy-test.sh exports (PREFIX, ports, APP_USER …).
Only the standard library and the app's own requirements (pyotp, Pillow) are used.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import os
import pwd
import re
import socket
import ssl
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyotp
from PIL import Image

ENV = os.environ
PREFIX = ENV["PREFIX"]
APP_USER = ENV["APP_USER"]
SERVER_NAME = ENV["SERVER_NAME"]
HTTP_PORT, HTTPS_PORT, APP_PORT = int(ENV["HTTP_PORT"]), int(ENV["HTTPS_PORT"]), int(ENV["APP_PORT"])
ADMIN = ENV.get("ADMIN_USER", "admin")
ADMIN_PASSWORD = Path(ENV["ADMIN_PASSWORD_FILE"]).read_text().strip()
APP_DIR = Path(PREFIX, "opt/expertpool")
FLASK = f"{PREFIX}/usr/local/bin/expertpool-flask"
ENV_FILE = Path(PREFIX, "etc/expertpool/expertpool.env")
BACKUP_DIR = Path(PREFIX, "var/backups/expertpool")
LOG_DIR = Path(PREFIX, "var/log/expertpool")
CA_FILE = f"{PREFIX}/etc/ssl/expertpool/fullchain.pem"
LIVE = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if line and not line.startswith("#"))
UPLOADS = Path(LIVE["UPLOAD_DIR"])
SERVICE_UID = pwd.getpwnam(APP_USER).pw_uid
BASE = f"https://{SERVER_NAME}:{HTTPS_PORT}"  # what a browser sends as Referer (CSRF check over HTTPS)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')

FIGURES: list[tuple[str, str]] = []
FAILURES: list[str] = []


def figure(what: str, value) -> None:
    FIGURES.append((what, str(value)))
    print(f"  {what}: {value}", flush=True)


def check(ok: bool, what: str) -> None:
    print(f"  [{'通过' if ok else '失败'}] {what}", flush=True)
    if not ok:
        FAILURES.append(what)


# --- HTTP through nginx, from a chosen local address ----------------------------------------------

class _TLS(http.client.HTTPSConnection):
    """Connects to 127.0.0.1 but checks the certificate for SERVER_NAME (the host name)."""

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout, self.source_address)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _Plain(http.client.HTTPConnection):
    """Plain HTTP to 127.0.0.1, naming SERVER_NAME in the Host header."""

    def connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), self.timeout, self.source_address)


class Response:
    def __init__(self, resp: http.client.HTTPResponse):
        self.status = resp.status
        self.headers = resp.msg
        self.raw = resp.read()
        self.body = gzip.decompress(self.raw) if self.headers.get("Content-Encoding") == "gzip" else self.raw

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []


class Browser:
    """A client with its own cookies and source address; redirects are not followed."""

    def __init__(self, source: str = "127.0.0.2"):
        self.source = source
        self.cookies: dict[str, str] = {}
        self.context = ssl.create_default_context(cafile=CA_FILE)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                tls: bool = True) -> Response:
        if tls:
            conn = _TLS(SERVER_NAME, HTTPS_PORT, timeout=30, source_address=(self.source, 0), context=self.context)
        else:
            conn = _Plain(SERVER_NAME, HTTP_PORT, timeout=30, source_address=(self.source, 0))
        all_headers = {"User-Agent": "expertpool-deploy-smoke", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=all_headers)
        resp = Response(conn.getresponse())
        conn.close()
        for cookie in resp.all("Set-Cookie"):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return resp

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post_form(self, path: str, fields: dict, csrf_page: str | None = None) -> Response:
        token = csrf(self.get(csrf_page or path).text)
        body = "&".join(f"{_q(k)}={_q(v)}" for k, v in {**fields, "csrf_token": token}.items()).encode()
        return self.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Referer": BASE + (csrf_page or path)})


def _q(value) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    if not m:
        raise SystemExit("页面中没有 CSRF 令牌")
    return m.group(1) or m.group(2)


def location(resp: Response) -> str:
    return resp.headers.get("Location", "")


# --- steps ------------------------------------------------------------------------------------

def http_redirects_and_headers(b: Browser) -> None:
    print("\n== 1. HTTP 跳转、安全响应头、HTML 压缩")
    r = b.get("/login", tls=False)
    check(r.status == 301 and location(r).startswith(f"https://{SERVER_NAME}:{HTTPS_PORT}/login"),
          f"HTTP {r.status} → {location(r)}")
    check(r.headers.get("Server") == "nginx", f"HTTP 的 Server 头不带版本号：{r.headers.get('Server')}")
    check(not r.all("Strict-Transport-Security"), "HTTP 答复不带 HSTS")
    r = b.get("/login", headers={"Accept-Encoding": "gzip"})
    figure("GET /login", f"{r.status}，{r.headers.get('Content-Encoding')}，{len(r.raw)} 字节（原 {len(r.body)}）")
    check(r.status == 200 and r.headers.get("Content-Encoding") == "gzip", "登录页 HTML 经 gzip 压缩")
    for name, expected in [("Strict-Transport-Security", "max-age=31536000"), ("X-Content-Type-Options", "nosniff"),
                           ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin")]:
        values = r.all(name)
        check(values == [expected], f"{name}: {values}")
    check("default-src 'self'" in r.headers.get("Content-Security-Policy", ""), "Content-Security-Policy 存在")
    check(r.headers.get("Server") == "nginx", f"Server: {r.headers.get('Server')}（server_tokens off）")
    cookies = [c for c in r.all("Set-Cookie") if "Max-Age=0" not in c]  # not the deletion of an old cookie
    check(bool(cookies) and all("; Secure" in c and "; HttpOnly" in c for c in cookies),
          f"会话 Cookie 为 Secure、HttpOnly：{[c.split('=', 1)[0] + '=…;' + c.split(';', 1)[-1] for c in cookies]}")
    figure("安全响应头（/login）", "; ".join(f"{n}: {r.headers.get(n)}" for n in (
        "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Server")))


def login_with_enrolment(b: Browser) -> tuple[pyotp.TOTP, int]:
    """The first login of the sysadmin: password, then two-factor enrolment.

    Returns the authenticator (as the phone would hold it) and the time step of the code used."""
    print("\n== 2. 系统管理员首次登录（含两步验证绑定）")
    r = b.post_form("/login", {"username": ADMIN, "password": ADMIN_PASSWORD, "next": ""})
    figure("POST /login", f"{r.status} → {location(r)}")
    check(r.status == 302, "密码正确后跳转")
    r = b.get("/admin/")
    figure("GET /admin/（未绑定）", f"{r.status} → {location(r)}")
    check(r.status == 302 and location(r).endswith("/account/2fa"), "系统管理员须先绑定两步验证")
    page = b.get("/account/2fa")
    m = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', page.text)
    check(page.status == 200 and m is not None, "绑定页给出二维码和密钥")
    secret = m.group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time())
    r = b.post_form("/account/2fa", {"code": totp.at(time.time())})
    figure("POST /account/2fa", f"{r.status} → {location(r)}")
    r = b.get("/admin/", headers={"Accept-Encoding": "gzip"})
    figure("GET /admin/（已绑定）",
           f"{r.status}，{r.headers.get('Content-Encoding')}，{len(r.raw)} 字节（原 {len(r.body)}）")
    check(r.status == 200 and "工作台" in r.text, "绑定后进入工作台")
    check("数据备份" in r.text and "最近一次成功备份" in r.text, "工作台显示最近一次成功备份（部署时的首次备份）")
    return totp, step


STATIC = [
    ("/static/light.css", False),
    ("/static/form.js", False),
    ("/admin/static/vendor/jquery.min.js?v=3.5.1", True),
    ("/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css?v=4.6.2", True),
]


def static_files(b: Browser) -> None:
    print("\n== 3. 静态文件（nginx 直接从磁盘提供）")
    before = _access_log()
    for path, fingerprinted in STATIC:
        plain = b.get(path)
        packed = b.get(path, headers={"Accept-Encoding": "gzip"})
        cache = packed.headers.get("Cache-Control", "")
        figure(path, f"{packed.status}，gzip {len(packed.raw)} / {len(plain.raw)} 字节，Cache-Control: {cache}")
        check(plain.status == 200 and packed.headers.get("Content-Encoding") == "gzip" and packed.body == plain.raw,
              f"{path} 经 gzip 压缩且内容一致")
        if fingerprinted:
            check(cache == "max-age=31536000", f"{path} 带版本号：缓存一年")
        else:
            check(cache == "no-cache", f"{path} 不带版本号：每次向服务器确认（304）")
        check(packed.all("Strict-Transport-Security") == ["max-age=31536000"], f"{path} 带 HSTS")
        check(packed.all("X-Content-Type-Options") == ["nosniff"], f"{path} 带 nosniff")
        again = b.get(path, headers={"If-None-Match": packed.headers.get("ETag", ""),
                                     "If-Modified-Since": packed.headers.get("Last-Modified", "")})
        check(again.status == 304, f"{path} 再次请求：{again.status}")
    missing = b.get("/static/no-such-file.css")
    check(missing.status == 404 and missing.all("Strict-Transport-Security") == ["max-age=31536000"]
          and "nginx/" not in missing.text, "nginx 自己的 404 也带 HSTS，且不露版本号")
    served_by_app = [line for line in _access_log()[len(before):] if "/static/" in line]
    check(not served_by_app, f"静态文件没有经过 gunicorn（访问日志中 {len(served_by_app)} 行）")
    sites = Path(PREFIX, "etc/nginx/sites-enabled")
    check(sorted(p.name for p in sites.iterdir()) == ["expertpool"], f"nginx 只启用本站点：{sorted(os.listdir(sites))}")


def rate_limit_across_workers() -> None:
    print("\n== 4. 限流由各 worker 通过 Redis 共享")
    b = Browser(source="127.0.0.3")
    before = len(_access_log())
    codes = [b.get("/announcements").status for _ in range(70)]
    pids = {line.rsplit(" ", 1)[-1] for line in _access_log()[before:]
            if line.startswith("127.0.0.3 ") and "/announcements" in line}
    figure("70 次 GET /announcements（限额每分钟 60 次）",
           f"{codes.count(200)} × 200，{codes.count(429)} × 429，由 {len(pids)} 个 worker 处理")
    check(codes.count(200) == 60 and codes.count(429) == 10, "恰好 60 次成功、10 次 429")
    check(len(pids) >= 2, "请求分布在多个 worker 上")


def client_address(b: Browser) -> None:
    print("\n== 5. 日志中的客户端地址")
    lines = [line for line in _access_log() if "/login" in line]
    figure("gunicorn 访问日志（登录请求）", lines[-1] if lines else "（无）")
    check(bool(lines) and all(line.startswith("127.0.0.2 ") for line in lines),
          "访问日志记录客户端地址 127.0.0.2，而不是 nginx 的 127.0.0.1")
    check(b.get("/admin/audit_log/").status == 403, "系统管理员不能查看操作日志（三员分立）")
    auditor = _auditor()
    audit = auditor.get("/admin/audit_log/?search=" + ADMIN)
    check(audit.status == 200 and "127.0.0.2" in audit.text, "安全审计员看到登录的操作日志带客户端地址 127.0.0.2")
    verified = _flask("audit-verify")
    figure("audit-verify", (verified.stdout or verified.stderr).strip())
    check(verified.returncode == 0 and "核验通过" in verified.stdout, "操作日志哈希链核验通过")
    try:
        socket.create_connection(("127.0.0.2", APP_PORT), timeout=2).close()
        reachable = True
    except OSError:
        reachable = False
    check(not reachable, f"gunicorn 只监听 127.0.0.1:{APP_PORT}（从 127.0.0.2 连接被拒绝）")
    # What db upgrade alone does not create (deploy.sh runs reference-data after it).
    settings, fees, forms = b.get("/admin/setting/"), b.get("/admin/fee_standard/"), b.get("/admin/form_definition/")
    check(settings.status == 200 and "夜间起始时间" in settings.text, "部署后已有默认参数设置")
    check(fees.status == 200 and "1500" in fees.text, "部署后已有附件4收费标准")
    check(forms.status == 200 and "评价表" in forms.text, "部署后已有附件5评价表")


def _auditor() -> Browser:
    """An auditor account made on the command line (password on standard input), logged in
    from 127.0.0.2 with its two-factor enrolment."""
    password = "Sj#" + uuid.uuid4().hex
    made = subprocess.run([FLASK, "create-user", "shenji", "--role", "auditor", "--name", "安全审计员",
                           "--if-absent", "--password-file", "-"], input=password + "\n", capture_output=True,
                          text=True, timeout=120)
    check(made.returncode == 0, f"create-user --role auditor：{(made.stdout or made.stderr).strip()}")
    a = Browser()
    a.post_form("/login", {"username": "shenji", "password": password, "next": ""})
    m = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', a.get("/account/2fa").text)
    check(m is not None, "安全审计员须先绑定两步验证")
    if m is not None:
        a.post_form("/account/2fa", {"code": pyotp.TOTP(m.group(1).replace(" ", "")).now()})
    return a


def _id_number() -> str:
    body = "320412" + "19780314" + "123"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _jpeg(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 420), color).save(out, "JPEG", quality=90)
    return out.getvalue()


def self_recommendation() -> None:
    print("\n== 6. 上传文件（公众自荐，带身份证扫描件）")
    b = Browser(source="127.0.0.4")
    token = csrf(b.get("/apply").text)
    fields = {
        "name": "陈立新", "gender": "male", "birth_date": "1978-03-14", "id_number": _id_number(), "ethnicity": "汉族",
        "party": "中共党员", "birthplace": "江苏常州", "employer": "常州新港化工有限公司", "position": "安全环保部经理",
        "retired": "0", "title_level": "associate_senior", "title": "高级工程师", "registered_safety_engineer": "y",
        "graduated_from": "南京工业大学", "education": "bachelor", "full_time_education": "1",
        "profession": "化工安全", "specialty": "危险化学品储存与使用安全", "mobile": "13861234567",
        "address": "常州市武进区湖塘镇人民中路8号", "groups": "chemical",
        "work_history-0-period": "2000.07-2008.06", "work_history-0-employer": "常州化工研究院",
        "achievements": "主持公司HAZOP分析。", "ethics_declared": "y", "health_declared": "y", "truthful": "y",
        "csrf_token": token,
    }
    files = [("photo", "photo.jpg", _jpeg((200, 60, 60))), ("id_card", "id-front.jpg", _jpeg((10, 10, 200))),
             ("id_card", "id-back.jpg", _jpeg((10, 200, 10))), ("diploma", "diploma.jpg", _jpeg((90, 90, 90))),
             ("title_cert", "title.jpg", _jpeg((60, 90, 30))), ("registration_cert", "reg.jpg", _jpeg((30, 60, 90)))]
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{n}"\r\n'
              f'Content-Type: image/jpeg\r\n\r\n'.encode() + data + b"\r\n" for k, n, data in files]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    r = b.request("POST", "/apply", body=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": BASE + "/apply"})
    figure("POST /apply", f"{r.status} → {location(r)}")
    check(r.status == 303 and location(r).endswith("/apply/submitted"), "自荐提交成功")
    modes = _modes(UPLOADS)
    figure("在用上传目录的权限", _mode_summary(modes))
    check(any(kind == "f" for kind, _, _ in modes.values()), "在用上传目录中有文件")
    check(_private(modes), "应用写入的上传文件为 0640、目录为 0750，属服务用户")


def _flask(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([FLASK, *args], capture_output=True, text=True, env={**ENV, **(env or {})}, timeout=120)


def backups_that_warn(b: Browser) -> Path:
    print("\n== 7. 备份：失败时告警，成功后恢复正常")
    failed = _flask("backup", "/nonexistent/backups")
    figure("备份到不存在的目录", f"退出码 {failed.returncode}，stderr：{failed.stderr.strip()}")
    check(failed.returncode == 1 and "备份失败" in failed.stderr, "失败的备份退出码为 1，并在 stderr 写明原因")
    page = b.get("/admin/").text
    check("备份失败" in page and "alert-danger" in page, "工作台显示备份失败的告警")
    started = time.monotonic()
    good = _flask("backup", str(BACKUP_DIR))
    seconds = time.monotonic() - started
    check(good.returncode == 0, f"备份成功：{good.stdout.strip().splitlines()[0] if good.stdout else good.stderr}")
    archive = Path(re.search(r"备份完成：(\S+?\.tar\.gz)", good.stdout).group(1))
    st = archive.stat()
    figure("备份", f"{seconds:.1f} 秒，{st.st_size / 1024:.0f} KB，权限 {stat.S_IMODE(st.st_mode):04o}，"
                   f"属主 {pwd.getpwuid(st.st_uid).pw_name}")
    check(stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == SERVICE_UID, "备份归档 0600，属服务用户")
    page = b.get("/admin/").text
    check("最近一次成功备份" in page and "刚刚" in page and "alert-danger" not in page, "成功备份后告警消失")
    log = (LOG_DIR / "backup.log").read_text(encoding="utf-8")
    check("备份完成" in log, "首次备份写入了 backup.log")
    return archive


def restore_drill(archive: Path) -> None:
    print("\n== 8. 恢复演练：第二个数据库和第二个上传目录")
    live_before = _fingerprint(UPLOADS)
    drill_url = LIVE["DATABASE_URL"].rsplit("/", 1)[0] + "/expertpool_drill"
    refused = _flask("restore", "--yes", str(archive), env={"DATABASE_URL": drill_url})
    figure("只改 DATABASE_URL 的恢复", f"退出码 {refused.returncode}：{refused.stderr.strip()[:90]}…")
    check(refused.returncode == 1 and "属于另一个数据库" in refused.stderr, "拒绝恢复到另一个数据库的在用上传目录")
    check(_fingerprint(UPLOADS) == live_before, "被拒绝的恢复没有动在用上传目录")
    started = time.monotonic()
    drill = subprocess.run(["bash", str(APP_DIR / "scripts/restore-drill.sh"), str(archive)], capture_output=True,
                           text=True, env=ENV, timeout=180)
    seconds = time.monotonic() - started
    summary = [line for line in drill.stdout.splitlines() if line.startswith("演练完成")]
    figure("恢复演练（restore-drill.sh）", f"{seconds:.1f} 秒；{summary[0] if summary else drill.stderr.strip()}")
    check(drill.returncode == 0, "演练脚本成功")
    drill_root = Path(PREFIX, "var/lib/expertpool/drill-uploads")
    modes = _modes(drill_root)
    figure("演练目录恢复后的权限", _mode_summary(modes))
    check(_private(modes), "恢复的文件 0640、目录 0750，属服务用户")
    check(_fingerprint(UPLOADS) == live_before, "在用上传目录未被改动（文件、大小、修改时间、权限、目录 inode）")
    skip = (".", ".expertpool-database")
    live_files = {k: v[:2] for k, v in live_before.items() if k not in skip}
    drill_files = {k: v[:2] for k, v in _fingerprint(drill_root).items() if k not in skip}
    check(live_files == drill_files, f"演练目录与在用目录内容一致（{len(drill_files)} 个文件和目录）")
    marker = json.loads((drill_root / ".expertpool-database").read_text())
    check(marker["database"].endswith("/expertpool_drill"), f"演练目录的标记：{marker['database']}")


def second_login(totp: pyotp.TOTP, step: int) -> None:
    print("\n== 9. 再次登录（密码 + 动态验证码）")
    b = Browser()
    r = b.post_form("/login", {"username": ADMIN, "password": ADMIN_PASSWORD, "next": ""})
    check(r.status == 302 and location(r).endswith("/login/2fa"), f"密码后要求动态验证码：{location(r)}")
    while totp.timecode(time.time()) <= step:
        time.sleep(1)  # each 30-second code is accepted once only
    r = b.post_form("/login/2fa", {"code": totp.now()})
    figure("POST /login/2fa", f"{r.status} → {location(r)}")
    check(r.status == 302 and b.get("/admin/").status == 200, "两步验证登录成功")


# --- helpers ---------------------------------------------------------------------------------------

def _access_log() -> list[str]:
    path = LOG_DIR / "access.log"
    return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []


def _modes(root: Path) -> dict:
    out = {}
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        out[path.relative_to(root).as_posix() or "."] = ("d" if stat.S_ISDIR(st.st_mode) else "f",
                                                         stat.S_IMODE(st.st_mode), st.st_uid)
    return out


def _private(modes: dict) -> bool:
    return all(uid == SERVICE_UID and mode == (0o750 if kind == "d" else 0o640) for kind, mode, uid in modes.values())


def _mode_summary(modes: dict) -> str:
    files = {f"{m:04o}" for k, m, _ in modes.values() if k == "f"}
    dirs = {f"{m:04o}" for k, m, _ in modes.values() if k == "d"}
    owners = {pwd.getpwuid(u).pw_name for _, _, u in modes.values()}
    count = sum(1 for k, _, _ in modes.values() if k == "f")
    return (f"{count} 个文件 {'/'.join(sorted(files))}，{len(modes) - count} 个目录 {'/'.join(sorted(dirs))}，"
            f"属主 {'/'.join(sorted(owners))}")


def _fingerprint(root: Path) -> dict:
    out = {".": ("inode", root.stat().st_ino, 0, 0)}
    for path in sorted(root.rglob("*")):
        st = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[path.relative_to(root).as_posix()] = (digest, st.st_size, st.st_mtime_ns, stat.S_IMODE(st.st_mode))
    return out


def main() -> int:
    started = time.monotonic()
    b = Browser()
    http_redirects_and_headers(b)
    totp, step = login_with_enrolment(b)
    static_files(b)
    rate_limit_across_workers()
    client_address(b)
    self_recommendation()
    archive = backups_that_warn(b)
    restore_drill(archive)
    second_login(totp, step)
    print(f"\n== 冒烟测试用时 {time.monotonic() - started:.1f} 秒；{len(FAILURES)} 项失败")
    print("\n数据一览：")
    for what, value in FIGURES:
        print(f"  {what}: {value}")
    for failure in FAILURES:
        print(f"失败：{failure}", file=sys.stderr)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
