"""Registry fields the office adds (issue 17 §2): added without a migration as a form-engine
section; retired not deleted while they have values; masked when personal; in the admin, the
附件2 PDF, the roster template, import (all-or-nothing, per-cell errors) and export."""
import io
import subprocess

import openpyxl
import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle import extra_fields
from app.services.lifecycle.roster_import import ImportRefused, import_roster, template_workbook
from models import AuditLog, Expert, ExpertFieldValue
from tests import factories
from tests.admin_views.test_roster_import import HEADERS, _row
from tests.conftest import csrf_from


@pytest.fixture
def fields(app):
    cert = extra_fields.add_field({"label": "特种作业操作证编号", "kind": "text", "max_length": "30",
                                   "public_field": True, "personal": True})
    until = extra_fields.add_field({"label": "注册证书有效期", "kind": "date"})
    db.session.commit()
    return cert, until


def test_added_fields_are_a_published_form_version(fields):
    cert, until = fields
    form = extra_fields.registry_form()
    assert form.purpose == "expert" and [v.number for v in form.versions] == [1, 2]
    assert [f.label for f in extra_fields.active_fields()] == ["特种作业操作证编号", "注册证书有效期"]
    assert [f.label for f in extra_fields.active_fields(public_only=True)] == ["特种作业操作证编号"]
    with pytest.raises(DomainError, match="已有名为"):
        extra_fields.add_field({"label": "注册证书有效期", "kind": "date"})
    with pytest.raises(DomainError, match="请选择字段类型"):
        extra_fields.add_field({"label": "照片", "kind": "signature"})


def test_values_checked_by_the_engine(fields):
    cert, until = fields
    expert = factories.expert()
    extra_fields.save_values(expert, {cert.key: "T320412197505170013", until.key: "2028-06-30"})
    db.session.commit()
    assert extra_fields.values_of(expert) == {cert.key: "T320412197505170013", until.key: "2028-06-30"}
    with pytest.raises(extra_fields.FormInvalid) as err:
        extra_fields.save_values(expert, {cert.key: "X" * 31, until.key: "明年"})
    assert set(err.value.field_errors) == {cert.key, until.key}
    assert "不能超过30字" in err.value.field_errors[cert.key]
    db.session.rollback()
    assert extra_fields.values_of(expert)[cert.key] == "T320412197505170013"  # nothing changed


def test_retire_keeps_values_and_delete_is_refused_while_values_exist(fields):
    cert, until = fields
    expert = factories.expert()
    extra_fields.save_values(expert, {cert.key: "T1234567890", until.key: ""})
    db.session.commit()
    with pytest.raises(DomainError, match="不能删除，只能停用"):
        extra_fields.delete_field(cert.key)
    extra_fields.retire_field(cert.key)
    db.session.commit()
    assert [f.label for f in extra_fields.active_fields()] == ["注册证书有效期"]
    assert [r.field.label for r in extra_fields.retired_fields()] == ["特种作业操作证编号"]
    assert db.session.query(ExpertFieldValue).filter_by(field_key=cert.key).one().text == "T1234567890"
    # a field without values goes for good
    extra_fields.delete_field(until.key)
    db.session.commit()
    assert extra_fields.active_fields() == []
    extra_fields.reinstate_field(cert.key)
    db.session.commit()
    assert [f.label for f in extra_fields.active_fields()] == ["特种作业操作证编号"]
    assert extra_fields.values_of(expert)[cert.key] == "T1234567890"


def test_personal_values_are_encrypted_at_rest_and_the_others_stay_searchable(fields):
    cert, until = fields  # cert is marked personal data
    expert = factories.expert()
    extra_fields.save_values(expert, {cert.key: "T320412197505170013", until.key: "2028-06-30"})
    db.session.commit()
    stored = dict(db.session.execute(text(
        "SELECT field_key, COALESCE(sealed, value) FROM expert_field_value")).all())
    assert stored[cert.key].startswith("sm4gcm:") and "T320412197505170013" not in stored[cert.key]
    assert stored[until.key] == "2028-06-30"  # the list's date filter compares it
    extra_fields.save_values(expert, {cert.key: "T320412197505170099", until.key: "2028-06-30"})
    db.session.commit()
    assert extra_fields.values_of(expert)[cert.key] == "T320412197505170099"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "expert_field_value")
                               .order_by(AuditLog.id.desc())).first()
    assert "T320412197505170099" not in str(entry.changes)  # the audit log keeps it masked


def test_personal_data_is_masked_like_id_numbers(fields):
    cert, _until = fields
    assert extra_fields.display(cert, "T320412197505170013", role="office") == "T320412197505170013"
    for role in ("leader", "department", "town", "expert", None):
        assert extra_fields.display(cert, "T320412197505170013", role=role) == "T320***********0013"


def test_admin_edit_details_and_masking(fields, client, login_as, auth):
    cert, until = fields
    expert = factories.expert(name="陈国华")
    db.session.commit()
    login_as("office")
    page = client.get(f"/admin/expert/edit/?id={expert.id}").get_data(as_text=True)
    assert "特种作业操作证编号" in page and "注册证书有效期" in page
    extra_fields.save_values(expert, {cert.key: "T320412197505170013", until.key: "2028-06-30"})
    db.session.commit()
    html = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert "T320412197505170013" in html and "2028年6月30日" in html
    auth.logout()
    login_as("leader")
    html = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert "T320***********0013" in html and "T320412197505170013" not in html


