"""The QR target ``GET /verify/<token>`` (SPEC §5, §7): a printed permit's QR code leads to a
page that shows the card's status right now, the minimum about the person, and nothing private."""
import datetime as dt
import hashlib
import re
import subprocess

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from app import create_app
from app.extensions import db as _db
from app.services.identity import mask_id, mask_phone
from app.services.permits.issuing import reissue_permit, render_permit_pdf
from app.services.uploads import store_photo
from models import Permit, VerifyScan
from tests.permits import records
from tests.permits.records import today

JSON = {"Accept": "application/json"}


def qr_url_of(pdf: bytes, tmp_path, name: str = "permit") -> str:
    """Print → scan: the PDF rasterised by pdftoppm, the QR read by zxing-cpp."""
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-singlefile", str(src),
                    str(tmp_path / f"{name}-front")], check=True)
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / f"{name}-front.png"))
    assert len(codes) == 1, "the card's front carries exactly one QR code"
    return codes[0].text


def status_word(html: str) -> str:
    """The large status, with its end date where one applies: 暂停（至2027年3月1日）."""
    word = re.search(r'<p class="verdict-word">([^<]+)</p>', html).group(1)
    until = re.search(r'<p class="verdict-until">([^<]+)</p>', html)
    return word + (until.group(1) if until else "")


def test_qr_round_trip_through_every_status(app, client, tmp_path):
    expert, permit = records.permitted_expert(name="王建国", groups=("化工", "机械"))
    _db.session.commit()
    url = qr_url_of(render_permit_pdf(permit), tmp_path)
    assert url == f"http://testserver/verify/{permit.token}"
    path = url.removeprefix("http://testserver")

    def scan():
        page = client.get(path)
        data = client.get(path, headers=JSON).get_json()
        return page, data

    page, data = scan()
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and status_word(html) == "有效"
    assert "王建国" in html and "化工、机械" in html and permit.permit_no in html and "武进区应急管理局" in html
    assert data["status"] == "valid" and data["status_label"] == "有效" and data["name"] == "王建国"

    v = records.suspend(expert)
    _db.session.commit()
    last = v.sanction_end - dt.timedelta(days=1)
    page, data = scan()
    assert status_word(page.get_data(as_text=True)) == f"暂停（至{last.year}年{last.month}月{last.day}日）"
    assert (data["status"], data["status_label"], data["until"]) == ("suspended", "暂停", last.isoformat())

    v.state = "dismissed"  # the suspension is withdrawn; now a blacklisting
    records.blacklist(expert)
    _db.session.commit()
    page, data = scan()
    assert status_word(page.get_data(as_text=True)).startswith("黑名单")
    assert (data["status"], data["status_label"]) == ("blacklisted", "黑名单")


@pytest.mark.parametrize("make_records, word, status", [
    (records.dismiss, "已解聘", "dismissed"),
    (records.end_term, "已过期", "expired"),
])
def test_dismissed_and_expired_cards(app, client, tmp_path, make_records, word, status):
    expert, permit = records.permitted_expert()
    _db.session.commit()
    path = qr_url_of(render_permit_pdf(permit), tmp_path).removeprefix("http://testserver")
    make_records(expert)
    _db.session.commit()
    page = client.get(path)
    assert page.status_code == 200 and status_word(page.get_data(as_text=True)) == word
    data = client.get(path, headers=JSON).get_json()
    assert (data["status"], data["status_label"]) == (status, word)


def test_reissue_voids_the_old_qr_code(app, client, tmp_path):
    expert, old = records.permitted_expert()
    _db.session.commit()
    old_path = qr_url_of(render_permit_pdf(old), tmp_path).removeprefix("http://testserver")
    new = reissue_permit(expert, "遗失补办")
    _db.session.commit()
    assert status_word(client.get(old_path).get_data(as_text=True)) == "已作废"
    assert client.get(old_path, headers=JSON).get_json()["status"] == "revoked"
    new_path = qr_url_of(render_permit_pdf(new), tmp_path, "new").removeprefix("http://testserver")
    assert new_path != old_path
    assert status_word(client.get(new_path).get_data(as_text=True)) == "有效"


def test_a_token_with_one_character_changed_is_404_invalid(app, client):
    _, permit = records.permitted_expert()
    _db.session.commit()
    t = permit.token
    altered = t[:5] + ("x" if t[5] != "x" else "y") + t[6:]
    page = client.get(f"/verify/{altered}")
    assert page.status_code == 404 and status_word(page.get_data(as_text=True)) == "无效证件"
    answer = client.get(f"/verify/{altered}", headers=JSON)
    assert answer.status_code == 404
    assert answer.get_json()["status"] == "invalid" and answer.get_json()["status_label"] == "无效证件"


@pytest.mark.parametrize("junk", ["x", "abc/def", "%E4%B8%AD%E6%96%87", "a" * 300, "..%2F..%2Fadmin", "'OR'1'='1"])
def test_malformed_tokens_get_the_invalid_page_not_an_error(app, client, junk):
    page = client.get(f"/verify/{junk}")
    assert page.status_code == 404
    assert "无效证件" in page.get_data(as_text=True)


