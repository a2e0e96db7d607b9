"""The work permit: card size, both faces, the sheet of 8 with crop marks, and QR codes that scan."""

from __future__ import annotations

import io
import itertools
import subprocess
import time

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sample_documents import RECEIPT_URL, SAMPLES, VERIFY_URL

from printables import render_pdf

CARD_PT = (85.6 / 25.4 * 72, 54 / 25.4 * 72)  # ≈ 242.6 × 153.1 pt (ISO/IEC 7810 ID-1)


def decoded(png_path) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(png_path))]


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_permit_is_card_sized_with_front_and_back():
    sizes = page_sizes(render_pdf("permit.html", SAMPLES["permit"]()))
    assert len(sizes) == 2
    for width, height in sizes:
        assert width == pytest.approx(CARD_PT[0], abs=0.2)
        assert height == pytest.approx(CARD_PT[1], abs=0.2)


def test_permit_without_back_is_one_page():
    assert len(page_sizes(render_pdf("permit.html", {**SAMPLES["permit"](), "back": False}))) == 1


def test_permit_qr_code_scans_to_the_verification_url(pdf_png):
    png = pdf_png(render_pdf("permit.html", SAMPLES["permit"]()), dpi=300)
    assert zxingcpp.read_barcodes(Image.open(png))[0].text == VERIFY_URL


def test_permit_without_photo_prints_a_placeholder(pdf_text):
    context = SAMPLES["permit"]()
    context["permit"]["photo"] = None
    assert "照片" in pdf_text(render_pdf("permit.html", context), compact=True)


def test_notice_receipt_qr_code_scans_to_the_receipt_url(pdf_png):
    png = pdf_png(render_pdf("notice.html", SAMPLES["notice"]()), dpi=300)
    assert zxingcpp.read_barcodes(Image.open(png))[0].text == RECEIPT_URL


def test_sheet_holds_eight_cards_on_one_a4_page(pdf_png, pdf_text):
    context = SAMPLES["permit_sheet"]()
    pdf = render_pdf("permit_sheet.html", context)
    sizes = page_sizes(pdf)
    assert [(round(w), round(h)) for w, h in sizes] == [(595, 842)]
    text = pdf_text(pdf, compact=True)
    numbers = [p["permit_no"] for p in context["permits"]]
    assert all(text.count(no) == 1 for no in numbers)
    assert text.count("武进区安全生产专家工作证") == 8 + 1  # eight cards and the footer
    assert sorted(decoded(pdf_png(pdf, dpi=300))) == sorted(p["verify_url"] for p in context["permits"])


def test_ninth_permit_starts_a_second_sheet(pdf_text):
    context = SAMPLES["permit_sheet"]()
    context["permits"].append({**context["permits"][0], "permit_no": "WJAQZJ-2026-0009"})
    pdf = render_pdf("permit_sheet.html", context)
    assert len(page_sizes(pdf)) == 2
    assert "第2页，共2页" in pdf_text(pdf, compact=True)


def test_back_sheets_mirror_the_columns(pdf_file):
    context = SAMPLES["permit_sheet"]()
    context["permits"] = context["permits"][:3]
    context["backs"] = True
    pdf = render_pdf("permit_sheet.html", context)
    assert len(page_sizes(pdf)) == 2
    path = pdf_file(pdf)

    def half(page: int, right: bool) -> str:
        """Text of the left or right half of a page (pdftotext crops in points at -r 72)."""
        x = "298" if right else "0"
        return subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), "-r", "72", "-x", x, "-y", "0",
             "-W", "297", "-H", "842", str(path), "-"],
            check=True, capture_output=True, text=True,
        ).stdout

    assert "0001" in half(1, right=False) and "0002" in half(1, right=True)
    assert "0003" in half(1, right=False)
    # Printed on the other side, each back lands behind its front: columns swap.
    assert "0002" in half(2, right=False) and "0001" in half(2, right=True)
    assert "0003" in half(2, right=True) and "0003" not in half(2, right=False)


def test_crop_marks_sit_on_the_card_edges(pdf_png):
    """Marks are drawn in the lanes around each card; the card is exactly 85.6 × 54 mm between them."""
    png = pdf_png(render_pdf("permit_sheet.html", SAMPLES["permit_sheet"]()), dpi=300)
    image = Image.open(png).convert("L")
    px = 25.4 / 300  # mm per pixel
    row = int(24 / px)  # inside the top lane of vertical marks
    xs = [x * px for x in range(image.width) if image.getpixel((x, row)) < 128]
    assert len(xs) >= 4
    left_edges = [xs[0]] + [b for a, b in itertools.pairwise(xs) if b - a > 1]
    assert left_edges[1] - left_edges[0] == pytest.approx(85.6, abs=0.3)
    assert left_edges[3] - left_edges[2] == pytest.approx(85.6, abs=0.3)


def test_warm_permit_render_is_fast_and_small():
    context = SAMPLES["permit"]()
    render_pdf("permit.html", context)  # warm: font parsed, template compiled
    started = time.perf_counter()
    pdf = render_pdf("permit.html", {**context, "back": False})
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0  # ~0.05 s measured; generous for a loaded CI machine
    assert len(pdf) < 150_000
