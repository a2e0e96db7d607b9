"""The audit log read as a person would write it (SPEC §2 操作日志; display only).

The stored entries stay as they are (table, row id, a summary, each column's old → new value;
``app.services.audit`` writes them into a hash chain): this module
turns one into words — the entity's Chinese name and the record's name, the fields' labels,
old → new values as users know them (codes as their labels, instants in Beijing time,
references by the name of the record they point to), and a login or a failed login as such
rather than a change of the user account.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app import clock
from app.extensions import db
from app.services.audit.events import ACTION_LABELS, EVENT_KINDS
from models import choices

#: Every table's Chinese name (a test checks that each table of the schema has one).
ENTITIES: dict[str, str] = {
    "org_unit": "单位", "user": "用户账号", "expert_group": "专家组别", "expert": "专家",
    "expert_group_link": "专家组别",
    "work_history": "主要工作经历", "expert_document": "证明材料", "enterprise": "服务单位",
    "conflict_of_interest": "回避关系", "application": "申请", "review_step": "评审记录", "term": "聘期",
    "commitment_letter": "承诺书", "permit": "专家工作证", "verify_scan": "扫码核验", "dismissal": "解聘",
    "announcement": "公告", "announcement_entry": "公告名单", "status_event": "专家履历事件",
    "usage_request": "使用申请", "request_group_link": "使用申请组别", "request_enterprise_link": "使用申请企业",
    "draw": "随机抽取", "assignment": "选派记录", "notice": "告知书", "opinion": "专家意见建议",
    "service_record": "服务记录", "fee_standard": "费用标准", "holiday": "节假日", "calendar_year": "节假日年度",
    "payout_batch": "季度发放批次", "payout_line": "发放明细", "form_definition": "表单",
    "form_version": "表单版本", "form_section": "表单分部", "form_field": "表单题目", "form_submission": "表单填报",
    "form_answer": "填报内容", "evaluation": "评价记录", "enforcement_plan": "年度执法计划",
    "follow_up": "回访测评", "violation": "违规处理", "interview": "约谈记录", "annual_assessment": "年度考核",
    "complaint": "投诉举报", "expert_field_value": "专家扩展字段内容", "audit_log": "操作日志", "setting": "参数设置",
    "backup_run": "数据备份", "audit_chain_head": "日志链头", "login_throttle": "登录限制",
    # Tables of the 附件5 form before the form engine (migration 0016): older entries still name them.
    "eval_form": "评价表版本", "eval_item": "评价项目", "eval_score": "评价得分",
}

#: Labels of columns that mean the same in every table.
COMMON_FIELDS: dict[str, str] = {
    "name": "名称", "expert_id": "专家", "enterprise_id": "企业", "unit_id": "单位", "org_unit_id": "所属单位",
    "request_id": "使用申请", "application_id": "申请", "term_id": "聘期", "permit_id": "工作证",
    "form_id": "评价表版本", "id_number_bidx": "身份证号检索索引", "mobile_bidx": "手机号检索索引",
    "evaluation_id": "评价记录", "announcement_id": "公告", "violation_id": "违规记录", "assessment_id": "年度考核",
    "batch_id": "发放批次", "draw_id": "抽取记录", "group_id": "专家组别", "item_id": "评价项目",
    "assignment_id": "选派记录", "payout_line_id": "发放明细", "town_id": "所在镇（街道）",
    "created_by_id": "创建人", "actor_id": "办理人", "decided_by_id": "审批人", "proposed_by_id": "提出人",
    "approved_by_id": "批准人", "verified_by_id": "核实人", "reviewed_by_id": "审核人", "uploaded_by_id": "上传人",
    "drawn_by_id": "抽取人", "responded_by_id": "答复登记人", "evaluator_id": "考评人员", "interviewer_id": "约谈人",
    "age_override_by_id": "年龄特批人", "recommending_unit_id": "推荐单位", "user_id": "操作人",
    "state": "状态", "note": "备注", "reason": "理由", "at": "时间", "token": "核验令牌", "photo_path": "照片",
    "photo_thumb_path": "照片缩略图", "file_path": "文件", "scan_path": "回执扫描件", "position": "序号",
    "position_no": "序号", "period": "起止年月", "employer": "单位", "department": "部门", "title": "职称",
    "year": "年度", "quarter": "季度", "code": "代码", "sort_order": "排序",
}

#: Labels of columns that only some tables have, or that mean something else there.
TABLE_FIELDS: dict[str, dict[str, str]] = {
    "user": {"password_hash": "密码", "failed_logins": "连续登录失败次数", "locked_until": "锁定至",
             "session_epoch": "会话版本", "totp_secret": "两步验证密钥", "totp_last_step": "两步验证时间步",
             "last_login_at": "最近登录", "username": "用户名", "full_name": "姓名", "role": "角色",
             "phone": "手机", "active": "启用"},
    "review_step": {"from_state": "原状态", "to_state": "新状态", "opinion": "意见"},
    "application": {"direct_proposed_at": "提请直接聘任时间", "direct_proposal": "提请直接聘任理由"},
    "payout_batch": {"sequence": "批次", "paid_at": "发放时间"},
    "payout_line": {"pay_month": "发放月份", "service_count": "服务次数", "gross": "应发金额", "tax": "代扣个人所得税",
                    "net": "实发金额", "is_adjustment": "调整", "adjusts_line_id": "调整的明细"},
    "status_event": {"event": "事件"},
    "announcement_entry": {"groups": "专家组别", "remark": "备注"},
    "draw": {"drawn_at": "抽取时间", "seed": "随机种子", "conditions": "抽取条件", "eligible_ids": "符合条件的专家",
             "chosen_ids": "抽中的专家", "backup_ids": "候补专家", "voided_at": "作废时间", "void_reason": "作废原因"},
    "audit_chain_head": {"last_id": "最后一条的编号", "last_hash": "最后一条的哈希", "seal": "链头签名"},
    "login_throttle": {"key": "限制对象", "failures": "失败次数", "window_start": "计数开始", "locked_until": "锁定至"},
    "form_definition": {"purpose": "用途", "fill_roles": "填写角色", "fill_unit_ids": "填写单位", "public": "公开填写",
                        "public_token": "公开链接令牌", "retired_at": "停用时间"},
    "form_version": {"number": "版本号", "intro": "表头说明", "instructions": "填表说明", "total_max": "满分",
                     "total_label": "合计名称", "published_at": "发布时间", "published_by_id": "发布人"},
    "form_section": {"version_id": "表单版本", "key": "分部代码", "help": "说明", "points": "分值",
                     "choice_group": "二选一组"},
    "eval_item": {"section": "部分", "text": "内容", "max_score": "满分"},
    "eval_score": {"score": "得分", "problem": "发现问题"},
    "form_field": {"section_id": "所属分部", "key": "题目代码", "label": "题目", "kind": "题型", "help": "填写说明",
                   "required": "必填", "max_length": "最多字数", "min_value": "最小值", "max_value": "最大值（满分）",
                   "options": "选项", "note_label": "附注名称", "no_future": "不得晚于当天",
                   "public_field": "网上自荐公开", "personal": "个人信息"},
    "expert_field_value": {"expert_id": "专家", "field_key": "字段代码", "value": "内容",
                           "sealed": "内容（个人信息，加密存储）"},
    "form_submission": {"client_uuid": "提交编号", "version_id": "表单版本", "notice_id": "告知书",
                        "submitted_by_id": "填报人", "choices": "所选部分"},
    "form_answer": {"submission_id": "表单填报", "field_id": "题目", "text": "文字", "number": "数值",
                    "signed_by": "签名人", "signed_at": "签名时间"},
    "evaluation": {"client_uuid": "提交编号", "submission_id": "表单填报", "version_id": "评价表版本"},
    "expert": {"stage": "阶段"},
    "complaint": {"followup_id": "企业回访"},
    "usage_request": {"paperwork_done_at": "补办手续时间"},
    "violation": {"sanction_start": "处理开始日期", "sanction_end": "处理结束日期"},
    "verify_scan": {"ip_hash": "来源（摘要）", "status": "核验结果"},
    "backup_run": {"ok": "成功", "path": "备份文件", "size_bytes": "大小（字节）", "seconds": "用时（秒）",
                   "host": "主机", "message": "说明"},
    "audit_log": {"client_addr": "来源地址"},
}

#: Codes shown by their labels: column → choices (the same column means the same everywhere).
CHOICES: dict[str, dict] = {
    "role": choices.ROLES, "kind": {**choices.ORG_KINDS, **choices.DOCUMENT_KINDS, **choices.ANNOUNCEMENT_KINDS},
    "gender": choices.GENDERS, "education": choices.EDUCATION_LEVELS, "title_level": choices.TITLE_LEVELS,
    "source": {**choices.EXPERT_SOURCES, **choices.CONFLICT_SOURCES}, "upper_pool_level": choices.UPPER_POOL_LEVELS,
    "stage": choices.EXPERT_STAGES, "channel": choices.APPLICATION_CHANNELS, "relation": choices.CONFLICT_RELATIONS,
    "activity_type": choices.ACTIVITY_TYPES, "activity": choices.ACTIVITY_TYPES,
    "emergency_reason": choices.EMERGENCY_REASONS, "method": choices.SELECTION_METHODS,
    "response": choices.RESPONSES, "receipt_state": choices.RECEIPT_STATES, "receipt_method": choices.RECEIPT_METHODS,
    "payer": choices.PAYERS, "variant": choices.EVAL_VARIANTS, "sanction": choices.SANCTIONS,
    "origin": choices.DISMISSAL_ORIGINS, "grade": choices.ASSESSMENT_GRADES, "outcome": choices.INTERVIEW_OUTCOMES,
    "from_state": choices.APPLICATION_STATES, "to_state": choices.APPLICATION_STATES,
}
#: ``state`` means something else in each table.
STATES: dict[str, dict] = {
    "application": choices.APPLICATION_STATES, "usage_request": choices.REQUEST_STATES,
    "payout_batch": choices.PAYOUT_STATES, "violation": choices.VIOLATION_STATES,
    "dismissal": choices.DISMISSAL_STATES, "complaint": choices.COMPLAINT_STATES,
}
REASONS: dict[str, dict] = {"dismissal": choices.DISMISSAL_REASONS}

#: A change of the user account that only these columns make is a login (or a failed one).
LOGIN_COLUMNS = frozenset({"last_login_at", "failed_logins", "locked_until", "totp_last_step"})
#: Every action's label, record changes and events alike (logins, exports, backups…).
ACTIONS = ACTION_LABELS
_REPR = re.compile(r"^<\w+ .*>$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
EMPTY = "（空）"


def entity_label(table: str) -> str:
    return ENTITIES.get(table, table)


def field_label(table: str, column: str, view_labels: dict[str, str] | None = None) -> str:
    """The Chinese label of ``column``: the table's own, the admin view's, or the common one."""
    own = TABLE_FIELDS.get(table, {}).get(column)
    if own:
        return own
    if view_labels and column in view_labels:
        return str(view_labels[column])
    return COMMON_FIELDS.get(column, column)


def action_label(entry) -> str:
    """新建 / 修改 / 删除, or 登录 / 登录失败 / 登录失败（账号暂时锁定） for a login."""
    if entry.action in EVENT_KINDS:
        return ACTION_LABELS[entry.action]
    changes = entry.changes or {}
    if entry.table_name == "user" and entry.action == "update" and changes and set(changes) <= LOGIN_COLUMNS:
        if "last_login_at" in changes:
            return "登录"
        locked = changes.get("locked_until")
        if locked and locked[1]:
            return "登录失败（账号暂时锁定）"
        return "登录失败" if "failed_logins" in changes else "登录"
    return ACTIONS.get(entry.action, entry.action)


def is_login(entry) -> bool:
    """A login or failed login, whether an event of the trail or (older entries) an update of
    the account's login columns."""
    return action_label(entry).startswith("登录")