def test_private_headers_on_every_answer(app, client):
    _, permit = records.permitted_expert()
    _db.session.commit()
    for path, headers in [(f"/verify/{permit.token}", {}), (f"/verify/{permit.token}", JSON),
                          ("/verify/AAAAAAAAAAAAAAAAAAAAAAAA", {})]:
        r = client.get(path, headers=headers)
        assert r.headers["Cache-Control"] == "no-store"
        assert "noindex" in r.headers["X-Robots-Tag"]
        assert r.headers["Referrer-Policy"] == "no-referrer"


def test_page_shows_query_time_and_links_a_complaint(app, client):
    _, permit = records.permitted_expert()
    _db.session.commit()
    html = client.get(f"/verify/{permit.token}").get_data(as_text=True)
    assert f"{today().year}年" in html and "查询时间" in html
    assert f'href="/complaints/new?permit={permit.token}"' in html


def test_no_private_data_in_any_form(app, client):
    birth = dt.date(1969, 8, 23)
    expert, permit = records.permitted_expert(birth=birth, mobile="13912345678", work_phone="0519-86557788",
                                              home_phone="0519-86559911", address="常州市武进区湖塘镇花园新村18幢",
                                              employer="常州保密测试化工有限公司")
    v = records.suspend(expert)
    v.finding, v.investigation = "私下收取企业咨询费八千元", "经核实属实"
    _db.session.commit()
    page = client.get(f"/verify/{permit.token}").get_data(as_text=True)
    data = client.get(f"/verify/{permit.token}", headers=JSON).get_data(as_text=True)
    digits = re.sub(r"\D", "", page)
    for text in (page, data):
        for secret in (expert.id_number, mask_id(expert.id_number), expert.id_number[-4:],
                       "13912345678", mask_phone("13912345678"), "139 1234 5678", "139-1234-5678",
                       "86557788", "86559911", mask_phone("0519-86557788"), "湖塘镇花园新村",
                       "1969-08-23", "1969年8月23日", "19690823", "1969.08.23", "收取企业咨询费", "经核实属实"):
            assert secret not in text
    assert expert.id_number[:17] not in digits and "13912345678" not in digits and "86557788" not in digits
    assert "****" not in page


def test_page_is_light_and_needs_no_script(app, client):
    expert, permit = records.permitted_expert()
    expert.photo_path, expert.photo_thumb_path = store_photo(records.photo_bytes())
    _db.session.commit()
    page = client.get(f"/verify/{permit.token}")
    html = page.get_data(as_text=True)
    assert "<script" not in html.lower()
    total = len(page.data)
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
        total += len(client.get(href).data)
    assert total <= 30 * 1024, f"the verify page transfers {total} bytes besides the photo"
    photo = client.get(f"/verify/{permit.token}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert len(photo.data) <= 25 * 1024
    assert photo.headers["Cache-Control"] == "no-store"
    assert f'src="/verify/{permit.token}/photo"' in html


def test_photo_of_unknown_token_is_404(app, client):
    assert client.get("/verify/AAAAAAAAAAAAAAAAAAAAAAAA/photo").status_code == 404


def test_each_scan_is_logged_and_counted(app, client):
    _, permit = records.permitted_expert()
    _db.session.commit()
    client.get(f"/verify/{permit.token}", environ_base={"REMOTE_ADDR": "198.51.100.23"})
    client.get(f"/verify/{permit.token}", headers=JSON, environ_base={"REMOTE_ADDR": "198.51.100.23"})
    _db.session.expire_all()  # the scans were written past this session's identity map
    scans = _db.session.scalars(select(VerifyScan)).all()
    assert len(scans) == 2
    assert scans[0].ip_hash == hashlib.sha256(app.config["SECRET_KEY"].encode() + b"198.51.100.23").hexdigest()
    assert _db.session.get(Permit, permit.id).scan_count == 2


@pytest.fixture
def limited_app(tmp_path):
    app = create_app({"ENV_NAME": "testing", "UPLOAD_DIR": str(tmp_path / "uploads"), "RATELIMIT_ENABLED": True,
                      "PUBLIC_RATE_LIMIT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()


def test_a_client_over_the_limit_gets_the_chinese_429_page(limited_app):
    client = limited_app.test_client()
    token = "AAAAAAAAAAAAAAAAAAAAAAAA"
    assert [client.get(f"/verify/{token}").status_code for _ in range(2)] == [404, 404]
    page = client.get(f"/verify/{token}")
    assert page.status_code == 429
    html = page.get_data(as_text=True)
    assert "访问过于频繁" in html and "请稍后再试" in html
    assert "Too Many Requests" not in html
    assert client.get(f"/verify/{token}", headers=JSON).status_code == 429
    # another client is not affected
    other = client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert other.status_code == 404
    # the complaint form is limited too
    for _ in range(2):
        client.get("/complaints/new")
    assert client.get("/complaints/new").status_code == 429


@pytest.mark.parametrize("path", [
    "/verify/abc%0D%0Adef", "/verify/%0A", "/verify/AAAA%0AAAAA/x", "/verify/" + "A" * 10_000,
])
def test_broken_links_get_the_invalid_card_page(client, path):
    """A misread QR code (CR/LF in it, or 10,000 characters) is 无效证件, not 页面不存在 or English."""
    response = client.get(path)
    assert response.status_code == 404
    assert "无效证件" in response.get_data(as_text=True)
    assert client.get(path, headers=JSON).get_json()["status"] == "invalid"
