"""The ``mobile`` blueprint object; the package's route modules attach their routes to it."""
from flask import Blueprint

bp = Blueprint("mobile", __name__, template_folder="templates")
