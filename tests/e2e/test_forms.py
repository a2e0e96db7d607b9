"""Browser: the office builds a form in the admin (1366×768) and a town inspector fills it on the
phone (390×844) with no signal; it arrives once, and its PDF and XLSX are right (issue 16).

The clerk's path uses only what the screens say: 表单设计 → 新建表单 → add the questions of
"专家现场服务记录" (texts, a date, a time, a yes/no, a photo, two scores with a total, a
signature) → 发布. The inspector opens the form online once (the service worker keeps it), goes
offline (Playwright's ``context.set_offline``), fills and signs with a finger, submits (待发送),
comes back online (已发送), and a re-send of the same queue entry stores nothing more.
"""
import io
import os
import re
import subprocess

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from models import FormAnswer, FormSubmission
from tests import factories
from tests.e2e.conftest import SHOTS
from tests.e2e.test_scoring import _wait_for_service_worker

DESKTOP = {"width": 1366, "height": 768}
TITLE = "专家现场服务记录"


def _people(app):
    with app.app_context():
        office_unit = factories.org_unit(name="安全生产基础科", kind="section")
        factories.user(role="office", username="jichuke", full_name="周文斌", org_unit_=office_unit)
        town = factories.org_unit(name="湖塘镇", kind="town")
        factories.user(role="town", username="hutang", full_name="钱立军", org_unit_=town)
        factories.appointed_expert(name="王建国", employer="江苏常州化工研究所有限公司")
        db.session.commit()


def _count(app, model=FormSubmission):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _login(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _section(page, title):
    return page.locator(".section-card", has=page.locator(".card-header b", has_text=f"：{title}"))


def _add_field(page, section_title, label, kind, *, required=True, **settings):
    """Open 添加题目 of a section, fill the question's settings as a clerk would, add it."""
    section = _section(page, section_title)
    add = section.locator("details.add-field")
    if add.get_attribute("open") is None:
        add.locator("summary").click()
    form = add.locator("form")
    form.get_by_label("题目名称").fill(label)
    form.get_by_label("类型").select_option(label=kind)
    for name, value in settings.items():
        form.get_by_label(name).fill(str(value))
    if not required:
        form.get_by_label("必填").uncheck()
    form.get_by_role("button", name="添加题目").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".alert-success, .alert-info").filter(has_text=f"已添加题目“{label}”").count() == 1


def _add_section(page, title, points=None):
    page.locator("#add-section summary").click()
    page.get_by_label("部分名称").fill(title)
    if points is not None:
        page.get_by_label("本部分分值（可不填）").fill(str(points))
    page.get_by_role("button", name="添加部分").click()
    page.wait_for_load_state("networkidle")


def _shot(page, name):
    """A full-page screenshot under the browser tests' screenshot folder."""
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _wait_until_kept_offline(page, attempts=4):
    """Until the service worker controls the page. An install that failed (a shell file not
    fetched on a loaded machine) is tried again on the next load, as on a phone."""
    for attempt in range(attempts):
        try:
            _wait_for_service_worker(page, timeout_s=20)
            return
        except AssertionError:
            state = page.evaluate("""async () => JSON.stringify((await navigator.serviceWorker.getRegistrations())
                .map(r => [r.scope, !!r.active, !!r.installing, !!r.waiting]))""")
            print(f"service worker not in control yet (attempt {attempt + 1}): {state}")
            page.reload()
    raise AssertionError("the service worker never took over the page")


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1200, 900), (70, 120, 160)).save(buf, "JPEG")
    return buf.getvalue()


def _sign(page, canvas_selector):
    box = page.locator(canvas_selector).bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x + i * 10, y + (18 if i % 2 else -18), steps=2)
    page.mouse.up()


