"""The scan log of permit verification (SPEC §5: each scan is logged and counted per expert).

A scan of a permit's QR code is one row of ``verify_scan`` (time, token, a hash of the
client's address, the permit, the status shown) and one more on ``permit.scan_count``.

The verify page is the system's hot page, and on SQLite every write takes the database's
one write lock: written inside each request, the two statements and their lock were a
quarter of the page's cost, most of it waiting for another worker's scan
(bench/verify_bench.py). So a process keeps its scans in memory and writes them together
in one short transaction ``VERIFY_SCAN_FLUSH_SECONDS`` after the first of them (0.25 s in
production), from a timer thread, and at exit. With 0 (tests) each scan is written at once
in a transaction of its own; a caller that already holds a transaction writes it in that one.

What may be lost: the last quarter-second of scans of a worker killed with SIGKILL. A
flush that fails (the database unreachable) keeps its rows for the next one, up to
``MAX_PENDING`` rows; beyond that the oldest are dropped and the loss is logged.
"""
from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Connection, Engine

from app.database import writing
from models import Permit, VerifyScan

log = logging.getLogger(__name__)

#: Rows a process keeps at most while its flushes fail.
MAX_PENDING = 50_000

_SCANS = VerifyScan.__table__
_PERMITS = Permit.__table__
_INSERT = insert(_SCANS)
# updated_at is named so that its on-update default stays out: a scan does not change the permit.
_COUNT = (update(_PERMITS).where(_PERMITS.c.id == bindparam("pid"))
          .values(scan_count=_PERMITS.c.scan_count + bindparam("n"), updated_at=_PERMITS.c.updated_at))


def write_scans(connection: Connection, scans: list[dict]) -> None:
    """Insert ``scans`` (rows of ``verify_scan``) and add them to their permits' counters.

    Two statements whatever the number of scans; the caller owns the transaction.
    """
    if not scans:
        return
    connection.execute(_INSERT, scans)
    counts = Counter(s["permit_id"] for s in scans if s["permit_id"] is not None)
    if counts:
        connection.execute(_COUNT, [{"pid": pid, "n": n} for pid, n in sorted(counts.items())])


class ScanBuffer:
    """Scans of one process waiting to be written, per database engine."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards _pending and _timer; held for microseconds
        self._writing = threading.Lock()  # one flush at a time: the exit flush waits for the timer's
        self._pending: dict[Engine, list[dict]] = {}
        self._timer: threading.Timer | None = None
        self._atexit = False

    def add(self, engine: Engine, scan: dict, delay: float) -> None:
        """Keep ``scan`` and make sure a flush is due within ``delay`` seconds."""
        with self._lock:
            rows = self._pending.setdefault(engine, [])
            rows.append(scan)
            if len(rows) > MAX_PENDING:
                del rows[: len(rows) - MAX_PENDING]
                log.error("verify scan log: more than %d scans unwritten, the oldest dropped", MAX_PENDING)
            if not self._atexit:
                atexit.register(self.flush)
                self._atexit = True
            if self._timer is None:
                self._timer = threading.Timer(delay, self._on_timer)
                self._timer.daemon = True
                self._timer.start()

    def pending(self) -> int:
        with self._lock:
            return sum(len(rows) for rows in self._pending.values())

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
        self.flush()

    def flush(self) -> int:
        """Write every kept scan now; the number written. Failed rows stay for the next flush.

        Flushes run one at a time: at exit, a timer flush still writing (in a daemon thread the
        interpreter would stop half-way) is waited for before the rest is written.
        """
        with self._writing:
            with self._lock:
                batches, self._pending = self._pending, {}
            written = 0
            for engine, rows in batches.items():
                try:
                    with engine.begin() as connection:
                        write_scans(connection, rows)
                    written += len(rows)
                except Exception:  # noqa: BLE001 - a scan log must never break the page; keep and report
                    log.exception("verify scan log: writing %d scans failed, kept for the next flush", len(rows))
                    with self._lock:
                        self._pending.setdefault(engine, [])[:0] = rows
            return written


#: The process's buffer. A gunicorn worker forked from a preloading master inherits it empty.
buffer = ScanBuffer()


def record_scan(engine: Engine, scan: dict, *, delay: float, connection: Connection | None = None) -> None:
    """Log one scan: at once in ``connection``'s transaction, or with ``delay`` > 0 through the buffer."""
    if connection is not None:
        write_scans(connection, [scan])
    elif delay > 0:
        buffer.add(engine, scan, delay)
    else:
        # Served by a GET: a transaction of its own that takes the write lock up front (app/database.py).
        with writing(), engine.begin() as own:
            write_scans(own, [scan])
