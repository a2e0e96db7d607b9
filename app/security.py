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
- The nonce is made only when a template prints one (Flask-Admin's pages); a response
  that carries no inline script (a redirect, JSON, a static file) gets no nonce.
- Cookies: ``HttpOnly`` and ``SameSite=Lax`` always (config); ``Secure`` whenever the
  request came over HTTPS — directly, or through a trusted reverse proxy when
  ``PROXY_FIX=1`` (``X-Forwarded-Proto``) — and always when ``SESSION_COOKIE_SECURE``
  is on (the production default). The session cookie itself: app/sessions.py.
- Numbers in query strings and forms: ``request.args.get(name, type=int)`` treats a number
  no integer column holds (``?id=99999999999999999999``) like a malformed one and gives the
  default, so no view hands the database a value it refuses with an error page.

Every response passes here (the static files too), so the headers are put together once.
"""
import secrets

from flask import Flask, Request, abort, current_app, request
from werkzeug.datastructures import ImmutableMultiDict

from app.extensions import csrf
from app.sessions import CookieSessionInterface

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
    "script-src 'self'{nonce}; script-src-attr 'none'; font-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
_ADMIN_CSP_NO_NONCE = ADMIN_CSP.format(nonce="")
#: The headers every response gets unless the view set its own (lower-case name, name, value).
_COMMON = (("x-content-type-options", "X-Content-Type-Options", "nosniff"),
           ("x-frame-options", "X-Frame-Options", "DENY"),
           ("referrer-policy", "Referrer-Policy", "same-origin"))


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


def _secure_cookies(response):
    """Mark every cookie set on an HTTPS response ``Secure`` (the remember-me cookie too)."""
    cookies = response.headers.getlist("Set-Cookie")
    if cookies and any("secure" not in c.lower() for c in cookies):
        response.headers.remove("Set-Cookie")
        for cookie in cookies:
            if "; secure" not in cookie.lower():
                cookie += "; Secure"
            response.headers.add("Set-Cookie", cookie)


def _csp(environ) -> str:
    path = environ.get("PATH_INFO", "")
    if not (path == "/admin" or path.startswith("/admin/")):
        return STRICT_CSP
    nonce = environ.get(_NONCE_KEY)
    return ADMIN_CSP.format(nonce=f" 'nonce-{nonce}'") if nonce else _ADMIN_CSP_NO_NONCE


def harden(response):
    """The security headers (the view's own win), and ``Secure`` cookies over HTTPS."""
    environ = request.environ
    secure = environ.get("wsgi.url_scheme") == "https"  # what request.is_secure reads (after ProxyFix)
    if secure:
        _secure_cookies(response)
    headers = response.headers
    present = {key.lower() for key, _value in headers.items()}
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", _csp(environ))
    for lower, name, value in _COMMON:
        if lower not in present:
            headers.add(name, value)
    if secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", "max-age=31536000")
    return response


def protect_writes():
    """Flask-WTF's CSRF check, for the methods that can change something (POST, PUT, PATCH, DELETE).

    Flask-WTF's own hook (``WTF_CSRF_CHECK_DEFAULT``, off here) looks up the view's exemptions
    before it looks at the method, on every GET and every static file; the check is the same.
    """
    config = current_app.config
    if request.method in config["WTF_CSRF_METHODS"] and config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def refuse_nul_bytes():
    """No typed text contains NUL; PostgreSQL refuses it in any text value (a 500 deep in a
    query), so such a request is refused up front on both databases."""
    environ = request.environ
    # PATH_INFO is already decoded; in the query string a NUL can only come as %00.
    if "\x00" in environ.get("PATH_INFO", "") or "%00" in environ.get("QUERY_STRING", ""):
        if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
            abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        if any("\x00" in v for v in request.form.values()):
            abort(400)
    return None


def init_app(app: Flask) -> None:
    """Attach the headers, the cookie rules and, with ``PROXY_FIX``, the proxy header fix."""
    app.session_interface = CookieSessionInterface()
    app.request_class = BoundedRequest
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config.get("PROXY_FIX_HOPS", 1))
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    app.before_request(protect_writes)
    app.before_request(refuse_nul_bytes)
    # after_request functions run last-registered-first; this one must see the cookie
    # Flask-Login sets in its own after_request, so it goes to the front of the list.
    app.after_request_funcs.setdefault(None, []).insert(0, harden)