def test_the_office_builds_a_form_and_an_inspector_fills_it_offline(app, browser, live_server, tmp_path):
    _people(app)
    # --- the office, at a desk -------------------------------------------------------------------
    office = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = office.new_page()

    def shot(name):
        _shot(page, name)

    _login(page, live_server, "jichuke")
    page.goto(f"{live_server}/admin/form_definition/")
    shot("forms-list-desktop")
    page.get_by_role("link", name="新建表单").click()
    page.get_by_label("表单名称").fill(TITLE)
    page.get_by_label("每份表关于什么").select_option(label="专家")
    page.get_by_label("镇/开发区/街道").check()
    page.get_by_label("局科室/大队").uncheck()
    shot("forms-new-desktop")
    page.get_by_role("button", name="保存，开始设计").click()
    page.wait_for_url(re.compile(r"/admin/form_definition/build/\?id=\d+"))
    shot("forms-build-empty-desktop")

    _add_field(page, "基本信息", "服务单位", "单行文字")
    _add_field(page, "基本信息", "服务内容", "多行文字")
    _add_field(page, "基本信息", "服务日期", "日期")
    _add_field(page, "基本信息", "到场时间", "时间")
    _add_field(page, "基本信息", "是否佩戴专家工作证", "是/否")
    _add_field(page, "基本信息", "现场照片", "照片")
    _add_section(page, "服务评价", points=20)
    _add_field(page, "服务评价", "专业水平", "评分（计入合计）", **{"满分（评分题）": 10})
    _add_field(page, "服务评价", "服务态度", "评分（计入合计）", **{"满分（评分题）": 9})
    # The builder says why the draft cannot be published yet, in the clerk's words.
    assert "服务评价各项满分合计应为20分，现为19分" in page.locator("#problems").inner_text()
    shot("forms-build-problem-desktop")
    page.locator(".fields tr", has_text="服务态度").get_by_role("link", name="修改").click()
    page.get_by_label("满分（评分题）").fill("10")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    _add_section(page, "签字确认")
    _add_field(page, "签字确认", "专家签字", "手写签名")
    page.locator("#version-settings summary").click()
    page.get_by_label("表单满分").fill("20")
    page.locator("#version-settings").get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#check-ok").is_visible()
    frame = page.frame_locator("iframe.preview-frame")
    assert frame.get_by_text("服务评价（20分）").is_visible()
    assert frame.locator(".item .full").count() == 2
    shot("forms-build-ready-desktop")
    page.get_by_role("button", name="发布第1版").click()
    page.wait_for_load_state("networkidle")
    assert "已发布第1版" in page.content()
    shot("forms-build-published-desktop")

    # --- a town inspector, in the field, on a phone --------------------------------------------------
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="zh-CN")
    mobile = phone.new_page()
    _login(mobile, live_server, "hutang")
    mobile.goto(f"{live_server}/m/forms")
    mobile.get_by_role("link", name=TITLE).click()
    mobile.wait_for_url(re.compile(r"/m/forms/\d+/new"))
    _wait_until_kept_offline(mobile)
    mobile.reload()
    mobile.wait_for_selector("#totalbar:not([hidden])")

    phone.set_offline(True)
    mobile.reload()  # served by the service worker: no network at all
    mobile.wait_for_selector("#net:not([hidden])")
    mobile.select_option("#expert_id", label="王建国（江苏常州化工研究所有限公司）")
    mobile.get_by_label("服务单位").fill("=HYPERLINK(\"http://x\")常州华润化工有限公司")
    mobile.get_by_label("服务内容").fill("对储罐区、装卸区进行现场检查，指导企业完善静电接地。")
    mobile.get_by_label("服务日期").fill("2026-11-20")
    mobile.get_by_label("到场时间").fill("09:30")
    mobile.get_by_text("是", exact=True).click()
    mobile.set_input_files("input[type=file]", files=[{"name": "site.jpg", "mimeType": "image/jpeg",
                                                         "buffer": _photo()}])
    mobile.wait_for_selector(".photo img:not([hidden])")
    mobile.locator(".item", has_text="专业水平").locator(".full").tap()
    mobile.locator(".item", has_text="服务态度").locator(".full").tap()
    mobile.locator(".item", has_text="服务态度").locator(".dec").tap()
    assert mobile.locator("#total").inner_text() == "19"
    mobile.fill(".item:has-text('专业水平') input", "12")
    assert "12分超过该项满分10分，未计入合计" in mobile.locator(".item", has_text="专业水平").inner_text()
    mobile.locator(".item", has_text="专业水平").locator(".full").tap()
    mobile.locator(".sig canvas").scroll_into_view_if_needed()
    _sign(mobile, ".sig canvas")
    _shot(mobile, "forms-fill-offline-phone")
    mobile.locator("#submit").tap()
    mobile.wait_for_selector("#queue-list .state.pending")
    assert mobile.locator("#sent-notice").is_visible()
    assert "合计 19 分" in mobile.locator("#sent-text").inner_text()
    _shot(mobile, "forms-fill-pending-phone")
    assert _count(app) == 0

    phone.set_offline(False)  # the 'online' event sends the queue by itself
    mobile.wait_for_selector("#queue-list .state.sent", timeout=30000)
    _shot(mobile, "forms-fill-sent-phone")
    assert _count(app) == 1
    mobile.evaluate("""async () => {
        const items = await FormQueue.all();
        items[0].state = 'pending';
        await FormQueue.put(items[0]);
        return FormQueue.flush();
    }""")
    mobile.wait_for_selector("#queue-list .state.sent")
    assert _count(app) == 1  # a re-send stores nothing more
    mobile.locator("#queue-list a", has_text="查看").tap()
    mobile.wait_for_url(re.compile(r"/m/forms/s/\d+$"))
    assert mobile.locator("#saved-total").inner_text() == "19"
    _shot(mobile, "forms-show-phone")

    with app.app_context():
        sub = db.session.scalar(select(FormSubmission))
        sub_id, version_id, total = sub.id, sub.version_id, sub.total
        kinds = {a.field.kind: a for a in db.session.scalars(select(FormAnswer))}
        assert total == 19 and sub.expert.name == "王建国" and sub.unit.name == "湖塘镇"
        assert kinds["signature"].signed_by == "钱立军" and kinds["signature"].file_path.endswith(".png")
        assert kinds["photo"].file_path.endswith(".jpg") and kinds["yesno"].text == "是"

    # --- the office reads it: details, PDF, XLSX -----------------------------------------------------
    page.goto(f"{live_server}/admin/form_submission/details/?id={sub_id}")
    assert page.locator("img[alt='专家签字']").is_visible()
    shot("forms-submission-details-desktop")
    page.goto(f"{live_server}/admin/form_submission/")
    shot("forms-submission-list-desktop")
    pdf = page.request.get(f"{live_server}/admin/form_submission/pdf/?id={sub_id}").body()
    (tmp_path / "s.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(tmp_path / "s.pdf"), "-"], check=True,
                          capture_output=True).stdout.decode()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    flat = "".join(text.split())
    for needle in (TITLE, "专家姓名：王建国", "服务日期2026年11月20日", "到场时间09:30", "是否佩戴专家工作证是",
                   "钱立军", "常州华润化工有限公司", "填报单位：湖塘镇"):
        assert needle in flat, needle
    assert any(re.search(r"专业水平（10分） 10$", line) for line in lines), lines
    assert any(re.search(r"服务态度（10分） 9$", line) for line in lines)
    assert any(re.search(r"总分（20分） 19$", line) for line in lines)
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "s.pdf")], check=True,
                            capture_output=True).stdout.decode().splitlines()[2:]
    assert len(images) >= 2  # the photo and the signature are printed as pictures
    os.makedirs(SHOTS, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(tmp_path / "s.pdf"),
                    os.path.join(SHOTS, "forms-submission-pdf")], check=True)
    xlsx = page.request.get(f"{live_server}/admin/form_submission/xlsx/?version={version_id}")
    sheet = load_workbook(io.BytesIO(xlsx.body())).active
    header, row = [c.value for c in sheet[1]], [c for c in sheet[2]]
    for label in ("服务单位", "服务内容", "服务日期", "到场时间", "是否佩戴专家工作证", "现场照片", "专业水平",
                  "服务态度",
                  "专家签字", "总分"):
        assert label in header, label
    cell = row[header.index("服务单位")]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"  # text, never a formula
    assert row[header.index("专业水平")].value == 10 and row[header.index("总分")].value == 19
    office.close()
    phone.close()
