"""Phone pages for staff and experts under ``/m/`` (SPEC §7)."""
from flask import Blueprint

bp = Blueprint("mobile", __name__, template_folder="templates")

from app.discovery import submodules  # noqa: E402

submodules("app.mobile")  # each module adds its routes to ``bp``
