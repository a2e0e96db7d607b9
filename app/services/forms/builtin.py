"""The forms the software itself relies on, as version 1 of a form definition (SPEC §3.19).

- ``annex5`` — 《武进区安全生产专家服务情况评价表》 (附件5) word for word: the header (企业名称,
  考评事项, 考评人员 with the 考评人员（签字） signature, 考评时间), the 7 必填项 worth 50
  (5,10,10,10,5,5,5), two alternatives "根据考评对象二选一" of 50 each — A 配合区、镇开展安全生产
  工作情况考评 (5,5,10,5,5,5,10,5) and B 对企业开展业务服务质量考评 (5,5,10,10,5,5,5,5) — each
  item with its 发现问题, 意见和建议 and the 填表说明; total 100. The expert (专家姓名) is the
  submission's subject. Filled by 科室、大队、镇街 and 基础科 (第二十二条).
- ``followup`` — 企业回访 (issue 17): after the job the enterprise rates punctuality and
  professionalism, says whether a fee or favour was asked, and may add words and a contact; on
  the receipt page, once per notice (:mod:`app.services.discipline.followups`).
- ``registry`` — the expert's extra registry fields the office adds (not created here: its
  first version is published with its first field, :mod:`app.services.lifecycle.extra_fields`).
- ``receipt`` — the 告知书回执 (附件3): 签收人 and the signer's signature, filled by the
  enterprise on ``/receipt/<token>`` (public, attached to the notice).

The office may revise both in the builder (a new version); the fields the code reads keep
their keys (:data:`~app.services.forms.definitions.SYSTEM_FIELDS`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.services.forms.definitions import add_version
from models import FormDefinition
from printables.eval_form_v1 import EVALUATION_FORM_V1

ANNEX5 = "annex5"
RECEIPT = "receipt"
FOLLOWUP = "followup"
REGISTRY = "registry"
SCORING_ROLES = ["office", "department", "town"]


def _score_fields(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": item["key"], "label": item["text"], "kind": "score", "max_value": item["max"],
             "required": True, "note_label": "发现问题"} for item in items]


def annex5_spec() -> dict[str, Any]:
    """附件5 as version 1, from :data:`printables.eval_form_v1.EVALUATION_FORM_V1`."""
    data = EVALUATION_FORM_V1
    header = [
        {"key": "enterprise_name", "label": "企业名称", "kind": "text", "max_length": 200, "required": True},
        {"key": "matter", "label": "考评事项", "kind": "text", "max_length": 200, "required": True,
         "help": "如：执法检查、隐患排查"},
        {"key": "evaluator_name", "label": "考评人员", "kind": "text", "max_length": 50, "required": True},
        {"key": "evaluator_signature", "label": "考评人员（签字）", "kind": "signature", "required": False,
         "help": "用手指在框内签名"},
        {"key": "evaluated_on", "label": "考评时间", "kind": "date", "required": True, "no_future": True,
         "help": "填写检查当日日期"},
    ]
    variants = data["variants"]
    return {
        "title": data["title"],
        "intro": None,
        "instructions": "\n".join(data["instructions"]),
        "total_max": data["total_points"],
        "total_label": "总分",
        "sections": [
            {"key": "header", "title": "基本信息", "fields": header},
            {"key": "required", "title": data["required"]["label"], "points": data["required"]["points"],
             "fields": _score_fields(data["required"]["items"])},
            *[{"key": key, "title": variants[key]["label"], "points": variants[key]["points"],
               "choice_group": "考评对象", "fields": _score_fields(variants[key]["items"])} for key in ("A", "B")],
            {"key": "opinion", "title": "意见和建议", "fields": [
                {"key": "suggestions", "label": "意见和建议", "kind": "textarea", "max_length": 2000,
                 "required": False}]},
        ],
    }


def receipt_spec() -> dict[str, Any]:
    """The 回执 of 附件3: 签收人 and the signature."""
    return {
        "title": "武进区安全生产专家服务告知书回执",
        "intro": "武进区应急管理局：贵局的专家服务告知书我单位已收悉，感谢贵局的热情服务！",
        "instructions": None,
        "total_max": None,
        "total_label": "总分",
        "sections": [{"key": "sign", "title": "签收", "fields": [
            {"key": "signer_name", "label": "签收人", "kind": "text", "max_length": 30, "required": True,
             "help": "签收人姓名"},
            {"key": "signature", "label": "签收人签字", "kind": "signature", "required": True,
             "help": "用手指在框内签名"},
        ]}],
    }


def followup_spec() -> dict[str, Any]:
    """企业回访 (issue 17): the served enterprise rates the job, once, after it is completed."""
    return {
        "title": "武进区安全生产专家服务企业回访表",
        "intro": "感谢贵单位配合专家服务。请如实评价本次服务，我局将严格为贵单位保密，专家本人看不到贵单位的评价内容。",
        "instructions": None,
        "total_max": None,
        "total_label": "总分",
        "sections": [{"key": "rating", "title": "服务评价", "fields": [
            {"key": "punctuality", "label": "专家守时情况", "kind": "score", "max_value": 5, "required": True,
             "help": "0至5分，5分为最好：是否按约定时间到场、按时完成"},
            {"key": "professionalism", "label": "专业水平", "kind": "score", "max_value": 5, "required": True,
             "help": "0至5分，5分为最好：检查是否认真细致、意见是否具体可行"},
            {"key": "fee_asked", "label": "专家是否索要费用、礼品或其他好处，或推销产品、要求委托服务", "kind": "yesno",
             "required": True, "help": "选“是”将转为投诉由我局基础科核查，并为贵单位保密"},
        ]}, {"key": "words", "title": "意见和联系方式", "fields": [
            {"key": "comment", "label": "意见和建议", "kind": "textarea", "max_length": 1000, "required": False},
            {"key": "contact", "label": "联系人及电话（可不填）", "kind": "text", "max_length": 50, "required": False,
             "help": "需要我局回复时填写，仅基础科可见"},
        ]}],
    }


BUILTIN = {
    ANNEX5: {"title": EVALUATION_FORM_V1["title"], "purpose": "expert", "roles": SCORING_ROLES, "public": False,
             "spec": annex5_spec, "note": "附件5原表"},
    RECEIPT: {"title": "告知书回执", "purpose": "notice", "roles": [], "public": True, "spec": receipt_spec,
              "note": "附件3回执"},
    FOLLOWUP: {"title": "企业回访", "purpose": "notice", "roles": [], "public": True, "spec": followup_spec,
               "note": "企业回访第1版"},
}


def ensure_builtin_forms() -> None:
    """Create the software's own forms with version 1 published, where missing (idempotent)."""
    have = set(db.session.scalars(select(FormDefinition.code).where(FormDefinition.code.is_not(None))))
    for code, meta in BUILTIN.items():
        if code in have:
            continue
        form = FormDefinition(code=code, title=meta["title"], purpose=meta["purpose"], fill_roles=list(meta["roles"]),
                              fill_unit_ids=[], public=meta["public"])
        db.session.add(form)
        db.session.flush()
        add_version(form, meta["spec"](), state="published", note=meta["note"])
