"""扩展字段: the office adds, retires, reinstates and deletes the expert's extra registry fields
(issue 17 §2). Every rule is in :mod:`app.services.lifecycle.extra_fields`."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from admin_views.base import RoleGuardMixin, current_role
from app.auth.rights import allowed
from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle import extra_fields


class ExtraFieldsView(RoleGuardMixin, BaseView):
    """The list of registry fields with their counts, and the form to add one."""

    def _may_edit(self) -> bool:
        return allowed(current_role(), self.endpoint, "edit")

    @expose("/", methods=("GET", "POST"))
    def index(self):
        values, problems = {}, []
        if request.method == "POST":
            if not self._may_edit():
                abort(403)
            values = request.form.to_dict()
            values["public_field"] = bool(request.form.get("public_field"))
            values["personal"] = bool(request.form.get("personal"))
            values["required"] = bool(request.form.get("required"))
            try:
                field = extra_fields.add_field(values, by=current_user)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                problems = getattr(err, "problems", None) or [str(err)]
            else:
                flash(f"已添加字段“{field.label}”，专家编辑页、登记表、名单导入导出已同步。", "success")
                return redirect(url_for(".index"))
        counts = extra_fields.value_counts()
        return self.render("admin/voice/extra_fields.html", fields=extra_fields.active_fields(), counts=counts,
                           retired=extra_fields.retired_fields(), kinds=extra_fields.KINDS, values=values,
                           problems=problems, may_edit=self._may_edit()), (422 if problems else 200)

    @expose("/<action>/<key>", methods=("POST",))
    def change(self, action, key):
        """停用 / 重新启用 / 删除 a field."""
        if not self._may_edit():
            abort(403)
        act = {"retire": (extra_fields.retire_field, "已停用该字段，已填写的内容仍保留。"),
               "reinstate": (extra_fields.reinstate_field, "已重新启用该字段。"),
               "delete": (extra_fields.delete_field, "已删除该字段。")}.get(action)
        if act is None:
            abort(404)
        try:
            act[0](key, by=current_user)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            flash(act[1], "success")
        return redirect(url_for(".index"))
