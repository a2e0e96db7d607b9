"""Sample contexts for every printed document, shaped as services build them.

Shared by the tests and by whoever wants to look at a PDF by hand:
``PYTHONPATH=. .venv/bin/python -c "..."`` with ``SAMPLES[name]()``.
Each free-text field somewhere carries ``XSS`` to prove it prints as text.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from PIL import Image, ImageDraw

XSS = "<script>alert(1)</script>"
VERIFY_URL = "https://yjglj.wj.gov.cn/verify/pX7kQ2mN9vR4tY8wZ1aB3cD5eF6gH0jL"
RECEIPT_URL = "https://yjglj.wj.gov.cn/receipt/r8Hk2LmQ9xT4vW7zA1bC3dE5fG6hJ0kN"


def sample_photo(color: str = "#3b6ea5", size: tuple[int, int] = (413, 579)) -> bytes:
    """A JPEG the shape of an 一寸 photo: a plain head-and-shoulders outline."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.3, h * 0.18, w * 0.7, h * 0.55), fill="#f1d3b8")
    draw.ellipse((w * 0.12, h * 0.6, w * 0.88, h * 1.25), fill="#222222")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def commitment_letter() -> dict:
    return {"expert_name": "刘大地", "signed_on": date(2026, 3, 5)}


def registration_form() -> dict:
    return {
        "serial_no": "WJZJ-2026-0017",
        "expert": {
            "name": "刘大地",
            "gender": "男",
            "birth_date": date(1972, 8, 15),
            "ethnicity": "汉族",
            "party": "中共党员",
            "birthplace": "江苏常州",
            "photo": sample_photo(),
            "employer": "江苏常州武进钢铁集团有限公司",
            "supervisor": "常州市武进区工业和信息化局",
            "position": "安全环保部副部长",
            "title": "高级工程师",
            "school": "东北大学",
            "education": "大学本科",
            "full_time": True,
            "profession": "钢铁冶金安全管理",
            "specialty": "冶金煤气、有限空间作业安全",
            "registered_safety_engineer": True,
            "registered_safety_assessor": False,
            "id_number": "32048319720815001X",
            "on_duty": True,
            "address": "常州市武进区湖塘镇延政中路8号",
            "wechat": "liudadi_wj",
            "work_phone": "0519-86310001",
            "home_phone": "0519-86310002",
            "mobile": "13900000000",
            "email": "liudadi@example.com",
            "qq": "469734441",
            "groups": ["冶金煤气", "金属冶炼", "有限空间"],
            "work_history": [
                {"period": "1995.07-2003.06", "employer": "常州钢铁厂", "department": "炼铁分厂",
                 "position": "技术员", "title": "助理工程师"},
                {"period": "2003.07-2012.12", "employer": "江苏常州武进钢铁集团有限公司",
                 "department": "安全环保部", "position": "主管", "title": "工程师"},
                {"period": "2013.01-至今", "employer": "江苏常州武进钢铁集团有限公司",
                 "department": "安全环保部", "position": "副部长", "title": "高级工程师"},
            ],
            "achievements": "主持完成高炉煤气系统安全改造项目，参与编制企业有限空间作业安全管理规定。\n"
                            "多次参加区级冶金煤气专项检查，累计排查隐患300余项。" + XSS,
            "awards": "2019年度常州市安全生产先进个人",
            "self_opinion": "本人自愿申请加入武进区安全生产专家库，服从管理。",
            "recommender_opinion": "同意推荐。",
            "recommender_contact": "王小明",
            "recommender_phone": "0519-86310003",
            "review_opinion": "",
        },
    }


def notice() -> dict:
    return {
        "enterprise_name": "常州市武进区某某化工有限公司" + XSS,
        "issued_on": date(2026, 4, 8),
        "receipt_url": RECEIPT_URL,
        "receipt_no": "HZ-2026-000123",
    }


