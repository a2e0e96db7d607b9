"""Fixtures for the printables tests: render, extract text, rasterise.

Poppler's command-line tools (pdftotext, pdftoppm) read what a reader would
see: text extraction proves the Chinese is real text in an embedded font, a
300 dpi raster proves the QR codes scan.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# The repository root, so `import printables` works however pytest is started.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def pdf_file(tmp_path):
    """Write PDF bytes to a file and return its path."""
    counter = iter(range(1_000_000))

    def write(pdf: bytes) -> Path:
        path = tmp_path / f"doc{next(counter)}.pdf"
        path.write_bytes(pdf)
        return path

    return write


@pytest.fixture
def pdf_text(pdf_file):
    """Text of a PDF: ``layout=True`` keeps columns apart (``pdftotext -layout``),
    ``compact=True`` drops all white space so wrapped sentences read whole."""

    def extract(pdf: bytes, *, layout: bool = True, compact: bool = False) -> str:
        path = pdf_file(pdf)
        args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(path), "-"]
        text = subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8")
        return re.sub(r"\s+", "", text) if compact else text

    return extract


@pytest.fixture
def pdf_png(pdf_file, tmp_path):
    """Rasterise one page of a PDF (``pdftoppm -png``) and return the PNG's path."""

    def rasterise(pdf: bytes, *, page: int = 1, dpi: int = 300) -> Path:
        path = pdf_file(pdf)
        out = tmp_path / f"{path.stem}-p{page}-{dpi}"
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
             "-singlefile", str(path), str(out)],
            check=True,
        )
        return out.with_suffix(".png")

    return rasterise
