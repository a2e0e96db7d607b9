"""Browser (390×844): the enterprise's voice and the office's registry fields (issue 17).

1. An enterprise confirms a receipt on its phone; after the job is completed it fills the
   follow-up on the same page and is refused a second one (a second tab opened earlier).
2. An office clerk adds a registry field; a citizen fills it on /apply; it appears in the
   admin details, the 附件2 PDF (pdftotext) and the roster export.
Screenshots at phone and desktop size go to E2E_SCREENSHOT_DIR.
"""
import datetime as dt
import io
import subprocess

import openpyxl

from app import clock
from tests import factories
from tests.e2e.axe import violations
from tests.e2e.test_apply import fill_application, jpeg
from tests.e2e.test_forms import _sign

DESKTOP = {"width": 1366, "height": 768}


def _job(app):
    """A dispatched job with one accepted expert and its notice (receipt not yet confirmed)."""
    from app.extensions import db
    from app.services.dispatch import draws, notices, responses, usage_requests

    with app.app_context():
        unit = factories.org_unit(name="执法大队一中队", kind="brigade")
        clerk = factories.user("department", username="zhongdui", org_unit_=unit)
        expert = factories.appointed_expert(name="张建国")
        ent = factories.enterprise(name="常州市武进红光无纺布有限公司")
        today = clock.today()
        day = today - dt.timedelta(days=1)
        req = usage_requests.create_request(
            unit=unit, activity_type="inspection", subject="纺织企业执法检查", start_date=day, end_date=day,
            groups=[expert.groups[0].id], enterprises=[ent.id], headcount=1, backups=0, created_by=clerk,
            today=today - dt.timedelta(days=4))
        draws.draw(req, clerk, seed="0" * 32)
        responses.respond(req.assignments[0], "accepted", actor=clerk)
        notice, = notices.issue_notices(req)
        factories.user("office", username="jichuke")
        db.session.commit()
        return notice.token, req.assignments[0].id, clerk.id


def _complete(app, assignment_id, clerk_id):
    from app.extensions import db
    from app.services.dispatch import completion
    from models import Assignment, User

    with app.app_context():
        completion.complete_assignment(db.session.get(Assignment, assignment_id), attended=True, units=1,
                                       actor=db.session.get(User, clerk_id))
        db.session.commit()


def _both_sizes(page, screenshot, name):
    screenshot(f"{name}-390")
    page.set_viewport_size(DESKTOP)
    screenshot(f"{name}-1366")
    page.set_viewport_size({"width": 390, "height": 844})


def test_enterprise_confirms_then_follows_up_once(app, page, browser, live_server, screenshot, browser_login):
    token, assignment_id, clerk_id = _job(app)
    url = f"{live_server}/receipt/{token}"
    page.goto(url)
    page.fill("#f_signer_name", "王海燕")
    page.locator(".sig canvas").scroll_into_view_if_needed()
    _sign(page, ".sig canvas")
    page.click("#submit")
    page.wait_for_load_state("networkidle")
    assert "已签收" in page.inner_text("body")
    assert "本次专家服务完成后，可在本页对专家服务进行回访评价" in page.inner_text("#followup")
    _both_sizes(page, screenshot, "voice-receipt-confirmed-waiting")

    _complete(app, assignment_id, clerk_id)
    page.goto(url)
    other = page.context.new_page()  # the same QR scanned again before the first follow-up was sent
    other.goto(url)
    assert "提交回访" in page.inner_text("body")
    assert violations(page) == []
    _both_sizes(page, screenshot, "voice-followup-form")
    page.fill("#f_punctuality", "5")
    page.fill("#f_professionalism", "4")
    page.locator("#followup-form label.option", has_text="是").first.click()
    page.fill("#f_comment", "检查时专家暗示我们购买他推荐公司的灭火器。")
    page.fill("#f_contact", "李明 13912345678")
    page.click("#submit")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert "回访已提交" in body and "已提交过回访" in body and "提交回访" not in body
    assert violations(page) == []
    _both_sizes(page, screenshot, "voice-followup-done")

    other.fill("#f_punctuality", "1")
    other.fill("#f_professionalism", "1")
    other.locator("#followup-form label.option", has_text="否").first.click()
    other.click("#submit")
    other.wait_for_load_state("networkidle")
    assert "每份告知书只能回访一次" in other.inner_text("body")
    other.screenshot(path=screenshot("voice-followup-second-refused-390"), full_page=True)

    # the office: the complaint it opened, and the follow-up on the expert's page
    from app.extensions import db
    from models import Complaint, FormSubmission

    with app.app_context():
        complaint = db.session.query(Complaint).one()
        followup = db.session.query(FormSubmission).filter(FormSubmission.notice_id.is_not(None),
                                                           FormSubmission.client_uuid.like("followup-%")).one()
        assert complaint.followup_id == followup.id and "灭火器" not in complaint.body
        complaint_id, expert_id = complaint.id, complaint.expert_id
    browser_login("jichuke")
    page.goto(f"{live_server}/admin/complaint/edit/?id={complaint_id}")
    assert "查看关联的企业回访记录" in page.inner_text("body")
    _both_sizes(page, screenshot, "voice-complaint-from-followup")
    page.goto(f"{live_server}/admin/expert/details/?id={expert_id}")
    panel = page.inner_text("body")
    assert "企业回访" in panel and "灭火器" in panel and "常州市武进红光无纺布有限公司" in panel
    _both_sizes(page, screenshot, "voice-expert-followups-office")
    page.goto(f"{live_server}/admin/form_submission/details/?id={followup.id}")
    assert "灭火器" in page.inner_text("body")
    _both_sizes(page, screenshot, "voice-followup-submission-office")

    # the annual assessment shows them as information beside the grade
    from app.services.discipline import assessment

    with app.app_context():
        assessment.run_assessment(clock.today().year)
        db.session.commit()
    page.goto(f"{live_server}/admin/annual_assessment/")
    assert "企业回访1份，平均4.5分（满分5分）" in page.inner_text("body")
    _both_sizes(page, screenshot, "voice-assessment-followups")

    # the unit that used the expert sees the ratings of its job, not the words nor the enterprise
    page.context.clear_cookies()
    browser_login("zhongdui")
    page.goto(f"{live_server}/admin/expert/details/?id={expert_id}")
    body = page.inner_text("body")
    assert "企业回访" in body and "5/5" in body and "灭火器" not in body and "李明" not in body
    _both_sizes(page, screenshot, "voice-expert-followups-unit")


