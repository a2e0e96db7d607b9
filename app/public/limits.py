"""Rate limits for public pages (Flask-Limiter; storage from ``RATELIMIT_STORAGE_URI``).

``memory://`` (the default, one process) counts in the process; with several gunicorn
workers set ``RATELIMIT_STORAGE_URI=redis://…`` so that all workers share the counts.
A client over the limit gets the Chinese 429 page of ``app.errors``.
"""
import threading
import time
from functools import lru_cache

from flask import current_app, request
from limits import parse_many
from limits.storage.memory import MemoryStorage

from app.extensions import limiter

#: Seconds between two sweeps of expired counters in the in-memory storage.
SWEEP_SECONDS = 1.0


def public_limit() -> str:
    """The per-client limit on every public page, from config ``PUBLIC_RATE_LIMIT``."""
    return current_app.config["PUBLIC_RATE_LIMIT"]


@lru_cache(maxsize=16)
def _parsed(limit: str):
    return tuple(parse_many(limit))


def within_public_limit(scope: str) -> bool:
    """Count this request against ``PUBLIC_RATE_LIMIT`` in ``scope``; False once over it.

    The same limit, storage and client key (the remote address) as ``@limiter.limit(public_limit)``,
    applied through Flask-Limiter's rate-limiting strategy (``limiter.limiter``) directly. Used by
    the permit verification page, where the decorator's generic bookkeeping was the largest single
    cost of the request (bench/verify_bench.py); the caller answers 429 itself.
    """
    if not limiter.enabled:
        return True
    client = request.remote_addr or "127.0.0.1"
    strategy = limiter.limiter
    return all(strategy.hit(item, "public", scope, client) for item in _parsed(current_app.config["PUBLIC_RATE_LIMIT"]))


#: Endpoints that count themselves with ``within_public_limit``: Flask-Limiter's own per-request
#: pass (resolving decorated, default and blueprint limits, ~0.15 ms) is skipped for them.
SELF_COUNTED = frozenset({"public.verify"})


@limiter.request_filter
def _counted_by_the_view() -> bool:
    return request.endpoint in SELF_COUNTED


def _sweep_on_request(self) -> None:
    """Drop expired counters at most once a second, on the request that notices it is due."""
    now = time.monotonic()
    if now < getattr(self, "_next_sweep", 0.0):
        return
    with _SWEEP_LOCK:
        if now < getattr(self, "_next_sweep", 0.0):
            return
        self._next_sweep = now + SWEEP_SECONDS
    self._MemoryStorage__expire_events()


_SWEEP_LOCK = threading.Lock()

# limits' MemoryStorage schedules the removal of expired counters with a 10 ms
# ``threading.Timer`` and starts a new one on every hit once the last has finished: under
# steady traffic that is a new thread per request, measured at ~0.3 ms CPU of a ~1.5 ms
# permit verification (bench/verify_bench.py). The timer only frees memory — ``get`` drops
# an expired counter by itself — so the sweep runs on the request path instead, at most
# once a second. Only ``memory://`` is concerned; Redis storage has no such timer.
if hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry") and hasattr(
    MemoryStorage, "_MemoryStorage__expire_events"
):
    MemoryStorage._MemoryStorage__schedule_expiry = _sweep_on_request
