"""Public pages, no login, phone first (SPEC §5)."""
from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="templates")

from app.public import views  # noqa: E402,F401
