"""Personal data masked for every role that sees the ID number masked (SPEC §3.15): home address,
WeChat, QQ and e-mail join ID numbers and phones — in lists, details, exports, PDFs and search."""
import csv
import io

import pytest

from app.extensions import db
from app.services import identity
from app.services.lifecycle import documents
from tests import factories
from tests.conftest import AuthActions
from tests.lifecycle.test_announcements_documents import pdf_text

PRIVATE = {"address": "常州市武进区湖塘镇花园新村12幢", "wechat": "wx_liudadi88", "qq": "1234567890",
           "email": "liudadi@example.cn"}
MASKED = {"address": "常州市武进区****", "wechat": "wx****88", "qq": "12****90", "email": "l****@example.cn"}


@pytest.mark.parametrize("kind, value, masked", [
    ("address", "常州市武进区湖塘镇花园新村12幢", "常州市武进区****"),
    ("address", "湖塘镇某路1号", "湖塘镇****"),
    ("account", "wx_liudadi88", "wx****88"),
    ("account", "1234567890", "12****90"),
    ("account", "abc12", "*****"),
    ("email", "liudadi@example.cn", "l****@example.cn"),
    ("email", "a@b.cn", "****@b.cn"),
    ("id", "11010519491231002X", "1101**********002X"),
    ("phone", "13912345678", "139****5678"),
    ("email", "", ""),
])
def test_masks(kind, value, masked):
    assert identity.mask(kind, value) == masked


@pytest.fixture
def expert(app):
    e = factories.appointed_expert(name="刘大地", **PRIVATE)
    db.session.commit()
    return e


def _client(app, role):
    user = factories.user(role=role)
    db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login(user.username).status_code == 302
    return client


@pytest.mark.parametrize("role", ["leader", "department", "town"])
def test_roles_that_see_the_id_masked_see_contacts_masked(app, expert, role):
    client = _client(app, role)
    details = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    export = client.get("/admin/expert/export/csv/").get_data().decode("utf-8-sig")
    for field, value in PRIVATE.items():
        assert value not in details and value not in export, (role, field)
        assert MASKED[field] in details and MASKED[field] in export, (role, field)
    assert ">None<" not in details.replace(" ", "").replace("\n", "")  # an empty 住宅电话 is empty


@pytest.mark.parametrize("role", ["office", "sysadmin"])
def test_the_office_sees_them_in_full(app, expert, role):
    client = _client(app, role)
    details = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get("/admin/expert/export/csv/").get_data().decode("utf-8-sig"))))
    for value in PRIVATE.values():
        assert value in details and any(value in row for row in rows)


def test_the_registration_form_pdf_masks_them(app, expert):
    text = "".join(pdf_text(documents.registration_form_pdf(expert, masked=True)[1]).split())
    for field, value in PRIVATE.items():
        assert value not in text, field
    assert "wx****88" in text and "l****@example.cn" in text
    full = "".join(pdf_text(documents.registration_form_pdf(expert, masked=False)[1]).split())
    assert "wx_liudadi88" in full and "liudadi@example.cn" in full


def test_masked_contacts_cannot_be_searched_for(app, expert):
    client = _client(app, "leader")
    html = client.get("/admin/expert/?search=liudadi%40example.cn").get_data(as_text=True)
    assert "刘大地" not in html
