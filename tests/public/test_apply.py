"""Public self-recommendation /apply (第十二条(一)(二), 附件2, SPEC §5): what is stored for a
good application, and that refused input stores nothing."""
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app import clock
from app.extensions import db
from app.services.uploads import upload_path
from models import Application, Expert, StatusEvent
from models.base import blind_match
from tests import factories
from tests.public.conftest import (
    BIRTH,
    PDF_BYTES,
    RECEIPT_RE,
    application_files,
    application_form,
    jpeg_bytes,
    snapshot,
)


def test_form_page_is_light_and_grouped(client):
    html = client.get("/apply").get_data(as_text=True)
    for section in ("基本信息", "工作单位与职称", "联系方式", "专家组别", "主要工作经历", "业绩与奖励", "证明材料",
                    "声明"):
        assert section in html
    for group in ("化工", "烟花爆竹", "冶金煤气", "机械", "电气", "建材", "纺织", "轻工", "金属冶炼", "金属粉尘",
                  "木质粉尘", "有限空间"):
        assert f"<span>{group}</span>" in html
    # Five work-history slots without JavaScript, and no admin assets.
    assert len(re.findall(r'name="work_history-\d-period"', html)) == 5
    assert "bootstrap" not in html and "jquery" not in html.lower()
    assert "<script>" not in html  # CSP: scripts only from static files
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html


def test_good_application_stores_expert_application_documents_and_shows_receipt(app, client, post_application, new_id):
    id_number = new_id()
    response = post_application(application_form(id_number), application_files())
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    receipt = RECEIPT_RE.search(page)
    assert receipt, page
    assert "请截图或抄下此回执编号并妥善保存" in page
    for step in ("初审", "综合素质测试", "局长办公会议审定"):
        assert step in page

    expert = db.session.scalar(select(Expert).where(blind_match(Expert.id_number, id_number)))
    assert (expert.name, expert.stage, expert.source) == ("陈立新", "applicant", "district")
    assert (expert.gender, expert.birth_date, expert.title_level) == ("male", BIRTH, "associate_senior")
    assert expert.registered_safety_engineer and not expert.registered_safety_assessor
    assert expert.health_declared and expert.ethics_declared
    assert expert.group_names == ["化工", "有限空间"]
    assert [(w.period, w.employer) for w in expert.work_history] == [
        ("2000.07-2008.06", "常州化工研究院"), ("2008.07-至今", "常州新港化工有限公司")]
    application = db.session.scalar(select(Application).where(Application.expert_id == expert.id))
    assert (application.channel, application.state, application.receipt_no) == ("self", "submitted", receipt.group(0))
    kinds = sorted(doc.kind for doc in expert.documents)
    assert kinds == ["diploma", "id_card", "id_card", "registration_cert", "title_cert"]
    assert {doc.title for doc in expert.documents if doc.kind == "id_card"} == {"身份证（1）", "身份证（2）"}
    for rel in [expert.photo_path, expert.photo_thumb_path] + [d.file_path for d in expert.documents]:
        assert upload_path(rel) is not None, rel
    assert upload_path(expert.photo_path).read_bytes()[:2] == b"\xff\xd8"  # re-encoded JPEG
    events = db.session.scalars(select(StatusEvent).where(StatusEvent.expert_id == expert.id)).all()
    assert [e.event for e in events] == ["提交自荐申请"]


def test_good_application_with_optional_proofs_and_extra_rows(app, client, post_application, new_id):
    form = application_form(new_id(), **{
        "work_history-1-period": "2008.07-2012.12",
        "work_history-3-employer": "常州安科安全技术有限公司", "work_history-3-period": "2013.01-2019.12",
        # a row added by apply.js beyond the five slots
        "work_history-5-period": "2020.01-至今", "work_history-5-employer": "常州应急科技有限公司",
    })
    files = application_files(other=[(io.BytesIO(PDF_BYTES), "a.pdf"), (io.BytesIO(jpeg_bytes()), "b.jpg")])
    assert post_application(form, files).status_code == 303
    expert = db.session.scalar(select(Expert))
    assert [w.period for w in expert.work_history] == [
        "2000.07-2008.06", "2008.07-2012.12", "2013.01-2019.12", "2020.01-至今"]
    assert sorted(d.kind for d in expert.documents).count("other") == 2


def test_person_without_title_need_not_upload_a_title_certificate(app, post_application, new_id):
    form = application_form(new_id(), title_level="none", title="", registered_safety_engineer=None)
    files = application_files(title_cert=None, registration_cert=None)
    assert post_application(form, files).status_code == 303


