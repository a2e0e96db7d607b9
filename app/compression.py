"""Compressed responses (Flask-Compress): HTML, CSS, JavaScript and JSON of 4 KB and more.

zstd, brotli or gzip, whichever the browser accepts first in that order (browsers offer zstd
and brotli over HTTPS only). Static files are compressed as they stream; once sent with a
version in their URL, browsers keep them for a year (app/static_files.py), so that cost is
paid rarely.

Small responses go as they are: gzip of the 2.7 KB permit verification page cost 0.13 ms of
CPU — a quarter of the page — to save 1.3 KB (bench/README.md), and the hook itself is
skipped for them before it parses any header.
"""
from flask import Flask

from app.extensions import compress


def init_app(app: Flask) -> None:
    """Install Flask-Compress behind a size check (``COMPRESS_MIN_SIZE``)."""
    app.config["COMPRESS_REGISTER"] = False  # the hook below calls Flask-Compress itself
    app.config.setdefault("COMPRESS_MIN_SIZE", 4096)
    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", ["static", "admin.static"])
    compress.init_app(app)
    minimum = app.config["COMPRESS_MIN_SIZE"]

    @app.after_request
    def compress_large(response):
        length = response.content_length
        if length is not None and length < minimum:
            return response
        return compress.after_request(response)
