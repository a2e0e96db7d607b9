"""Browser: a self-recommendation on a phone (390×844) from the home page to the receipt,
then the status lookup and the announcements; the same pages at desktop size and the
form without JavaScript."""
import datetime as dt
import io
import re

from PIL import Image

from tests import factories

RECEIPT_RE = re.compile(r"ZJ\d{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")
BIRTH = dt.date(1980, 10, 9)


def jpeg(color, size=(295, 413)):
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    image.paste((240, 240, 240), (60, 60, size[0] - 60, size[1] - 120))
    image.save(out, "JPEG", quality=88)
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def seed_announcement(app):
    from app.extensions import db
    from models import Announcement, AnnouncementEntry

    with app.app_context():
        expert = factories.appointed_expert(name="王建国", groups=("化工", "有限空间"),
                                            employer="江苏常州化工研究所有限公司", address="常州市武进区淹城路1号")
        item = Announcement(kind="appointment", title="关于聘任武进区安全生产专家的公告", doc_no="武应急〔2026〕36号",
                            body="根据《武进区安全生产专家管理办法》，经局长办公会议审定，决定聘任以下同志为武进区安全生产专家，"
                                 "聘期三年。\n特此公告。", published=True, published_on=dt.date(2026, 5, 20))
        for name, groups, employer in [("王建国", "化工、有限空间", expert.employer),
                                       ("孙丽华", "电气", "常州供电工程有限公司"),
                                       ("欧阳振华", "金属粉尘、木质粉尘", "江苏武进经济开发区精密机械制造有限公司")]:
            item.entries.append(AnnouncementEntry(name=name, groups=groups, employer=employer))
        db.session.add(item)
        db.session.commit()
        return expert.mobile, expert.id_number


def fill_application(page, id_number):
    page.fill("#name", "陈立新")
    page.check("#gender-0")
    page.fill("#birth_date", BIRTH.isoformat())
    page.fill("#id_number", id_number)
    page.select_option("#party", "中共党员")
    page.fill("#birthplace", "江苏常州")
    page.fill("#employer", "常州新港化工有限公司")
    page.fill("#position", "安全环保部经理")
    page.select_option("#title_level", "associate_senior")
    page.fill("#title", "高级工程师")
    page.fill("#graduated_from", "南京工业大学")
    page.select_option("#education", "bachelor")
    page.check("#full_time_education-0")
    page.fill("#profession", "化工安全")
    page.fill("#specialty", "危险化学品储存与使用安全、HAZOP分析")
    page.fill("#mobile", "13861234567")
    page.fill("#email", "chenlx@example.com")
    page.fill("#work_phone", "0519-86310001")
    page.fill("#address", "常州市武进区湖塘镇人民中路8号")
    page.locator("label.option", has_text="化工").first.click()
    page.locator("label.option", has_text="有限空间").click()
    page.fill("#work_history-0-period", "2002.07-2010.06")
    page.fill("#work_history-0-employer", "常州化工研究院")
    page.fill("#work_history-0-position", "技术员")
    # apply.js folds the empty rows away; "增加一段经历" brings the next one.
    assert not page.locator("#work_history-1").is_visible()
    page.click("[data-add-row]")
    page.fill("#work_history-1-period", "2010.07-至今")
    page.fill("#work_history-1-employer", "常州新港化工有限公司")
    page.fill("#achievements", "主持公司HAZOP分析和双重预防机制建设。")
    page.set_input_files("#photo", jpeg((40, 90, 170)))
    page.set_input_files("#id_card", [jpeg((200, 200, 210)), jpeg((190, 200, 220))])
    page.set_input_files("#diploma", jpeg((180, 40, 40)))
    page.set_input_files("#title_cert", jpeg((150, 120, 40)))
    for box in ("#ethics_declared", "#health_declared", "#truthful"):
        page.check(box)


def test_self_recommendation_on_a_phone_reaches_the_receipt(app, page, live_server, screenshot):
    seed_announcement(app)
    id_number = factories.id_number(BIRTH, True)
    page.goto(f"{live_server}/")
    screenshot("public-home-phone")
    page.click("a.home-link >> text=自荐申请")
    assert page.url.endswith("/apply")
    fill_application(page, id_number)
    screenshot("apply-form-phone")
    page.click("button[type=submit]")
    page.wait_for_url("**/apply/submitted")
    receipt = page.locator(".receipt-no").inner_text().strip()
    assert RECEIPT_RE.fullmatch(receipt)
    assert page.locator("text=请截图或抄下此回执编号").is_visible()
    screenshot("apply-submitted-phone")

    page.click("text=查询申请进度")
    assert page.input_value("#receipt_no") == receipt
    page.fill("#id_last4", id_number[-4:])
    page.click("button[type=submit]")
    assert page.locator("h1", has_text="当前状态：已提交").is_visible()
    assert page.locator("text=陈立新").count() == 0
    screenshot("apply-status-phone")

    page.goto(f"{live_server}/announcements")
    assert page.locator("text=关于聘任武进区安全生产专家的公告").is_visible()
    page.click("summary >> text=专家名单")
    assert page.locator("td", has_text="欧阳振华").is_visible()
    screenshot("announcements-phone")

    with app.app_context():
        from app.extensions import db
        from models import Application, Expert
        from models.base import blind_match

        expert = db.session.query(Expert).filter(blind_match(Expert.id_number, id_number)).one()
        assert expert.stage == "applicant" and len(expert.documents) == 4 and expert.photo_path
        assert db.session.query(Application).filter_by(receipt_no=receipt).one().state == "submitted"


def test_refused_id_number_shows_the_message_beside_the_field(app, page, live_server, screenshot):
    page.goto(f"{live_server}/apply")
    fill_application(page, factories.id_number(BIRTH, False))  # a woman's number, 男 chosen
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#gender .field-error", has_text="与身份证号不一致").is_visible()
    assert page.locator("text=请在“证明材料”部分重新选择照片和各项文件").is_visible()
    screenshot("apply-refused-phone")


def test_public_pages_at_desktop_size(app, browser, live_server):
    import os

    from tests.e2e.conftest import SHOTS

    seed_announcement(app)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    os.makedirs(SHOTS, exist_ok=True)
    for name, url in (("public-home", "/"), ("apply-form", "/apply"), ("apply-status", "/apply/status"),
                      ("announcements", "/announcements")):
        page.goto(f"{live_server}{url}")
        page.screenshot(path=os.path.join(SHOTS, f"{name}-desktop.png"), full_page=True)
    page.goto(f"{live_server}/apply")
    fill_application(page, factories.id_number(BIRTH, True))
    page.click("button[type=submit]")
    page.wait_for_url("**/apply/submitted")
    page.screenshot(path=os.path.join(SHOTS, "apply-submitted-desktop.png"), full_page=True)
    context.close()


def test_form_works_without_javascript(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/apply")
    for slot in range(5):
        assert page.locator(f"#work_history-{slot}").is_visible()
    assert not page.locator("[data-add-row]").is_visible()
    assert page.locator("text=需要填写更多段经历的").is_visible()
    context.close()


def test_oversized_photo_is_refused_as_soon_as_it_is_chosen(page, live_server):
    page.goto(f"{live_server}/apply")
    big = {"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10)}
    page.set_input_files("#photo", big)
    assert page.locator("text=超过5MB，请压缩或重新拍摄后再选择").is_visible()
    assert page.eval_on_selector("#photo", "el => el.files.length") == 0
