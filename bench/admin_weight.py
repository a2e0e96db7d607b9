"""Benchmark: bytes a real browser transfers for the admin expert list (issue 14 target 5).

Builds a database with 100 experts and a 基础科 login (bench/expert_list_bench.py), serves
the app on 127.0.0.1 (Werkzeug's threaded server, as the browser tests do), and drives
Debian's Chromium through Playwright at 1366×768:

* logs in through the login form, which lands on the admin home (首页) as for every
  staff login, with an empty browser cache;
* **first load**: opens ``/admin/expert/`` for the first time in that session — what the
  issue measured as 250–350 KB uncompressed (the list page, its own scripts and styles,
  the icon font);
* **repeat visit**: opens ``/admin/expert/`` again in the same browser, as a user coming
  back to the list does (a link or the address bar, not a forced reload);
* for information, not judged: ``/admin/expert/`` once more after emptying the cache (a
  browser that has never seen the admin).

Bytes are what Chromium's DevTools protocol reports as received from the network for each
request (``Network.loadingFinished.encodedDataLength``: headers plus the body as sent,
compressed or not); a resource taken from the browser's cache costs nothing. Also loads the
phone pages (the verify page, the scoring form) once each and prints their weight, which
this work must leave as it was. Prints every request with its status, encoding and bytes.
Targets: first load ≤ 120 KB, repeat visit ≤ 40 KB; exit status 1 above either. Run::

    .venv/bin/python bench/admin_weight.py [--show]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CHROMIUM = "/usr/bin/chromium"
FIRST_LOAD_LIMIT = 120 * 1024
REPEAT_LIMIT = 40 * 1024
DESKTOP = {"width": 1366, "height": 768}


class Recorder:
    """Bytes per request of a page load, from Chromium's network events."""

    def __init__(self, cdp) -> None:
        self.requests: dict[str, dict] = {}
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestServedFromCache", self._from_cache)

    def reset(self) -> None:
        self.requests = {}

    def _entry(self, request_id: str) -> dict:
        return self.requests.setdefault(request_id, {"url": "?", "status": "", "encoding": "", "bytes": 0,
                                                     "cache": False})

    def _response(self, event) -> None:
        entry = self._entry(event["requestId"])
        response = event["response"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        entry.update(url=response["url"], status=response["status"], encoding=headers.get("content-encoding", ""),
                     cache=entry["cache"] or response.get("fromDiskCache", False))

    def _finished(self, event) -> None:
        self._entry(event["requestId"])["bytes"] = int(event["encodedDataLength"])

    def _from_cache(self, event) -> None:
        self._entry(event["requestId"])["cache"] = True

    def total(self) -> int:
        return sum(r["bytes"] for r in self.requests.values())

    def report(self, title: str, base: str) -> int:
        total = self.total()
        print(f"\n{title}: {total / 1024:.1f} KB transferred in {len(self.requests)} requests")
        for r in sorted(self.requests.values(), key=lambda r: -r["bytes"]):
            where = "cache" if r["cache"] else (r["encoding"] or "identity")
            print(f"  {r['bytes'] / 1024:7.1f} KB  {r['status']!s:>3}  {where:<8} {r['url'].replace(base, '')[:110]}")
        return total


def serve(app):
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def phone_pages(app) -> dict[str, str]:
    """Paths of a verify page and of the scoring form (a town user logged in), for the phone check."""
    from sqlalchemy import select

    from app.auth.passwords import hash_password
    from app.extensions import db
    from app.services.permits.issuing import new_token
    from models import OrgUnit, Permit, Term, User

    with app.app_context():
        town = db.session.scalar(select(OrgUnit).where(OrgUnit.kind == "town"))
        db.session.add(User(username="town", full_name="镇评价员", role="town", active=True, org_unit=town,
                            password_hash=hash_password("Bench#2026pass")))
        term = db.session.scalar(select(Term).limit(1))
        token = new_token()
        db.session.add(Permit(expert_id=term.expert_id, term_id=term.id, permit_no="WJAQZJ-2026-00001", token=token))
        db.session.commit()
    return {"verify": f"/verify/{token}", "score": "/m/score/new"}


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="save screenshots of the pages measured")
    args = parser.parse_args()
    import expert_list_bench
    from playwright.sync_api import sync_playwright

    tmp = tempfile.mkdtemp(prefix="admin-weight-")
    app = expert_list_bench.build(f"sqlite:///{tmp}/weight.sqlite3", f"{tmp}/uploads", 100)
    phone = phone_pages(app)
    server, base = serve(app)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"])
            context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            recorder = Recorder(cdp)
            cdp.send("Network.clearBrowserCache")
            login(page, base, "office", expert_list_bench.PASSWORD)
            home = recorder.report(f"login and the admin home ({page.url.replace(base, '')})", base)
            recorder.reset()
            page.goto(f"{base}/admin/expert/")
            page.wait_for_load_state("networkidle")
            assert page.locator("table.model-list").count(), page.url
            if args.show:
                page.screenshot(path=f"{tmp}/admin-expert-first.png")
            first = recorder.report("first load of /admin/expert/ in the session", base)
            recorder.reset()
            page.goto(f"{base}/admin/expert/")
            page.wait_for_load_state("networkidle")
            repeat = recorder.report("repeat visit of /admin/expert/", base)
            cdp.send("Network.clearBrowserCache")
            recorder.reset()
            page.goto(f"{base}/admin/expert/")
            page.wait_for_load_state("networkidle")
            cold = recorder.report("/admin/expert/ with an empty browser cache (not judged)", base)

            phone_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                                has_touch=True, locale="zh-CN")
            phone_page = phone_context.new_page()
            phone_cdp = phone_context.new_cdp_session(phone_page)
            phone_cdp.send("Network.enable")
            phone_recorder = Recorder(phone_cdp)
            phone_page.goto(f"{base}{phone['verify']}")
            phone_page.wait_for_load_state("networkidle")
            phone_recorder.report("phone: verify page, first load", base)
            login(phone_page, base, "town", "Bench#2026pass")
            phone_cdp.send("Network.clearBrowserCache")
            phone_recorder.reset()
            phone_page.goto(f"{base}{phone['score']}")
            phone_page.wait_for_load_state("networkidle")
            phone_recorder.report("phone: scoring form, first load", base)
            if args.show:
                phone_page.screenshot(path=f"{tmp}/phone-score.png")
            browser.close()
    finally:
        server.shutdown()
        if not args.show:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nlogin + admin home {home / 1024:.1f} KB; empty cache {cold / 1024:.1f} KB (not judged)")
    print(f"first load {first / 1024:.1f} KB (limit {FIRST_LOAD_LIMIT // 1024} KB), "
          f"repeat visit {repeat / 1024:.1f} KB (limit {REPEAT_LIMIT // 1024} KB); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}" + (f"; screenshots in {tmp}" if args.show else ""))
    return 0 if first <= FIRST_LOAD_LIMIT and repeat <= REPEAT_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
