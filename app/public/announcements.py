"""Public announcements (公告): appointments (第七条), dismissals (第十三条), annual results
(第二十二条) and the blacklist (第二十一条) — SPEC §5, §7 ``GET /announcements``.

Only published rows are shown, and of the experts named only what an
``AnnouncementEntry`` keeps (name, groups, employer): never an ID number, phone or
address.
"""
import importlib
import importlib.util
import io
from types import ModuleType

from flask import abort, render_template, request, send_file, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.public.blueprint import bp
from app.public.limits import rate_limited
from models import Announcement

PER_PAGE = 10


def _published():
    return (
        select(Announcement)
        .where(Announcement.published.is_(True))
        .options(selectinload(Announcement.entries))
        .order_by(Announcement.published_on.desc().nulls_last(), Announcement.id.desc())
    )


def _documents() -> ModuleType | None:
    """The lifecycle documents service (printed 公告), if this build has it."""
    if importlib.util.find_spec("app.services.lifecycle.documents") is None:
        return None
    module = importlib.import_module("app.services.lifecycle.documents")
    return module if hasattr(module, "announcement_pdf") else None


def _pdf_url(announcement: Announcement) -> str | None:
    """Link to the printed 公告, when the PDF can be made."""
    if _documents() is None:
        return None
    return url_for("public.announcement_pdf", announcement_id=announcement.id)


@bp.route("/announcements")
@rate_limited()
def announcements():
    """Published announcements, newest first, each with its list of experts."""
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(_published(), page=max(page, 1), per_page=PER_PAGE, error_out=False)
    return render_template("public/announcements.html", pagination=pagination, pdf_url=_pdf_url)


@bp.route("/announcements/<int:announcement_id>")
@rate_limited()
def announcement(announcement_id: int):
    """One published announcement; an unpublished or unknown one is 404."""
    item = db.session.scalar(_published().where(Announcement.id == announcement_id))
    if item is None:
        abort(404)
    return render_template("public/announcements_detail.html", item=item, pdf_url=_pdf_url(item))


@bp.route("/announcements/<int:announcement_id>/pdf")
@rate_limited()
def announcement_pdf(announcement_id: int):
    """The published 公告 as printed (SPEC §4), shown in the browser."""
    documents = _documents()
    item = db.session.scalar(_published().where(Announcement.id == announcement_id))
    if item is None or documents is None:
        abort(404)
    name, data = documents.announcement_pdf(item)
    response = send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name, as_attachment=False)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
