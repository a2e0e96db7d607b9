"""Permit verification, the QR target (SPEC §5, §7: ``GET /verify/<token>``).

Public and phone first: one light page without JavaScript, or JSON for a client that
asks for it. Every answer is private to this moment (``no-store``), kept out of search
engines and sends no referrer (the token is in the URL). A forged, altered or unknown
token gets the 无效证件 page with status 404.
"""
from flask import abort, current_app, jsonify, request, send_file
from jinja2 import Environment

from app.public.blueprint import bp
from app.public.limits import rate_limited
from app.services.permits.verification import check_permit, photo_path_for
from app.services.uploads import upload_path

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
#: The page's headers, put on the response as it is made (this is the hot page).
_PAGE_HEADERS = [*PRIVATE_HEADERS.items(), ("Vary", "Accept")]


def _wants_json() -> bool:
    # text/html first: a browser's */* then picks HTML; only an explicit preference gives JSON.
    # A browser's Accept names no JSON at all, and parsing it is a tenth of the page's cost.
    if "json" not in request.environ.get("HTTP_ACCEPT", ""):
        return False
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == "application/json"


def _page_environment() -> Environment:
    """A Jinja environment for the page alone: the app's templates, autoescaped, none of the
    app's 30-odd globals or Flask's context processors (user, CSRF, flashes), which the page
    does not use and every render would otherwise copy — a third of the render on this hot page."""
    env = current_app.extensions.get("verify_page_env")
    if env is None:
        app_env = current_app.jinja_env
        env = Environment(loader=app_env.loader, autoescape=True, auto_reload=app_env.auto_reload)
        current_app.extensions["verify_page_env"] = env
    return env


def _private(response):
    response.headers.update(PRIVATE_HEADERS)
    response.vary.add("Accept")
    return response


@bp.route("/verify/<anytext:token>")
@rate_limited()
def verify(token):
    """The card's status now, computed from the records; the scan is logged and counted.

    Rate-limited like every public page (``PUBLIC_RATE_LIMIT`` per client).
    """
    check = check_permit(token, ip=request.remote_addr, secret=current_app.config["SECRET_KEY"])
    code = 200 if check.found else 404
    if _wants_json():
        response = jsonify(check.as_json())
        response.status_code = code
        return _private(response)
    page = _page_environment().get_template("public/verify.html").render(
        c=check, token=token, root=request.script_root)
    return current_app.response_class(page, status=code, headers=_PAGE_HEADERS, mimetype="text/html")


@bp.route("/verify/<token>/photo")
@rate_limited()
def verify_photo(token):
    """The holder's photo thumbnail (≤ 25 KB) for the verify page."""
    path = upload_path(photo_path_for(token))
    if path is None:
        abort(404)
    return _private(send_file(path, mimetype="image/jpeg", max_age=0, conditional=False, etag=False))
