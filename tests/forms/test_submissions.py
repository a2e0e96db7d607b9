"""Saving submissions (SPEC §3.19): who may fill, what it is about, idempotency by client_uuid,
the signature kept with who signed and when, and the XLSX and PDF of any form."""
import datetime as dt
import io
import subprocess
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.services.forms import definitions, documents, editing
from app.services.forms.submissions import Subject, save_submission
from app.services.forms.validation import Filled, FormInvalid
from models import FormAnswer, FormSubmission
from tests import factories
from tests.forms.conftest import good_values, keys, service_record_form


@pytest.fixture
def form(app):
    return service_record_form()


def _save(form, by, *, expert=None, client_uuid=None, change=None, **kw):
    values, files = good_values(definitions.current_version(form))
    values.update(change or {})
    expert = expert or factories.appointed_expert(name="王建国")
    return save_submission(form, Filled(values=values, files=files), by=by, subject=Subject(expert_id=expert.id),
                           client_uuid=client_uuid, **kw)


def _count():
    return db.session.scalar(select(func.count()).select_from(FormSubmission))


def test_a_submission_keeps_its_version_subject_unit_and_signature(form, town):
    moment = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    with clock.frozen(moment):
        drawn = str(int(moment.timestamp() * 1000) - 60000)  # a minute before it was sent
        sub, created = _save(form, town, signed_at={keys(form.versions[0])["专家签字"]: drawn})
    assert created and sub.total == 19 and sub.version.number == 1
    assert (sub.expert.name, sub.unit.name, sub.submitted_by_id) == ("王建国", "湖塘镇", town.id)
    signature = next(a for a in sub.answers if a.field.kind == "signature")
    assert signature.signed_by == "钱立军"
    assert clock.format_time(signature.signed_at) == "2026-11-20 09:59"  # Beijing time, when it was drawn
    assert signature.file_path.startswith("signatures/") and signature.file_path.endswith(".png")


def test_sending_twice_with_the_same_uuid_stores_once(form, town):
    key = str(uuid.uuid4())
    first, created = _save(form, town, client_uuid=key)
    again, created_again = _save(form, town, client_uuid=key, change={keys(first.version)["专业水平"]: "1"})
    assert created and not created_again and again.id == first.id and again.total == 19
    assert _count() == 1


def test_another_unit_replaying_a_uuid_is_refused(form, town):
    key = str(uuid.uuid4())
    _save(form, town, client_uuid=key)
    other = factories.user(role="town", org_unit_=factories.org_unit(kind="town"))
    with pytest.raises(FormInvalid, match="提交编号与其他单位的表单重复"):
        _save(form, other, client_uuid=key)


def test_only_those_the_form_names_may_fill_it(form):
    with pytest.raises(FormInvalid, match="当前账号不能填写此表单"):
        _save(form, factories.user(role="department"))
    assert _count() == 0


def test_the_subject_must_fit_the_purpose(form, town):
    values, files = good_values(definitions.current_version(form))
    with pytest.raises(FormInvalid) as err:
        save_submission(form, Filled(values=values, files=files), by=town, subject=Subject(expert_id="999999"))
    assert err.value.problems == ["请选择专家"]


def test_a_refused_submission_writes_nothing(form, town):
    with pytest.raises(FormInvalid):
        _save(form, town, change={keys(definitions.current_version(form))["专业水平"]: "11"})
    assert _count() == 0 and db.session.scalar(select(func.count()).select_from(FormAnswer)) == 0


def test_a_retired_form_takes_no_submission(form, town):
    definitions.retire_form(form)
    with pytest.raises(FormInvalid, match="该表单已停用"):
        _save(form, town)


def test_a_page_of_an_older_version_is_saved_on_that_version(form, town):
    v1 = definitions.current_version(form)
    v2 = definitions.start_draft(form)
    editing.update_field(v2.fields[0], {"label": "服务企业", "kind": "text", "required": True})
    definitions.publish(v2)
    values, files = good_values(v1)
    sub, _ = save_submission(form, Filled(values=values, files=files), by=town, version_id=v1.id,
                             subject=Subject(expert_id=factories.appointed_expert().id))
    assert sub.version_id == v1.id


def test_the_xlsx_has_one_column_per_field_and_text_is_never_a_formula(form, town):
    k = keys(definitions.current_version(form))
    _save(form, town, change={k["服务单位"]: "=1+2", k["服务内容"]: "@SUM(A1)", k["到场时间"]: "09:30"})
    version = definitions.current_version(form)
    sheet = load_workbook(io.BytesIO(documents.version_xlsx(version))).active
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert [f.label for f in version.fields if f.label in header] == [f.label for f in version.fields]
    assert "专业水平（发现问题）" in header and "专家签字（签字人、时间）" in header and header[-1] == "总分"
    assert (row["服务单位"].value, row["服务单位"].data_type) == ("=1+2", "s")
    assert (row["服务内容"].value, row["服务内容"].data_type) == ("@SUM(A1)", "s")
    assert row["服务日期"].value == dt.datetime(2026, 11, 20) and row["专业水平"].value == 10
    assert row["总分"].value == 19 and row["关联对象"].value == "专家姓名：王建国"
    assert row["专家签字（签字人、时间）"].value.startswith("钱立军 ")


def test_the_pdf_prints_the_answers_the_total_and_the_signature_as_a_picture(form, town, tmp_path):
    sub, _ = _save(form, town)
    pdf = documents.submission_pdf(sub)
    (tmp_path / "s.pdf").write_bytes(pdf)
    text = "".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "s.pdf"), "-"], check=True,
                                  capture_output=True).stdout.decode().split())
    for needle in ("专家现场服务记录", "专家姓名：王建国", "服务单位", "常州华润化工有限公司", "2026年11月20日",
                   "09:30",
                   "专业水平（10分）", "总分（20分）", "钱立军", "填报单位：湖塘镇"):
        assert needle in text, needle
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "s.pdf")], check=True,
                            capture_output=True).stdout.decode().splitlines()[2:]
    assert len(images) == 2  # the photo and the signature


def test_a_blank_form_prints_every_question_to_fill_by_hand(form, tmp_path):
    (tmp_path / "b.pdf").write_bytes(documents.blank_pdf(definitions.current_version(form)))
    text = "".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "b.pdf"), "-"], check=True,
                                  capture_output=True).stdout.decode().split())
    for needle in ("专家姓名：", "服务单位", "是否佩戴专家工作证☐是☐否", "检查类型☐执法检查☐隐患排查",
                   "专业水平（10分）",
                   "总分（20分）", "专家签字"):
        assert needle in text, needle


def test_a_signature_cannot_be_changed_after_submission(form, town):
    sub, _ = _save(form, town)
    db.session.commit()
    signature = next(a for a in sub.answers if a.field.kind == "signature")
    signature.file_path = "signatures/someone-else.png"
    with pytest.raises(FormInvalid, match="签名也不能更改"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(FormAnswer, signature.id).file_path.startswith("signatures/")
