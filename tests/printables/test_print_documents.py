"""Every template renders cleanly with sample data and says what the regulation says."""

from __future__ import annotations

import io
import subprocess

import pytest
from pypdf import PdfReader
from sample_documents import SAMPLES, XSS, form_document_blank

from printables import PrintRenderError, render_pdf

# Fragments each document must print: titles, names, and the attachment's own wording.
# Checked in the layout text (white space removed), so each fits on one printed line.
KEY_PHRASES = {
    "commitment_letter": ["武进区安全生产专家服务承诺书", "承诺人：刘大地", "2026年3月5日"],
    "registration_form": [
        "武进区安全生产专家推荐/自荐信息登记表", "[编号：WJZJ-2026-0017]", "刘大地",
        "江苏常州武进钢铁集团有限公司", "常州市武进区工业和信息化局", "大学本科（全日制）",
        "32048319720815001X", "☑在岗", "☐退休", "☑冶金煤气", "☐化工", "1995.07-2003.06",
        "经办联系人：王小明", "联系电话：0519-86310003", "单位公章", "审核", "填表说明：",
    ],
    "notice": [
        "武进区安全生产专家服务告知书", "常州市武进区某某化工有限公司", "武进区应急管理局",
        "2026年4月8日", "武进区安全生产专家服务告知书回执", "回执编号：HZ-2026-000123",
        "https://yjglj.wj.gov.cn/receipt/",
    ],
    "fee_standard": [
        "武进区安全生产专家费用发放标准", "序号类别单位费用（元）备注", "执法检查一天1000",
        "事故调查一次1000", "应急处置一起1000夜间、节假日1500", "执行日期：2026年1月1日",
    ],
    "payout_sheet": [
        "武进区安全生产专家服务费发放表（2026年第3季度）", "领款人签字", "代扣个人所得税",
        "320483********001X", "3,000.00", "440.00", "2,560.00", "合计", "12,000.00", "1,700.00",
        "10,300.00", "制表人：周焱", "审核人：", "批准人：", "状态：已审核", "批次编号：FF-2026Q3-01",
        "第1页，共1页",
    ],
    "form_document": [
        "武进区安全生产专家服务情况评价表", "企业名称：常州市武进区某某化工有限公司",
        "专家姓名：刘大地", "考评人员：李执法、王检查", "考评人员（签字）：", "考评时间：2026年5月20日",
        "态度诚恳，沟通顺畅（5分）", "迟到、早退情况（5分）", "总分（100分）96", "意见和建议：", "填表说明：",
    ],
    "permit": ["武进区安全生产专家工作证", "刘大地", "WJAQZJ-2026-0017", "2026.01.01—2028.12.31",
               "发证机关：武进区应急管理局", "使用须知", "持证上岗"],
    "permit_sheet": ["武进区安全生产专家工作证", "欧阳晓东", "WJAQZJ-2026-0008", "沿裁切标记裁切"],
    "announcement": [
        "武进区应急管理局关于公布第三届武进区安全生产", "武应急〔2026〕12号", "序号姓名专家组别工作单位",
        "欧阳晓东", "特此公告。", "2026年1月10日",
    ],
    "candidate_list": [
        "第三届武进区安全生产专家拟聘名单", "序号姓名性别工作单位职称学历专家组别测试成绩",
        "92.5", "博士研究生", "制表单位：武进区应急管理局安全生产基础科", "局长办公会议",
    ],
}

# Whole sentences of the attachments, word for word (read in text order, white space removed).
ATTACHMENT_WORDING = {
    "commitment_letter": [
        "在配合区应急管理局开展安全生产检查、隐患排查及重大隐患整改验收等工作期间，本人承诺严格做到：",
        "6.不借区应急管理局名义开展包括标准化创建辅导、安全托管服务、推销产品等商业活动；",
        "7.不索取或者接受服务对象的财物。不参加服务对象安排、组织或者支付费用的宴请、娱乐、旅游等活动；",
        "10.履行其他应该履行的义务。",
        "如出现违反承诺书内容情况，自愿按《武进区安全生产专家管理办法》接受处理。",
    ],
    "registration_form": [
        "12、推荐表电子文档文件名以“姓名＋从事的行业”命名，如从事钢铁行业的“刘大地钢铁”。",
        "（根据擅长行业领域可申报多个组别）",
        "专家申报地点：区应急管理局安全生产基础科，联系人：周焱，联系电话：0519-86310627；"
        "上报方式：纸质、电子各一份（电子邮箱：469734441＠qq.com）。",
    ],
    "notice": [
        "为进一步提高我区安全生产监管执法水平，有效压降生产安全事故的发生，区应急管理局在对各类安全生产检查、"
        "隐患排查及重大隐患整改验收等工作中，聘请专家进行技术支持。",
        "4.区应急管理局聘请专家配合监督检查已支付费用，不需要贵单位再支付任何服务费用；",
        "5.若遇专家以配合区应急管理局监督检查为由，开展任何以盈利为目的的活动，请向区应急管理局进行举报投诉，"
        "投诉电话：86310627，区应急管理局将严格为贵企业做好保密工作！",
        "确保贵单位安全发展，健康发展！",
        "贵局的专家服务告知书我单位已收悉，感谢贵局的热情服务！",
        "签收单位（盖章）",
    ],
    "fee_standard": [
        "备注：邀请国家、省、市级专家参加工作的，费用发放标准依据工作实际情况，由使用科室、大队提出建议，"
        "经局领导批准同意后执行。",
    ],
    "form_document": [
        "遵纪守法，廉洁服务，自觉抵制歪风邪气，不“吃拿卡要”（5分）",
        "4.区、镇两级对专家服务质量考评比例不低于年度执法计划的20%；",
    ],
}