def test_office_adds_a_field_citizen_fills_it_and_it_reaches_admin_pdf_export(app, page, live_server, screenshot,
                                                                              browser_login, tmp_path):
    with app.app_context():
        from app.extensions import db

        factories.user("office", username="jichuke")
        db.session.commit()
    browser_login("jichuke")
    page.goto(f"{live_server}/admin/extra_field/")
    page.fill("#label", "特种作业操作证编号")
    page.select_option("#kind", "text")
    page.fill("#max_length", "30")
    page.check("#public_field")
    page.check("#personal")
    page.click("text=添加字段 >> nth=-1")
    page.wait_for_load_state("networkidle")
    assert "已添加字段“特种作业操作证编号”" in page.inner_text("body")
    _both_sizes(page, screenshot, "voice-extra-fields-admin")
    page.goto(f"{live_server}/logout")
    page.context.clear_cookies()

    page.goto(f"{live_server}/apply")
    fill_application(page, factories.id_number(dt.date(1980, 10, 9), seq=7))
    page.fill("#x__x1", "T" * 31)  # over its limit: a Chinese refusal, nothing stored
    page.evaluate("document.querySelector('#x__x1').removeAttribute('maxlength')")
    page.fill("#x__x1", "T" * 31)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "特种作业操作证编号" in page.inner_text("#errors") and "不能超过30字" in page.inner_text("body")
    screenshot("voice-apply-extra-field-refused-390")
    # the browser keeps what was typed but not the chosen files
    page.set_input_files("#photo", jpeg((40, 90, 170)))
    page.set_input_files("#id_card", [jpeg((200, 200, 210)), jpeg((190, 200, 220))])
    page.set_input_files("#diploma", jpeg((180, 40, 40)))
    page.set_input_files("#title_cert", jpeg((150, 120, 40)))
    for box in ("#ethics_declared", "#health_declared", "#truthful"):
        page.check(box)
    page.fill("#x__x1", "T32041219800109")
    assert violations(page) == []
    page.locator("#section-extra").scroll_into_view_if_needed()
    _both_sizes(page, screenshot, "voice-apply-extra-field")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "申请已提交" in page.inner_text("body") or "受理编号" in page.inner_text("body")

    from app.extensions import db
    from models import Expert

    with app.app_context():
        expert_id = db.session.query(Expert).filter_by(name="陈立新").one().id
    browser_login("jichuke")
    page.goto(f"{live_server}/admin/expert/details/?id={expert_id}")
    assert "T32041219800109" in page.inner_text("body")
    _both_sizes(page, screenshot, "voice-expert-details-extra")
    page.goto(f"{live_server}/admin/expert/edit/?id={expert_id}")
    assert page.input_value("#x__x1") == "T32041219800109"
    _both_sizes(page, screenshot, "voice-expert-edit-extra")

    pdf = page.request.get(f"{live_server}/admin/application/registration/{expert_id}").body()
    (tmp_path / "reg.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "reg.pdf"), "-"],
                          capture_output=True, check=True).stdout.decode()
    assert "T32041219800109" in text and "特种作业操" in text
    import os
    import shutil

    shots = os.environ.get("E2E_SCREENSHOT_DIR")
    if shots:
        shutil.copy(tmp_path / "reg.pdf", os.path.join(shots, "voice-registration-form.pdf"))
    data = page.request.get(f"{live_server}/admin/expert/export/xlsx/").body()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    assert "特种作业操作证编号" in header
    assert sheet.cell(row=2, column=header.index("特种作业操作证编号") + 1).value == "T32041219800109"
