"""The delete button of a list row, without a WTForms form per row.

Flask-Admin's ``DeleteRowAction`` renders, for every row, the view's delete form through
WTForms: three hidden fields, each through ``html_params`` and escaping, all with the same
``id`` attributes (``id="id"``, ``id="url"``, ``id="csrf_token"`` twenty times on a page,
which HTML forbids). This one posts exactly the same fields to the same ``delete_view``,
built from the page's own ``get_url``, ``return_url`` and delete form: the CSRF token is
rendered once per page, the URL once per page, and no element carries an ``id``.
``admin_views.base`` puts it in place of Flask-Admin's wherever a view may delete.
"""
from __future__ import annotations

from flask import g
from flask_admin.babel import gettext
from flask_admin.model.template import BaseListRowAction, DeleteRowAction
from markupsafe import Markup

_ROW = Markup(
    '<form class="icon" method="POST" action="{action}">'
    '<input name="id" type="hidden" value="{id}">'
    '<input name="url" type="hidden" value="{url}">{csrf}'
    '<button type="submit" onclick="return faHelpers.safeConfirm(\'{confirm}\');" title="{title}">'
    '<span class="fa fa-trash glyphicon glyphicon-trash"></span></button></form>'
)


class LeanDeleteRowAction(BaseListRowAction):
    """Flask-Admin's row delete button (same form fields, same confirmation), built from strings."""

    def __init__(self) -> None:
        super().__init__(gettext("Delete Record"))

    def render(self, context, row_id, row):
        delete_form = context.resolve("delete_form")
        page = _per_page(delete_form, context)
        return _ROW.format(id=context.resolve("get_pk_value")(row), title=self.title, **page)


def _per_page(delete_form, context) -> dict:
    """What every row of one page shares: the form's address, return URL, token and question."""
    kept = g.get("_row_delete_parts")
    if kept is not None and kept[0] is delete_form:
        return kept[1]
    token = getattr(delete_form, "csrf_token", None)
    parts = {
        "action": context.resolve("get_url")(".delete_view"),
        "url": context.resolve("return_url"),
        "csrf": token(id=False) if token else Markup(""),
        "confirm": gettext("Are you sure you want to delete this record?"),
    }
    g._row_delete_parts = (delete_form, parts)
    return parts


def lean(actions: list) -> list:
    """``actions`` with Flask-Admin's ``DeleteRowAction`` replaced by :class:`LeanDeleteRowAction`."""
    return [LeanDeleteRowAction() if type(action) is DeleteRowAction else action for action in actions]