def test_field_page_refuses_delete_with_values(fields, client, login_as):
    cert, _until = fields
    expert = factories.expert()
    extra_fields.save_values(expert, {cert.key: "T1"})
    db.session.commit()
    login_as("office")
    page = client.get("/admin/extra_field/").get_data(as_text=True)
    assert "特种作业操作证编号" in page and "1人" in page
    html = client.post(f"/admin/extra_field/delete/{cert.key}", data={"csrf_token": csrf_from(page)},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能删除，只能停用" in html
    assert [f.label for f in extra_fields.active_fields()][0] == "特种作业操作证编号"


def _xlsx_with(rows, extra_headers):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS + extra_headers)
    for r in rows:
        ws.append([r[h] for h in HEADERS] + [r.get(h, "") for h in extra_headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_template_and_import_with_added_fields(fields):
    cert, until = fields
    book = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    header = [c.value for c in book["专家名单"][1]]
    assert header[-2:] == ["特种作业操作证编号", "注册证书有效期"]
    extra = ["特种作业操作证编号", "注册证书有效期"]
    bad = [_row(**{"注册证书有效期": "2028-13-45"}),
           _row(姓名="邓志强", 手机="13900002222", **{"特种作业操作证编号": "X" * 31},
                出生日期="1968-08-01", 身份证号=factories.id_number(__import__("datetime").date(1968, 8, 1)))]
    with pytest.raises(ImportRefused) as err:
        import_roster(_xlsx_with(bad, extra))
    messages = [str(e) for e in err.value.errors]
    assert any(m.startswith("第2行“注册证书有效期”") for m in messages), messages
    assert any(m.startswith("第3行“特种作业操作证编号”") and "30" in m for m in messages), messages
    db.session.rollback()
    assert db.session.query(Expert).count() == 0 and db.session.query(ExpertFieldValue).count() == 0
    good = [_row(**{"特种作业操作证编号": "T99", "注册证书有效期": "2028/6/30"})]
    result = import_roster(_xlsx_with(good, extra))
    db.session.commit()
    assert extra_fields.values_of(result.experts[0]) == {cert.key: "T99", until.key: "2028-06-30"}


def test_pdf_and_export_carry_the_fields(fields, client, login_as):
    from app.services.lifecycle.documents import registration_form_pdf

    cert, until = fields
    expert = factories.expert(name="陈国华")
    extra_fields.save_values(expert, {cert.key: "=HYPERLINK(1)", until.key: "2028-06-30"})
    db.session.commit()
    _name, pdf = registration_form_pdf(expert)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf,
                          capture_output=True, check=True).stdout.decode()
    # the narrow label column wraps its words: 注册证书有 / 效期
    assert "注册证书有" in text and "效期" in text and "2028年6月30日" in text
    login_as("office")
    response = client.get("/admin/expert/export/xlsx/")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert "特种作业操作证编号" in header and "注册证书有效期" in header
    row = [c.value for c in sheet[2]]
    assert row[header.index("注册证书有效期")] == "2028年6月30日"
    cell = sheet.cell(row=2, column=header.index("特种作业操作证编号") + 1)
    assert cell.data_type == "s"  # stored as text, never run as a formula


def test_list_filters_where_the_type_allows(app, client, login_as):
    cert = extra_fields.add_field({"label": "特种作业操作证编号", "kind": "text", "personal": True})
    level = extra_fields.add_field({"label": "证书等级", "kind": "choice", "options": "一级\n二级"})
    a, b = factories.expert(name="陈国华"), factories.expert(name="邓志强")
    extra_fields.save_values(a, {level.key: "一级", cert.key: "T1"})
    extra_fields.save_values(b, {level.key: "二级", cert.key: "T2"})
    db.session.commit()
    login_as("office")
    page = client.get("/admin/expert/").get_data(as_text=True)
    assert "证书等级" in page
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "expert")
    with app.test_request_context("/admin/expert/"):
        view._refresh_filters_cache()
        position = next(i for i, f in enumerate(view._filters) if f.name == "证书等级")
        assert not any(f.name == "特种作业操作证编号" for f in view._filters)  # personal: no filter
    listing = client.get(f"/admin/expert/?flt0_{position}=一级").get_data(as_text=True)
    assert "陈国华" in listing and "邓志强" not in listing


def test_the_fields_in_force_are_read_in_one_statement_and_a_change_is_seen_at_once(fields):
    """Every expert page asks which fields are in force: one small statement once the version
    is kept, and the next version the office publishes is what the next page shows."""
    from sqlalchemy import event

    extra_fields.active_fields()  # kept
    sent = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        labels = [f.label for f in extra_fields.active_fields()]
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert labels == ["特种作业操作证编号", "注册证书有效期"]
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 1
    cert, _until = fields
    extra_fields.retire_field(cert.key)
    db.session.commit()
    assert [f.label for f in extra_fields.active_fields()] == ["注册证书有效期"]
