"""Rate limits of the public pages (storage from ``RATELIMIT_STORAGE_URI``).

``memory://`` (the default, one process) counts in the process; with several gunicorn
workers set ``RATELIMIT_STORAGE_URI=redis://…`` so that all workers share the counts.
A client over the limit gets the Chinese 429 page of ``app.errors``.

Public pages are open views (app/open_views.py): Flask-Limiter's generic per-request pass —
resolving decorated, default and blueprint limits before the view and its bookkeeping after
it, ~0.1 ms of a 1 ms page — is skipped for them, and each counts its own limit with
``@rate_limited()``: the same storage, rate-limiting strategy and client key (the remote
address) as Flask-Limiter, through its strategy (``limiter.limiter``) directly.
"""
import threading
import time
from functools import lru_cache, wraps

from flask import abort, current_app, request
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


def within_limit(scope: str, limit: str | None = None) -> bool:
    """Count this request against ``limit`` (default ``PUBLIC_RATE_LIMIT``) in ``scope``; False once over it."""
    if not limiter.enabled:
        return True
    client = request.remote_addr or "127.0.0.1"
    strategy = limiter.limiter
    return all(strategy.hit(item, "public", scope, client) for item in _parsed(limit or public_limit()))


def rate_limited(limit: str | None = None, *, methods: tuple[str, ...] | None = None):
    """Decorator: count each request of the view against ``limit`` (default ``PUBLIC_RATE_LIMIT``)
    per client, apart for each view; past it, 429. ``methods`` limits the counting to those methods.
    """
    def decorate(view):
        @wraps(view)
        def counted(*args, **kwargs):
            if methods is None or request.method in methods:
                scope = request.endpoint if limit is None else f"{request.endpoint} {limit}"
                if not within_limit(scope, limit):
                    abort(429)
            return view(*args, **kwargs)

        return counted

    return decorate


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
