"""Fixtures for permit tests: PDF text and page sizes through poppler, admin POSTs with CSRF."""
import re
import subprocess

import pytest

from tests.conftest import csrf_from


@pytest.fixture
def pdf_info(tmp_path):
    """(page sizes in mm, text) of PDF bytes, as poppler reads them."""
    counter = iter(range(10_000))

    def read(pdf: bytes):
        assert pdf.startswith(b"%PDF"), pdf[:200]
        path = tmp_path / f"doc{next(counter)}.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(path)], check=True, capture_output=True,
                              text=True).stdout
        sizes = [(round(float(w) * 25.4 / 72, 1), round(float(h) * 25.4 / 72, 1))
                 for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
        return sizes, re.sub(r"\s+", "", text)

    return read


@pytest.fixture
def admin_post(client):
    """POST to an admin URL with the CSRF token of a page the user can open."""

    def post(url, data, token_page="/admin/permit/", **kw):
        token = csrf_from(client.get(token_page).get_data(as_text=True))
        return client.post(url, data={**data, "csrf_token": token}, **kw)

    return post
