"""The ``public`` blueprint object; the package's route modules attach their routes to it.

Every view of it is open to anyone (app/open_views.py): no login, no two-factor gate, no
account loaded, and its own rate limit (app/public/limits.py ``rate_limited``).
"""
from app.open_views import OpenBlueprint

bp = OpenBlueprint("public", __name__, template_folder="templates")
