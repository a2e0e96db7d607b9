"""公告: drafts from appointments and dismissals, edited and published by 基础科; the PDF."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import choice, linked, local_time, yes_no
from admin_views.helpers import inline_pdf, one_or_404, refuse, require_role, run
from app import validators
from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle import announcements as announcement_service
from app.services.lifecycle import documents
from models import Announcement, Dismissal
from models.choices import ANNOUNCEMENT_KINDS

# --- Announcement ---------------------------------------------------------------------------------


class AnnouncementView(SecuredModelView):
    """公告: drafts from appointments and dismissals, edited and published by 基础科; the PDF."""

    list_template = "admin/lifecycle/announcement_list.html"
    column_list = ("kind", "title", "doc_no", "entry_count", "published", "published_on", "created_at")
    column_labels = {"kind": "类别", "title": "标题", "doc_no": "文号", "body": "正文", "entry_count": "人数",
                     "published": "已发布", "published_on": "发布日期", "created_at": "起草时间", "entries": "名单"}
    column_formatters = {
        "kind": choice(ANNOUNCEMENT_KINDS), "published": yes_no, "created_at": local_time,
        "entry_count": lambda v, c, m, n: len(m.entries),
    }
    column_formatters_export = column_formatters
    column_details_list = ("kind", "title", "doc_no", "body", "published", "published_on", "created_at")
    column_export_list = ("kind", "title", "doc_no", "entry_count", "published", "published_on")
    column_filters = (FilterEqual(Announcement.kind, "类别", options=list(ANNOUNCEMENT_KINDS.items())), "published",
                      "published_on")
    column_searchable_list = ("title", "doc_no")
    column_default_sort = ("created_at", True)
    column_auto_select_related = False
    form_columns = ("kind", "title", "doc_no", "body")
    form_choices = {"kind": list(ANNOUNCEMENT_KINDS.items())}
    form_args = {"title": {"validators": [validators.required("请填写公告标题")]},
                 "body": {"validators": [validators.required("请填写公告正文")]}}
    form_widget_args = {"body": {"rows": 8}}
    details_template = "admin/lifecycle/announcement_details.html"

    def get_query(self):
        return super().get_query().options(selectinload(Announcement.entries))

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        del form.kind  # an appointment announcement stays one
        return form

    def update_model(self, form, model):
        try:
            announcement_service.update_draft(model, current_user._get_current_object(), title=form.title.data,
                                              doc_no=form.doc_no.data, body=form.body.data)
            db.session.commit()
        except DomainError as err:
            refuse(err)
            return False
        return True

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by_id = current_user.id
            model.published = False

    def on_model_delete(self, model):
        if model.published:
            raise DomainError("已发布的公告不能删除。")
        for d in db.session.scalars(select(Dismissal).where(Dismissal.announcement_id == model.id)):
            d.announcement_id = None

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(role=current_role(), decision_kinds=announcement_service.DECISION_KINDS)
        return super().render(template, **kwargs)

    @expose("/publish/", methods=("POST",))
    def publish_view(self):
        """Publish a draft (基础科): it appears on the public 公告 page."""
        require_role("office")
        ann = one_or_404(self, request.form.get("id"))
        run(lambda: announcement_service.publish_announcement(ann, current_user._get_current_object()),
            lambda _: linked(f"已发布：{ann.title}（{ann.doc_no or '无文号'}，{ann.published_on}）。",
                             url_for("public.announcement", announcement_id=ann.id), "查看公开页面"))
        return redirect(url_for(".details_view", id=ann.id))

    @expose("/pdf/<int:id>")
    def pdf_view(self, id):
        """The 公告 as a PDF (a draft says so in its title)."""
        ann = one_or_404(self, id)
        name, data = documents.announcement_pdf(ann)
        return inline_pdf(name, data)
