"""The online receipt of the 告知书 (附件3, 第十六条): PDF → QR → /receipt/<token> → 已回收."""
import base64
import datetime as dt
import io
import subprocess
from urllib.parse import urlparse

import pytest
import zxingcpp
from PIL import Image

from app import clock, create_app
from app.demo.signatures import drawn_signature, receipt_filled
from app.extensions import db
from app.services.dispatch import draws, notices, usage_requests
from models import Notice
from tests import factories
from tests.conftest import csrf_from
from tests.dispatch.records import group_ids


@pytest.fixture
def notice(app):
    for _ in range(2):
        factories.appointed_expert(start=dt.date(2026, 1, 1))
    unit = factories.org_unit(name="应急管理综合行政执法大队一中队", kind="brigade")
    ent = factories.enterprise(name="常州市武进红光无纺布有限公司")
    day = clock.today() + dt.timedelta(days=3)
    req = usage_requests.create_request(unit=unit, activity_type="inspection", subject="纺织企业执法检查",
                                        start_date=day, end_date=day, groups=group_ids("化工"), enterprises=[ent],
                                        headcount=1, backups=0)
    draws.draw(req)
    made, = notices.issue_notices(req)
    db.session.commit()
    return made


def _signed(name: str) -> dict:
    """The receipt form as the page posts it: the name and the signature drawn on the glass."""
    data = base64.b64encode(drawn_signature(name or "空")).decode()
    return {"f_signer_name": name, "d_signature": f"data:image/png;base64,{data}", "t_signature": ""}


def _qr_from_pdf(pdf: bytes, tmp_path) -> str:
    (tmp_path / "n.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(tmp_path / "n.pdf"), str(tmp_path / "p")],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    found = zxingcpp.read_barcodes(Image.open(png))
    assert found, "no QR code found on the printed notice"
    return found[0].text


def test_round_trip_pdf_qr_confirm_received(app, client, notice, tmp_path):
    pdf = notices.notice_pdf(notice)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "常州市武进红光无纺布有限公司：" in text
    assert "武进区安全生产专家服务告知书回执" in text and notice.notice_no in text
    assert "区应急管理局聘请专家配合监督检查已支付费用" in text

    url = _qr_from_pdf(pdf, tmp_path)
    assert url == f"http://testserver/receipt/{notice.token}"
    path = urlparse(url).path

    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "常州市武进红光无纺布有限公司" in html and "确认签收" in html
    assert page.headers["Cache-Control"] == "no-store"

    response = client.post(path, data={"csrf_token": csrf_from(html), **_signed("王海燕")})
    assert response.status_code == 303
    html = client.get(path).get_data(as_text=True)
    assert "已签收" in html and "王海燕" in html and "在线确认" in html

    db.session.expire_all()
    stored = db.session.get(Notice, notice.id)
    assert (stored.receipt_state, stored.receipt_method, stored.signer_name) == ("received", "online", "王海燕")
    assert stored.receipt_label == "已回收"
    assert abs((clock.utcnow() - stored.signed_at.replace(tzinfo=dt.UTC)).total_seconds()) < 60


def test_a_second_confirmation_changes_nothing(app, client, notice):
    path = f"/receipt/{notice.token}"
    token = csrf_from(client.get(path).get_data(as_text=True))
    client.post(path, data={"csrf_token": token, **_signed("王海燕")})
    first = db.session.get(Notice, notice.id).signed_at
    response = client.post(path, data={"csrf_token": token, **_signed("另一个人")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "无需重复确认" in html and "王海燕" in html
    db.session.expire_all()
    stored = db.session.get(Notice, notice.id)
    assert stored.signer_name == "王海燕" and stored.signed_at == first


@pytest.mark.parametrize("token, message", [
    ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "回执二维码无效"),
    ("x", "回执二维码无效"),
    ("a" * 200, "回执二维码无效"),
    ("..%2F..%2Fetc", "页面不存在"),  # not even this route: the site's own Chinese 404
])
def test_a_forged_token_gets_the_chinese_404(app, client, notice, token, message):
    response = client.get(f"/receipt/{token}")
    assert response.status_code == 404 and message in response.get_data(as_text=True)
    page = client.get(f"/receipt/{notice.token}")
    post = client.post(f"/receipt/{token}", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                  **_signed("王海燕")})
    assert post.status_code == 404
    assert db.session.get(Notice, notice.id).receipt_state == "pending"


def test_altering_one_character_of_a_real_token_is_refused(app, client, notice):
    forged = notice.token[:-1] + ("A" if notice.token[-1] != "A" else "B")
    assert client.get(f"/receipt/{forged}").status_code == 404


@pytest.mark.parametrize("signer, message", [("", "请填写签收人"), ("王", "2至30个字"), ("<b>x</b>", "无效字符")])
def test_bad_signer_names(app, client, notice, signer, message):
    path = f"/receipt/{notice.token}"
    token = csrf_from(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, **_signed(signer)})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.get(Notice, notice.id).receipt_state == "pending"


def test_paper_receipt_then_online_is_already_confirmed(app, notice):
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buf, "PNG")
    notices.record_paper_receipt(notice, buf.getvalue(), signer_name="李建军")
    with pytest.raises(notices.ReceiptAlreadyConfirmed, match="纸质回执扫描"):
        notices.confirm_receipt(notice.token, receipt_filled("王海燕"))


def test_the_receipt_page_is_rate_limited(tmp_path):
    app = create_app({"ENV_NAME": "testing", "RATELIMIT_ENABLED": True, "PUBLIC_RATE_LIMIT": "5 per minute",
                      "UPLOAD_DIR": str(tmp_path)})
    with app.app_context():
        db.create_all()
        client = app.test_client()
        codes = [client.get("/receipt/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status_code for _ in range(7)]
        db.session.remove()
        db.drop_all()
    assert codes[:5] == [404] * 5 and codes[-1] == 429
