"""The admin side: versions of the form, evaluations per unit, the 附件5 PDFs,
enforcement plans, the submissions board and the coverage page."""
import datetime as dt
import io
import re
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.services.forms import definitions
from app.services.scoring import evaluations as scoring
from models import EnforcementPlan
from tests import factories
from tests.conftest import csrf_from
from tests.scoring import records
from tests.scoring.records import full_scores

JSON = {"Accept": "application/json"}


def pdf_text(pdf: bytes, tmp_path, layout: bool = False) -> str:
    """The PDF's text: without white space, or with ``layout`` as laid out (columns kept apart)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(path), "-"]
    text = subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8")
    return text if layout else "".join(text.split())


def test_an_evaluation_sent_from_a_page_of_an_older_version_keeps_that_version(app):
    """A phone that filled version 1 offline sends it after version 2 was published."""
    v1 = scoring.current_form()
    v2 = definitions.start_draft(scoring.annex5_form())
    v2.sections[1].fields[0].label = "态度诚恳"
    definitions.publish(v2)
    assert scoring.current_form().number == 2
    ev = records.evaluation(records.scorer("town"), form=v1, scores=full_scores(v1))
    assert ev.version.number == 1 and ev.submission.version_id == v1.id


def test_the_blank_pdf_of_each_version(client, login_as, tmp_path):
    login_as("office")
    form = scoring.current_form()
    response = client.get(f"/admin/form_definition/blank/?id={form.id}")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    for needle in ("武进区安全生产专家服务情况评价表", "企业名称：", "考评人员（签字）：", "必填项", "（50分）",
                   "态度诚恳，沟通顺畅（5分）", "迟到、早退情况（5分）", "及时处理企业反馈问题",
                   "总分（100分）", "意见和建议：", "填表说明：", "共计15项100分"):
        assert needle in text  # both variants, as on the original


@pytest.mark.parametrize("role", ["department", "town"])
def test_units_can_print_a_blank_form_from_the_evaluation_list(client, login_as, role):
    login_as(role)
    response = client.get("/admin/evaluation/blank/")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


def test_the_filled_pdf_carries_the_scores_the_total_and_the_notes(client, login_as, tmp_path):
    inspector = records.scorer("department")
    form = scoring.current_form()
    sections = scoring.form_sections(form)
    scores = full_scores(form, "B")
    scores[sections["B"][2].id] = 7
    ev = records.evaluation(inspector, factories.appointed_expert(name="赵卫东"), variant="B", scores=scores,
                          problems={str(sections["B"][2].id): "未辨识氯化工艺"}, suggestions="建议加强工艺安全学习",
                          enterprise_name="常州新东化工发展有限公司", on=dt.date(2026, 3, 5))
    login_as("department", org_unit_=inspector.org_unit)
    response = client.get(f"/admin/evaluation/pdf/?id={ev.id}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data, tmp_path)
    for needle in ("企业名称：常州新东化工发展有限公司", "专家姓名：赵卫东", "考评时间：2026年3月5日",
                   "未辨识氯化工艺", "建议加强工艺安全学习", "及时处理企业反馈问题"):
        assert needle in text
    assert re.search(r"总分（100分）\s+97\n", pdf_text(response.data, tmp_path, layout=True))
    assert "迟到、早退情况" not in text  # only the chosen variant is printed


def test_units_see_their_own_evaluations_and_experts_their_own(client, login_as, auth):
    mine = records.scorer("town")
    expert = factories.appointed_expert(name="周明")
    own = records.evaluation(mine, expert, enterprise_name="本镇企业有限公司")
    other = records.evaluation(records.scorer("town"), enterprise_name="外镇企业有限公司")
    login_as("town", org_unit_=mine.org_unit)
    html = client.get("/admin/evaluation/").get_data(as_text=True)
    assert "本镇企业有限公司" in html and "外镇企业有限公司" not in html
    assert client.get(f"/admin/evaluation/details/?id={other.id}").status_code == 302
    assert client.get(f"/admin/evaluation/pdf/?id={other.id}").status_code == 404
    assert client.get(f"/admin/evaluation/pdf/?id={own.id}").status_code == 200
    auth.logout()
    login_as("expert", expert_=expert)
    html = client.get("/admin/evaluation/").get_data(as_text=True)
    assert "本镇企业有限公司" in html and "外镇企业有限公司" not in html


def test_evaluations_are_not_created_or_edited_in_the_admin(client, login_as, auth):
    ev = records.evaluation(records.scorer("town"))
    login_as("sysadmin")
    assert client.get("/admin/evaluation/new/").status_code == 403
    assert client.get(f"/admin/evaluation/edit/?id={ev.id}").status_code == 403
    auth.logout()
    login_as("office", org_unit_=records.unit("section"))
    html = client.get("/admin/evaluation/").get_data(as_text=True)
    assert "/m/score/new?paper=1" in html


def test_the_evaluation_export_lists_scores(client, login_as):
    records.evaluation(records.scorer("town"), factories.appointed_expert(name="钱国华"))
    login_as("office")
    response = client.get("/admin/evaluation/export/xlsx/")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert "各项评分" in rows[0] and "钱国华" in rows[1]
    assert "第1项5分" in rows[1][rows[0].index("各项评分")]


def test_an_enforcement_plan_per_unit_and_year(client, login_as):
    unit = records.unit("town", "牛塘镇")
    login_as("office")
    page = client.get("/admin/enforcement_plan/new/").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "unit": str(unit.id), "year": "2026", "planned_checks": "80"}
    assert client.post("/admin/enforcement_plan/new/", data=data).status_code == 302
    again = client.post("/admin/enforcement_plan/new/", data=data, follow_redirects=True).get_data(as_text=True)
    assert "牛塘镇2026年度的执法计划已录入" in again
    bad = client.post("/admin/enforcement_plan/new/", data={**data, "year": "2027", "planned_checks": "-3"},
                      follow_redirects=True).get_data(as_text=True)
    assert "计划执法检查次数应为不小于0的整数" in bad
    assert db.session.scalar(select(func.count()).select_from(EnforcementPlan)) == 1


def test_the_coverage_page_flags_units_under_20_percent_in_red(client, login_as):
    low, ok = records.scorer("town"), records.scorer("town")
    year = clock.today().year
    db.session.add_all([EnforcementPlan(unit=low.org_unit, year=year, planned_checks=50),
                        EnforcementPlan(unit=ok.org_unit, year=year, planned_checks=5)])
    records.evaluation(low, variant="B")
    records.evaluation(ok, variant="B")
    db.session.commit()
    login_as("leader")
    html = client.get("/admin/coverage/").get_data(as_text=True)
    assert f"1个单位未达20%：{low.org_unit.name}" in html
    assert '<tr class="below">' in html and "未达20%（差9份）" in html
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/coverage/export/xlsx/?year={year}").data)).active
    assert ["2.0%" in (r or ()) for r in sheet.values].count(True) == 1


def test_the_submissions_board_for_office_and_for_a_unit(client, login_as, auth):
    inspector = records.scorer("department")
    other = records.scorer("department")
    year = clock.today().year - 1  # a year whose every period is due: 缺报 whatever today is
    records.job(inspector.org_unit, on=dt.date(year, 1, 8))
    login_as("office")
    html = client.get(f"/admin/submissions/?year={year}").get_data(as_text=True)
    assert inspector.org_unit.name in html and other.org_unit.name in html
    assert "缺报" in html and "季度最后一个月25日前" in html
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/submissions/export/xlsx/?year={year}").data)).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("单位", "类别", "报送期", "截止日期")
    assert (inspector.org_unit.name, "执法大队", f"{year}年1月", f"{year}-01-31", 1, 0, 0, 0, "缺报") in rows
    auth.logout()
    login_as("department", org_unit_=other.org_unit)
    html = client.get(f"/admin/submissions/?year={year}").get_data(as_text=True)
    assert other.org_unit.name in html and inspector.org_unit.name not in html
    assert client.get(f"/admin/submissions/export/xlsx/?year={year}").status_code == 403


@pytest.mark.parametrize("role", ["expert"])
def test_experts_see_neither_board(client, login_as, role):
    login_as(role)
    assert client.get("/admin/submissions/").status_code == 403
    assert client.get("/admin/coverage/").status_code == 403


def test_the_evaluation_list_searches_by_expert_name(client, login_as):
    town = records.scorer("town", unit=records.unit("town", "遥观镇"))
    records.evaluation(town, factories.appointed_expert(name="钱国华"), enterprise_name="遥观钢结构有限公司")
    records.evaluation(records.scorer("department"), factories.appointed_expert(name="孙志强"))
    login_as("office")
    html = client.get("/admin/evaluation/?search=钱国华").get_data(as_text=True)
    assert "遥观钢结构有限公司" in html and "孙志强" not in html
