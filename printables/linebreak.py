"""Line breaking for Chinese text in xhtml2pdf, closer to how Chinese is set.

Long Chinese text only wraps under ``-pdf-word-wrap: CJK``, and xhtml2pdf
0.2.28 then breaks between *any* two characters with reportlab's rules for
Japanese. On our forms that gave lines starting with "，" or "；", dates cut
in half ("19" / "82年8月"), and ``<br>`` silently ignored. :func:`cjk_frag_split`
replaces the module-level breaker of :mod:`xhtml2pdf.reportlab_paragraph`
(the one ``Paragraph.breakLinesCJK`` calls) and:

- never starts a line with closing punctuation (it hangs at the end of the
  line before) and never ends one with opening punctuation;
- keeps a run of non-space ASCII ("1982.08", "WJAQZJ-2026-0017", an e-mail
  address) on one line unless the run alone is wider than the line;
- honours ``<br>`` (and new lines under ``white-space: pre``).

:func:`install` is idempotent and is called when :mod:`printables.rendering`
is imported.
"""

from __future__ import annotations

from reportlab.rl_settings import _FUZZ
from xhtml2pdf import reportlab_paragraph as _rp

#: May not begin a line (GB/T 15834 标点符号用法; 避头点号).
CANNOT_START = frozenset(
    "，。、；：？！）》」』】〕〉”’…—·％,.;:?!)]}%"
) | frozenset(_rp.ALL_CANNOT_START)

#: May not end a line (避尾: opening brackets and quotes).
CANNOT_END = frozenset("（《「『【〔〈“‘([{")


def _is_word_char(ch: str) -> bool:
    return len(ch) == 1 and "!" <= ch <= "~"  # printable ASCII other than space


def _break_position(units: list, start: int, overflow: int) -> int:
    """Where the line ``units[start:]`` ends, given that ``units[overflow]`` does not fit."""
    if units[overflow] in CANNOT_START:
        return overflow + 1  # hang the mark in the margin rather than start a line with it
    position = overflow
    while position > start and _is_word_char(units[position - 1]) and _is_word_char(units[position]):
        position -= 1
    if position == start:
        position = overflow  # a run wider than the line: break it where it overflows
    while position - 1 > start and units[position - 1] in CANNOT_END:
        position -= 1
    return position


def cjk_frag_split(frags, maxWidths, calcBounds, encoding="utf8"):  # noqa: N803 (reportlab's names)
    """Drop-in for ``xhtml2pdf.reportlab_paragraph.cjkFragSplit``."""
    units = []
    for frag in frags:
        text = frag.text if isinstance(frag.text, str) else frag.text.decode(encoding)
        if text:
            units.extend(_rp.cjkU(ch, frag, encoding) for ch in text)
        else:
            units.append(_rp.cjkU(text, frag, encoding))  # an image, or a <br>

    def width_of_line(index: int) -> float:
        return maxWidths[index] if index < len(maxWidths) else maxWidths[-1]

    lines = []
    start = 0
    used = 0.0
    max_width = width_of_line(0)
    i = 0
    while i < len(units):
        unit = units[i]
        if hasattr(unit.frag, "lineBreak"):
            # An empty line still takes its height from the <br>'s own frag.
            line = units[start:i] or [unit]
            lines.append(_rp.makeCJKParaLine(line, max_width - used, calcBounds))
            max_width = width_of_line(len(lines))
            start, used = i + 1, 0.0
        elif used + unit.width > max_width + _FUZZ and i > start:
            end = _break_position(units, start, i)
            line = units[start:end]
            lines.append(
                _rp.makeCJKParaLine(line, max_width - sum(u.width for u in line), calcBounds)
            )
            max_width = width_of_line(len(lines))
            start = end
            used = sum(u.width for u in units[start : i + 1])
        else:
            used += unit.width
        i += 1
    if start < len(units):
        lines.append(_rp.makeCJKParaLine(units[start:], max_width - used, calcBounds))
    return _rp.ParaLines(kind=1, lines=lines)


def install() -> None:
    """Make xhtml2pdf break CJK paragraphs with :func:`cjk_frag_split`."""
    _rp.cjkFragSplit = cjk_frag_split
