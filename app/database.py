"""Engine set-up: SQLite pragmas and transactions for safe concurrent use.

On SQLite (WAL) a transaction that only reads never waits and is never waited for; one that
writes holds the database's single write lock. A read transaction must not become a write
one later: when another writer committed since it began, SQLite answers ``SQLITE_BUSY`` at
once, without waiting for the busy timeout. So the kind is decided when the transaction
begins (:func:`begin_statement`):

* requests with a reading method (GET, HEAD, OPTIONS) begin a deferred transaction
  (``BEGIN``): page views run side by side and beside the writers;
* requests with a writing method (POST, PUT, PATCH, DELETE), CLI commands, and work outside
  any request (the scan log's timer, scripts) begin ``BEGIN IMMEDIATE``, taking the write
  lock up front;
* code that must write while serving a read (none in the product today) does it in a
  transaction of its own opened under :func:`writing`;
* a writing view marked :func:`read_first` (the phone's scoring POST) begins deferred too: it
  reads and checks without the write lock, ends that transaction (:func:`end_reads`) and
  writes in a short one of its own under :func:`writing` — 50 phones scoring at once then
  queue only for the inserts, not for each other's parsing and validation.

Services flush; the request layer commits, through :func:`run_action` on the admin and the
phone alike: commit on success, roll back and show the Chinese reason on refusal.

A write statement inside a deferred transaction is refused in tests (``TESTING``) with
:class:`WriteInReadTransaction` and logged elsewhere, so the test suite finds any GET handler
that writes.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, flash, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.services.errors import DomainError

log = logging.getLogger(__name__)

#: Methods whose requests only read (RFC 9110 safe methods).
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_WRITING: ContextVar[bool] = ContextVar("expertpool_writing", default=False)
_WRITE_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


class WriteInReadTransaction(RuntimeError):
    """A write statement was sent inside a deferred (read) transaction on SQLite."""


def begin_statement() -> str:
    """The statement that begins a transaction here and now (see the module doc)."""
    if not _WRITING.get() and has_request_context() and (request.method in READING_METHODS or _reads_first()):
        return "BEGIN"
    return "BEGIN IMMEDIATE"


def read_first(view):
    """Mark a writing view that reads and checks before it writes (see the module doc): its
    request begins a deferred transaction; the view calls :func:`end_reads`, then writes and
    commits inside ``with writing():``."""
    view.expertpool_read_first = True
    return view


def _reads_first() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, "expertpool_read_first", False))


def end_reads() -> None:
    """End the request's read transaction, keeping what it loaded (nothing is expired: the
    records read are used by the write that follows, which re-checks what may have changed)."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


@contextmanager
def writing():
    """Transactions begun inside the block take the write lock up front, whatever the request.

    For the rare write made while serving a read: end the request's read transaction first
    (``db.session.commit()``), then write and commit inside the block.
    """
    token = _WRITING.set(True)
    try:
        yield
    finally:
        _WRITING.reset(token)


def run_action(action: Callable[[], Any], success: str | Callable[[Any], str] | None = None, *,
               stale_message: str) -> tuple[Any, bool]:
    """Run a page's domain ``action`` and end its transaction. Returns ``(result, ok)``.

    On success: commit and flash ``success`` (a text, or a function of the action's result that
    gives one, for words that name what was done). On a refusal (:class:`DomainError`) roll
    back and flash its Chinese message (each of its ``problems`` where it lists several); on a
    record someone else changed meanwhile (``StaleDataError``) roll back and flash
    ``stale_message`` (the admin and the phone word it each their own way). Nothing is
    half-written either way.
    """
    try:
        result = action()
        message = success(result) if callable(success) else success
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        for problem in getattr(err, "problems", None) or [str(err)]:  # a form's refusal lists each
            flash(problem, "error")
        return None, False
    except StaleDataError:
        db.session.rollback()
        flash(stale_message, "error")
        return None, False
    if message:
        flash(message, "success")
    return result, True


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
    """On SQLite: WAL, a busy timeout, foreign keys on, deferred reads and immediate writes."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    _install_sqlite_hooks(engine, strict=bool(app.testing))
    app.teardown_request(end_read_transaction)


def end_read_transaction(_exc=None) -> None:
    """A read (GET/HEAD) request's deferred transaction ends with the request, writing nothing.

    Flask-SQLAlchemy ends it when the app context goes, right after; where an app context
    outlives its requests (tests, scripts), the next request would otherwise write in a
    read transaction it did not begin. A transaction begun before the request (a test's own
    work) is left alone.
    """
    if request.method not in READING_METHODS or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    try:
        read_only = session.connection().info.get("expertpool_read_only")
    except PendingRollbackError:  # the request failed inside a flush
        read_only = True
    if read_only:
        session.rollback()  # it wrote nothing: ending it either way is the same


def _install_sqlite_hooks(engine: Engine, *, strict: bool) -> None:
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
        statement = begin_statement()
        conn.info["expertpool_read_only"] = statement == "BEGIN"
        conn.exec_driver_sql(statement)

    @event.listens_for(engine, "before_cursor_execute")
    def _no_write_in_a_read(conn, _cursor, statement, _parameters, _context, _executemany):
        if conn.info.get("expertpool_read_only") and _WRITE_SQL.match(statement):
            reading = has_request_context() and request.method in READING_METHODS
            where = f"{request.method} {request.path}" if has_request_context() else "outside a request"
            message = f"write inside a read transaction ({where}): {statement[:80]}"
            # Tests share one session across requests, so a POST may continue the transaction a
            # GET began; only a write made while serving a read is a fault there.
            if strict and reading:
                raise WriteInReadTransaction(message)
            log.warning("%s", message)
