"""Complaints from enterprises (附件3 第5点; SPEC §7: ``GET/POST /complaints/new``)."""
import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from models import Complaint
from tests.conftest import csrf_from
from tests.permits import records

FORM = {
    "enterprise_name": "常州华润化工有限公司", "contact_name": "陈经理", "contact_phone": "13861234567",
    "body": "检查结束后专家私下推荐其公司的标准化辅导服务，报价三万元。",
}


def post(client, data, url="/complaints/new", files=None):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post("/complaints/new", data={**data, **(files or {}), "csrf_token": token},
                       content_type="multipart/form-data")


def count():
    return db.session.scalar(select(func.count()).select_from(Complaint))


def test_from_the_verify_page_the_complaint_names_the_expert(app, client):
    expert, permit = records.permitted_expert(name="赵建华")
    db.session.commit()
    verify = client.get(f"/verify/{permit.token}").get_data(as_text=True)
    link = f"/complaints/new?permit={permit.token}"
    assert link in verify
    form = client.get(link).get_data(as_text=True)
    assert "赵建华" in form and permit.permit_no in form and "严格为贵企业做好保密工作" in form
    response = post(client, {**FORM, "permit": permit.token}, url=link)
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    complaint = db.session.scalar(select(Complaint))
    assert complaint.complaint_no in done and "受理编号" in done
    assert (complaint.expert_id, complaint.permit_id) == (expert.id, permit.id)
    assert complaint.contact_phone == "13861234567" and complaint.state == "new"
    # the acknowledgement is shown once
    assert client.get("/complaints/done").status_code == 302


def test_without_a_permit_a_permit_number_links_the_expert(app, client):
    expert, permit = records.permitted_expert()
    db.session.commit()
    assert post(client, {**FORM, "subject": f"证号 {permit.permit_no.lower()}"}).status_code == 302
    assert db.session.scalar(select(Complaint)).expert_id == expert.id


def test_a_name_only_is_kept_for_the_office_to_link(app, client):
    assert post(client, {**FORM, "subject": "姓王的专家"}).status_code == 302
    complaint = db.session.scalar(select(Complaint))
    assert complaint.expert_id is None and complaint.body.startswith("【被投诉专家】姓王的专家")


def test_a_forged_token_links_nobody(app, client):
    html = client.get("/complaints/new?permit=AAAAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)
    assert "投诉对象" not in html
    assert post(client, {**FORM, "permit": "AAAAAAAAAAAAAAAAAAAAAAAA"}).status_code == 302
    assert db.session.scalar(select(Complaint)).expert_id is None


def test_photo_is_stored_cleaned(app, client):
    photo = (io.BytesIO(records.photo_bytes()), "scene.jpg", "image/jpeg")
    assert post(client, FORM, files={"photo": photo}).status_code == 302
    complaint = db.session.scalar(select(Complaint))
    assert complaint.photo_path and complaint.photo_path.endswith(".jpg")


@pytest.mark.parametrize("field, value, message", [
    ("enterprise_name", "", "请填写企业名称"),
    ("contact_name", "  ", "请填写联系人姓名"),
    ("contact_phone", "86310627", "带区号的固定电话"),
    ("contact_phone", "1386123", "电话号码格式不正确"),
    ("body", "太差了", "请用10至2000个字说明"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(app, client, field, value, message):
    response = post(client, {**FORM, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count() == 0


def test_a_file_that_is_not_a_photo_is_refused(app, client):
    fake = (io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "scene.jpg", "image/jpeg")
    response = post(client, FORM, files={"photo": fake})
    assert response.status_code == 400 and "照片" in response.get_data(as_text=True)
    assert count() == 0


def test_posting_without_the_csrf_token_is_refused(app, client):
    response = client.post("/complaints/new", data=FORM)
    assert response.status_code == 400 and count() == 0
