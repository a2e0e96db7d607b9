"""The ``public`` blueprint object; the package's route modules attach their routes to it.

Every view of it is open to anyone (app/open_views.py): no login, no two-factor gate, no
account loaded, and its own rate limit (app/public/limits.py ``rate_limited``).
"""
from werkzeug.routing import PathConverter

from app.open_views import OpenBlueprint

bp = OpenBlueprint("public", __name__, template_folder="templates")


class AnyTextConverter(PathConverter):
    """Like ``path``, but line breaks too: a QR code read wrongly may carry a CR or LF, and that
    request must still reach the page that says 无效证件 instead of the generic 页面不存在."""

    regex = r"[^/][\s\S]*?"


@bp.record_once
def _register_converters(state):
    # Runs when the blueprint is registered, before its routes are added to the app's map.
    state.app.url_map.converters.setdefault("anytext", AnyTextConverter)
