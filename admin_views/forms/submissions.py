"""表单填报 (``form_submission``): every submission of every form (SPEC §3.19).

- the list, with filters by form, version, unit and date (``?form=<id>`` comes from the builder);
- a submission's details: what it is about, every answer in the order of its version, photos and
  signatures (with who signed and when, Beijing time);
- its PDF, printed like its paper form; the XLSX of one version (``/xlsx/?version=``), one column
  per field, text that a spreadsheet would run as a formula written as text;
- pictures (``/file/?id=<answer>``) only to those who may see the submission.

A unit sees its own unit's submissions, an expert what he sent; a submission is never edited
(its signature cannot change) nor created here (forms are filled on the phone).
"""
from __future__ import annotations

import io

from flask import abort, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from admin_views.base import SecuredModelView
from admin_views.helpers import pdf_response
from app import clock
from app.auth.rights import is_expert_self, works_for_a_unit
from app.extensions import db
from app.services.discipline import followups
from app.services.forms import definitions, documents
from app.services.forms.submissions import answers_by_key, display_value, subject_of
from app.services.uploads import upload_path
from models import FormAnswer, FormSubmission, FormVersion


def _subject(view, context, model, name):
    return "；".join(f"{label}：{value}" for label, value in subject_of(model)) or "—"


def _version(view, context, model, name):
    return f"第{model.version.number}版"


def _local_time(view, context, model, name):
    return clock.format_time(model.submitted_at)


def _yes_no(view, context, model, name):
    return "是" if getattr(model, name) else "否"


class FormSubmissionView(SecuredModelView):
    """Submissions of the office's forms and of the software's own (附件5, the 回执)."""

    list_template = "admin/forms/submission_list.html"
    details_template = "admin/forms/submission_details.html"
    column_auto_select_related = False
    column_list = ("submitted_at", "form", "version", "unit", "subject", "total", "is_paper")
    column_labels = {"submitted_at": "提交时间", "form": "表单", "version": "版本", "unit": "填报单位",
                     "subject": "关联对象", "total": "合计", "is_paper": "纸质表补录",
                     "form.title": "表单", "version.number": "版本号", "unit.name": "填报单位"}
    column_formatters = {"subject": _subject, "version": _version, "submitted_at": _local_time, "is_paper": _yes_no}
    column_filters = ("form.title", "version.number", "unit.name", "submitted_at", "is_paper")
    column_sortable_list = ("submitted_at", "total")
    column_default_sort = ("submitted_at", True)
    can_export = False  # one workbook per version, one column per field: /xlsx/?version=

    def get_query(self):
        query = super(SecuredModelView, self).get_query().options(
            selectinload(FormSubmission.form), selectinload(FormSubmission.version), selectinload(FormSubmission.unit),
            selectinload(FormSubmission.expert), selectinload(FormSubmission.enterprise))
        return self._narrow(self.scope_query(query))

    def get_count_query(self):
        return self._narrow(super().get_count_query())

    def _narrow(self, query):
        """``?form=<id>`` from the builder's 填报记录 link."""
        raw = request.args.get("form", "")
        return query.filter(FormSubmission.form_id == int(raw)) if raw.isdigit() else query

    def scope_query(self, query):
        # 企业回访 are confidential: whole only to those the domain rule lets see them whole.
        if not followups.sees_whole_followups(current_user):
            query = query.filter(FormSubmission.form_id != followups.followup_form().id)
        role = current_user.role
        if works_for_a_unit(role):
            return query.filter(FormSubmission.unit_id == (current_user.org_unit_id or -1))
        if is_expert_self(role):
            return query.filter(FormSubmission.submitted_by_id == current_user.id)
        return query

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            sub = kwargs["model"]
            kwargs.update(answers=answers_by_key(sub), subject=subject_of(sub), display=display_value,
                          numbers=definitions.numbering(sub.version), local_time=clock.format_time)
        if template == self.list_template:
            kwargs["versions"] = self._exportable_versions()
        return super().render(template, **kwargs)

    def _exportable_versions(self):
        """(version, its count) of the forms in the list, for the per-version XLSX buttons."""
        from sqlalchemy import func, select

        query = select(FormSubmission.version_id, func.count()).group_by(FormSubmission.version_id)
        query = self._narrow(self.scope_query(query))
        counts = dict(db.session.execute(query).all())
        versions = db.session.scalars(select(FormVersion).where(FormVersion.id.in_(list(counts) or [-1]))
                                      .order_by(FormVersion.form_id, FormVersion.number)).all()
        return [(v, counts[v.id]) for v in versions]

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """Forms are filled on the phone, where the engine checks them."""
        return redirect(url_for("mobile.form_index"))

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        abort(403)  # a submission, and its signature, never change

    @expose("/pdf/")
    def pdf_view(self):
        """A submission printed like its paper form (``?id=``)."""
        if not self._can("details"):
            abort(403)
        sub = self.get_one(request.args.get("id", "")) if str(request.args.get("id", "")).isdigit() else None
        if sub is None:
            abort(404)
        return pdf_response(documents.submission_pdf(sub), documents.submission_filename(sub), inline=False)

    @expose("/xlsx/")
    def xlsx_view(self):
        """The submissions of one version (``?version=``) as XLSX, one column per field."""
        if not self._can("export"):
            abort(403)
        version = db.session.get(FormVersion, int(request.args.get("version", 0) or 0))
        if version is None or (version.form.code == "followup" and not followups.sees_whole_followups(current_user)):
            abort(404)
        unit_id = None
        if works_for_a_unit(current_user.role):
            unit_id = current_user.org_unit_id or -1
        data = documents.version_xlsx(version, unit_id=unit_id)
        return send_file(io.BytesIO(data), as_attachment=True, download_name=documents.xlsx_filename(version),
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/file/")
    def file_view(self):
        """A photo or signature of a submission this user may see (``?id=<answer>``)."""
        answer = db.session.get(FormAnswer, int(request.args.get("id", 0) or 0))
        if answer is None or not answer.file_path or self.get_one(str(answer.submission_id)) is None:
            abort(404)
        path = upload_path(answer.file_path)
        if path is None:
            abort(404)
        response = send_file(path, mimetype="image/png" if path.suffix == ".png" else "image/jpeg", max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        return response


def signature_html(answer: FormAnswer | None) -> Markup:
    """A signature picture with who signed and when, for admin pages."""
    if answer is None or not answer.file_path:
        return Markup("—")
    url = url_for("form_submission.file_view", id=answer.id)
    who = escape(f"{answer.signed_by or ''} {clock.format_time(answer.signed_at)}")
    return Markup(f"<img src='{escape(url)}' alt='签名' style='max-height:70px;background:#fff'>"
                  f"<br><small class='text-muted'>{who}</small>")