BAD_INPUT = [
    pytest.param({"name": ""}, {}, "请填写姓名", id="missing-name"),
    pytest.param({"groups": []}, {}, "请至少选择一个专家组别", id="no-group"),
    pytest.param({"id_number": "320412197803141234"}, {}, "身份证号校验位不正确", id="bad-check-digit"),
    pytest.param({"id_number": "32041219781"}, {}, "身份证号应为18位", id="short-id"),
    pytest.param({"birth_date": "1978-03-15"}, {}, "出生日期1978-03-15与身份证号不一致", id="id-vs-birth-date"),
    pytest.param({"gender": "female"}, {}, "性别“女”与身份证号不一致", id="id-vs-gender"),
    pytest.param({}, {"photo": (io.BytesIO(b"#!/bin/sh\necho hello\n"), "photo.jpg", "image/jpeg")},
                 "只接受 JPG 或 PNG 格式的照片", id="text-file-renamed-jpg"),
    pytest.param({}, {"photo": None}, "请上传一寸彩色电子照片", id="no-photo"),
    pytest.param({}, {"diploma": None}, "请上传毕业证书扫描件或照片", id="no-diploma"),
    pytest.param({}, {"id_card": (io.BytesIO(b"MZ\x90\x00 not a scan"), "id.pdf", "application/pdf")},
                 "只接受 JPG、PNG 或 PDF 格式的文件", id="exe-as-pdf"),
    pytest.param({"work_history-0-period": "2000年7月-2008年6月"}, {}, "格式不正确，应写作 1988.09-1992.07",
                 id="history-period-format"),
    pytest.param({"work_history-0-period": "2009.07-2012.06"}, {}, "本行开始早于第1行", id="history-out-of-order"),
    pytest.param({"work_history-0-period": "", "work_history-0-employer": "", "work_history-0-department": "",
                  "work_history-0-position": "", "work_history-0-title": "", "work_history-1-period": "",
                  "work_history-1-employer": "", "work_history-1-department": "", "work_history-1-position": "",
                  "work_history-1-title": ""}, {}, "请至少填写一段主要工作经历", id="no-history"),
    pytest.param({"mobile": "0519-8631"}, {}, "手机号码应为11位数字", id="bad-mobile"),
    pytest.param({"work_phone": "86310627"}, {}, "电话号码格式不正确", id="landline-without-area-code"),
    pytest.param({"email": "chen@"}, {}, "电子邮箱格式不正确", id="bad-email"),
    pytest.param({"birth_date": (clock.today() + dt.timedelta(days=3)).isoformat()}, {}, "日期不能晚于今天",
                 id="birth-in-future"),
    pytest.param({"health_declared": None}, {}, "请阅读并勾选此项声明", id="health-not-declared"),
    pytest.param({"title": ""}, {}, "请填写职称全称", id="level-without-title"),
    pytest.param({}, {"registration_cert": None}, "请上传注册安全工程师/注册安全评价师证书",
                 id="registered-without-certificate"),
]


@pytest.mark.parametrize("form_changes, file_changes, message", BAD_INPUT)
def test_bad_input_gets_a_chinese_message_and_stores_nothing(app, post_application, new_id, form_changes,
                                                             file_changes, message):
    before = snapshot(app)
    form = application_form(new_id())
    form.update(form_changes)
    form = {k: v for k, v in form.items() if v is not None}
    response = post_application(form, application_files(**file_changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert "提交未成功" in html
    assert snapshot(app) == before


def test_refused_form_keeps_typed_values_and_asks_to_choose_files_again(post_application, new_id):
    html = post_application(application_form(new_id(), name=""), application_files()).get_data(as_text=True)
    assert "常州新港化工有限公司" in html and "2000.07-2008.06" in html
    assert "请在“证明材料”部分重新选择照片和各项文件" in html


def test_history_message_names_the_row_the_applicant_sees(post_application, new_id):
    # Rows 1 and 3 filled, row 2 left empty: the refusal points at row 3.
    form = application_form(new_id(), **{
        "work_history-1-period": "", "work_history-1-employer": "", "work_history-1-department": "",
        "work_history-1-position": "", "work_history-1-title": "",
        "work_history-2-period": "1999.01-2001.01", "work_history-2-employer": "常州某厂"})
    html = post_application(form, application_files()).get_data(as_text=True)
    assert "工作经历第3段" in html
    assert "本行开始早于第1行" in html


def test_duplicate_id_of_an_expert_in_the_pool_is_refused_without_revealing_him(app, post_application):
    existing = factories.appointed_expert(name="王建国", birth=BIRTH, employer="江苏常州化工研究所有限公司",
                                          address="常州市武进区淹城路1号")
    db.session.commit()
    before = snapshot(app)
    html = post_application(application_form(existing.id_number), application_files()).get_data(as_text=True)
    assert "该身份证号已有专家登记或申请记录，不能重复提交" in html
    for secret in ("王建国", "江苏常州化工研究所有限公司", "淹城路", existing.mobile):
        assert secret not in html
    assert snapshot(app) == before


def test_second_application_by_the_same_person_is_refused(app, post_application, new_id):
    id_number = new_id()
    assert post_application(application_form(id_number), application_files()).status_code == 303
    before = snapshot(app)
    html = post_application(application_form(id_number, name="陈立新二"), application_files()).get_data(as_text=True)
    assert "不能重复提交" in html
    assert snapshot(app) == before


def test_lower_case_x_id_number_is_normalised(app, post_application):
    id_number = factories.id_number(BIRTH, True)
    # find a sequence whose check digit is X so the normalisation is exercised
    seq = 1
    while not id_number.endswith("X"):
        seq += 1
        id_number = factories.id_number(BIRTH, True, seq=seq)
    assert post_application(application_form(id_number.lower()), application_files()).status_code == 303
    assert db.session.scalar(select(Expert.id_number)) == id_number


def test_missing_csrf_token_is_refused_and_stores_nothing(app, client, new_id):
    before = snapshot(app)
    response = client.post("/apply", data={**application_form(new_id()), **application_files()},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_failed_commit_leaves_no_rows_and_no_files(app, post_application, new_id, monkeypatch):
    before = snapshot(app)

    def broken_commit():
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(db.session, "commit", broken_commit)
    html = post_application(application_form(new_id()), application_files()).get_data(as_text=True)
    monkeypatch.undo()
    assert "系统暂时无法保存您的申请" in html
    db.session.rollback()
    assert snapshot(app) == before


def test_receipt_page_without_a_submission_goes_to_status_lookup(client):
    response = client.get("/apply/submitted")
    assert response.status_code == 302 and response.headers["Location"].endswith("/apply/status")
