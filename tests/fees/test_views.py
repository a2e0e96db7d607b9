"""Fee screens: who may see and do what, and what a refusal looks like (SPEC §1, §3.9–3.10, §3.15)."""
import datetime as dt
import io
import re
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.services.fees import payouts, pricing
from app.services.identity import mask_id
from models import FeeStandard, PayoutBatch, PayoutLine, ServiceRecord, User
from tests import factories
from tests.conftest import csrf_from
from tests.fees import records

Q2 = (2026, 2)


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def paid_quarter(app):
    """Two experts with inspections in 2026 Q2, priced and built into a draft batch."""
    wang = factories.appointed_expert(name="王建国", employer="江苏常州化工研究所有限公司")
    li = factories.appointed_expert(name="李敏")
    office = factories.user(role="office", username="builder", full_name="周焱")
    rs = [records.service_record(wang, day=dt.date(2026, 4, d)) for d in (1, 2, 3)]
    rs += [records.service_record(li, day=dt.date(2026, 5, 6))]
    pricing.price_records(rs)
    batch = payouts.build_batch(*Q2, office, pay_date=dt.date(2026, 7, 10))
    db.session.commit()
    return batch, wang, li


ROLES = ("sysadmin", "office", "leader", "department", "town", "expert")


@pytest.mark.parametrize(
    "url, allowed_roles",
    [
        ("/admin/fee_standard/", {"sysadmin", "office", "leader", "department", "town"}),
        ("/admin/holiday/", {"sysadmin", "office"}),
        ("/admin/service_record/", set(ROLES)),
        ("/admin/fee_approval/", {"sysadmin", "office", "leader", "department", "town"}),
        ("/admin/payout_batch/", {"sysadmin", "office", "leader"}),
        ("/admin/town_dues/", {"sysadmin", "office", "leader", "town"}),
        ("/admin/payout_batch/build/", {"sysadmin", "office"}),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client, login_as, url, allowed_roles, role):
    login_as(role)
    response = client.get(url)
    assert response.status_code == (200 if role in allowed_roles else 403), response.get_data(as_text=True)[:300]


def test_anonymous_goes_to_login(client):
    response = client.get("/admin/payout_batch/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_only_a_leader_approves_on_the_approval_page(app, client, login_as):
    upper = factories.expert(name="省库专家", source="upper", upper_pool_level="provincial")
    r = records.service_record(upper, activity="inspection", day=dt.date(2026, 5, 12), proposed_amount=Decimal("4500"))
    db.session.commit()
    for role in ("office", "sysadmin", "department", "town"):
        login_as(role)
        page = client.get("/admin/fee_approval/")
        assert "省库专家" in page.get_data(as_text=True) or role in ("department", "town")
        token = csrf_from(page.get_data(as_text=True))
        assert client.post(f"/admin/fee_approval/approve/{r.id}", data={"csrf_token": token}).status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert db.session.get(ServiceRecord, r.id).approved_by_id is None
    leader = login_as("leader")
    page = client.get("/admin/fee_approval/").get_data(as_text=True)
    assert "省库专家" in page and "4,500.00" in page and "批准" in page
    assert not re.search(r'type="radio"[^>]*checked', page)  # nothing decided in advance
    confirm = client.post("/admin/fee_approval/decide/", data={"csrf_token": csrf_from(page),
                                                               f"decision-{r.id}": "approve"})
    text = confirm.get_data(as_text=True)
    assert "批准 <span class=\"badge badge-success\">1条" in text and "合计 4,500.00 元" in text and "省库专家" in text
    db.session.expire_all()
    assert db.session.get(ServiceRecord, r.id).approved_by_id is None  # not saved before confirmation
    response = client.post("/admin/fee_approval/decide/", data={"csrf_token": csrf_from(page), "stage": "save",
                                                                "approve": str(r.id)}, follow_redirects=True)
    assert "已批准1条，合计4,500.00元：省库专家 4,500.00元" in response.get_data(as_text=True)
    db.session.expire_all()
    approved = db.session.get(ServiceRecord, r.id)
    assert approved.approved_by_id == leader.id and approved.amount == Decimal("4500.00")


def test_a_unit_proposes_for_its_own_records_only(app, client, login_as):
    user = login_as("department")
    mine = records.service_record(factories.expert(name="甲"), activity="other", day=dt.date(2026, 5, 12),
                                  unit=user.org_unit)
    theirs = records.service_record(factories.expert(name="乙"), activity="other", day=dt.date(2026, 5, 12),
                                    unit=factories.org_unit("别的科室"))
    db.session.commit()
    page = client.get("/admin/fee_approval/").get_data(as_text=True)
    assert "甲" in page and "乙" not in page
    token = csrf_from(page)
    ok = client.post(f"/admin/fee_approval/propose/{mine.id}", data={"csrf_token": token, "amount": "1200",
                                                                     "note": "半天培训"}, follow_redirects=True)
    assert "等待局领导批准" in ok.get_data(as_text=True)
    assert client.post(f"/admin/fee_approval/propose/{theirs.id}",
                       data={"csrf_token": token, "amount": "1200"}).status_code == 404
    bad = client.post(f"/admin/fee_approval/propose/{mine.id}", data={"csrf_token": token, "amount": "12.345"},
                      follow_redirects=True)
    assert "只能精确到分" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServiceRecord, mine.id).proposed_amount == Decimal("1200.00")


def test_office_builds_reviews_and_pays_a_batch(app, client, login_as):
    wang = factories.appointed_expert(name="王建国")
    records.service_record(wang, day=dt.date(2026, 4, 1))
    records.service_record(wang, activity="emergency", day=dt.date(2026, 5, 1),
                           started_at=dt.datetime(2026, 5, 1, 23, 0))
    db.session.commit()
    login_as("office")
    page = client.get("/admin/payout_batch/build/").get_data(as_text=True)
    response = client.post("/admin/payout_batch/build/", data={
        "csrf_token": csrf_from(page), "year": "2026", "quarter": "2", "pay_date": "2026-07-10", "price_first": "1",
    }, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已生成2026年第2季度第1批（草稿）" in html
    assert "2,500.00" in html  # 1000 + 1500 (劳动节 night)
    batch = db.session.scalar(select(PayoutBatch))
    response = client.post(f"/admin/payout_batch/{batch.id}/review/", data={
        "csrf_token": csrf_from(html), "pay_date": "2026-07-10"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已审核：本批次已锁定" in html and "已审核" in html
    # (2500 − 800) × 20% = 340
    assert "340.00" in html and "2,160.00" in html
    response = client.post(f"/admin/payout_batch/{batch.id}/paid/", data={
        "csrf_token": csrf_from(html), "paid_on": "2026-07-10"}, follow_redirects=True)
    assert "已登记发放" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PayoutBatch, batch.id).state == "paid"


def test_a_locked_batch_refuses_edits_through_the_screens(app, client, login_as, paid_quarter):
    batch, wang, li = paid_quarter
    office = db.session.scalar(select(User).where(User.username == "builder"))
    payouts.review_batch(batch, office)
    db.session.commit()
    login_as("sysadmin")
    html = client.get(f"/admin/payout_batch/details/?id={batch.id}").get_data(as_text=True)
    token = csrf_from(html)
    response = client.get(f"/admin/payout_batch/edit/?id={batch.id}", follow_redirects=True)
    assert "该发放批次已审核锁定，不能修改" in response.get_data(as_text=True)
    response = client.post(f"/admin/payout_batch/edit/?id={batch.id}",
                           data={"csrf_token": token, "pay_date": "2026-08-01", "version": str(batch.version)},
                           follow_redirects=True)
    assert "已审核锁定" in response.get_data(as_text=True)
    for url, data in (
        (f"/admin/payout_batch/{batch.id}/refresh/", {}),
        (f"/admin/payout_batch/{batch.id}/pay-date/", {"pay_date": "2026-08-01"}),
        (f"/admin/payout_batch/{batch.id}/review/", {"pay_date": "2026-07-10"}),
    ):
        response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)
        assert "已审核锁定" in response.get_data(as_text=True), url
    response = client.post("/admin/payout_batch/delete/", data={"csrf_token": token, "id": str(batch.id)},
                           follow_redirects=True)
    assert "已审核锁定" in response.get_data(as_text=True)
    # A settled service record cannot be edited either.
    rec = db.session.scalar(select(ServiceRecord).where(ServiceRecord.expert_id == wang.id))
    response = client.post(f"/admin/service_record/edit/?id={rec.id}", data={
        "csrf_token": token, "expert": str(wang.id), "activity": "inspection", "service_date": "2026-04-01",
        "units": "5", "payer": "bureau", "version": str(rec.version)}, follow_redirects=True)
    assert "金额已结算" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PayoutBatch, batch.id).pay_date == dt.date(2026, 7, 10)
    assert db.session.get(ServiceRecord, rec.id).units == Decimal(1)
    lines = db.session.scalars(select(PayoutLine).where(PayoutLine.batch_id == batch.id)).all()
    assert sorted(x.gross for x in lines) == [Decimal("1000.00"), Decimal("3000.00")]


def test_finance_workbook_has_full_id_numbers_for_the_office_only(app, client, auth, login_as, paid_quarter):
    batch, wang, li = paid_quarter
    for role in ("leader", "town", "department", "expert"):
        login_as(role)
        assert client.get(f"/admin/payout_batch/{batch.id}/xlsx/").status_code == 403, role
        auth.logout()
    login_as("office")
    response = client.get(f"/admin/payout_batch/{batch.id}/xlsx/")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    sheet = wb["发放明细"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    by_name = {r[1]: r for r in rows if r[1]}
    assert by_name["王建国"][2] == wang.id_number  # the full 18 digits, as text
    assert by_name["王建国"][6:9] == [3000, 440, 2560]
    assert rows[-1][0] == "合计" and rows[-1][6] == 4000
    assert sheet["A1"].value == "武进区安全生产专家服务费发放表（2026年第2季度）"
    assert wb["服务记录明细"].max_row == 5  # header + 4 records


def test_payout_sheet_pdf(app, client, auth, login_as, paid_quarter):
    batch, wang, li = paid_quarter
    login_as("leader")
    response = client.get(f"/admin/payout_batch/{batch.id}/pdf/")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "武进区安全生产专家服务费发放表（2026年第2季度）" in text
    assert "领款人签字" in text and "王建国" in text and "3,000.00" in text and "440.00" in text
    assert "状态：草稿（" in text and "审核后方可发放）" in text and "草稿，" not in text  # said once
    assert wang.id_number not in text  # masked for the leader
    assert mask_id(wang.id_number) in text
    auth.logout()
    login_as("office")
    text = pdf_text(client.get(f"/admin/payout_batch/{batch.id}/pdf/").data)
    assert wang.id_number in text


def test_adjustment_through_the_screen(app, client, login_as, paid_quarter):
    batch, wang, li = paid_quarter
    office = db.session.scalar(select(User).where(User.username == "builder"))
    payouts.review_batch(batch, office)
    payouts.mark_paid(batch, office, paid_on=dt.date(2026, 7, 10))
    pricing.price_records([records.service_record(wang, day=dt.date(2026, 7, 6))])
    q3 = payouts.build_batch(2026, 3, office, pay_date=dt.date(2026, 10, 12))
    db.session.commit()
    login_as("office")
    page = client.get(f"/admin/payout_batch/{q3.id}/adjust/?expert={wang.id}").get_data(as_text=True)
    assert "2026年第2季度 第1批" in page
    line = db.session.scalar(select(PayoutLine).where(PayoutLine.batch_id == batch.id,
                                                      PayoutLine.expert_id == wang.id))
    bad = client.post(f"/admin/payout_batch/{q3.id}/adjust/", data={
        "csrf_token": csrf_from(page), "expert": wang.id, "adjusts_line": line.id, "amount": "-9000",
        "note": "扣回"}, follow_redirects=True)
    assert "冲减后本月收入为负数" in bad.get_data(as_text=True)
    ok = client.post(f"/admin/payout_batch/{q3.id}/adjust/", data={
        "csrf_token": csrf_from(page), "expert": wang.id, "adjusts_line": line.id, "amount": "-500",
        "note": "第二季度多计半天"}, follow_redirects=True)
    html = ok.get_data(as_text=True)
    assert "已为王建国录入调整" in html and "第二季度多计半天" in html
    # An adjustment into a locked batch is refused.
    locked = client.post(f"/admin/payout_batch/{batch.id}/adjust/", data={
        "csrf_token": csrf_from(page), "expert": wang.id, "amount": "100", "note": "补发"}, follow_redirects=True)
    assert "已审核锁定" in locked.get_data(as_text=True)


def test_town_sees_only_its_own_records_and_what_it_owes(app, client, login_as):
    user = login_as("town")
    other = factories.org_unit("牛塘镇", kind="town")
    wang, li = factories.expert(name="王建国"), factories.expert(name="李敏")
    mine = records.service_record(wang, day=dt.date(2026, 5, 6), payer="unit", unit=user.org_unit)
    records.service_record(li, day=dt.date(2026, 5, 7), payer="unit", unit=other)
    pricing.price_records(db.session.scalars(select(ServiceRecord)).all())
    db.session.commit()
    listing = client.get("/admin/service_record/").get_data(as_text=True)
    assert "王建国" in listing and "李敏" not in listing
    dues = client.get("/admin/town_dues/?q=2026-2").get_data(as_text=True)
    assert "王建国" in dues and "李敏" not in dues and "1,000.00" in dues
    response = client.post("/admin/town_dues/paid/", data={
        "csrf_token": csrf_from(dues), "record": str(mine.id), "paid_on": "2026-06-01", "q": "2026-2"},
        follow_redirects=True)
    assert "已登记1条" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServiceRecord, mine.id).unit_paid_on == dt.date(2026, 6, 1)
    # Another town's unit in the URL is ignored: a town sees only its own.
    assert "李敏" not in client.get(f"/admin/town_dues/?unit={other.id}&q=2026-2").get_data(as_text=True)


def test_office_sees_every_towns_dues(app, client, login_as):
    login_as("office")
    hutang = factories.org_unit("湖塘镇", kind="town")
    pricing.price_records([records.service_record(factories.expert(name="王建国"), day=dt.date(2026, 5, 6),
                                                  payer="unit", unit=hutang)])
    db.session.commit()
    html = client.get("/admin/town_dues/?q=2026-2").get_data(as_text=True)
    assert "湖塘镇" in html and "1,000.00" in html
    assert "王建国" in client.get(f"/admin/town_dues/?unit={hutang.id}&q=2026-2").get_data(as_text=True)


def test_sysadmin_adds_a_dated_standard_and_back_dating_over_settled_work_is_refused(app, client, login_as,
                                                                                      paid_quarter):
    batch, wang, li = paid_quarter
    payouts.review_batch(batch, db.session.scalar(select(User).where(User.username == "builder")))
    db.session.commit()
    login_as("sysadmin")
    page = client.get("/admin/fee_standard/new/").get_data(as_text=True)
    refused = client.post("/admin/fee_standard/new/", data={
        "csrf_token": csrf_from(page), "activity": "inspection", "unit_label": "一天", "amount": "1200",
        "effective_from": "2026-05-01"}, follow_redirects=True)
    assert "已结算的金额不能改变" in refused.get_data(as_text=True)
    assert db.session.scalar(select(FeeStandard).where(FeeStandard.amount == Decimal("1200"))) is None
    ok = client.post("/admin/fee_standard/new/", data={
        "csrf_token": csrf_from(page), "activity": "inspection", "unit_label": "一天", "amount": "1200",
        "effective_from": "2026-07-01"}, follow_redirects=True)
    assert ok.status_code == 200
    rows = db.session.scalars(select(FeeStandard).where(FeeStandard.activity == "inspection")
                              .order_by(FeeStandard.effective_from)).all()
    assert [(r.effective_from, r.amount) for r in rows] == [
        (dt.date(2020, 1, 1), Decimal("1000.00")), (dt.date(2026, 7, 1), Decimal("1200.00"))]
    listing = client.get("/admin/fee_standard/").get_data(as_text=True)
    assert "已被调整" in listing and "现行" in listing


@pytest.mark.parametrize("role", ["office", "leader", "department", "town"])
def test_others_cannot_edit_the_fee_standard(client, login_as, role):
    login_as(role)
    assert client.get("/admin/fee_standard/new/").status_code == 403


def test_attachment4_pdf(client, login_as):
    login_as("town")
    response = client.get("/admin/fee_standard/print/?on=2026-05-01")
    assert response.status_code == 200
    text = pdf_text(response.data)
    for words in ("武进区安全生产专家费用发放标准", "执法检查", "一天", "1000", "事故调查", "应急处置",
                  "夜间、节假日1500", "另行确定", "经局领导批准同意后执行"):
        assert words in text


def test_holiday_years(app, client, login_as):
    login_as("sysadmin")
    page = client.get("/admin/holiday/").get_data(as_text=True)
    assert "已维护年份" in page and "2026" in page
    token = csrf_from(page)
    refused = client.post("/admin/holiday/years/", data={"csrf_token": token, "year": "2027", "op": "import"},
                          follow_redirects=True)
    assert "没有2027年的节假日安排，请手工维护" in refused.get_data(as_text=True)
    refused = client.post("/admin/holiday/years/", data={"csrf_token": token, "year": "2027", "op": "mark"},
                          follow_redirects=True)
    assert "还没有2027年的任何日期" in refused.get_data(as_text=True)
    new = client.get("/admin/holiday/new/").get_data(as_text=True)
    client.post("/admin/holiday/new/", data={"csrf_token": csrf_from(new), "day": "2027-01-01", "name": "元旦"})
    done = client.post("/admin/holiday/years/", data={"csrf_token": token, "year": "2027", "op": "mark"},
                       follow_redirects=True)
    assert "2027年已标记为已维护" in done.get_data(as_text=True)
    assert client.get("/admin/holiday/edit/?id=2027-01-01").status_code == 200


def test_expert_statement_page(app, client, auth, login_as, paid_quarter):
    batch, wang, li = paid_quarter
    payouts.review_batch(batch, db.session.scalar(select(User).where(User.username == "builder")))
    db.session.commit()
    login_as("expert", expert_=wang)
    home = client.get("/m/").get_data(as_text=True)
    assert "我的专家费" in home
    html = client.get("/m/statement").get_data(as_text=True)
    assert "2026年7月发放" in html and "3,000.00" in html and "440.00" in html and "2,560.00" in html
    assert "已审核" in html
    assert "960.00" not in html  # 李敏's net: never another expert's figures
    auth.logout()
    login_as("office")
    assert client.get("/m/statement").status_code == 403


@pytest.mark.parametrize("units", ["1.5", "0", "-2"])
def test_the_record_form_takes_whole_days_times_or_events_only(app, client, login_as, units):
    wang = factories.appointed_expert(name="王建国")
    (rec,) = [records.service_record(wang, day=dt.date(2026, 4, 1))]
    db.session.commit()
    login_as("office")
    token = csrf_from(client.get(f"/admin/service_record/edit/?id={rec.id}").get_data(as_text=True))
    response = client.post(f"/admin/service_record/edit/?id={rec.id}", data={
        "csrf_token": token, "expert": str(wang.id), "activity": "inspection", "service_date": "2026-04-01",
        "units": units, "payer": "bureau", "version": str(rec.version)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "数量必须是正整数（天、次或起）" in html
    # the refusal is said in Chinese, at the top: a summary naming the field (not English, not a bare 保存记录失败)
    assert "未保存：有1处需要修改" in html and "Failed to save record" not in html
    db.session.expire_all()
    assert db.session.get(ServiceRecord, rec.id).units == Decimal(1)


def test_returning_needs_a_reason_and_one_bad_choice_saves_nothing(app, client, login_as):
    upper = factories.expert(name="省库专家", source="upper", upper_pool_level="provincial")
    city = factories.expert(name="市库专家", source="upper", upper_pool_level="city")
    a = records.service_record(upper, activity="inspection", day=dt.date(2026, 5, 12), proposed_amount=Decimal("4500"))
    b = records.service_record(city, activity="inspection", day=dt.date(2026, 5, 13), proposed_amount=Decimal("3000"))
    db.session.commit()
    login_as("leader")
    token = csrf_from(client.get("/admin/fee_approval/").get_data(as_text=True))
    text = client.post("/admin/fee_approval/decide/", data={"csrf_token": token, f"decision-{a.id}": "approve",
                                                            f"decision-{b.id}": "return"}).get_data(as_text=True)
    assert "退回 <span class=\"badge badge-danger\">1条" in text and "市库专家" in text
    html = client.post("/admin/fee_approval/decide/", data={
        "csrf_token": token, "stage": "save", "approve": str(a.id), "return": str(b.id), "reason": ""},
        follow_redirects=True).get_data(as_text=True)
    assert "退回须填写理由" in html
    db.session.expire_all()
    assert db.session.get(ServiceRecord, a.id).approved_by_id is None  # the approval was not kept either
    assert "未作任何修改" in client.post("/admin/fee_approval/decide/", data={"csrf_token": token},
                                     follow_redirects=True).get_data(as_text=True)


def test_a_settled_record_opens_read_only_with_the_reason_and_the_batch(app, client, login_as):
    from app.services.fees import payouts

    office = login_as("office")
    wang = factories.appointed_expert(name="王建国")
    r = records.service_record(wang, activity="inspection", day=dt.date(2026, 5, 12))
    db.session.commit()
    from app.services.fees import pricing

    pricing.price_records([r])
    batch = payouts.build_batch(2026, 2, office, pay_date=dt.date(2026, 7, 10))
    payouts.review_batch(batch, office, pay_date=dt.date(2026, 7, 10))
    payouts.mark_paid(batch, office, paid_on=dt.date(2026, 7, 10))
    db.session.commit()
    response = client.get(f"/admin/service_record/edit/?id={r.id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.request.path == "/admin/service_record/details/" and 'name="units"' not in html
    assert "只读：" in html and "2026年第2季度第1批（已发放）" in html
    assert f"/admin/payout_batch/details/?id={batch.id}" in html


def test_finance_workbook_runs_no_formula_typed_into_a_record(app, client, login_as):
    """An employer or a note typed as ``=HYPERLINK(…)`` arrives as text; amounts stay numbers."""
    planted = '=HYPERLINK("http://evil.example/","点我")'
    expert = factories.appointed_expert(name="王建国", employer=planted)
    r = records.service_record(expert, day=dt.date(2026, 4, 1))
    r.note = "@SUM(1+1)"
    pricing.price_records([r])
    batch = payouts.build_batch(*Q2, factories.user(role="office", username="builder"), pay_date=dt.date(2026, 7, 10))
    db.session.commit()
    login_as("office")
    wb = load_workbook(io.BytesIO(client.get(f"/admin/payout_batch/{batch.id}/xlsx/").data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    employer = next(c for c in cells if c.value == planted)
    assert employer.data_type == "s" and employer.quotePrefix
    amounts = [c.value for c in wb["发放明细"]["G"][3:]]
    assert 1000 in amounts and all(isinstance(v, (int, float)) for v in amounts if v is not None)
