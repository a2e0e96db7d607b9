"""The in-memory rate-limit storage of the public pages: counts, expires, and starts no thread per hit."""
import threading
import time

from limits import parse
from limits.storage.memory import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

import app.public.limits as public_limits  # applies the sweep on the request path


def test_hits_start_no_thread():
    storage = MemoryStorage()
    time.sleep(0.05)  # the constructor's own timer has run out
    before = threading.active_count()
    limiter, item = FixedWindowRateLimiter(storage), parse("1000/second")
    for _ in range(20):
        assert limiter.hit(item, "198.51.100.1")
        time.sleep(0.012)  # longer than the library's 10 ms timer: unpatched, each hit would start one
        assert threading.active_count() == before


def test_the_limit_still_holds_and_expires():
    storage = MemoryStorage()
    limiter, item = FixedWindowRateLimiter(storage), parse("2/second")
    assert limiter.hit(item, "a") and limiter.hit(item, "a")
    assert not limiter.hit(item, "a")
    time.sleep(1.05)
    assert limiter.hit(item, "a")


def test_expired_counters_are_swept_from_memory():
    storage = MemoryStorage()
    storage.incr("gone", expiry=0.01)
    time.sleep(0.02)
    storage._next_sweep = 0.0  # a sweep is due
    storage.incr("kept", expiry=60)
    assert "gone" not in storage.storage and storage.storage["kept"] == 1
    assert public_limits.SWEEP_SECONDS <= 5