def fee_standard() -> dict:
    return {
        "rows": [
            {"category": "执法检查", "unit": "一天", "amount": Decimal("1000"), "remark": ""},
            {"category": "事故调查", "unit": "一次", "amount": Decimal("1000"), "remark": ""},
            {"category": "应急处置", "unit": "一起", "amount": Decimal("1000"), "remark": "夜间、节假日1500"},
            {"category": "其他", "unit": "", "amount": None, "remark": "另行确定" + XSS},
        ],
        "effective_from": date(2026, 1, 1),
    }


def payout_sheet() -> dict:
    rows = []
    people = [
        ("刘大地", "320483********001X", "江苏常州武进钢铁集团有限公司", 3, "3000.00", "440.00"),
        ("张卫国", "320411********0036", "常州大学", 1, "1000.00", "40.00"),
        ("陈静", "320483********0024", "常州市武进区某某安全技术服务有限公司" + XSS, 2, "2500.00", "340.00"),
        ("欧阳晓东", "320402********0051", "中国石化集团金陵石油化工有限责任公司常州分公司", 5, "5500.00", "880.00"),
    ]
    for name, id_no, employer, count, gross, tax in people:
        gross, tax = Decimal(gross), Decimal(tax)
        rows.append({"name": name, "id_number": id_no, "employer": employer,
                     "service_count": count, "gross": gross, "tax": tax, "net": gross - tax})
    totals = {
        "service_count": sum(r["service_count"] for r in rows),
        "gross": sum((r["gross"] for r in rows), Decimal(0)),
        "tax": sum((r["tax"] for r in rows), Decimal(0)),
        "net": sum((r["net"] for r in rows), Decimal(0)),
    }
    return {
        "year": 2026, "quarter": 3, "batch_no": "FF-2026Q3-01", "state": "已审核",
        "rows": rows, "totals": totals, "prepared_on": date(2026, 9, 28),
        "prepared_by": "周焱", "reviewed_by": "", "approved_by": "",
    }


def _annex5(variant: str | None = "A", notes: dict | None = None):
    """附件5 version 1 and (unless ``variant`` is None) a filled sheet, as unsaved records: the
    print layout reads them without a database."""
    import datetime as dt

    from app.services.forms.builtin import annex5_spec
    from models import Expert, FormAnswer, FormDefinition, FormField, FormSection, FormSubmission, FormVersion

    spec = annex5_spec()
    version = FormVersion(id=1, number=1, state="published", title=spec["title"], instructions=spec["instructions"],
                          total_max=spec["total_max"], total_label="总分")
    version.form = FormDefinition(id=1, code="annex5", title=spec["title"], purpose="expert")
    n = 0
    for i, s in enumerate(spec["sections"], start=1):
        section = FormSection(id=i, position=i, key=s["key"], title=s["title"], points=s.get("points"),
                              choice_group=s.get("choice_group"))
        for j, f in enumerate(s["fields"], start=1):
            n += 1
            section.fields.append(FormField(id=n, position=j, **{"no_future": False, **f}))
        version.sections.append(section)
    if variant is None:
        return version, None
    fields = {f.key: f for f in version.fields}
    scores = {
        f.key: f.max_value for f in version.fields if f.kind == "score" and f.section.key in ("required", variant)
    }
    scores.update(R2=8, A1=3)
    texts = {"enterprise_name": "常州市武进区某某化工有限公司", "matter": "2026年第二季度危险化学品企业执法检查",
             "evaluator_name": "李执法、王检查", "evaluated_on": "2026-05-20",
             "suggestions": "专家工作认真负责，建议加强对新版国家标准的学习。"}
    sub = FormSubmission(id=1, total=sum(scores.values()), choices={"考评对象": variant}, is_paper=False,
                         submitted_at=dt.datetime(2026, 5, 21, 2, 0, tzinfo=dt.UTC))
    sub.version, sub.expert = version, Expert(name="刘大地")
    for key, text in texts.items():
        sub.answers.append(FormAnswer(field=fields[key], text=text))
    for key, score in scores.items():
        sub.answers.append(FormAnswer(field=fields[key], number=score, note=(notes or {}).get(key)))
    return version, sub


