"""Small column formatters shared by admin views (no business rules here)."""
from flask import url_for
from markupsafe import Markup, escape

from app import clock


def choice(mapping: dict):
    """Show a stored code by its Chinese label."""

    def fmt(view, context, model, name):
        value = getattr(model, name)
        return mapping.get(value, value) if value is not None else ""

    return fmt


def yes_no(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else ("是" if value else "否")


def names(view, context, model, name):
    """A collection shown as a comma-separated list of its items' names."""
    return "、".join(str(x) for x in getattr(model, name) or [])


def thumbnail(endpoint: str):
    """An <img> of the expert photo thumbnail (URL generated, nothing user-typed)."""

    def fmt(view, context, model, name):
        if not getattr(model, "photo_thumb_path", None):
            return Markup('<span class="text-muted">无照片</span>')
        src = url_for(endpoint, id=model.id, kind="thumb")
        return Markup(f'<img src="{escape(src)}" alt="照片" loading="lazy" style="height:48px;border-radius:3px">')

    return fmt


def local_time(view, context, model, name):
    """A stored UTC time in Beijing time, to the minute."""
    return fmt_time(getattr(model, name))


def fmt_time(value) -> str:
    """A stored time in the bureau's time zone, to the minute."""
    return clock.format_time(value)


def fmt_money(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def money(view, context, model, name):
    return fmt_money(getattr(model, name))


def linked(text: str, url: str | None, label: str) -> Markup:
    """A message that names what was made and links to it (never claim a record without one)."""
    if not url:
        return Markup("{}").format(text)
    return Markup('{} <a href="{}">{}</a>').format(text, url, label)


def money_value(view, context, model, name):
    """An amount for an export: the number itself (a spreadsheet sums it), empty when there is none."""
    value = getattr(model, name)
    return "" if value is None else value
