"""``/favicon.ico``: browsers ask for it on every site whether a page links it or not; a 404
there is an error in every page's console. The pages link the SVG icon; this serves the
ICO (16 and 32 px) for browsers and tools that ask the fixed address."""
from flask import current_app, send_from_directory


def serve():
    """The icon, cacheable for a day."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)
