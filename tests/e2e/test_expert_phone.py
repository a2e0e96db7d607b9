"""Browser (390×844): an expert opens 我的工作证 and 我的评价 on his phone (issue 19 §5).
The QR code on the screen is read back from a screenshot with zxing-cpp, as another phone
would scan it, and leads to the verify page that says 有效."""
import datetime as dt
import io
import re

import zxingcpp
from PIL import Image

from app import clock
from app.extensions import db
from app.services.lifecycle import terms
from app.services.permits.issuing import current_permit
from app.services.scoring import evaluations as scoring
from tests import factories
from tests.scoring.records import form_v1, full_scores

TODAY = clock.today()


def _expert_with_permit_and_evaluations():
    office = factories.user(role="office")
    expert = factories.expert(name="李海涛", groups=("化工", "有限空间"))
    terms.start_term(expert, cohort=1, doc_no="武应急〔2026〕36号", start_date=TODAY - dt.timedelta(days=60),
                     actor=office)
    terms.record_commitment(expert, signed_on=TODAY - dt.timedelta(days=60), actor=office)
    unit = factories.org_unit(name="湖塘镇", kind="town")
    scorer = factories.user(role="town", org_unit_=unit)
    form = form_v1()
    for days, matter in ((40, "执法检查：危险化学品企业专项执法检查"), (12, "隐患排查：有限空间作业隐患排查")):
        scores = full_scores(form)
        scores[next(iter(scores))] -= 2
        entry = scoring.EvaluationEntry(
            form_id=form.id, variant="A", expert_id=expert.id, enterprise_name="常州某化工有限公司", matter=matter,
            evaluator_name="孙晓燕", evaluated_on=TODAY - dt.timedelta(days=days), scores=scores)
        scoring.save_evaluation(entry, by=scorer)
    factories.user(role="expert", username="lihaitao", expert_=expert)
    db.session.commit()
    return current_permit(expert).token


def test_the_expert_shows_his_permit_and_reads_his_evaluations(app, page, live_server, browser_login, screenshot):
    with app.app_context():
        token = _expert_with_permit_and_evaluations()
    browser_login("lihaitao")
    page.goto(f"{live_server}/m/")
    page.click("text=我的工作证")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/m/permit")
    body = page.inner_text("main")
    assert "有效" in body and "李海涛" in body and "化工、有限空间" in body and "本页与纸质专家工作证相同" in body
    shot = screenshot("expert-permit-phone")
    # another phone scans the code from this screen: decode the screenshot of the visible page
    page.locator("section.permit-qr").scroll_into_view_if_needed()
    png = page.screenshot()  # the viewport, as the screen shows it
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [r.text for r in found] == [f"{live_server}/verify/{token}"], shot
    box = page.locator("section.permit-qr svg").bounding_box()
    assert box["width"] >= 250  # CSS pixels: large enough to scan from the screen
    page.goto(found[0].text)
    assert "有效" in page.inner_text("main")
    page.goto(f"{live_server}/m/")
    page.click("text=我的评价")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("main")
    assert "隐患排查：有限空间作业隐患排查" in body and re.search(r"98\s*/\s*100 分", body)
    assert "态度诚恳，沟通顺畅" in body and re.search(r"3\s*/\s*5", body)
    assert "孙晓燕" not in body and "湖塘镇" not in body and "常州某化工有限公司" not in body
    screenshot("expert-evaluations-phone")
