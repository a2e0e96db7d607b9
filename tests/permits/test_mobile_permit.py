"""我的工作证 on the expert's phone (issue 19 §5): the card's facts, the live status a scan
shows, the QR code to /verify/<token>, and a note that it is the printed card."""
import datetime as dt
import re

from app import clock
from app.services.discipline import ladder
from app.services.lifecycle import terms
from app.services.permits.issuing import current_permit
from tests import factories

TODAY = clock.today()


def _appointed(db, name="李海涛"):
    office = factories.user("office")
    expert = factories.expert(name=name, groups=("化工", "有限空间"))
    terms.start_term(expert, cohort=1, doc_no="武应急〔2026〕36号", start_date=TODAY - dt.timedelta(days=30),
                     actor=office)
    terms.record_commitment(expert, signed_on=TODAY - dt.timedelta(days=30), actor=office)
    factories.user("expert", username="lihaitao", expert_=expert)
    return expert, office


def test_the_permit_as_on_the_card_with_its_live_status_and_qr(app, db, client, auth):
    expert, _office = _appointed(db)
    db.session.commit()
    permit = current_permit(expert)
    auth.login("lihaitao")
    assert "我的工作证" in client.get("/m/").get_data(as_text=True)
    html = client.get("/m/permit").get_data(as_text=True)
    assert "武进区安全生产专家工作证" in html and "李海涛" in html and "化工、有限空间" in html
    assert permit.permit_no in html and "发证机关：武进区应急管理局" in html
    assert re.search(r'class="permit-status st-valid".*?<p class="word">有效</p>', html, re.S)
    assert f"http://testserver/verify/{permit.token}" in html and '<svg viewBox="0 0' in html
    assert "本页与纸质专家工作证相同" in html


def test_a_suspension_shows_at_once(app, db, client, auth):
    expert, office = _appointed(db)
    for found, verified in ((TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=18)),
                            (TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=1))):
        violation = ladder.record_violation(expert, found, "违规", today=TODAY)
        ladder.verify_violation(violation, investigation="属实", actor=office, verified_on=verified, today=TODAY)
    db.session.commit()
    auth.login("lihaitao")
    html = client.get("/m/permit").get_data(as_text=True)
    assert 'class="permit-status st-suspended"' in html and "暂停（至" in html


def test_without_a_permit_the_page_says_why(app, db, client, auth):
    expert = factories.expert(name="王申请", stage="applicant")
    factories.user("expert", username="wang", expert_=expert)
    db.session.commit()
    auth.login("wang")
    html = client.get("/m/permit").get_data(as_text=True)
    assert "您目前没有有效的专家工作证" in html and "申请中" in html and "<svg" not in html


def test_only_experts_see_the_page(app, db, client, login_as):
    login_as("office")
    assert client.get("/m/permit").status_code == 403
