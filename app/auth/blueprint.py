"""The ``auth`` blueprint object; the package's route modules attach their routes to it."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
