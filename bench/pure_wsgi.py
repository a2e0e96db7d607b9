"""The yardstick of the request benchmarks: pure Flask, one route, no extension, no hook.

Served by ``bench/verify_bench.py`` under the same gunicorn settings as the product. It
answers the same 200-byte page as the product's ``/bench/bare`` (bench/verify_wsgi.py),
so the two differ only by what the product does around a request. Nothing of the product
is imported: a yardstick inside the product would hide the product's own overhead.
"""
from flask import Flask

BARE_PAGE = ("<!doctype html><html lang=zh-CN><head><meta charset=utf-8><title>bare</title></head>"
             "<body><p>" + "x" * 89 + "</p></body></html>").encode()
assert len(BARE_PAGE) == 200, len(BARE_PAGE)

app = Flask(__name__)


@app.route("/bench/bare")
def bare():
    """The fixed page."""
    return app.response_class(BARE_PAGE, mimetype="text/html")
