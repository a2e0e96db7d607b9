"""The one check of a submission against its version (SPEC §3.19): types, required, limits,
maxima, alternatives, totals — each refusal in Chinese, beside the field and in the list."""
import datetime as dt
import io

import pytest
from PIL import Image

from app.demo.signatures import drawn_signature
from app.services.forms import definitions
from app.services.forms.validation import Filled, FormInvalid, validate_submission
from tests.forms.conftest import good_values, jpeg, keys, service_record_form

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def version(app):
    return definitions.current_version(service_record_form())


def _check(version, change=None, files_change=None, **kw):
    values, files = good_values(version)
    k = keys(version)
    for label, value in (change or {}).items():
        values[k[label]] = value
    for label, value in (files_change or {}).items():
        if value is None:
            files.pop(k[label], None)
        else:
            files[k[label]] = value
    return validate_submission(version, Filled(values=values, files=files, **kw), today=TODAY)


def test_a_complete_submission_passes_with_its_total(version):
    clean = _check(version)
    k = keys(version)
    assert clean.total == 19
    assert clean.answers[k["是否佩戴专家工作证"]].text == "是" and clean.answers[k["是否佩戴专家工作证"]].number == 1
    assert clean.answers[k["服务日期"]].text == "2026-11-20"
    signature = clean.answers[k["专家签字"]].data
    assert signature.startswith(b"\x89PNG") and Image.open(io.BytesIO(signature)).mode == "L"
    assert clean.answers[k["现场照片"]].data.startswith(b"\xff\xd8")  # re-encoded as JPEG


def test_the_total_sent_by_a_client_is_not_an_input(version):
    clean = _check(version, {"专业水平": "3", "服务态度": "4"})
    assert clean.total == 7


@pytest.mark.parametrize("label,raw,problem,beside", [
    ("服务单位", "", "请填写服务单位", "请填写"),
    ("服务内容", "字" * 101, "服务内容不能超过100字", "不能超过100字（现为101字）"),
    ("服务日期", "2026-13-01", "服务日期格式不正确（应为年-月-日）", "日期格式不正确"),
    ("服务日期", "2026-12-02", "服务日期不能晚于今天", "不能晚于今天"),
    ("到场时间", "25:00", "到场时间格式不正确（应为时:分，如 09:30）", "时间格式不正确"),
    ("是否佩戴专家工作证", "也许", "是否佩戴专家工作证请选择“是”或“否”", "请选择“是”或“否”"),
    ("是否佩戴专家工作证", "", "请选择是否佩戴专家工作证", "请选择"),
    ("人数", "0", "人数不能小于1", "不能小于1"),
    ("人数", "21", "人数不能大于20", "不能大于20"),
    ("人数", "2.5", "人数须为整数，“2.5”不是整数", "须为整数"),
    ("检查类型", "专项检查", "检查类型的选项“专项检查”不在可选范围内", "请从列出的选项中选择"),
    ("涉及区域", ["储罐区", "办公楼"], "涉及区域的选项“办公楼”不在可选范围内", "请从列出的选项中选择"),
    ("专业水平", "12", "第1项“专业水平”的评分12分超过该项满分10分", "12分超过该项满分10分，未计入合计"),
    ("专业水平", "-1", "第1项“专业水平”的评分不能为负数", "不能为负数，未计入合计"),
    ("专业水平", "九", "第1项“专业水平”的评分须为整数，“九”不是整数", "须为0至10之间的整数，未计入合计"),
    ("专业水平", "", "第1项未评分（每项须填写0至满分之间的整数）", "请评分（0至10分的整数）"),
])
def test_each_type_refuses_what_it_cannot_hold(version, label, raw, problem, beside):
    with pytest.raises(FormInvalid) as err:
        _check(version, {label: raw})
    assert err.value.problems == [problem]
    assert err.value.field_errors == {keys(version)[label]: beside}


def test_multiple_choice_keeps_the_options_order(version):
    clean = _check(version, {"涉及区域": ["仓库", "储罐区"]})
    assert clean.answers[keys(version)["涉及区域"]].text == '["储罐区", "仓库"]'


@pytest.mark.parametrize("data,message", [
    (None, "请在“专家签字”处签名"),
    (b"not a picture", "只接受 JPG 或 PNG 格式的签名"),
])
def test_a_signature_is_required_and_must_be_a_picture(version, data, message):
    with pytest.raises(FormInvalid) as err:
        _check(version, files_change={"专家签字": data})
    assert message in err.value.problems[0]


def test_a_blank_signature_is_not_a_signature(version):
    buf = io.BytesIO()
    Image.new("RGBA", (600, 200), (0, 0, 0, 0)).save(buf, "PNG")
    with pytest.raises(FormInvalid, match="签名是空白的，请手写签名"):
        _check(version, files_change={"专家签字": buf.getvalue()})


def test_a_paper_form_is_signed_on_paper(version):
    values, files = good_values(version)
    files.pop(keys(version)["专家签字"])
    assert validate_submission(version, Filled(values=values, files=files), paper=True, today=TODAY).total == 19


def test_a_photo_is_sniffed_not_trusted(version):
    with pytest.raises(FormInvalid, match="只接受 JPG 或 PNG 格式的照片"):
        _check(version, files_change={"现场照片": b"GIF89a" + b"\0" * 100})
    clean = _check(version, files_change={"现场照片": jpeg((4000, 3000))})
    assert max(Image.open(io.BytesIO(clean.answers[keys(version)["现场照片"]].data)).size) == 1200


def test_every_problem_is_reported_at_once_in_the_order_of_the_form(version):
    with pytest.raises(FormInvalid) as err:
        _check(version, {"服务单位": "", "到场时间": "9点", "专业水平": "11", "服务态度": ""},
               files_change={"专家签字": None})
    assert err.value.problems == ["第2项未评分（每项须填写0至满分之间的整数）", "请填写服务单位",
                                  "到场时间格式不正确（应为时:分，如 09:30）",
                                  "第1项“专业水平”的评分11分超过该项满分10分", "请在“专家签字”处签名"]


def test_an_answer_to_a_field_of_another_version_is_refused(version):
    values, files = good_values(version)
    values["f999"] = "x"
    with pytest.raises(FormInvalid, match="提交的内容不属于第1版《专家现场服务记录》（f999）"):
        validate_submission(version, Filled(values=values, files=files), today=TODAY)


def test_a_note_on_a_score_without_a_note_column_is_refused(version):
    values, files = good_values(version)
    k = keys(version)
    assert validate_submission(version, Filled(values=values, files=files, notes={k["专业水平"]: "意见笼统"}),
                               today=TODAY).answers[k["专业水平"]].note == "意见笼统"
    with pytest.raises(FormInvalid, match="第2项没有备注栏"):
        validate_submission(version, Filled(values=values, files=files, notes={k["服务态度"]: "x"}), today=TODAY)


def test_the_signature_helper_draws_ink():
    assert Image.open(io.BytesIO(drawn_signature("王海燕"))).getbbox() is not None
