"""The public home page; the other public pages live in their own modules."""
from flask import current_app, render_template

from app.public.blueprint import bp
from app.public.limits import rate_limited


@bp.route("/")
@rate_limited()
def index():
    """Entry page for enterprises, applicants and staff: 自荐申请, 进度查询, 公告, 投诉举报."""
    has_complaints = "public.complaint_new" in current_app.view_functions
    return render_template("public/index.html", has_complaints=has_complaints)
