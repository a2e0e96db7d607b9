"""Formatting filters and Chinese line breaking, checked on real PDFs."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from xhtml2pdf import pisa

from printables import rendering


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("cn_date", date(2026, 3, 5), "2026年3月5日"),
        ("cn_date", None, ""),
        ("dot_date", date(2026, 3, 5), "2026.03.05"),
        ("yuan", Decimal("12000"), "12,000.00"),
        ("yuan", Decimal("440.005"), "440.01"),
        ("yuan", None, ""),
        ("amount", Decimal("1000.00"), "1000"),
        ("amount", Decimal("1500.5"), "1500.50"),
        ("amount", None, ""),
        ("number", Decimal("92.50"), "92.5"),
        ("number", 88, "88"),
        ("number", Decimal("100"), "100"),
        ("joined", ["化工", "机械"], "化工、机械"),
        ("joined", "化工", "化工"),
        ("paragraphs", "第一行\n\n  第二行  \n", ["第一行", "第二行"]),
    ],
)
def test_filters(name, value, expected):
    assert getattr(rendering, name)(value) == expected


def render_body(body: str, width_mm: float = 60) -> bytes:
    """A fragment of HTML inside the shared base layout, on a narrow page."""
    source = (
        '{% extends "_base.html" %}'
        "{% block page %}@page { size: " + f"{width_mm + 20}mm 120mm" + "; margin: 10mm; }{% endblock %}"
        "{% block body %}" + body + "{% endblock %}"
    )
    html = rendering.ENVIRONMENT.from_string(source).render()
    out = io.BytesIO()
    status = pisa.pisaDocument(html, dest=out, resource_policy=rendering.RESOURCE_POLICY)
    assert status.err == 0 and status.warn == 0
    return out.getvalue()


def lines_of(pdf_text, pdf: bytes) -> list[str]:
    return [line.strip() for line in pdf_text(pdf).splitlines() if line.strip()]


def test_punctuation_never_starts_a_line(pdf_text):
    text = "在配合区应急管理局开展安全生产检查，隐患排查及重大隐患整改验收等工作期间；本人承诺：" * 6
    lines = lines_of(pdf_text, render_body(f"<p>{text}</p>"))
    assert len(lines) > 5
    assert not [line for line in lines if line[0] in "，。、；：！？）》”"]


def test_a_date_is_not_cut_in_two(pdf_text):
    for lead in range(12):  # wherever the line happens to end
        pdf = render_body(f"<p>{'出' * lead}例1982.08，表示1982年8月。起止年月用“-”分隔，例1988.09－1992.07。</p>", 50)
        lines = lines_of(pdf_text, pdf)
        assert any("1982.08" in line for line in lines), lines


def test_a_run_wider_than_the_line_still_breaks(pdf_text):
    url = "https://yjglj.wj.gov.cn/verify/" + "x" * 80
    lines = lines_of(pdf_text, render_body(f"<p>{url}</p>", 40))
    assert len(lines) > 1
    assert "".join(lines) == url


def test_line_breaks_are_honoured_in_chinese_paragraphs(pdf_text):
    lines = lines_of(pdf_text, render_body("<p>第一行<br>第二行<br><br>第四行</p>"))
    assert lines == ["第一行", "第二行", "第四行"]
