"""WSGI entry point: ``gunicorn wsgi:app`` / ``flask --app wsgi``."""
from app import create_app

try:
    app = create_app()
except RuntimeError as err:  # a missing key in production: one Chinese line, exit status 1
    raise SystemExit(str(err)) from None
