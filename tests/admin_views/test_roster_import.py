"""Roster import: the template round trip, all-or-nothing, per-row per-column errors."""
import datetime as dt
import io

import openpyxl

from app.services.lifecycle.roster_import import HEADERS
from models import Expert
from tests import factories
from tests.conftest import csrf_from


def _row(**changes):
    birth = changes.pop("birth", dt.date(1970, 3, 9))
    row = {h: "" for h in HEADERS}
    row.update({
        "姓名": "陈国华", "性别": "男", "出生日期": birth.isoformat(), "身份证号": factories.id_number(birth),
        "工作单位": "常州市安全生产科学研究院", "职称等级": "副高级", "学历": "本科", "手机": "13900001111",
        "专家组别": "化工、有限空间",
        "主要工作经历": (
            "1992.07-2000.06|常州化工厂|安全科|科员|工程师\n"
            "2000.07-至今|常州市安全生产科学研究院|||高级工程师"
        ),
    })
    row.update(changes)
    return row


def _xlsx(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append([r[h] for h in HEADERS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, data):
    page = client.get("/admin/expert/import/").get_data(as_text=True)
    return client.post(
        "/admin/expert/import/",
        data={"csrf_token": csrf_from(page), "file": (io.BytesIO(data), "名单.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_the_untouched_template_imports_nothing(app, db, client, login_as):
    login_as("office")
    template = client.get("/admin/expert/import/template.xlsx")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    assert book.sheetnames == ["专家名单", "填写示例"] and book.active.title == "专家名单"
    assert [c.value for c in book["专家名单"][1]] == HEADERS
    assert book["填写示例"]["A3"].value == "刘大地"
    html = _upload(client, template.data).get_data(as_text=True)
    assert "模板中没有可导入的数据" in html and "已导入" not in html
    assert db.session.query(Expert).count() == 0


def _fill_template(template: bytes, rows, sheet="专家名单", active=None) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    for r in rows:
        book[sheet].append([r[h] for h in HEADERS])
    if active is not None:
        book.active = book.sheetnames.index(active)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_rows_filled_below_the_hints_import_and_the_example_never_does(app, db, client, login_as):
    login_as("office")
    template = client.get("/admin/expert/import/template.xlsx").data
    rows = [_row(), _row(姓名="邓志强", birth=dt.date(1968, 8, 1), 手机="13900002222"),
            _row(姓名="王海燕", birth=dt.date(1972, 2, 2), 手机="13900003333")]
    # saved with the example sheet in front: still the roster sheet is read
    html = _upload(client, _fill_template(template, rows, active="填写示例")).get_data(as_text=True)
    assert "已导入3名专家：陈国华、邓志强、王海燕" in html
    assert sorted(e.name for e in db.session.query(Expert)) == ["王海燕", "邓志强", "陈国华"]


def test_a_copy_of_the_example_row_is_skipped(app, db, client, login_as):
    from app.services.lifecycle.roster_import import EXAMPLE_ROW

    login_as("office")
    template = client.get("/admin/expert/import/template.xlsx").data
    example = dict(zip(HEADERS, EXAMPLE_ROW, strict=True))
    html = _upload(client, _fill_template(template, [example, _row()])).get_data(as_text=True)
    assert "已导入1名专家：陈国华" in html and "填写示例（刘大地）未导入" in html
    assert [e.name for e in db.session.query(Expert)] == ["陈国华"]


def test_good_rows_are_all_imported(app, db, client, login_as):
    login_as("office")
    rows = [_row(), _row(姓名="邓志强", birth=dt.date(1968, 8, 1), 手机="13900002222")]
    assert "已导入2名专家：陈国华、邓志强" in _upload(client, _xlsx(rows)).get_data(as_text=True)
    assert db.session.query(Expert).count() == 2


def test_one_bad_row_imports_nothing_and_lists_every_problem(app, db, client, login_as):
    login_as("office")
    good = _row()
    bad = _row(姓名="邓志强", 身份证号="110105194912310021", 手机="12345", 专家组别="化工、航天")
    duplicate = _row(姓名="陈国华二", 身份证号=good["身份证号"])
    html = _upload(client, _xlsx([good, bad, duplicate])).get_data(as_text=True)
    assert "未导入任何数据" in html
    assert "第3行" in html and "身份证号" in html and "校验位" in html
    assert "手机" in html and "航天" in html
    assert "与第2行重复" in html
    assert db.session.query(Expert).count() == 0


def test_an_expert_already_in_the_pool_is_refused(app, db, client, login_as):
    login_as("office")
    existing = factories.expert()
    db.session.commit()
    html = _upload(
        client, _xlsx([_row(身份证号=existing.id_number, 出生日期=existing.birth_date.isoformat())])
    ).get_data(as_text=True)
    assert "已在库中" in html
    assert db.session.query(Expert).count() == 1


def test_not_an_xlsx_file_is_refused(app, db, client, login_as):
    login_as("office")
    html = _upload(client, b"name,id\n").get_data(as_text=True)
    assert "无法读取该文件" in html


def test_only_roles_that_create_experts_may_import(app, db, client, login_as):
    login_as("department")
    assert client.get("/admin/expert/import/").status_code == 403
