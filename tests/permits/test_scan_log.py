"""The scan log (SPEC §5: each scan is logged and counted per expert), buffered per process.

The verify page keeps its scans in memory and writes them together a moment later
(app/services/permits/scan_log.py); these tests hold that no scan is lost on the way: after the
delay, after a failed write, and when the process exits.
"""
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select

from app.services.permits.scan_log import ScanBuffer, write_scans
from models import Permit, VerifyScan

ROOT = Path(__file__).resolve().parents[2]


def _engine(path, *, tables=True):
    engine = create_engine(f"sqlite:///{path}")
    if tables:
        Permit.__table__.create(engine)
        VerifyScan.__table__.create(engine)
        with engine.begin() as conn:
            conn.execute(insert(Permit.__table__), [
                {"id": 1, "expert_id": 1, "permit_no": "WJAQZJ-2026-00001", "token": "a" * 32, "scan_count": 0},
                {"id": 2, "expert_id": 2, "permit_no": "WJAQZJ-2026-00002", "token": "b" * 32, "scan_count": 5},
            ])
    return engine


def _scan(permit_id, status="valid"):
    from app.clock import utcnow
    return {"at": utcnow(), "token": "a" * 32, "ip_hash": "0" * 64, "permit_id": permit_id, "status": status}


def _state(engine):
    with engine.connect() as conn:
        scans = conn.scalar(select(func.count()).select_from(VerifyScan.__table__))
        counts = dict(conn.execute(select(Permit.__table__.c.id, Permit.__table__.c.scan_count)).all())
    return scans, counts


def test_buffered_scans_are_written_together_after_the_delay(tmp_path):
    engine = _engine(tmp_path / "scans.sqlite3")
    buffer = ScanBuffer()
    for permit_id in (1, 1, 2, None, 1):
        buffer.add(engine, _scan(permit_id, "valid" if permit_id else "invalid"), delay=0.1)
    assert _state(engine) == (0, {1: 0, 2: 5})  # nothing written inside the requests
    deadline = time.monotonic() + 5
    while buffer.pending() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.05)
    assert _state(engine) == (5, {1: 3, 2: 6})
    buffer.add(engine, _scan(2), delay=0.05)  # a later scan arms a new flush
    time.sleep(0.5)
    assert _state(engine) == (6, {1: 3, 2: 7})


def test_a_failed_write_keeps_the_scans_for_the_next_flush(tmp_path):
    path = tmp_path / "late.sqlite3"
    engine = _engine(path, tables=False)  # no tables yet: the write fails
    buffer = ScanBuffer()
    buffer.add(engine, _scan(1), delay=60)
    buffer.add(engine, _scan(2), delay=60)
    assert buffer.flush() == 0 and buffer.pending() == 2
    engine.dispose()
    _engine(path)
    assert buffer.flush() == 2 and buffer.pending() == 0
    assert _state(engine) == (2, {1: 1, 2: 6})


def test_write_scans_is_two_statements_for_any_number(tmp_path):
    engine = _engine(tmp_path / "many.sqlite3")
    statements = []
    from sqlalchemy import event
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with engine.begin() as conn:
        write_scans(conn, [_scan(1 + i % 2) for i in range(500)])
    assert len([s for s in statements if not s.startswith("BEGIN")]) == 2
    assert _state(engine) == (500, {1: 250, 2: 255})


def test_scans_still_buffered_are_written_when_the_process_exits(tmp_path):
    path = tmp_path / "exit.sqlite3"
    engine = _engine(path)
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from sqlalchemy import create_engine\n"
        "from app.services.permits.scan_log import buffer\n"
        "from app.clock import utcnow\n"
        "engine = create_engine('sqlite:///' + sys.argv[2])\n"
        "for pid in (1, 2, 2):\n"
        "    buffer.add(engine, {'at': utcnow(), 'token': 'x' * 32, 'ip_hash': '0' * 64, 'permit_id': pid,"
        " 'status': 'valid'}, delay=3600)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(ROOT), str(path)], check=True, timeout=60)
    assert _state(engine) == (3, {1: 1, 2: 7})
