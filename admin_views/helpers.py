"""Small request-level helpers the admin views share: role and record guards, run-and-commit,
refusals, PDF responses, the form error summary and the
base-URL warning. The view classes themselves are in :mod:`admin_views.base`.
"""
import io
from urllib.parse import quote, urlsplit

from flask import abort, current_app, flash, has_request_context, request, send_file

from admin_views.base import STALE_MESSAGE, current_role
from app.auth.rights import keeps_permits
from app.database import run_action
from app.extensions import db


def require_role(*roles: str) -> None:
    if current_role() not in roles:
        abort(403)


def one_or_404(view, raw):
    """The row with id ``raw`` that the view may show, or 404 (also for a non-numeric id)."""
    raw = str(raw or "").strip()
    model = view.get_one(raw) if raw.isdigit() else None
    if model is None:
        abort(404)
    return model


def int_ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def run(action, success=None):
    """Run a domain ``action`` and commit, or roll back and show why (:func:`app.database.run_action`),
    with the admin's words for a record someone changed meanwhile. Returns ``(result, ok)``."""
    return run_action(action, success, stale_message=STALE_MESSAGE)


def refuse(err: Exception) -> None:
    db.session.rollback()
    flash(str(err), "error")


def inline_pdf(filename: str, data: bytes):
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False, download_name=filename)


def pdf_response(data: bytes, filename: str, inline: bool = True):
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=not inline,
                         download_name=filename)
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- a refused form: every error, named, at the top (admin/expertpool_base.html) -------------


def form_error_summary(form) -> list[tuple[str, str, str | None]]:
    """(field label, message, anchor id) for every error of ``form``, in the form's order.

    Errors of inline rows (主要工作经历) are named by their list and row ("主要工作经历 第2行
    单位"); errors of the form as a whole have no anchor. Each field's every message is kept.
    """
    out: list[tuple[str, str, str | None]] = []

    def walk(field, prefix: str) -> None:
        label = f"{prefix}{_label_text(field)}"
        entries = getattr(field, "entries", None)
        if entries is not None:  # FieldList (inline rows)
            for n, entry in enumerate(entries, 1):
                walk(entry, f"{label} 第{n}行 ")
            for message in _messages(getattr(field, "errors", None) if not entries else None):
                out.append((label, message, field.id))
            return
        if hasattr(field, "form") and hasattr(field.form, "_fields"):  # FormField / an inline row
            for sub in field.form:
                walk(sub, prefix)
            return
        for message in _messages(field.errors):
            out.append((label.strip(), message, field.id))

    for field in form:
        if getattr(field, "type", "") in ("CSRFTokenField", "HiddenField") and not field.errors:
            continue
        walk(field, "")
    for message in _messages(getattr(form, "form_errors", None)):
        out.append(("整张表", message, None))
    return out


def _label_text(field) -> str:
    label = getattr(field, "label", None)
    text = getattr(label, "text", "") if label is not None else ""
    return str(text or getattr(field, "short_name", "") or "")


def _messages(errors) -> list[str]:
    """Flatten WTForms errors (a list, or a dict/list of lists for nested fields) to strings."""
    if not errors:
        return []
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, (list, tuple)):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


# --- the printed address ------------------------------------------------------------------------

def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = (parts.scheme or "http").lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


def base_url_mismatch() -> dict | None:
    """For 基础科 and sysadmin: the configured ``PUBLIC_BASE_URL`` and the address this page
    was opened at, when the two differ; otherwise None.

    Every QR code printed on a permit or a 告知书 carries ``PUBLIC_BASE_URL``; a wrong one
    cannot be corrected on paper afterwards, so the admin says so before anyone prints.
    """
    # Those warned are those who print the permits (the rights table's keeps_permits).
    if not has_request_context() or not keeps_permits(current_role()):
        return None
    configured = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    opened = request.host_url.rstrip("/")
    if configured and _origin(configured) == _origin(opened):
        return None
    return {"configured": configured or "（未设置）", "opened": opened}