def form_document() -> dict:
    """附件5 filled, through the layout every form prints with (app.services.forms.documents)."""
    from app.services.forms.documents import print_context

    version, sub = _annex5("A", {"R2": "对反应釜联锁缺陷分析不够深入", "A1": "迟到约20分钟" + XSS})
    return print_context(version, sub)


def form_document_blank() -> dict:
    from app.services.forms.documents import print_context

    return print_context(_annex5(None)[0])


def permit() -> dict:
    return {
        "permit": {
            "name": "刘大地",
            "photo": sample_photo(),
            "groups": ["冶金煤气", "金属冶炼", "有限空间"],
            "permit_no": "WJAQZJ-2026-0017",
            "valid_from": date(2026, 1, 1),
            "valid_until": date(2028, 12, 31),
            "verify_url": VERIFY_URL,
        },
    }


def permit_sheet() -> dict:
    names = ["刘大地", "张卫国", "陈静", "欧阳晓东", "王芳", "赵建军", "孙丽", "周明"]
    permits = []
    for i, name in enumerate(names, start=1):
        permits.append({
            "name": name,
            "photo": sample_photo("#b03a3a") if i % 3 else None,
            "groups": ["化工", "有限空间"] if i % 2 else ["机械"],
            "permit_no": f"WJAQZJ-2026-{i:04d}",
            "valid_from": date(2026, 1, 1),
            "valid_until": date(2028, 12, 31),
            "verify_url": f"{VERIFY_URL[:-4]}{i:04d}",
        })
    return {"permits": permits}


def announcement() -> dict:
    return {
        "title": "武进区应急管理局关于公布第三届武进区安全生产专家名单的公告",
        "doc_no": "武应急〔2026〕12号",
        "body": [
            "根据《武进区安全生产专家管理办法》，经单位推荐、本人自荐、资格初审、综合素质测试，"
            "并经局长办公会议审定，决定聘任刘大地等4名同志为第三届武进区安全生产专家，聘期三年。",
            "现将名单予以公告。" + XSS,
        ],
        "experts": [
            {
                "name": "刘大地",
                "groups": ["冶金煤气", "金属冶炼", "有限空间"],
                "employer": "江苏常州武进钢铁集团有限公司",
            },
            {"name": "张卫国", "groups": ["机械"], "employer": "常州大学"},
            {"name": "陈静", "groups": ["化工"], "employer": "常州市武进区某某安全技术服务有限公司"},
            {
                "name": "欧阳晓东",
                "groups": ["化工", "烟花爆竹"],
                "employer": "中国石化集团金陵石油化工有限责任公司常州分公司",
            },
        ],
        "closing": ["特此公告。"],
        "issuer": "武进区应急管理局",
        "issued_on": date(2026, 1, 10),
    }


def candidate_list() -> dict:
    return {
        "title": "第三届武进区安全生产专家拟聘名单",
        "note": "经安全生产基础科初审、综合素质测试，以下人员符合《武进区安全生产专家管理办法》第十一条聘任条件，"
                "提请局长办公会议审定。",
        "candidates": [
            {"name": "刘大地", "gender": "男", "employer": "江苏常州武进钢铁集团有限公司", "title": "高级工程师",
             "education": "大学本科", "groups": ["冶金煤气", "金属冶炼", "有限空间"], "test_score": Decimal("92.5")},
            {"name": "张卫国", "gender": "男", "employer": "常州大学", "title": "教授", "education": "博士研究生",
             "groups": ["机械"], "test_score": 88},
            {"name": "陈静", "gender": "女", "employer": "常州市武进区某某安全技术服务有限公司" + XSS,
             "title": "注册安全工程师", "education": "大专", "groups": ["化工"], "test_score": 81},
        ],
        "prepared_by": "武进区应急管理局安全生产基础科",
        "prepared_on": date(2026, 1, 5),
    }


SAMPLES = {
    "commitment_letter": commitment_letter,
    "registration_form": registration_form,
    "notice": notice,
    "fee_standard": fee_standard,
    "payout_sheet": payout_sheet,
    "form_document": form_document,
    "permit": permit,
    "permit_sheet": permit_sheet,
    "announcement": announcement,
    "candidate_list": candidate_list,
}
