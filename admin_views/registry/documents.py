"""The expert's supporting files (证明材料): uploaded, sniffed, downloaded."""
from flask import abort, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from wtforms import FileField

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import choice
from admin_views.registry.common import _choices
from app.auth.rights import is_expert_self
from app.services.errors import DomainError
from app.services.uploads import read_upload, store_document
from models.choices import DOCUMENT_KINDS

#: What a stored file is called when it is opened or saved (the sniffed type decides the ending).
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def _file_link(view, context, model, name):
    if not model.file_path:
        return ""
    return Markup('<a href="{}" target="_blank" rel="noopener">打开文件</a>').format(
        url_for(".file", id=model.id))


class ExpertDocumentView(SecuredModelView):
    """Supporting files: 身份证、职称证书、毕业证书 and other proofs (sniffed, not trusted by name)."""

    column_list = ("expert", "kind", "title", "mime_type", "size_bytes", "created_at")
    column_labels = {
        "expert": "专家", "kind": "类别", "title": "说明", "mime_type": "文件类型", "size_bytes": "大小（字节）",
        "created_at": "上传时间", "upload": "文件", "file": "文件",
    }
    column_details_list = ("expert", "kind", "title", "file", "mime_type", "size_bytes", "created_at")
    column_formatters = {"kind": choice(DOCUMENT_KINDS), "file": _file_link}
    column_filters = ("kind",)
    column_searchable_list = ("expert.name", "title")
    form_columns = ("expert", "kind", "title", "upload")
    form_choices = {"kind": _choices(DOCUMENT_KINDS)}
    form_extra_fields = {"upload": FileField("文件", description="JPEG、PNG或PDF，不超过5MB。")}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}

    def scope_query(self, query):
        if is_expert_self(current_role()):
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def validate_form(self, form):
        ok = super().validate_form(form)
        upload = getattr(form, "upload", None)
        if not ok or upload is None:
            return ok
        data = upload.data.read() if upload.data and getattr(upload.data, "filename", "") else b""
        if not data:
            upload.errors = list(upload.errors) + ["请选择要上传的文件"]
            return False
        if len(data) > 5 * 1024 * 1024:
            upload.errors = list(upload.errors) + ["文件不能超过5MB"]
            return False
        try:
            form._stored = store_document(data) + (len(data),)
        except DomainError as err:
            upload.errors = list(upload.errors) + [str(err)]
            return False
        return True

    def on_model_change(self, form, model, is_created):
        stored = getattr(form, "_stored", None)
        if stored:
            model.file_path, model.mime_type, model.size_bytes = stored
            model.uploaded_by_id = current_user.id
        elif is_created:
            raise DomainError("请选择要上传的文件。")

    @expose("/file/<int:id>")
    def file(self, id):
        """Download the stored file."""
        model = self.get_one(str(id))
        if model is None:
            abort(404)
        data = read_upload(model.file_path)
        if data is None:
            abort(404)
        import io

        return send_file(io.BytesIO(data), mimetype=model.mime_type, as_attachment=False,
                         download_name=f"证明材料-{model.id}{EXTENSIONS.get(model.mime_type, '')}")
