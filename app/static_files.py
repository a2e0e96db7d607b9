"""Static files: open to anyone, addressed by their content, kept by browsers for a year.

Every URL built for a static file (``url_for('static', …)``, Flask-Admin's
``admin.static``) carries ``?v=``: the version Flask-Admin gives its vendored libraries, or
else the first 12 hex digits of the SHA-256 of the file's content, so an edited file gets a
new URL. A static file requested with ``v`` is sent with ``Cache-Control: public,
max-age=31536000, immutable``: a returning browser does not even ask again. Without ``v``
(an old link, the service worker's own list) the file is revalidated as before.

The static-file views are also open views (app/open_views.py): no session, login or
limiter pass for them.
"""
from __future__ import annotations

import hashlib
import os
from functools import wraps

from flask import Flask, request

from app.open_views import open_to_anyone

#: What a versioned static file is sent with.
IMMUTABLE = "public, max-age=31536000, immutable"

_DIGESTS: dict[tuple[str, int, int], str] = {}


def content_version(path: str) -> str | None:
    """First 12 hex digits of the file's SHA-256 (kept per path, size and modification time)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    digest = _DIGESTS.get(key)
    if digest is None:
        with open(path, "rb") as handle:
            digest = _DIGESTS[key] = hashlib.sha256(handle.read()).hexdigest()[:12]
    return digest


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def init_app(app: Flask) -> None:
    """Version static URLs and wrap the static views; call after every blueprint is registered."""
    folders = {"static": app.static_folder}
    for name, blueprint in app.blueprints.items():
        if blueprint.has_static_folder:
            folders[f"{name}.static"] = blueprint.static_folder

    @app.url_defaults
    def _version(endpoint, values):
        if not _is_static(endpoint) or "v" in values or endpoint not in folders:
            return
        filename = values.get("filename")
        if filename:
            version = content_version(os.path.join(folders[endpoint], filename))
            if version:
                values["v"] = version

    for endpoint, view in list(app.view_functions.items()):
        if _is_static(endpoint):
            app.view_functions[endpoint] = open_to_anyone(_long_lived(view))


def _long_lived(view):
    @wraps(view)
    def static_file(*args, **kwargs):
        response = view(*args, **kwargs)
        if request.args.get("v") and response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    return static_file
