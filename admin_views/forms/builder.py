"""表单设计 (``form_definition``): the office builds and revises forms without a developer (SPEC §3.19).

- 表单列表 — every form with its purpose, who fills it, its current version, draft and submissions;
- 新建表单 — a name, what it is about, who fills it; a draft with one empty section follows;
- 设计 (``/build/?id=``) — the draft of a form: its settings, sections and fields (add, edit, move
  up/down, remove), the problems that keep it from being published, a phone-size preview beside
  it (``/preview/?id=`` in a frame), 发布, 放弃草稿; a published version is shown read-only with
  "修改（生成新草稿）"; 停用 / 重新启用; 删除 only while nobody has filled the form;
- 空白表 (``/blank/?id=``) — a blank form of any version as PDF.

Every change goes through :mod:`app.services.forms.definitions` (checked, Chinese messages) and
is written to the audit log by the session hook like every other change.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select

from admin_views.base import SecuredModelView
from admin_views.helpers import pdf_response, run
from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.forms import definitions, documents, editing
from models import FormDefinition, FormField, FormSection, FormSubmission, FormVersion, OrgUnit
from models.choices import FIELD_KINDS, FORM_PURPOSES, ROLES

# What each purpose means, said to the clerk who picks it.
PURPOSE_HELP = {
    "none": "表单单独填写，不关联任何记录（如：问卷、登记）。",
    "assignment": "每份表关于一次专家任务（选派记录），填写人从本单位的任务中选择。",
    "expert": "每份表关于一位专家，填写人从专家库中选择专家。",
    "enterprise": "每份表关于一家服务单位（企业）。",
    "notice": "每份表关于一份告知书（如企业回访），从告知书的二维码或链接填写。",
}
KIND_HELP = {
    "text": "一行文字，如姓名、单位名称。", "textarea": "多行文字，如情况说明、意见建议。",
    "integer": "整数，可设最小值、最大值。", "score": "打分题：填0至满分的整数，自动计入合计。",
    "choice": "从几个选项中选一个。", "multi": "从几个选项中选一个或多个。", "date": "年月日。",
    "time": "时:分。", "yesno": "是或否。", "photo": "用手机拍照或上传照片。", "signature": "用手指在手机屏幕上签名。",
}


def _field_form() -> dict:
    f = request.form
    return {"label": f.get("label", ""), "kind": f.get("kind", ""), "help": f.get("help", ""),
            "required": f.get("required") == "1", "max_length": f.get("max_length", ""),
            "min_value": f.get("min_value", ""),
            "max_value": f.get("int_max", "") if f.get("kind") == "integer" else f.get("max_value", ""),
            "options": f.get("options", ""), "note_label": f.get("note_label", ""),
            "no_future": f.get("no_future") == "1"}


class FormDefinitionView(SecuredModelView):
    """The form builder; forms are never edited through Flask-Admin's generic forms."""

    can_view_details = False

    def _need(self, action: str) -> None:
        if not self._can(action):
            abort(403)

    def _form_or_404(self, raw) -> FormDefinition:
        form = db.session.get(FormDefinition, int(raw)) if str(raw or "").isdigit() else None
        if form is None:
            abort(404)
        return form

    def _commit(self, success: str | None = None) -> bool:
        """Commit a change, or roll back and show why it was refused."""
        try:
            db.session.commit()
        except DomainError as err:  # pragma: no cover - services raise before the commit
            db.session.rollback()
            flash(str(err), "error")
            return False
        if success:
            flash(success, "success")
        return True

    def _build_url(self, form: FormDefinition, anchor: str = "") -> str:
        return url_for(".build_view", id=form.id) + (f"#{anchor}" if anchor else "")

    # -- the list -------------------------------------------------------------------------------
    @expose("/")
    def index_view(self):
        forms = db.session.scalars(select(FormDefinition).order_by(FormDefinition.code.is_(None),
                                                                   FormDefinition.id)).all()
        counts = dict(db.session.execute(select(FormSubmission.form_id, func.count())
                                         .group_by(FormSubmission.form_id)).all())
        rows = [{"form": f, "current": definitions.current_version(f), "draft": definitions.draft_of(f),
                 "count": counts.get(f.id, 0)} for f in forms]
        return self.render("admin/forms/index.html", rows=rows, purposes=FORM_PURPOSES,
                           role_labels=definitions.role_labels, can_edit=self._can("edit"),
                           can_create=self._can("create"))

    # -- a new form -----------------------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        self._need("create")
        values = {"title": "", "purpose": "none", "fill_roles": ["town", "department"], "public": False}
        errors: list[str] = []
        if request.method == "POST":
            values = {"title": request.form.get("title", ""), "purpose": request.form.get("purpose", ""),
                      "fill_roles": request.form.getlist("fill_roles"), "public": request.form.get("public") == "1"}
            try:
                form = definitions.create_form(values["title"], purpose=values["purpose"],
                                               fill_roles=values["fill_roles"],
                                               fill_unit_ids=request.form.getlist("fill_unit_ids"),
                                               public=values["public"], by=current_user)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                errors = getattr(err, "problems", None) or [str(err)]
            else:
                flash(f"已新建表单“{form.title}”。请在下面添加题目，检查无误后发布。", "success")
                return redirect(self._build_url(form))
        return self.render("admin/forms/new.html", values=values, errors=errors, purposes=FORM_PURPOSES,
                           purpose_help=PURPOSE_HELP, roles=ROLES, fill_roles=definitions.FILL_ROLES,
                           units=self._units())

    @staticmethod
    def _units():
        return db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True))
                                  .order_by(OrgUnit.kind, OrgUnit.name)).all()

    # -- the builder ----------------------------------------------------------------------------
    @expose("/build/")
    def build_view(self):
        form = self._form_or_404(request.args.get("id"))
        draft = definitions.draft_of(form)
        shown = draft
        if shown is None:
            wanted = request.args.get("version")
            shown = next((v for v in form.versions if str(v.id) == wanted), None) or definitions.current_version(form)
        return self.render(
            "admin/forms/build.html", form=form, version=shown, draft=draft,
            problems=definitions.definition_problems(shown) if shown is not None else [],
            numbers=definitions.numbering(shown) if shown is not None else {},
            current=definitions.current_version(form), count=definitions.submission_count(form),
            kinds=FIELD_KINDS, kind_help=KIND_HELP, purposes=FORM_PURPOSES, purpose_help=PURPOSE_HELP, roles=ROLES,
            fill_roles=definitions.FILL_ROLES, units=self._units(), can_edit=self._can("edit"),
            can_delete=self._can("delete"), section_max=definitions.section_max,
            role_labels=definitions.role_labels, public_url=self._public_url(form),
            system_fields=list(definitions.SYSTEM_FIELDS.get(form.code or "", {})),
            system_sections=definitions.SYSTEM_SECTIONS.get(form.code or "", ()),
        )

    @staticmethod
    def _public_url(form: FormDefinition) -> str | None:
        if not form.public or not form.public_token or form.purpose != "none":
            return None
        return url_for("public.form_fill", token=form.public_token, _external=True)

    def _draft_from_post(self) -> FormVersion:
        self._need("edit")
        version = db.session.get(FormVersion, int(request.form.get("version_id", 0) or 0))
        if version is None:
            abort(404)
        return version

    def _act(self, form: FormDefinition, change, success: str, anchor: str = ""):
        """Apply one change of the builder and come back to it."""
        run(change, success)
        return redirect(self._build_url(form, anchor))

    @expose("/settings/", methods=("POST",))
    def settings_view(self):
        """The form's name, purpose and who fills it."""
        self._need("edit")
        form = self._form_or_404(request.form.get("form_id"))
        return self._act(form, lambda: definitions.update_form(
            form, title=request.form.get("title", ""), purpose=request.form.get("purpose", ""),
            fill_roles=request.form.getlist("fill_roles"), fill_unit_ids=request.form.getlist("fill_unit_ids"),
            public=request.form.get("public") == "1"), "已保存表单设置。")

    @expose("/version/", methods=("POST",))
    def version_view(self):
        """The draft's printed title, introduction, 填表说明, total and revision note."""
        version = self._draft_from_post()
        f = request.form
        return self._act(version.form, lambda: definitions.update_version(
            version, title=f.get("title", ""), intro=f.get("intro"), instructions=f.get("instructions"),
            total_max=f.get("total_max"), total_label=f.get("total_label"), note=f.get("note")),
            "已保存表头和合计设置。")

    @expose("/section/add/", methods=("POST",))
    def section_add_view(self):
        version = self._draft_from_post()
        f = request.form
        holder = {}

        def add():
            holder["s"] = editing.add_section(version, title=f.get("title", ""), help=f.get("help"),
                                                  points=f.get("points"), choice_group=f.get("choice_group"))
        response = self._act(version.form, add, f"已添加部分“{f.get('title', '').strip()}”。")
        if "s" in holder:
            return redirect(self._build_url(version.form, f"section-{holder['s'].id}"))
        return response

    def _section(self) -> FormSection:
        self._need("edit")
        section = db.session.get(FormSection, int(request.values.get("section_id", 0) or 0))
        if section is None:
            abort(404)
        return section

    @expose("/section/edit/", methods=("GET", "POST"))
    def section_edit_view(self):
        section = self._section()
        if request.method == "POST":
            f = request.form
            return self._act(section.version.form, lambda: editing.update_section(
                section, title=f.get("title", ""), help=f.get("help"), points=f.get("points"),
                choice_group=f.get("choice_group")), "已保存部分设置。", f"section-{section.id}")
        groups = sorted({s.choice_group for s in section.version.sections if s.choice_group})
        return self.render("admin/forms/section_edit.html", section=section, form=section.version.form, groups=groups)

    @expose("/section/move/", methods=("POST",))
    def section_move_view(self):
        section = self._section()
        delta = -1 if request.form.get("direction") == "up" else 1
        return self._act(section.version.form, lambda: editing.move_section(section, delta), "已调整部分顺序。",
                         f"section-{section.id}")

    @expose("/section/remove/", methods=("POST",))
    def section_remove_view(self):
        section = self._section()
        form, title = section.version.form, section.title
        return self._act(form, lambda: editing.remove_section(section), f"已删除部分“{title}”。")

    @expose("/field/add/", methods=("POST",))
    def field_add_view(self):
        section = self._section()
        raw = _field_form()
        return self._act(section.version.form, lambda: editing.add_field(section, raw),
                         f"已添加题目“{raw['label'].strip()}”。", f"section-{section.id}")

    def _field(self) -> FormField:
        self._need("edit")
        field = db.session.get(FormField, int(request.values.get("field_id", 0) or 0))
        if field is None:
            abort(404)
        return field

    @expose("/field/edit/", methods=("GET", "POST"))
    def field_edit_view(self):
        field = self._field()
        form = field.section.version.form
        if request.method == "POST":
            target = db.session.get(FormSection, int(request.form.get("move_to", 0) or 0))
            raw = _field_form()
            return self._act(form, lambda: editing.update_field(field, raw, section=target),
                             f"已保存题目“{raw['label'].strip()}”。", f"field-{field.id}")
        return self.render("admin/forms/field_edit.html", field=field, form=form, kinds=FIELD_KINDS,
                           kind_help=KIND_HELP, sections=field.section.version.sections,
                           system=field.key in definitions.SYSTEM_FIELDS.get(form.code or "", {}))

    @expose("/field/move/", methods=("POST",))
    def field_move_view(self):
        field = self._field()
        delta = -1 if request.form.get("direction") == "up" else 1
        return self._act(field.section.version.form, lambda: editing.move_field(field, delta), "已调整题目顺序。",
                         f"field-{field.id}")

    @expose("/field/remove/", methods=("POST",))
    def field_remove_view(self):
        field = self._field()
        form, label, section_id = field.section.version.form, field.label, field.section_id
        return self._act(form, lambda: editing.remove_field(field), f"已删除题目“{label}”。",
                         f"section-{section_id}")

    @expose("/publish/", methods=("POST",))
    def publish_view(self):
        version = self._draft_from_post()
        return self._act(version.form, lambda: definitions.publish(version, by=current_user),
                         f"已发布第{version.number}版：新的填报将使用此版本，已提交的表单仍按原版本保存和打印。")

    @expose("/draft/", methods=("POST",))
    def draft_view(self):
        """修改（生成新草稿）: a draft copied from the current version."""
        self._need("edit")
        form = self._form_or_404(request.form.get("form_id"))
        return self._act(form, lambda: definitions.start_draft(form, by=current_user),
                         "已生成新草稿：修改后发布即成为新版本，发布前填报仍使用当前版本。")

    @expose("/discard/", methods=("POST",))
    def discard_view(self):
        version = self._draft_from_post()
        form = version.form
        only = len(form.versions) == 1
        try:
            definitions.discard_draft(version)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
            return redirect(self._build_url(form))
        flash("已放弃草稿。" if not only else "已删除尚未发布的表单。", "success")
        return redirect(url_for(".index_view") if only else self._build_url(form))

    @expose("/retire/", methods=("POST",))
    def retire_view(self):
        self._need("edit")
        form = self._form_or_404(request.form.get("form_id"))
        if request.form.get("undo") == "1":
            return self._act(form, lambda: definitions.reinstate_form(form), "已重新启用，可以继续填报。")
        return self._act(form, lambda: definitions.retire_form(form),
                         "已停用：不再接受新的填报，已有填报仍可查看和打印。")

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        self._need("delete")
        form = self._form_or_404(request.form.get("id") or request.form.get("form_id"))
        title = form.title
        try:
            definitions.delete_form(form)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
            return redirect(self._build_url(form))
        flash(f"已删除表单“{title}”。", "success")
        return redirect(url_for(".index_view"))

    # -- preview and print ----------------------------------------------------------------------
    @expose("/preview/")
    def preview_view(self):
        """The version as the phone shows it (in the builder's frame; nothing can be sent)."""
        from flask import make_response, render_template

        from app.mobile.fill import fill_context

        version = db.session.get(FormVersion, int(request.args.get("id", 0) or 0))
        if version is None:
            abort(404)
        html = render_template("admin/forms/preview.html", **fill_context(version), form=version.form, values={},
                               notes={}, choices={}, subject={}, errors=[], field_errors={}, client_uuid="",
                               today=clock.today(), kind="preview", action="#", token_url="", draft_key="preview",
                               experts=[], assignments=[], enterprises=[], notice=None)
        response = make_response(html)
        # Shown inside the builder: framed by this site only, with the phone pages' strict policy.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "form-action 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'self'")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/blank/")
    def blank_view(self):
        """A blank form of one version (``?id=`` a version), as PDF."""
        version = db.session.get(FormVersion, int(request.args.get("id", 0) or 0))
        if version is None:
            abort(404)
        return pdf_response(documents.blank_pdf(version), f"{version.title}-空白-第{version.number}版.pdf",
                            inline=False)

    # Flask-Admin's own edit/details/delete pages are not used for forms.
    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        return redirect(url_for(".build_view", id=request.args.get("id", "")))

    @expose("/details/")
    def details_view(self):
        """A form's page is its builder (read-only for those who may not edit)."""
        return self.build_view()
