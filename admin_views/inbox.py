"""The leader's 待我审批 and the office's 待我处理 (SPEC §1): one page each, usable on a
phone (cards, thumb-size buttons) as on a desktop.

待我审批: every item waiting for a leader, nothing ticked; approve or refuse one item from
its card or its own page, or several at once; either way a confirmation page lists the
names and their count before anything is saved, and refusing needs a reason. Decisions go
through ``app.services.inbox.approvals.decide`` (the areas' own domain functions).

待我处理: the office's queue by section (``app.services.inbox.office``), each entry linked
to the page where it is dealt with; the permits to print have a page of their own that
prints the chosen cards on A4 and notes them printed.

The menu entry with its count is drawn by the admin's base template (``inbox_menu``).
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from werkzeug.routing import BuildError

from admin_views.base import RoleGuardMixin, current_role
from admin_views.helpers import int_ids, pdf_response, refuse
from app.auth.rights import allowed
from app.extensions import db
from app.services.errors import DomainError
from app.services.inbox import approvals, office
from app.services.permits import issuing as permit_service

APPROVALS = "approvals"
OFFICE_QUEUE = "office_queue"


class _Page(RoleGuardMixin, BaseView):
    """A page of the admin with rights from RIGHTS; drawn in the menu by the base template."""

    def is_visible(self):
        return False  # the base template draws the entry with its count (inbox_menu)

    def _may(self, action: str) -> bool:
        return allowed(current_role(), self.endpoint, action)


class ApprovalsView(_Page):
    """待我审批 (局领导)."""

    @expose("/")
    def index(self):
        found = approvals.waiting()
        return self.render("admin/inbox/approvals.html", found=found, kinds=approvals.KINDS,
                           verbs=approvals.VERBS, total=sum(len(v) for v in found.values()),
                           recent=approvals.recent_decisions(), can_decide=self._may("approve"))

    @expose("/item/<kind>/<int:ident>")
    def item_view(self, kind, ident):
        """One item: the facts, the way to its full record, approve or refuse."""
        if kind not in approvals.KINDS:
            abort(404)
        items = approvals.items_for([(kind, ident)])
        if not items:
            flash("该事项已处理或不存在。", "info")
            return redirect(url_for(".index"))
        return self.render("admin/inbox/approval_item.html", item=items[0], kinds=approvals.KINDS,
                           verbs=approvals.VERBS, record_url=record_url(items[0]), can_decide=self._may("approve"))

    @expose("/confirm/", methods=("GET", "POST"))
    def confirm_view(self):
        """The confirmation: the names to be approved or refused, their count, the reason box.

        Reached from an item's button (GET) or from the list's ticked items (POST); saving is
        a second POST with ``confirmed``.
        """
        if not self._may("approve"):
            abort(403)
        values = request.values.getlist("keys")
        if len(values) == 1 and "," in values[0]:
            values = values[0].split(",")
        keys = approvals.parse_keys(values)
        decision = request.values.get("decision", "")
        if decision not in approvals.DECISIONS:
            flash("请选择同意或不同意。", "error")
            return redirect(url_for(".index"))
        items = approvals.items_for(keys)
        if not items:
            flash("请先勾选要审批的事项（没有默认勾选）。" if not keys else "所选事项已处理，无需再审批。", "error")
            return redirect(url_for(".index"))
        reason = request.form.get("reason", "") if request.method == "POST" else ""
        if request.method == "POST" and request.form.get("confirmed") == "1":
            try:
                names = approvals.decide([(i.kind, i.id) for i in items], decision,
                                         current_user._get_current_object(), reason)
            except DomainError as err:
                refuse(err)
            else:
                db.session.commit()
                word = "同意" if decision == "approve" else "不同意"
                flash(f"已{word}{len(names)}项：{'、'.join(names)}。", "success")
                return redirect(url_for(".index"))
        return self.render("admin/inbox/approval_confirm.html", items=items, decision=decision, reason=reason,
                           kinds=approvals.KINDS, verbs=approvals.VERBS)


def record_url(item: approvals.Item) -> str | None:
    """The full record an item is about, in its own area's pages."""
    if item.kind in ("appointment", "direct"):
        return url_for("application.details_view", id=item.id)
    if item.kind == "dismissal":
        return url_for("dismissal.details_view", id=item.id)
    if item.kind == "fee":
        return url_for("service_record.details_view", id=item.id)
    return None


class OfficeQueueView(_Page):
    """待我处理 (基础科)."""

    @expose("/")
    def index(self):
        return self.render("admin/inbox/office.html", sections=office.queue(), link=_link)

    @expose("/permits/", methods=("GET", "POST"))
    def permits_view(self):
        """The permits to print: print the chosen ones on A4 (8 a sheet) or note them printed."""
        waiting = office.unprinted_permits()
        if request.method == "POST":
            chosen = set(int_ids(request.form.getlist("ids")))
            picked = [p for p in waiting if p.id in chosen]
            if not picked:
                flash("请先勾选要打印的工作证。", "error")
                return redirect(url_for(".permits_view"))
            try:
                if request.form.get("op") == "print":
                    data = permit_service.render_permit_sheet(picked, backs=request.form.get("backs") == "1")
                    permit_service.mark_printed(picked)
                    db.session.commit()
                    return pdf_response(data, f"专家工作证-批量打印-{len(picked)}张.pdf")
                permit_service.mark_printed(picked)
            except DomainError as err:
                refuse(err)
                return redirect(url_for(".permits_view"))
            db.session.commit()
            flash(f"已标记{len(picked)}张工作证为已打印：{'、'.join(p.expert.name for p in picked)}。", "success")
            return redirect(url_for(".index"))
        return self.render("admin/inbox/permits.html", permits=waiting)


def _link(target: tuple[str, dict] | None) -> str | None:
    """The URL of an (endpoint, arguments) pair named by the queue, if that page exists."""
    if not target:
        return None
    endpoint, args = target
    try:
        return url_for(endpoint, **args)
    except BuildError:  # a page of another area that is not registered (never expected)
        return None


def inbox_menu() -> dict | None:
    """The menu entry of the logged-in user's queue: label, URL, count; None if none.

    Counts are count queries only, once per request (the page draws the entry twice: the
    phone's button and the desktop's menu)."""
    # Kept on the request (not on g: an app context may outlive one request, as in tests).
    if not hasattr(request, "_expertpool_inbox_menu"):
        request._expertpool_inbox_menu = _inbox_menu()
    return request._expertpool_inbox_menu


def _inbox_menu() -> dict | None:
    role = current_role()
    if allowed(role, APPROVALS, "list"):
        return {"label": "待我审批", "url": url_for(f"{APPROVALS}.index"),
                "count": sum(approvals.counts().values()), "endpoint": APPROVALS}
    if allowed(role, OFFICE_QUEUE, "list"):
        return {"label": "待我处理", "url": url_for(f"{OFFICE_QUEUE}.index"), "count": office.total(),
                "endpoint": OFFICE_QUEUE}
    return None

