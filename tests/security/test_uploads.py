"""Upload attacks through the real forms: the public 自荐 form (SPEC §5), the admin expert
photo and the admin proof-document upload.

A script renamed .jpg, HTML or SVG dressed as an image, a photo over its size limit, a
request over MAX_CONTENT_LENGTH and a decompression bomb (a PNG whose header claims
20000×20000 pixels) are each refused with a Chinese message; no row and no file is stored.
"""
import io
import os
import struct
import zlib

import pytest
from PIL import Image

from app.extensions import db
from models import Expert, ExpertDocument
from tests import factories
from tests.conftest import csrf_from
from tests.public.conftest import application_files, application_form, count_files, snapshot


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(side=20000) -> bytes:
    """A small PNG whose header claims side×side pixels (400 million for 20000)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (side + 1) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def big_jpeg(min_bytes=6 * 1024 * 1024) -> bytes:
    """A real JPEG over the 5 MB photo limit (noise does not compress)."""
    side = 2600
    while True:
        out = io.BytesIO()
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "JPEG", quality=100)
        if out.tell() > min_bytes:
            return out.getvalue()
        side += 400


ATTACKS = {
    "php script renamed .jpg": (b"<?php system($_GET['c']); ?>", "photo.jpg", "image/jpeg"),
    "html page renamed .png": (b"<html><body><script>alert(document.cookie)</script></body></html>", "a.png",
                               "image/png"),
    "svg with script as .jpg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "x.jpg",
                                "image/jpeg"),
    "executable renamed .jpg": (b"MZ\x90\x00" + b"\x00" * 200, "setup.jpg", "image/jpeg"),
    "decompression bomb": (png_bomb(), "bomb.png", "image/png"),
    "truncated jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50, "cut.jpg", "image/jpeg"),
}
REFUSALS = ("只接受", "不能超过", "尺寸过大", "已损坏", "不完整")


def _refused(html: str) -> bool:
    return any(word in html for word in REFUSALS)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
@pytest.mark.parametrize("field", ["photo", "id_card"])
def test_public_application_refuses_hostile_files(app, client, attack, field):
    data, name, mime = ATTACKS[attack]
    before = snapshot(app)
    files = application_files(**{field: (io.BytesIO(data), name, mime)})
    token = csrf_from(client.get("/apply").get_data(as_text=True))
    id_number = factories.id_number(factories.dt.date(1978, 3, 14))
    response = client.post("/apply", data={**application_form(id_number), **files, "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert _refused(response.get_data(as_text=True)), attack
    assert snapshot(app) == before


def test_public_application_refuses_an_oversized_photo(app, client):
    before = snapshot(app)
    token = csrf_from(client.get("/apply").get_data(as_text=True))
    id_number = factories.id_number(factories.dt.date(1978, 3, 14))
    files = application_files(photo=(io.BytesIO(big_jpeg()), "big.jpg", "image/jpeg"))
    response = client.post("/apply", data={**application_form(id_number), **files, "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "不能超过" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_request_over_the_size_limit_gets_the_chinese_413_page(app, client):
    before = snapshot(app)
    token = csrf_from(client.get("/apply").get_data(as_text=True))
    huge = b"\xff\xd8\xff" + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = client.post("/apply", data={"csrf_token": token, "photo": (io.BytesIO(huge), "huge.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_admin_expert_photo_refuses_hostile_files(app, client, login_as, attack):
    login_as("office")
    expert = factories.expert(name="赵立新")
    db.session.commit()
    page = client.get(f"/admin/expert/edit/?id={expert.id}").get_data(as_text=True)
    from tests.admin_views.test_registry import _expert_form

    data, name, mime = ATTACKS[attack]
    form = {**_expert_form(expert), "csrf_token": csrf_from(page), "photo_upload": (io.BytesIO(data), name, mime)}
    files_before = count_files(app.config["UPLOAD_DIR"])
    response = client.post(f"/admin/expert/edit/?id={expert.id}", data=form, content_type="multipart/form-data",
                           follow_redirects=True)
    assert _refused(response.get_data(as_text=True)), attack
    db.session.expire_all()
    assert db.session.get(Expert, expert.id).photo_path is None
    assert count_files(app.config["UPLOAD_DIR"]) == files_before


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_admin_document_upload_refuses_hostile_files(app, client, login_as, attack):
    login_as("office")
    expert = factories.expert(name="赵立新")
    db.session.commit()
    page = client.get("/admin/expert_document/new/").get_data(as_text=True)
    data, name, mime = ATTACKS[attack]
    form = {"csrf_token": csrf_from(page), "expert": str(expert.id), "kind": "id_card", "title": "身份证",
            "upload": (io.BytesIO(data), name, mime)}
    response = client.post("/admin/expert_document/new/", data=form, content_type="multipart/form-data")
    assert response.status_code == 200 and _refused(response.get_data(as_text=True)), attack
    assert db.session.query(ExpertDocument).count() == 0
    assert count_files(app.config["UPLOAD_DIR"]) == 0


def test_a_good_document_is_served_with_its_sniffed_type_and_nosniff(app, client, login_as):
    """The control case: a real JPEG is accepted, and served as image/jpeg, never as HTML."""
    login_as("office")
    expert = factories.expert(name="赵立新")
    db.session.commit()
    out = io.BytesIO()
    Image.new("RGB", (200, 300), (20, 90, 160)).save(out, "JPEG")
    page = client.get("/admin/expert_document/new/").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "expert": str(expert.id), "kind": "id_card", "title": "身份证",
            "upload": (io.BytesIO(out.getvalue()), "scan.html", "text/html")}
    response = client.post("/admin/expert_document/new/", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    doc = db.session.query(ExpertDocument).one()
    served = client.get(f"/admin/expert_document/file/{doc.id}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "filename*=UTF-8''%E8%AF%81%E6%98%8E%E6%9D%90%E6%96%99" in served.headers["Content-Disposition"]  # 证明材料
    assert served.headers["Content-Disposition"].endswith(".jpg")
    # Its page links the file; the stored path stays on the server.
    details = client.get(f"/admin/expert_document/details/?id={doc.id}").get_data(as_text=True)
    assert f'href="/admin/expert_document/file/{doc.id}"' in details and "打开文件" in details
    assert doc.file_path not in details and "File Path" not in details
