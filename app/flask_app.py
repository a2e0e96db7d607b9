"""The application class: Flask, deciding once per function whether it is a coroutine.

Flask asks :meth:`~flask.Flask.ensure_sync` of every hook and view on every request (14 times
for a public page) and each answer inspects the function's code flags again — about a sixth of
what the product adds to a bare request over pure Flask (bench/request_profile.py). Flask's
documentation names this method as the one to override; the answer for a function never
changes, so it is kept. Async views still work: they are wrapped once and the wrapper kept.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


class ExpertPoolFlask(Flask):
    """Flask with :meth:`ensure_sync` remembered per function."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synced[func]
        except KeyError:
            synced = self._synced[func] = super().ensure_sync(func)
            return synced
        except TypeError:  # an unhashable callable: ask Flask each time
            return super().ensure_sync(func)
