"""What the discipline pages share: dates and sanction spans as shown, short texts, the menu names."""
from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

from app import clock

CATEGORY = "违规与考核"


#: Follow-up visits sit with the evaluations (the scoring area's menu).
EVALUATION_CATEGORY = "专家考评"


def _date(value) -> str:
    return value.isoformat() if value else ""


def sanction_span(view, context, model, name):
    """The days the sanction covers, e.g. 2027-11-30 至 2028-02-28（2028-02-29起恢复）."""
    return span_text(model)


def span_text(model) -> str:
    """``sanction_span`` for templates."""
    if model.state != "verified" or not model.sanction:
        return ""
    if model.sanction == "warning":
        return _date(model.sanction_start)
    last = model.sanction_end - dt.timedelta(days=1)
    return f"{_date(model.sanction_start)} 至 {_date(last)}（{_date(model.sanction_end)}起恢复）"


def local_time(value) -> str:
    """A stored UTC time in Beijing time, to the minute."""
    return clock.format_time(value)


def _nowrap(text: str) -> Markup:
    return Markup(f'<span class="text-nowrap">{escape(text)}</span>')


def _short(text: str | None, n: int = 40) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[:n] + "…"

