"""Browser: an expert opens his fee statement on the phone (/m/statement, SPEC §1, §3.10)."""
import datetime as dt
from decimal import Decimal

from app.extensions import db
from app.services.fees import payouts, pricing
from models import ServiceRecord
from tests import factories


def test_expert_reads_his_statement_on_the_phone(app, page, live_server, browser_login, screenshot):
    with app.app_context():
        wang = factories.appointed_expert(name="王建国")
        other = factories.appointed_expert(name="李敏")
        office = factories.user(role="office")
        factories.user(role="expert", username="wangjg", expert_=wang)
        records = [ServiceRecord(expert=wang, activity="inspection", service_date=dt.date(2026, 4, d), units=Decimal(1),
                                 payer="bureau") for d in (1, 2, 3)]
        records.append(ServiceRecord(expert=other, activity="inspection", service_date=dt.date(2026, 4, 7),
                                     units=Decimal(1), payer="bureau"))
        records.append(ServiceRecord(expert=wang, activity="emergency", service_date=dt.date(2026, 7, 3),
                                     started_at=dt.datetime(2026, 7, 3, 22, 30), units=Decimal(1), payer="bureau"))
        db.session.add_all(records)
        db.session.flush()
        pricing.price_records(records)
        batch = payouts.build_batch(2026, 2, office, pay_date=dt.date(2026, 7, 10))
        payouts.review_batch(batch, office)
        payouts.mark_paid(batch, office, paid_on=dt.date(2026, 7, 10))
        db.session.commit()
    browser_login("wangjg")
    page.goto(f"{live_server}/m/")
    page.click("text=我的专家费")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/m/statement")
    body = page.inner_text("main")
    assert "2026年7月发放" in body and "已发放" in body
    assert "3,000.00" in body and "440.00" in body and "2,560.00" in body
    assert "应急救援处置" in body and "1,500.00" in body and "夜间" in body  # 22:30 → the night rate
    assert "待纳入季度发放" in body
    assert "李敏" not in body and "960.00" not in body
    screenshot("fees-statement-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot("fees-statement-desktop")
