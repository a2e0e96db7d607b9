"""告知书 and 回执 on the phone (第十六条, 附件3): issue, show the QR and the link, print, record
a paper receipt — the unit's own notices only."""
import io
import re
import subprocess
from urllib.parse import unquote

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.services.dispatch import notices
from models import Notice
from tests import factories
from tests.conftest import csrf_from
from tests.mobile.records import make_job


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), (245, 245, 245)).save(buf, "PNG")
    return buf.getvalue()


def _issue(client, req):
    html = client.get(f"/m/requests/{req.id}").get_data(as_text=True)
    return client.post(f"/m/requests/{req.id}/notices", data={"csrf_token": csrf_from(html)}, follow_redirects=True)


def test_notices_are_issued_one_per_enterprise_and_listed(app, client, inspector, job):
    job.enterprises.append(factories.enterprise(name="江苏武进精细化工股份有限公司"))
    db.session.commit()
    page = _issue(client, job).get_data(as_text=True)
    made = db.session.scalars(select(Notice).order_by(Notice.id)).all()
    assert [n.enterprise.name for n in made] == ["常州华润化工有限公司", "江苏武进精细化工股份有限公司"]
    assert "已生成2份告知书，可出示二维码、分享链接或打印。" in page
    for n in made:
        assert f'href="/m/notices/{n.id}"' in page
    assert "生成告知书（每家企业一份）" not in page
    assert "每家企业都已有告知书。" in _issue(client, job).get_data(as_text=True)
    assert len(db.session.scalars(select(Notice)).all()) == 2


def test_no_notice_before_experts_are_chosen(app, client, inspector, town, pool, enterprise):
    req = make_job(town, enterprise, drawn=False)
    html = client.get(f"/m/requests/{req.id}").get_data(as_text=True)
    assert "选派专家后即可向企业发放告知书" in html and "生成告知书" not in html
    page = _issue(client, req).get_data(as_text=True)
    assert "请先选派专家，再向企业发放告知书。" in page
    assert db.session.scalar(select(Notice)) is None


def test_the_notice_page_shows_the_receipt_qr_the_link_and_the_pdf(app, client, inspector, job):
    notice, = notices.issue_notices(job)
    db.session.commit()
    html = client.get(f"/m/notices/{notice.id}").get_data(as_text=True)
    url = f"http://testserver/receipt/{notice.token}"
    assert 'src="data:image/svg+xml' in html and 'alt="告知书回执签收二维码"' in html
    assert f'value="{url}"' in html
    sms = re.search(r'href="(sms:[^"]+)"', html).group(1)
    assert unquote(sms.split("body=", 1)[1]).endswith(f"请打开链接阅读并确认签收回执：{url}")
    assert f'href="/m/notices/{notice.id}/pdf"' in html
    assert "登记纸质回执" in html

    pdf = client.get(f"/m/notices/{notice.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
    assert "武进区安全生产专家服务告知书" in text and "常州华润化工有限公司" in text and notice.notice_no in text


def test_a_paper_receipt_is_recorded_from_its_photo(app, client, inspector, job):
    notice, = notices.issue_notices(job)
    db.session.commit()
    html = client.get(f"/m/notices/{notice.id}").get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "version": re.search(r'name="version" value="(\d+)"', html).group(1),
            "signer_name": "王海燕", "signed_on": "2026-06-08"}
    bad = {**data, "scan": (io.BytesIO(b"not a picture"), "a.png")}
    page = client.post(f"/m/notices/{notice.id}/receipt", data=bad, content_type="multipart/form-data",
                       follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert notice.receipt_state == "pending" and "文件" in page

    page = client.post(f"/m/notices/{notice.id}/receipt", data={**data, "scan": (io.BytesIO(_png()), "a.png")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert (notice.receipt_state, notice.receipt_method, notice.signer_name) == ("received", "paper", "王海燕")
    assert "已登记常州华润化工有限公司的纸质回执，状态为“已回收”。" in page
    assert "由<b>王海燕</b>签收（纸质回执扫描）" in page
    assert "请企业扫码签收" not in page and "登记纸质回执" not in page

    # the same form sent again changes nothing
    again = client.post(f"/m/notices/{notice.id}/receipt", data={**data, "scan": (io.BytesIO(_png()), "b.png")},
                        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "该记录刚刚已被更新" in again
    db.session.expire_all()
    assert notice.signer_name == "王海燕"


def test_a_receipt_dated_in_the_future_is_refused(app, client, inspector, job):
    notice, = notices.issue_notices(job)
    db.session.commit()
    html = client.get(f"/m/notices/{notice.id}").get_data(as_text=True)
    page = client.post(f"/m/notices/{notice.id}/receipt", data={
        "csrf_token": csrf_from(html), "version": str(notice.version), "signed_on": "2026-06-09",
        "scan": (io.BytesIO(_png()), "a.png")}, content_type="multipart/form-data", follow_redirects=True)
    assert "签收日期不能晚于今天。" in page.get_data(as_text=True)
    db.session.expire_all()
    assert notice.receipt_state == "pending"


def test_another_units_notice_is_not_found(app, client, inspector, other_town, pool, enterprise):
    req = make_job(other_town, enterprise)
    notice, = notices.issue_notices(req)
    db.session.commit()
    token = csrf_from(client.get("/m/requests/new").get_data(as_text=True))
    assert client.get(f"/m/notices/{notice.id}").status_code == 404
    assert client.get(f"/m/notices/{notice.id}/pdf").status_code == 404
    response = client.post(f"/m/notices/{notice.id}/receipt", data={
        "csrf_token": token, "version": str(notice.version), "scan": (io.BytesIO(_png()), "a.png")},
        content_type="multipart/form-data")
    assert response.status_code == 404
    db.session.expire_all()
    assert notice.receipt_state == "pending"
