"""Engine set-up: SQLite pragmas for safe concurrent use (STACK-NOTES)."""
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db


def prepare_engine_options(app: Flask) -> None:
    """Before the engine exists: no connection "pre-ping" on SQLite.

    A pre-ping (``SELECT 1`` at every checkout) finds connections a database server has
    dropped; a file database drops none, and the ping was a third of the statements of the
    permit verification page (bench/verify_bench.py).
    """
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def configure_engine(app: Flask) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys on, and ``BEGIN IMMEDIATE`` for writes."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    _install_sqlite_hooks(engine)


def _install_sqlite_hooks(engine: Engine) -> None:
    if getattr(engine, "_expertpool_hooks", False):
        return
    engine._expertpool_hooks = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy emit BEGIN itself so we can make it IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Taking the write lock up front avoids SQLITE_BUSY on lock upgrade under several workers.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
