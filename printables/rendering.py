"""Turn a template and plain data into PDF bytes (xhtml2pdf over Jinja2).

This module knows nothing of Flask or the database: a service builds a dict
(or dataclasses) of plain values, calls :func:`render_pdf`, and a view wraps
the bytes in a response.

Chinese text needs a font that is *embedded* in the PDF (reportlab's built-in
CID fonts embed nothing and show boxes on a reader without Chinese fonts), so
every template declares WenQuanYi Micro Hei with ``@font-face``. xhtml2pdf
falls back to Helvetica with only a *warning* when it cannot read a font, and
warns again for every character no font can draw; :func:`render_pdf`
therefore treats a warning exactly like an error.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jinja2
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from printables import linebreak
from printables.images import image_data_uri, qr_data_uri

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: The embedded CJK font (Debian package fonts-wqy-microhei). A .ttc holds
#: two faces; xhtml2pdf embeds the first, the proportional Micro Hei.
CJK_FONT_PATH = Path(
    os.environ.get("PDF_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
)

#: Fallback face for the ballot boxes ☐ ☑ used on the forms, which
#: WenQuanYi lacks (Debian package fonts-dejavu-core).
SYMBOL_FONT_PATH = Path(
    os.environ.get("PDF_SYMBOL_FONT", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
)

#: What the template of a document may read from disk: its own folder and the
#: two font folders; nothing from the network. The limits of the "server"
#: policy stay on, as a guard against a runaway document.
RESOURCE_POLICY = ResourceAccessPolicy.server(
    base_dir=TEMPLATES_DIR,
    extra_roots=(CJK_FONT_PATH.parent, SYMBOL_FONT_PATH.parent),
    allow_remote=False,
)

linebreak.install()

#: The 12 groups of 第三条, the options a blank 登记表 offers.
EXPERT_GROUPS = (
    "化工", "烟花爆竹", "冶金煤气", "机械", "电气", "建材",
    "纺织", "轻工", "金属冶炼", "金属粉尘", "木质粉尘", "有限空间",
)


class PrintRenderError(RuntimeError):
    """A document could not be rendered cleanly; ``messages`` says why."""

    def __init__(self, template_name: str, messages: list[str]):
        self.template_name = template_name
        self.messages = messages
        super().__init__(
            f"{template_name}: PDF 生成失败 / PDF rendering failed: " + "; ".join(messages)
        )


# --- Jinja filters: formatting only, no rules -------------------------------


def _blank(value: Any) -> bool:
    """None, an empty string, or a key the context did not give."""
    return value is None or isinstance(value, jinja2.Undefined) or value == ""


def cn_date(value: date | datetime | str | None) -> str:
    """``2026-03-05`` → ``2026年3月5日``; ``None`` → empty (see the ``date_line`` macro)."""
    if _blank(value):
        return ""
    if isinstance(value, (date, datetime)):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def dot_date(value: date | datetime | str | None) -> str:
    """``2026-03-05`` → ``2026.03.05`` (the dotted style of 附件2's 填表说明)."""
    if _blank(value):
        return ""
    if isinstance(value, (date, datetime)):
        return f"{value.year}.{value.month:02d}.{value.day:02d}"
    return str(value)


def yuan(value: Decimal | int | str | None) -> str:
    """An amount in 元 with 分 and thousands separators; ``None`` → empty."""
    if _blank(value):
        return ""
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{rounded:,.2f}"


def amount(value: Decimal | int | str | None) -> str:
    """A tariff as written in 附件4: ``Decimal("1000.00")`` → ``1000``, ``1500.5`` → ``1500.50``."""
    if _blank(value):
        return ""
    figure = Decimal(str(value))
    if figure == figure.to_integral_value():
        return f"{figure:.0f}"
    return f"{figure.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def number(value: Decimal | int | float | str | None) -> str:
    """A score as people write it: ``92.50`` → ``92.5``, ``88.0`` → ``88``."""
    if _blank(value):
        return ""
    return f"{Decimal(str(value)).normalize():f}"


def paragraphs(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Free text → its non-empty lines, each to be set as its own block.

    A block per line (rather than ``<br>``) lets a template style each line,
    e.g. with the 2-character first-line indent of Chinese prose.
    """
    if _blank(value):
        return []
    if isinstance(value, str):
        value = value.splitlines()
    return [line.strip() for line in value if line and line.strip()]


def joined(value: str | list[str] | tuple[str, ...] | None, sep: str = "、") -> str:
    """A list of names (groups, say) → ``化工、机械``; a string passes through."""
    if _blank(value):
        return ""
    if isinstance(value, str):
        return value
    return sep.join(str(v) for v in value)


def _build_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # A value the service left as None prints as an empty cell, not "None".
        finalize=lambda value: "" if value is None else value,
    )
    env.filters.update(
        cn_date=cn_date,
        dot_date=dot_date,
        yuan=yuan,
        amount=amount,
        number=number,
        paragraphs=paragraphs,
        joined=joined,
        image_uri=image_data_uri,
        qr_uri=qr_data_uri,
    )
    env.globals.update(
        expert_groups=EXPERT_GROUPS,
        cjk_font_path=CJK_FONT_PATH.as_posix(),
        symbol_font_path=SYMBOL_FONT_PATH.as_posix(),
    )
    return env


#: Built once per process: templates are compiled on first use and cached.
ENVIRONMENT = _build_environment()


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """The HTML a template produces for ``context`` (useful when debugging)."""
    return ENVIRONMENT.get_template(template_name).render(**context)


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render ``printables/templates/<template_name>`` with ``context`` to PDF bytes.

    ``context`` holds plain values (str, int, Decimal, date, bytes for images,
    lists, dicts or dataclasses); the keys each template reads are listed in
    the package docstring of :mod:`printables`. Values are HTML-escaped.

    Raises :class:`PrintRenderError` when xhtml2pdf reports any error *or
    warning* (a missing font, a character no embedded font can draw, an
    unreadable image): such a PDF would print boxes or blanks.
    """
    for font in (CJK_FONT_PATH, SYMBOL_FONT_PATH):
        if not font.is_file():
            raise PrintRenderError(
                template_name,
                [f"字体文件不存在 / font file missing: {font} (PDF_CJK_FONT / PDF_SYMBOL_FONT)"],
            )
    html = render_html(template_name, context)
    out = io.BytesIO()
    collector = _WarningCollector()
    xhtml2pdf_log = logging.getLogger("xhtml2pdf")
    # The warnings are how we learn of a missing glyph: make sure they are emitted even if
    # some logging set-up (e.g. logging.config.fileConfig) disabled or muted the logger.
    was_disabled, was_level = xhtml2pdf_log.disabled, xhtml2pdf_log.level
    xhtml2pdf_log.disabled = False
    if was_level > logging.WARNING:
        xhtml2pdf_log.setLevel(logging.WARNING)
    xhtml2pdf_log.addHandler(collector)
    try:
        status = pisa.pisaDocument(
            html,
            dest=out,
            encoding="utf-8",
            path=str(TEMPLATES_DIR / template_name),
            resource_policy=RESOURCE_POLICY,
        )
    finally:
        xhtml2pdf_log.removeHandler(collector)
        xhtml2pdf_log.disabled = was_disabled
        xhtml2pdf_log.setLevel(was_level)
    if status.err or status.warn:
        # status.log keeps the unformatted message; the logger has the real one.
        messages = list(dict.fromkeys(collector.messages)) or [
            f"{mode}: {message}" for mode, _line, message, *_ in status.log
        ]
        raise PrintRenderError(template_name, messages)
    return out.getvalue()


class _WarningCollector(logging.Handler):
    """Collects xhtml2pdf's warnings for the render running on this thread."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            # The first line: the rest is a fragment of the offending markup.
            self.messages.append(record.getMessage().splitlines()[0])
