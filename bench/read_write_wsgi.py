"""WSGI app for bench/read_write_bench.py: the product as configured by the bench, for gunicorn only.

With ``BENCH_IMMEDIATE_READS=1`` every transaction begins ``BEGIN IMMEDIATE``, reads
included — how the product worked before — so both can be measured the same way.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app, database  # noqa: E402

if os.environ.get("BENCH_IMMEDIATE_READS"):
    database.begin_statement = lambda: "BEGIN IMMEDIATE"

app = create_app({
    "ENV_NAME": "production", "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
    "UPLOAD_DIR": os.environ["BENCH_UPLOAD_DIR"], "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False,
    "TOTP_REQUIRED": False,
})
