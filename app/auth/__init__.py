"""Staff and expert login: ``/login`` and ``/logout`` (SPEC §7)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import views  # noqa: E402,F401  (routes register on the blueprint)
