"""Public pages, no login, phone first (SPEC §5)."""
from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="templates")

from app.discovery import submodules  # noqa: E402

submodules("app.public")  # each module adds its routes to ``bp``
