"""File names, images and QR codes for the printed documents; the 附件5 form as data."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys

import pytest
from PIL import Image

from printables import image_data_uri, qr_data_uri, registration_filename
from printables.eval_form_v1 import EVALUATION_FORM_V1


@pytest.mark.parametrize(
    ("name", "profession", "expected"),
    [
        ("刘大地", "钢铁", "刘大地钢铁.pdf"),  # the example of 附件2 填表说明 12
        ("王 芳", "化工", "王芳化工.pdf"),
        ("张三", "冶金/煤气", "张三冶金煤气.pdf"),
        ("李四", "机械：电气*?", "李四机械电气.pdf"),
        ("赵五", "危险化学品\n", "赵五危险化学品.pdf"),
        ("../../etc", "passwd", "etcpasswd.pdf"),
        ("", "", "登记表.pdf"),
    ],
)
def test_registration_filename(name, profession, expected):
    assert registration_filename(name, profession) == expected


def test_qr_data_uri_is_a_png():
    uri = qr_data_uri("https://example.gov.cn/verify/abc")
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.format == "PNG"


def test_qr_data_uri_refuses_an_empty_url():
    with pytest.raises(ValueError):
        qr_data_uri("")


def _image_bytes(mode: str, size: tuple[int, int], fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else "red").save(out, format=fmt)
    return out.getvalue()


def _decode(uri: str) -> Image.Image:
    assert uri.startswith("data:image/jpeg;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_image_data_uri_empty_is_none():
    assert image_data_uri(None) is None
    assert image_data_uri(b"") is None


def test_image_data_uri_scales_a_large_photo_down():
    image = _decode(image_data_uri(_image_bytes("RGB", (3000, 4000), "JPEG")))
    assert max(image.size) <= 800
    assert image.size[0] / image.size[1] == pytest.approx(0.75, abs=0.01)


def test_image_data_uri_flattens_transparency():
    assert _decode(image_data_uri(_image_bytes("RGBA", (100, 140), "PNG"))).mode == "RGB"


def test_image_data_uri_honours_exif_rotation():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    Image.new("RGB", (400, 300), "red").save(out, format="JPEG", exif=exif)
    assert _decode(image_data_uri(out.getvalue())).size == (300, 400)


def test_image_data_uri_rejects_garbage():
    with pytest.raises(ValueError, match="unreadable photo"):
        image_data_uri(b"not an image")


def test_font_path_can_be_set_from_the_environment():
    env = {**os.environ, "PDF_CJK_FONT": "/opt/fonts/custom.ttc"}
    out = subprocess.run(
        [sys.executable, "-c", "from printables.rendering import CJK_FONT_PATH; print(CJK_FONT_PATH)"],
        env=env, capture_output=True, text=True, check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert out.stdout.strip() == "/opt/fonts/custom.ttc"


# --- 附件5 as data ----------------------------------------------------------

def _maxima(section):
    return [item["max"] for item in section["items"]]


def test_evaluation_form_v1_maxima_match_attachment_5():
    assert _maxima(EVALUATION_FORM_V1["required"]) == [5, 10, 10, 10, 5, 5, 5]
    assert _maxima(EVALUATION_FORM_V1["variants"]["A"]) == [5, 5, 10, 5, 5, 5, 10, 5]
    assert _maxima(EVALUATION_FORM_V1["variants"]["B"]) == [5, 5, 10, 10, 5, 5, 5, 5]


def test_evaluation_form_v1_points_add_up():
    form = EVALUATION_FORM_V1
    assert sum(_maxima(form["required"])) == form["required"]["points"] == 50
    for variant in form["variants"].values():
        assert sum(_maxima(variant)) == variant["points"] == form["choice_points"] == 50
    assert form["required"]["points"] + form["choice_points"] == form["total_points"] == 100


def test_evaluation_form_v1_numbering_and_keys():
    form = EVALUATION_FORM_V1
    assert [i["no"] for i in form["required"]["items"]] == list(range(1, 8))
    for variant in form["variants"].values():
        assert [i["no"] for i in variant["items"]] == list(range(8, 16))
    keys = [i["key"] for s in (form["required"], *form["variants"].values()) for i in s["items"]]
    assert len(keys) == len(set(keys)) == 23


@pytest.mark.parametrize(
    ("section", "index", "text"),
    [
        ("required", 0, "态度诚恳，沟通顺畅"),
        ("required", 6, "遵纪守法，廉洁服务，自觉抵制歪风邪气，不“吃拿卡要”"),
        ("A", 5, "遵守专家回避制度，对与自己有利害关系的技术服务活动主动报告并回避"),
        ("A", 7, "不要求服务单位安排车辆接送"),
        ("B", 3, "危险有害因素辨识分析有针对性，准确界定项目的危险有害因素及其风险程度"),
        ("B", 7, "积极承担社会责任，服务企业满意度高"),
    ],
)
def test_evaluation_form_v1_wording(section, index, text):
    form = EVALUATION_FORM_V1
    items = form["required"]["items"] if section == "required" else form["variants"][section]["items"]
    assert items[index]["text"] == text


def test_evaluation_form_v1_variant_labels():
    assert EVALUATION_FORM_V1["variants"]["A"]["label"] == "配合区、镇开展安全生产工作情况考评"
    assert EVALUATION_FORM_V1["variants"]["B"]["label"] == "对企业开展业务服务质量考评"
    assert len(EVALUATION_FORM_V1["instructions"]) == 5
