"""Helpers for the public pages: a complete 附件2 submission, generated files, counts."""
import datetime as dt
import io
import os
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db as _db
from models import Application, Expert, ExpertDocument, StatusEvent, WorkHistory
from tests import factories
from tests.conftest import csrf_from

BIRTH = dt.date(1978, 3, 14)


def jpeg_bytes(size=(300, 420), color=(200, 60, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=90)
    return out.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def application_form(id_number: str, **overrides) -> dict:
    """A complete, valid 自荐 form as posted by a browser (without the CSRF token and files)."""
    data = {
        "name": "陈立新", "gender": "male", "birth_date": BIRTH.isoformat(), "id_number": id_number,
        "ethnicity": "汉族", "party": "中共党员", "birthplace": "江苏常州",
        "employer": "常州新港化工有限公司", "supervising_dept": "常州市武进区工业和信息化局",
        "position": "安全环保部经理", "retired": "0", "title_level": "associate_senior", "title": "高级工程师",
        "registered_safety_engineer": "y", "graduated_from": "南京工业大学", "education": "bachelor",
        "full_time_education": "1", "profession": "化工安全", "specialty": "危险化学品储存与使用安全",
        "mobile": "13861234567", "email": "chenlx@example.com", "work_phone": "0519-86310001",
        "home_phone": "", "wechat": "chenlx78", "qq": "", "address": "常州市武进区湖塘镇人民中路8号",
        "groups": ["chemical", "confined_space"],
        "work_history-0-period": "2000.07-2008.06", "work_history-0-employer": "常州化工研究院",
        "work_history-0-department": "工艺室", "work_history-0-position": "技术员", "work_history-0-title": "工程师",
        "work_history-1-period": "2008.07-至今", "work_history-1-employer": "常州新港化工有限公司",
        "work_history-1-department": "安全环保部", "work_history-1-position": "经理",
        "work_history-1-title": "高级工程师",
        # the browser always posts every slot, empty or not
        **{f"work_history-{i}-{key}": "" for i in (2, 3, 4)
           for key in ("period", "employer", "department", "position", "title")},
        "achievements": "主持公司HAZOP分析和双重预防机制建设。", "awards": "", "own_opinion": "本人自愿申请。",
        "ethics_declared": "y", "health_declared": "y", "truthful": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def application_files(**overrides) -> dict:
    files = {
        "photo": (io.BytesIO(jpeg_bytes()), "photo.jpg", "image/jpeg"),
        "id_card": [(io.BytesIO(jpeg_bytes(color=(10, 10, 200))), "id-front.jpg", "image/jpeg"),
                    (io.BytesIO(jpeg_bytes(color=(10, 200, 10))), "id-back.jpg", "image/jpeg")],
        "title_cert": (io.BytesIO(PDF_BYTES), "title.pdf", "application/pdf"),
        "diploma": (io.BytesIO(jpeg_bytes(color=(90, 90, 90))), "diploma.jpg", "image/jpeg"),
        "registration_cert": (io.BytesIO(PDF_BYTES), "reg.pdf", "application/pdf"),
    }
    files.update(overrides)
    return {k: v for k, v in files.items() if v is not None}


def count_files(root) -> int:
    return sum(len(files) for _, _, files in os.walk(root)) if os.path.isdir(root) else 0


def snapshot(app) -> dict:
    """Row counts of everything an application writes, and the files under UPLOAD_DIR."""
    counts = {model.__name__: _db.session.scalar(select(func.count()).select_from(model))
              for model in (Expert, Application, ExpertDocument, WorkHistory, StatusEvent)}
    counts["files"] = count_files(app.config["UPLOAD_DIR"])
    return counts


@pytest.fixture
def post_application(client):
    """POST the /apply form (token taken from a fresh GET); returns the response."""

    def _post(form: dict, files: dict | None = None, follow: bool = False):
        token = csrf_from(client.get("/apply").get_data(as_text=True))
        payload = {**form, **(files or {}), "csrf_token": token}
        return client.post("/apply", data=payload, content_type="multipart/form-data", follow_redirects=follow)

    return _post


@pytest.fixture
def new_id():
    """A fresh valid 身份证号 for a man born on BIRTH."""
    return lambda birth=BIRTH, male=True: factories.id_number(birth, male)


RECEIPT_RE = re.compile(r"(?:ZJ|TJ)\d{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")
