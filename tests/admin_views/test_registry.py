"""Admin registry: CSRF on every POST, masking, stale edits, validation messages."""
import datetime as dt
import io

import openpyxl
import pytest
from PIL import Image

from app import clock
from models import AuditLog, Expert
from tests import factories
from tests.conftest import csrf_from


def _expert_form(expert=None, **changes):
    """The fields the expert edit form posts, from ``expert`` or fresh defaults."""
    data = {
        "name": "李建华", "gender": "male", "birth_date": "1975-05-17", "ethnicity": "汉族",
        "employer": "江苏常州化工研究所有限公司", "title": "高级工程师", "title_level": "associate_senior",
        "education": "bachelor", "full_time_education": "y", "id_number": factories.id_number(dt.date(1975, 5, 17)),
        "mobile": "13912345678", "source": "district", "stage": "in_pool", "groups": ["1"],
    }
    if expert is not None:
        data.update({
            "name": expert.name, "gender": expert.gender, "birth_date": expert.birth_date.isoformat(),
            "employer": expert.employer, "title": expert.title or "", "title_level": expert.title_level,
            "education": expert.education, "id_number": expert.id_number, "mobile": expert.mobile,
            "source": expert.source, "stage": expert.stage, "groups": [str(g.id) for g in expert.groups],
            "version": str(expert.version),
        })
    data.update(changes)
    return data


def _create(client, data, with_token=True):
    page = client.get("/admin/expert/new/").get_data(as_text=True)
    if with_token:
        data = {**data, "csrf_token": csrf_from(page)}
    return client.post("/admin/expert/new/", data=data, content_type="multipart/form-data")


def test_office_creates_an_expert(app, db, client, login_as):
    login_as("office")
    response = _create(client, _expert_form())
    assert response.status_code == 302
    expert = db.session.query(Expert).filter_by(name="李建华").one()
    assert [g.name for g in expert.groups] == ["化工"]


@pytest.mark.parametrize("post", ["create", "edit", "delete", "action"])
def test_admin_posts_without_csrf_token_are_refused(app, db, client, login_as, post):
    login_as("office")
    expert = factories.expert(name="赵立新")
    db.session.commit()
    before = db.session.query(Expert).count()
    if post == "create":
        response = client.post("/admin/expert/new/", data=_expert_form(name="王伪造"))
    elif post == "edit":
        response = client.post(f"/admin/expert/edit/?id={expert.id}", data=_expert_form(expert, name="王伪造"))
    elif post == "delete":
        response = client.post("/admin/expert/delete/", data={"id": expert.id})
    else:
        response = client.post("/admin/expert/action/", data={"action": "delete", "rowid": [expert.id]})
    assert response.status_code in (200, 302, 400)
    db.session.expire_all()
    assert db.session.query(Expert).count() == before
    assert db.session.get(Expert, expert.id).name == "赵立新"
    assert db.session.query(Expert).filter_by(name="王伪造").count() == 0


