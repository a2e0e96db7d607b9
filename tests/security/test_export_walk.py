"""The export walk: every admin list that offers an export, as every role that may export it,
downloads a complete CSV and XLSX; both parse, agree with each other, mask what the list masks,
and no cell is a formula a spreadsheet would run (SPEC §3.15; OWASP "CSV injection").

The data is the demo's, with formula-like text (``=HYPERLINK(…)``, ``+…``, ``-…``, ``@…``, a
leading tab or carriage return) written into the free-text columns of one row of every table.
"""
import csv
import datetime as dt
import io
import itertools
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import String, Text, select, update

from app.auth.rights import RIGHTS, allowed, sees_unmasked
from app.extensions import db
from app.services import audit
from app.services.spreadsheets import FORMULA_STARTS
from models import Expert
from tests import factories
from tests.conftest import AuthActions

ROLES = ["sysadmin", "secadmin", "auditor", "office", "department", "town", "leader", "expert"]
_n = itertools.count(1)
FORMULAS = ['=HYPERLINK("http://evil.example/{n}","点我")', "+{n}+1", "-{n}+1", "@SUM({n})", "\t=1+{n}", "\r=1+{n}"]
SKIP_WORDS = ("path", "hash", "secret", "token", "photo", "file", "mime")


def _formula_text(length):
    text = FORMULAS[next(_n) % len(FORMULAS)].format(n=next(_n))
    return text if length is None or len(text) <= length else None


@pytest.fixture
def planted(demo):
    """The demo data with formula-like text in the free-text columns of each table's first row."""
    for table in db.metadata.sorted_tables:
        pk = next(iter(table.primary_key.columns), None)
        if pk is None or table.name in ("audit_log", "audit_chain_head"):
            continue  # the audit log only takes appended entries: one is planted below
        first = db.session.execute(select(pk).order_by(pk).limit(1)).scalar()
        if first is None:
            continue
        values = {}
        for column in table.columns:
            length = getattr(column.type, "length", None)
            if (not isinstance(column.type, (String, Text)) or column.foreign_keys or column.primary_key
                    or column.unique or any(w in column.name for w in SKIP_WORDS)
                    or (length is not None and length < 100)):
                continue
            text = _formula_text(length)
            if text:
                values[column.name] = text
        if values:
            db.session.execute(update(table).where(pk == first).values(**values))
    audit.record_event("backup", _formula_text(200), details={"备注": _formula_text(200)})
    db.session.commit()
    return demo


def _exports(app):
    """(owner endpoint, url without the type) of every admin list that offers an export."""
    views = {v.endpoint: v for v in app.extensions["admin"][0]._views}
    out = []
    for rule in app.url_map.iter_rules():
        owner, _, method = rule.endpoint.partition(".")
        if method == "export" and owner in RIGHTS and getattr(type(views[owner]), "can_export", True) is not False:
            out.append((owner, rule.rule.replace("<export_type>/", "")))
    return sorted(out)


def _parse_csv(body: bytes):
    assert body.startswith("\ufeff".encode()), "CSV without byte-order mark: Excel would misread the Chinese"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _parse_xlsx(body: bytes):
    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def _secrets():
    """Full ID numbers, mobiles, addresses, WeChat IDs and e-mails of every expert: what a masked
    role must never get."""
    rows = db.session.execute(select(Expert.id_number, Expert.mobile, Expert.address, Expert.wechat,
                                     Expert.email)).all()
    return {v for row in rows for v in row if v}


def _client_as(app, role):
    user = factories.user(role=role)
    db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login(user.username).status_code == 302
    return client


def test_every_export_is_complete_typed_masked_and_inert(planted):
    exports = _exports(planted)
    assert len(exports) >= 15, exports
    secrets = _secrets()
    checked = 0
    for role in ROLES:
        client = _client_as(planted, role)
        for owner, base in exports:
            if not allowed(role, owner, "export"):
                assert client.get(f"{base}csv/").status_code in (302, 403), (role, owner)
                continue
            csv_response = client.get(f"{base}csv/")
            xlsx_response = client.get(f"{base}xlsx/")
            assert csv_response.status_code == 200, (role, owner, csv_response.status_code)
            assert xlsx_response.status_code == 200, (role, owner, xlsx_response.status_code)
            csv_rows = _parse_csv(csv_response.get_data())
            cells = _parse_xlsx(xlsx_response.get_data())
            # Complete: same rows in both — but for the audit log, which gained the entry of the
            # CSV export itself before the XLSX export was made.
            own_entry = 1 if owner in ("audit_log", "export_log") else 0
            assert len(csv_rows) + own_entry == len(cells) >= 1, (role, owner)
            assert csv_rows[0] == [c.value for c in cells[0]], (role, owner)
            for row in csv_rows:
                for field in row:
                    assert not field.startswith(FORMULA_STARTS), (role, owner, field)
            for row in cells:
                for cell in row:
                    assert cell.data_type != "f", (role, owner, cell.coordinate, cell.value)
                    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                        assert cell.quotePrefix and cell.data_type == "s", (role, owner, cell.value)
            if not sees_unmasked(role):
                text = csv_response.get_data().decode("utf-8-sig") + "".join(
                    str(c.value) for row in cells for c in row if c.value is not None)
                leaked = [s for s in secrets if s in text]
                assert not leaked, (role, owner, leaked[:3])
            checked += 1
    assert checked > 40


def test_planted_formulas_arrive_as_text(planted, client, login_as):
    """The complaint text and an expert's employer, as typed in, reach the office as inert text."""
    login_as("office")
    employer = db.session.scalar(select(Expert.employer).order_by(Expert.id).limit(1))
    assert employer.startswith(FORMULA_STARTS)
    rows = _parse_csv(client.get("/admin/expert/export/csv/").get_data())
    column = rows[0].index("工作单位（全称）")
    assert "'" + employer.replace("\r", "\n") in [r[column].replace("\r", "\n") for r in rows[1:]]
    cells = _parse_xlsx(client.get("/admin/expert/export/xlsx/").get_data())
    shown = [row[column] for row in cells[1:] if row[column].value == employer]
    assert shown and shown[0].data_type == "s" and shown[0].quotePrefix


def test_numbers_and_dates_stay_typed(demo, client, login_as):
    login_as("office")
    cells = _parse_xlsx(client.get("/admin/expert/export/xlsx/").get_data())
    birth = cells[0].index(next(c for c in cells[0] if c.value == "出生日期"))
    assert all(isinstance(row[birth].value, dt.datetime) for row in cells[1:] if row[birth].value)
    cells = _parse_xlsx(client.get("/admin/service_record/export/xlsx/").get_data())
    header = [c.value for c in cells[0]]
    amount = header.index("金额（元）")
    day = header.index("服务日期")
    assert any(isinstance(row[amount].value, (int, float, Decimal)) for row in cells[1:])
    assert all(isinstance(row[day].value, dt.datetime) for row in cells[1:])
    rows = _parse_csv(client.get("/admin/service_record/export/csv/").get_data())
    assert all(len(r[rows[0].index("服务日期")]) == 10 for r in rows[1:])  # 2026-03-05


def test_the_expert_list_exports_whole_for_every_role_that_may(demo):
    """The CSV of the expert list used to break off after the first row (DetachedInstanceError on
    工作经历 while streaming)."""
    total = db.session.scalar(select(db.func.count()).select_from(Expert))
    for role in ("office", "leader", "department", "town", "sysadmin"):
        client = _client_as(demo, role)
        rows = _parse_csv(client.get("/admin/expert/export/csv/").get_data())
        assert len(rows) == total + 1, role