# Which samples carry the XSS probe in a free-text field.
WITH_XSS = ["registration_form", "notice", "fee_standard", "payout_sheet", "form_document",
            "announcement", "candidate_list"]


@pytest.fixture(scope="module")
def rendered():
    """Every sample rendered once; render_pdf itself fails on any xhtml2pdf warning."""
    return {name: render_pdf(f"{name}.html", make()) for name, make in SAMPLES.items()}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_renders_a_pdf_with_its_key_phrases(rendered, pdf_text, name):
    pdf = rendered[name]
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, compact=True)
    missing = [phrase for phrase in KEY_PHRASES[name] if phrase.replace(" ", "") not in text]
    assert not missing, f"{name} lacks {missing}"
    assert "None" not in text


@pytest.mark.parametrize("name", sorted(ATTACHMENT_WORDING))
def test_prints_the_attachment_word_for_word(rendered, pdf_text, name):
    text = pdf_text(rendered[name], layout=False, compact=True)
    missing = [sentence for sentence in ATTACHMENT_WORDING[name] if sentence not in text]
    assert not missing, f"{name} lacks {missing}"


@pytest.mark.parametrize("name", WITH_XSS)
def test_markup_in_data_prints_as_literal_text(rendered, pdf_text, name):
    assert XSS in pdf_text(rendered[name], layout=False, compact=True)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_chinese_font_is_embedded(rendered, pdf_file, name):
    fonts = subprocess.run(
        ["pdffonts", str(pdf_file(rendered[name]))], check=True, capture_output=True, text=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYiMicroHei" in line]
    assert cjk, fonts
    assert all(" yes yes yes " in line for line in cjk), fonts  # embedded, subset, unicode map


@pytest.mark.parametrize(
    ("name", "pages", "landscape"),
    [
        ("commitment_letter", 1, False),
        ("registration_form", 2, False),  # the form, then 填表说明
        ("notice", 1, False),  # the 回执 is on the same sheet, below the cut line
        ("fee_standard", 1, False),
        ("payout_sheet", 1, True),
        ("form_document", 1, False),
        ("announcement", 1, False),
        ("candidate_list", 1, True),
    ],
)
def test_page_count_and_orientation(rendered, name, pages, landscape):
    reader = PdfReader(io.BytesIO(rendered[name]))
    assert len(reader.pages) == pages
    box = reader.pages[0].mediabox
    assert (float(box.width) > float(box.height)) == landscape
    assert sorted((round(float(box.width)), round(float(box.height)))) == [595, 842]  # A4


def test_no_line_starts_with_chinese_punctuation(rendered, pdf_text):
    for name in ("commitment_letter", "notice"):
        for line in pdf_text(rendered[name]).splitlines():
            assert not line.strip().startswith(("，", "。", "、", "；", "：", "！", "）")), (name, line)


def test_blank_evaluation_form_shows_both_variants(pdf_text):
    pdf = render_pdf("form_document.html", form_document_blank())
    text = pdf_text(pdf, layout=False, compact=True)
    # The two variant titles wrap inside their narrow cells; their first lines:
    assert "配合区、镇" in text
    assert "对企业开展" in text
    assert "积极承担社会责任，服务企业满意度高（5分）" in text
    assert "不要求服务单位安排车辆接送（5分）" in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2


def test_filled_evaluation_form_shows_only_its_variant(rendered, pdf_text):
    text = pdf_text(rendered["form_document"], compact=True)
    assert "不要求服务单位安排车辆接送（5分）" in text
    assert "积极承担社会责任" not in text


def test_blank_registration_form_has_placeholders(pdf_text):
    text = pdf_text(render_pdf("registration_form.html", {"expert": {}}), compact=True)
    assert "粘贴一寸彩色照片" in text
    assert "☐在岗" in text and "☐退休" in text
    assert "[编号：]" in text


def test_blank_commitment_letter_has_a_date_line(pdf_text):
    text = pdf_text(render_pdf("commitment_letter.html", {}), compact=True)
    assert "承诺人：年月日" in text


def test_long_payout_sheet_repeats_its_header_and_numbers_pages(pdf_text):
    context = SAMPLES["payout_sheet"]()
    context["rows"] = context["rows"] * 15
    pdf = render_pdf("payout_sheet.html", context)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 1
    text = pdf_text(pdf, compact=True)
    assert text.count("领款人签字") == pages
    assert f"第{pages}页，共{pages}页" in text


def test_a_character_no_font_can_draw_fails_loudly():
    context = SAMPLES["commitment_letter"]()
    context["expert_name"] = "刘\u4dae"  # 䶮, a rare given-name character (CJK Ext. A)
    with pytest.raises(PrintRenderError) as excinfo:
        render_pdf("commitment_letter.html", context)
    assert "U+4DAE" in str(excinfo.value)


def test_a_missing_font_file_fails_loudly(monkeypatch):
    from printables import rendering

    monkeypatch.setattr(rendering, "CJK_FONT_PATH", rendering.Path("/nonexistent/font.ttc"))
    with pytest.raises(PrintRenderError, match="font file missing"):
        render_pdf("commitment_letter.html", SAMPLES["commitment_letter"]())