def is_event(entry) -> bool:
    """An event that changes no record (login, export, backup…): its details are label → value."""
    return entry.action in EVENT_KINDS


def _models() -> dict[str, type]:
    return {m.local_table.name: m.class_ for m in db.Model.registry.mappers}


def _own_str(model: type) -> bool:
    return "__str__" in {k for klass in model.__mro__[:-1] for k in vars(klass)} and model.__str__ is not object.__str__


def row_name(table: str, row_id) -> str | None:
    """The name of the record ``table``/``row_id`` as it is now (None if gone or nameless)."""
    model = _models().get(table)
    if model is None or row_id is None:
        return None
    row = db.session.get(model, row_id)
    if row is None:
        return None
    return _name_of(row)


#: Records named after the record they belong to: (relation, what this one is of it).
PARENTS = (("evaluation", "的评价"), ("application", "的申请"), ("request", ""), ("batch", ""), ("announcement", ""))


def _name_of(row) -> str | None:
    if _own_str(type(row)):
        text = str(row)
        if text and not _REPR.match(text):
            return text
    expert = getattr(row, "expert", None)
    for relation, suffix in PARENTS:
        parent = getattr(row, relation, None)
        name = _name_of(parent) if parent is not None else None
        if name:
            item = getattr(row, "item", None)
            if item is not None and item.text:
                return f"{name}{suffix}：{_short(item.text)}"
            if expert is not None and expert.name and expert.name not in name:
                return f"{name}{suffix} · {expert.name}"
            return f"{name}{suffix}"
    if expert is not None and getattr(expert, "name", None):
        return expert.name
    for attr in ("name", "title", "request_no", "notice_no", "complaint_no", "permit_no", "text"):
        value = getattr(row, attr, None)
        if value:
            return _short(str(value))
    return None


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def record_label(entry) -> str:
    """The record's name: the stored summary when it is one, else the row's name now, else from
    the stored values, else 编号N."""
    summary = entry.summary or ""
    if summary and not _REPR.match(summary):
        return summary
    name = row_name(entry.table_name, entry.row_id)
    if name:
        return name
    changes = entry.changes or {}
    for column in ("name", "title", "full_name", "username"):
        pair = changes.get(column)
        if pair and (pair[1] or pair[0]):
            return str(pair[1] or pair[0])
    if "expert_id" in changes:
        pair = changes["expert_id"]
        expert = row_name("expert", pair[1] or pair[0])
        if expert:
            return expert
    return f"编号{entry.row_id}" if entry.row_id is not None else ""


