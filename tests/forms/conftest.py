"""Fixtures for the form engine: a form built as the office builds it, and pictures as phones send them."""
import base64
import io

import pytest
from PIL import Image

from app.demo.signatures import drawn_signature
from app.extensions import db
from app.services.forms import definitions, editing
from tests import factories


def service_record_form(*, publish=True, by=None):
    """专家现场服务记录 as the office builds it: texts, a date, a time, a yes/no, a photo, two scores
    of 10 with a total of 20, a signature; filled by towns about an expert."""
    form = definitions.create_form("专家现场服务记录", purpose="expert", fill_roles=["town"], by=by)
    version = form.versions[0]
    info = version.sections[0]
    for label, kind, extra in (("服务单位", "text", {}), ("服务内容", "textarea", {"max_length": "100"}),
                               ("服务日期", "date", {"no_future": True}), ("到场时间", "time", {}),
                               ("是否佩戴专家工作证", "yesno", {}), ("现场照片", "photo", {"required": False}),
                               ("人数", "integer", {"min_value": "1", "max_value": "20", "required": False}),
                               ("检查类型", "choice", {"options": "执法检查\n隐患排查", "required": False}),
                               ("涉及区域", "multi", {"options": "储罐区\n装卸区\n仓库", "required": False})):
        editing.add_field(info, {"label": label, "kind": kind, "required": extra.pop("required", True), **extra})
    scores = editing.add_section(version, title="服务评价", points="20")
    editing.add_field(scores, {"label": "专业水平", "kind": "score", "max_value": "10", "required": True,
                                   "note_label": "发现问题"})
    editing.add_field(scores, {"label": "服务态度", "kind": "score", "max_value": "10", "required": True})
    sign = editing.add_section(version, title="签字确认")
    editing.add_field(sign, {"label": "专家签字", "kind": "signature", "required": True})
    definitions.update_version(version, title="专家现场服务记录", total_max="20")
    if publish:
        definitions.publish(version)
    db.session.flush()
    return form


def keys(version) -> dict:
    """Field key by label."""
    return {f.label: f.key for f in version.fields}


def jpeg(size=(800, 600), color=(70, 120, 160)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def data_url(data: bytes, mime="image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def good_values(version) -> tuple[dict, dict]:
    """(values, files) of a complete, valid submission."""
    k = keys(version)
    values = {k["服务单位"]: "常州华润化工有限公司", k["服务内容"]: "现场检查储罐区", k["服务日期"]: "2026-11-20",
              k["到场时间"]: "09:30", k["是否佩戴专家工作证"]: "1", k["专业水平"]: "10", k["服务态度"]: "9"}
    return values, {k["专家签字"]: drawn_signature("钱立军"), k["现场照片"]: jpeg()}


@pytest.fixture
def town(app):
    return factories.user(role="town", full_name="钱立军", org_unit_=factories.org_unit(name="湖塘镇", kind="town"))
