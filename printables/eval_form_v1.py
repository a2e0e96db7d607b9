"""Version 1 of the 附件5 评价表 (武进区安全生产专家服务情况评价表), as data.

The form is versioned data: the expert office may revise it without code,
and each evaluation keeps the version it was scored on. This module holds
the wording of the regulation's 附件5, word for word, as plain
JSON-compatible values. The app seeds version 1 of the form definition
``annex5`` from it (``app/services/forms/builtin.py``); ``form_document.html``
prints that version, and any later one, like the original.

Shape::

    {
      "version": 1,
      "title": str,
      "total_points": 100,
      "required": section,               # 必填项, 7 items, 50 points
      "choice_label": "根据考评对象二选一",
      "choice_points": 50,
      "variants": {"A": section, "B": section},  # exactly one is scored
      "instructions": [str, ...],        # 填表说明, one string per point
    }
    section = {"key": str, "label": str, "points": int,
               "items": [{"key": str, "no": int, "text": str, "max": int}, ...]}

``text`` is the item without its "（N分）" suffix, which the print layout adds
from ``max``. ``no`` is the printed 序号: both variants are numbered 8–15.
Treat the constant as read-only; ``copy.deepcopy`` it before changing it.
"""

from __future__ import annotations

from typing import Any


def _items(prefix: str, first_no: int, rows: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [
        {"key": f"{prefix}{i}", "no": first_no + i - 1, "text": text, "max": maximum}
        for i, (text, maximum) in enumerate(rows, start=1)
    ]


REQUIRED_ITEMS = _items(
    "R",
    1,
    [
        ("态度诚恳，沟通顺畅", 5),
        ("发现及分析问题、隐患的能力", 10),
        ("专家意见的合理性、具体性、可操作性", 10),
        ("引用法律法规、国标、行标等依据的准确性和先进性", 10),
        ("严格执行保密制度，保守国家秘密以及被服务单位的商业和技术秘密", 5),
        ("不假借应急管理部门名义开展业务", 5),
        ("遵纪守法，廉洁服务，自觉抵制歪风邪气，不“吃拿卡要”", 5),
    ],
)

VARIANT_A_ITEMS = _items(
    "A",
    8,
    [
        ("迟到、早退情况", 5),
        ("工作时佩戴专家工作证，做到持证上岗", 5),
        ("深入现场、积极承担工作任务", 10),
        ("耐心周到回答服务对象咨询问题", 5),
        ("虚心接收服务对象提出的意见建议，避免发生争论", 5),
        ("遵守专家回避制度，对与自己有利害关系的技术服务活动主动报告并回避", 5),
        ("公平公正、客观科学地进行论证、评审、咨询，并对其负责", 10),
        ("不要求服务单位安排车辆接送", 5),
    ],
)

VARIANT_B_ITEMS = _items(
    "B",
    8,
    [
        ("及时处理企业反馈问题，不推诿、拖延，责任心强", 5),
        ("发现的事故隐患、不安全因素及时复查闭环", 5),
        ("对重点监管的危险化工工艺、高危储存设施进行辨识分析评价", 10),
        ("危险有害因素辨识分析有针对性，准确界定项目的危险有害因素及其风险程度", 10),
        ("制作的应急预案、安全台账等有针对性，不照搬照抄", 5),
        ("不教唆、配合企业实施安全生产违法行为", 5),
        ("不与其他专家、中介机构等串通作假", 5),
        ("积极承担社会责任，服务企业满意度高", 5),
    ],
)

INSTRUCTIONS = [
    "此表用于考评专家配合区、镇开展检查等工作情况和专家个人或在技术服务机构任职的专家"
    "日常开展的业务服务质量，共计15项100分，请根据实际考评对象如实填写，及时报基础科存档；",
    "考评时间填写检查当日时间；",
    "填写此表时，应结合企业反馈及现场检查结果；",
    "区、镇两级对专家服务质量考评比例不低于年度执法计划的20%；",
    "区、镇两级对专家考评每人次填写一份，请局科室、大队于每月底前将评价表纸质稿报基础科，"
    "各镇、开发区、街道在每季度最后一个月的25日前将评价表电子版发送至基础科。",
]

EVALUATION_FORM_V1: dict[str, Any] = {
    "version": 1,
    "title": "武进区安全生产专家服务情况评价表",
    "total_points": 100,
    "required": {"key": "required", "label": "必填项", "points": 50, "items": REQUIRED_ITEMS},
    "choice_label": "根据考评对象二选一",
    "choice_points": 50,
    "variants": {
        "A": {
            "key": "A",
            "label": "配合区、镇开展安全生产工作情况考评",
            "points": 50,
            "items": VARIANT_A_ITEMS,
        },
        "B": {
            "key": "B",
            "label": "对企业开展业务服务质量考评",
            "points": 50,
            "items": VARIANT_B_ITEMS,
        },
    },
    "instructions": INSTRUCTIONS,
}
