"""Security headers for every response (CSP, framing, sniffing, referrer) and cookie hardening.

- Public and phone pages: a strict CSP with no inline script at all.
- ``/admin``: scripts only from this site or inline ``<script>`` blocks carrying this
  request's nonce. Flask-Admin prints ``{{ admin_csp_nonce_attribute }}`` on every script
  tag of its templates; ``csp_nonce`` is passed to ``Admin(csp_nonce_generator=...)``.
  Inline event handlers (``onclick="..."``) stay forbidden; the few that Flask-Admin's
  templates carry (delete confirmation, bulk actions, adding an inline row, filter links)
  are re-attached by ``static/admin-csp.js`` as ordinary listeners. Admin templates
  should use ``data-confirm="…"`` on a button instead of ``onclick="return confirm(…)"``.
  Inline *styles* are still allowed in the admin: its templates are full of ``style=``.
- Cookies: ``HttpOnly`` and ``SameSite=Lax`` always (config); ``Secure`` whenever the
  request came over HTTPS — directly, or through a trusted reverse proxy when
  ``PROXY_FIX=1`` (``X-Forwarded-Proto``) — and always when ``SESSION_COOKIE_SECURE``
  is on (the production default).
- Numbers in query strings and forms: ``request.args.get(name, type=int)`` treats a number
  no integer column holds (``?id=99999999999999999999``) like a malformed one and gives the
  default, so no view hands the database a value it refuses with an error page.
"""
import secrets

from flask import Flask, Request, abort, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.datastructures import ImmutableMultiDict

#: What an integer column (32-bit on PostgreSQL) can hold.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class BoundedArgs(ImmutableMultiDict):
    """Query or form values whose ``get(…, type=int)`` refuses numbers out of any column's range."""

    def get(self, key, default=None, type=None):  # noqa: A002  (werkzeug's signature)
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and value is not default and not INT_MIN <= value <= INT_MAX:
            return default
        return value


class BoundedRequest(Request):
    """The app's request: query strings and forms parsed into :class:`BoundedArgs`."""

    parameter_storage_class = BoundedArgs

# Public and phone pages carry no inline script at all.
STRICT_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; worker-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
# Flask-Admin: nonce'd inline scripts, no inline event handlers, inline styles allowed.
ADMIN_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'nonce-{nonce}'; script-src-attr 'none'; font-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)


_NONCE_KEY = "expertpool.csp_nonce"


def csp_nonce() -> str:
    """This request's CSP nonce (one per request, unpredictable).

    Kept in the WSGI environ, not on ``g``: ``g`` belongs to the app context, which
    several requests may share (tests, scripts), and a nonce must never be reused.
    """
    environ = request.environ
    nonce = environ.get(_NONCE_KEY)
    if nonce is None:
        nonce = environ[_NONCE_KEY] = secrets.token_urlsafe(18)
    return nonce


class AutoSecureSessionInterface(SecureCookieSessionInterface):
    """The session cookie is ``Secure`` when configured so or when the request is HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _secure_cookies_over_https(response):
    """Mark every cookie set on an HTTPS response ``Secure`` (the remember-me cookie too)."""
    if not request.is_secure:
        return response
    cookies = response.headers.getlist("Set-Cookie")
    if cookies and any("secure" not in c.lower() for c in cookies):
        response.headers.remove("Set-Cookie")
        for cookie in cookies:
            if "; secure" not in cookie.lower():
                cookie += "; Secure"
            response.headers.add("Set-Cookie", cookie)
    return response


def init_app(app: Flask) -> None:
    """Attach the headers, the cookie rules and, with ``PROXY_FIX``, the proxy header fix."""
    app.session_interface = AutoSecureSessionInterface()
    app.request_class = BoundedRequest
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config.get("PROXY_FIX_HOPS", 1))
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)

    @app.before_request
    def _refuse_nul_bytes():
        # No typed text contains NUL; PostgreSQL refuses it in any text value (a 500 deep in
        # a query), so such a request is refused up front on both databases.
        if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
            abort(400)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            if any("\x00" in v for v in request.form.values()):
                abort(400)
        return None

    # after_request functions run last-registered-first; this one must see the cookie
    # Flask-Login sets in its own after_request, so it goes to the front of the list.
    app.after_request_funcs.setdefault(None, []).insert(0, _secure_cookies_over_https)

    @app.after_request
    def _headers(response):
        if request.path == "/admin" or request.path.startswith("/admin/"):
            csp = ADMIN_CSP.format(nonce=csp_nonce())
        else:
            csp = STRICT_CSP
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