def test_delete_with_token_works(app, db, client, login_as):
    login_as("office")
    expert = factories.expert()
    db.session.commit()
    page = client.get("/admin/expert/").get_data(as_text=True)
    response = client.post("/admin/expert/delete/", data={"id": expert.id, "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Expert, expert.id) is None


@pytest.mark.parametrize("field,value,message", [
    ("id_number", "110105194912310021", "校验位"),
    ("id_number", "32041219750230001X", "出生日期"),
    ("id_number", factories.id_number(dt.date(1980, 1, 1)), "出生日期"),  # disagrees with 出生日期
    ("id_number", factories.id_number(dt.date(1975, 5, 17), male=False), "性别"),
    ("mobile", "1391234567", "手机"),
    ("work_phone", "86310627", "区号"),
    ("email", "not-an-email", "邮箱"),
    ("employer_uscc", "91320412MA0000012A", "统一社会信用代码"),
    ("birth_date", (clock.today() + dt.timedelta(days=2)).isoformat(), "晚于今天"),
    ("groups", [], "专家组别"),
])
def test_bad_input_is_refused_in_chinese_and_stores_nothing(app, db, client, login_as, field, value, message):
    login_as("office")
    response = _create(client, _expert_form(**{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert db.session.query(Expert).count() == 0


def test_work_history_out_of_order_is_refused(app, db, client, login_as):
    login_as("office")
    data = _expert_form(**{
        "work_history-0-period": "2005.01-2010.12", "work_history-0-employer": "甲公司",
        "work_history-1-period": "1998.07-2006.06", "work_history-1-employer": "乙公司",
    })
    response = _create(client, data)
    assert "主要工作经历有误" in response.get_data(as_text=True)
    assert db.session.query(Expert).count() == 0


def test_work_history_in_the_attachment_format_is_kept(app, db, client, login_as):
    login_as("office")
    data = _expert_form(**{
        "work_history-0-period": "1998.07-2005.06", "work_history-0-employer": "甲公司",
        "work_history-1-period": "2005.07-至今", "work_history-1-employer": "乙公司",
    })
    assert _create(client, data).status_code == 302
    expert = db.session.query(Expert).one()
    assert [w.period for w in expert.work_history] == ["1998.07-2005.06", "2005.07-至今"]


def _jpeg_with_exif():
    img = Image.new("RGB", (400, 560), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_photo_is_sniffed_and_reencoded_without_exif(app, db, client, login_as):
    login_as("office")
    data = _expert_form(photo_upload=(io.BytesIO(_jpeg_with_exif()), "photo.png"))
    assert _create(client, data).status_code == 302
    expert = db.session.query(Expert).one()
    from app.services.uploads import read_upload

    stored = Image.open(io.BytesIO(read_upload(expert.photo_path)))
    assert stored.format == "JPEG" and not stored.getexif()
    assert len(read_upload(expert.photo_thumb_path)) <= 25 * 1024


def test_a_script_renamed_jpg_is_refused(app, db, client, login_as):
    login_as("office")
    data = _expert_form(photo_upload=(io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "photo.jpg"))
    response = _create(client, data)
    assert response.status_code == 200
    assert "只接受 JPG 或 PNG" in response.get_data(as_text=True)
    assert db.session.query(Expert).count() == 0


def test_stale_edit_is_refused(app, db, client, login_as):
    login_as("office")
    expert = factories.expert(name="钱学军")
    db.session.commit()
    page = client.get(f"/admin/expert/edit/?id={expert.id}").get_data(as_text=True)
    token = csrf_from(page)
    form_a = _expert_form(expert, employer="甲单位", csrf_token=token)
    form_b = _expert_form(expert, employer="乙单位", csrf_token=token)
    first = client.post(f"/admin/expert/edit/?id={expert.id}", data=form_a, content_type="multipart/form-data")
    assert first.status_code == 302
    second = client.post(f"/admin/expert/edit/?id={expert.id}", data=form_b, content_type="multipart/form-data",
                         follow_redirects=True)
    assert "已被他人修改" in second.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Expert, expert.id).employer == "甲单位"


@pytest.mark.parametrize("role,masked", [("department", True), ("town", True), ("leader", True),
                                         ("office", False), ("sysadmin", False)])
def test_id_and_phone_masking_in_list_details_and_export(app, db, client, login_as, role, masked):
    expert = factories.expert(name="孙国平", mobile="13812341234")
    db.session.commit()
    login_as(role)
    full_id, full_phone = expert.id_number, expert.mobile
    shown_id = f"{full_id[:4]}**********{full_id[-4:]}"
    pages = [client.get("/admin/expert/?flt0_0=&search=").get_data(as_text=True),
             client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)]
    export = client.get("/admin/expert/export/xlsx/")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    for text in pages + [cells]:
        if masked:
            assert full_id not in text and full_phone not in text
            assert "138****1234" in text
        else:
            assert full_phone in text
    details = pages[1]
    assert (shown_id in details) == masked
    assert (full_id in details) == (not masked)


def test_expert_role_sees_only_himself(app, db, client, login_as):
    other = factories.expert(name="周永刚")
    user = login_as("expert")
    html = client.get("/admin/expert/").get_data(as_text=True)
    assert user.expert.name in html and "周永刚" not in html
    assert client.get(f"/admin/expert/details/?id={other.id}").status_code == 302


def test_audit_log_records_old_and_new_values_with_masked_id(app, db, client, login_as):
    user = login_as("office")
    expert = factories.expert(name="吴亚军", employer="旧单位")
    db.session.commit()
    page = client.get(f"/admin/expert/edit/?id={expert.id}").get_data(as_text=True)
    data = _expert_form(expert, employer="新单位", csrf_token=csrf_from(page))
    assert client.post(f"/admin/expert/edit/?id={expert.id}", data=data,
                       content_type="multipart/form-data").status_code == 302
    entry = db.session.query(AuditLog).filter_by(table_name="expert", action="update", row_id=expert.id).one()
    assert entry.username == user.username
    assert entry.changes["employer"] == ["旧单位", "新单位"]
    created = db.session.query(AuditLog).filter_by(table_name="expert", action="create", row_id=expert.id).one()
    assert "*" in created.changes["id_number"][1] and expert.id_number not in str(created.changes)


def test_a_masked_phone_is_no_search_key_for_roles_that_see_it_masked(app, db, client, login_as):
    """Searching the list by a known phone number would tell whose it is (an oracle): only
    roles that see phone numbers in full may search by them."""
    factories.expert(name="周卫国", mobile="13955550001")
    factories.expert(name="钱立新", mobile="13955550002")
    db.session.commit()
    login_as("leader")
    page = client.get("/admin/expert/?search=13955550001")
    assert page.status_code == 200 and "周卫国" not in page.get_data(as_text=True)
    assert "周卫国" in client.get("/admin/expert/?search=周卫国").get_data(as_text=True)
    assert "手机" not in client.get("/admin/expert/").get_data(as_text=True).split('name="search"')[1][:300]
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/admin/").get_data(as_text=True))})
    login_as("office")
    page = client.get("/admin/expert/?search=13955550001").get_data(as_text=True)
    assert "周卫国" in page and "钱立新" not in page
