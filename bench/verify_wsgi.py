"""WSGI app for bench/verify_bench.py: the product app plus a bare page, for gunicorn only.

``/bench/bare`` answers the same fixed 200-byte page as the pure-Flask yardstick
(bench/pure_wsgi.py), from the product app: it is registered as a public page is — open to
anyone (app/open_views.py) — so it pays exactly what the product's request path costs a
public page that does nothing. It exists only here, never in the product. Configuration
comes from the environment the bench sets.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.open_views import open_to_anyone  # noqa: E402

BARE_PAGE = ("<!doctype html><html lang=zh-CN><head><meta charset=utf-8><title>bare</title></head>"
             "<body><p>" + "x" * 89 + "</p></body></html>").encode()
assert len(BARE_PAGE) == 200, len(BARE_PAGE)

app = create_app({
    "ENV_NAME": "production",
    "SECRET_KEY": "bench-secret", "DATA_ENCRYPTION_KEY": "0" * 32,
    "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
    "UPLOAD_DIR": os.environ["BENCH_UPLOAD_DIR"],
    "PUBLIC_BASE_URL": "http://127.0.0.1",
    # The limiter stays on (its cost is part of the page) but must not stop the load.
    "PUBLIC_RATE_LIMIT": "100000000 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
})


def bare():
    return app.response_class(BARE_PAGE, mimetype="text/html")


app.add_url_rule("/bench/bare", "bench_bare", open_to_anyone(bare))
