"""Phone pages for staff and experts under ``/m/`` (SPEC §7)."""
from flask import Blueprint

bp = Blueprint("mobile", __name__, template_folder="templates")

from app.mobile import views  # noqa: E402,F401
