"""The ``public`` blueprint object; the package's route modules attach their routes to it."""
from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="templates")
