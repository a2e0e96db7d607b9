"""Exports that office staff can open safely (CSV and XLSX; OWASP "CSV injection").

Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, WPS and LibreOffice. Anybody can put such text into the database — a self-recommendation
(/apply) or a complaint whose text is ``=HYPERLINK("http://…","点我")`` — so every export
writes every text cell so that no spreadsheet evaluates it, while numbers, amounts and dates
stay typed:

* **XLSX**: such a cell is written as a string (an inline string, not a formula) and marked
  with Excel's quote prefix, so even editing the cell keeps it text. Every workbook of the
  system passes through :func:`neutralise_workbook` before it is saved
  (:func:`workbook_bytes` does both).
* **CSV** has no types: such text gets a leading apostrophe (:func:`csv_text`), the form
  OWASP recommends and spreadsheets show as text. The file starts with a UTF-8 byte-order
  mark so that Excel reads the Chinese correctly.

:func:`cell_value` turns any value a list column yields into what a cell should hold: numbers
and dates as they are, 是/否 for yes/no, text with markup removed.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import Enum

from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font

#: What a spreadsheet takes as the start of a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limit on the characters of one cell; longer text is cut there with a mark.
CELL_LIMIT = 32767


def is_formula_like(text: str) -> bool:
    """True if a spreadsheet would read ``text`` as a formula."""
    return isinstance(text, str) and text.startswith(FORMULA_STARTS)


def cell_value(value):
    """A list column's value as a cell holds it: numbers and dates typed, everything else text."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value.striptags()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, (int, float, Decimal, dt.date, dt.time)):
        return value  # datetime is a date
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(cell_value(v)) for v in value)
    return str(value)


def csv_text(value) -> str:
    """A CSV field: the cell value as text, formula-like text behind an apostrophe."""
    value = cell_value(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A whole CSV file (UTF-8 with byte-order mark, CRLF lines), every field through :func:`csv_text`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_text(h) for h in headers])
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def neutralise_workbook(wb: Workbook) -> Workbook:
    """Make every formula-like text cell of every sheet a plain string (see the module docstring).

    Nothing the system writes is meant as a formula: sums are computed in Python.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and (cell.data_type == "f" or is_formula_like(value)):
                    cell.data_type = "s"
                    cell.quotePrefix = True
                if isinstance(value, str) and len(value) > CELL_LIMIT:
                    cell.value = value[:CELL_LIMIT - 1] + "…"
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx file of ``wb``, neutralised."""
    neutralise_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """One sheet: a bold header row and the rows, values typed (:func:`cell_value`), dates formatted."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(title)
    ws.append([str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([cell_value(v) for v in row])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, Decimal) and cell.value.as_tuple().exponent == -2:
                cell.number_format = "#,##0.00"  # an amount in 元
    ws.freeze_panes = "A2"
    return workbook_bytes(wb)


def _sheet_title(title: str) -> str:
    for ch in '[]:*?/\\':
        title = title.replace(ch, "-")
    return (title or "导出")[:31]
