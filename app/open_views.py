"""Views open to anyone, and what the request path spares them.

A view is *open* when no login can matter to it: every page of the public blueprint
(SPEC §5, an ``OpenBlueprint``), the static files (app/static_files.py), and any view decorated with
``@open_to_anyone``. The global hooks that exist for logged-in pages do nothing there:

* Flask-Login's remember-cookie hook, and so the account is never loaded (no user loader,
  no session-protection hash) unless the page itself asks for ``current_user``;
* the two-factor gate (app/auth/views.py);
* Flask-Limiter's generic pass before, after and at the end of each request: open views
  count their own limit (app/public/limits.py).

Together with the lazily read session cookie (app/sessions.py) and the CSP nonce made only
when a template prints one (app/security.py), an open page pays for what it uses and no
more (bench/request_profile.py has the breakdown). The decision follows the app's
structure — a new public page is open because it belongs to the public blueprint — never a
list of paths.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Blueprint, Flask, current_app, request

#: The attribute that marks a view function as open.
OPEN = "open_to_anyone"


def open_to_anyone(view: Callable) -> Callable:
    """Mark ``view`` as open to anyone (see the module doc); returns it."""
    setattr(view, OPEN, True)
    return view


def is_open_view() -> bool:
    """Whether this request is answered by an open view (False when routing failed).

    Asked by several hooks per request, so the answer is kept on the request.
    """
    req = request._get_current_object()
    answer = req.__dict__.get(_ANSWER)
    if answer is None:
        rule = req.url_rule
        answer = req.__dict__[_ANSWER] = bool(
            rule is not None and getattr(current_app.view_functions.get(rule.endpoint), OPEN, False))
    return answer


_ANSWER = "_expertpool_open_view"


class OpenBlueprint(Blueprint):
    """A blueprint every view of which is open to anyone."""

    def add_url_rule(self, rule, endpoint=None, view_func=None, **options) -> None:
        if view_func is not None:
            open_to_anyone(view_func)
        super().add_url_rule(rule, endpoint, view_func, **options)


_HOOK_LISTS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


@contextmanager
def spared_on_open_views(app: Flask) -> Iterator[None]:
    """Make the global request hooks registered inside the block do nothing on open views.

    Used around an extension's ``init_app`` (Flask-Limiter, Flask-Login): whatever hooks
    it adds are found by comparing the app's hook lists before and after, so no private
    name of the extension is relied upon.
    """
    before = {name: list(getattr(app, name).get(None, ())) for name in _HOOK_LISTS}
    yield
    for name in _HOOK_LISTS:
        hooks = getattr(app, name).get(None)
        if not hooks:
            continue
        known = before[name]
        hooks[:] = [hook if any(hook is old for old in known) else _spared(hook) for hook in hooks]


def _spared(hook: Callable) -> Callable:
    """``hook`` (before, after or teardown) skipped on open views; an after hook passes the response on."""

    def spared(*args):
        if is_open_view():
            return args[0] if args else None
        return hook(*args)

    spared.__name__ = f"spared_on_open_views({getattr(hook, '__qualname__', None) or getattr(hook, 'func', hook)})"
    spared.__wrapped__ = hook
    return spared