def value_text(table: str, column: str, value, resolve: bool = True) -> str:
    """A stored value as users know it."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    mapping = (STATES.get(table) if column == "state" else REASONS.get(table) if column == "reason"
               else CHOICES.get(column))
    if mapping and value in mapping:
        return str(mapping[value])
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None and column not in ("started_at",):  # stored instants are UTC
            moment = moment.replace(tzinfo=dt.UTC)
        return clock.format_time(moment, seconds=True) if moment.tzinfo else f"{moment:%Y-%m-%d %H:%M}"
    if resolve and column.endswith("_id") and isinstance(value, int):
        target = _reference_table(table, column)
        name = row_name(target, value) if target else None
        if name:
            return f"{name}（编号{value}）"
    return str(value)


def _reference_table(table: str, column: str) -> str | None:
    model = _models().get(table)
    if model is None or column not in model.__table__.c:
        return None
    for fk in model.__table__.c[column].foreign_keys:
        return fk.column.table.name
    return None


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def field_changes(entry, view_labels: dict[str, str] | None = None, resolve: bool = True) -> list[FieldChange]:
    """Each stored field of ``entry`` with its label and old → new values in words."""
    table = entry.table_name
    return [FieldChange(field_label(table, column, view_labels), value_text(table, column, pair[0], resolve),
                        value_text(table, column, pair[1], resolve))
            for column, pair in (entry.changes or {}).items()]


def headline(entry, view_labels: dict[str, str] | None = None) -> str:
    """One line for the list: 修改 专家“张三”：手机、状态 — or 登录 for a login."""
    action = action_label(entry)
    if action.startswith("登录"):
        return action
    labels = [field_label(entry.table_name, c, view_labels) for c in (entry.changes or {})]
    shown = "、".join(labels[:5]) + (f"等{len(labels)}项" if len(labels) > 5 else "")
    return f"{action}{entity_label(entry.table_name)}“{record_label(entry)}”" + (f"：{shown}" if shown else "")
