"""The public home page; the other public pages live in their own modules."""
from flask import render_template

from app.extensions import limiter
from app.public import bp
from app.public.limits import public_limit


@bp.route("/")
@limiter.limit(public_limit)
def index():
    """Entry page for enterprises, applicants and staff."""
    return render_template("public/index.html")
