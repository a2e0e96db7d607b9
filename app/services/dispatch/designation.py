"""Experts chosen by name instead of by draw (第十四条).

Designating an eligible district expert needs a written reason; experts of 上级库 or 库外
can be added to one job (第十四条) with a reason too, once they are registered (not part
of the district pool, so never in a draw). They must not be dismissed, blacklisted or
suspended, must not conflict with the job's enterprises (第十条(四)) and must be free on
its dates.

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.dispatch.assignments import OPEN_RESPONSES, still_needed, text, touch, written_reason
from app.services.dispatch.candidates import candidates, norm_name
from app.services.dispatch.usage_requests import load_groups
from app.services.errors import DomainError
from app.services.identity import check_id_number, check_mobile, id_birth_date, id_gender
from app.services.status import statuses_for
from models import Assignment, ConflictOfInterest, Expert, UsageRequest
from models.base import blind_match
from models.choices import EDUCATION_LEVELS, UPPER_POOL_LEVELS


def create_external_expert(*, name: str, id_number: str, employer: str, mobile: str, source: str,
                           groups: Iterable = (), title: str | None = None, education: str = "bachelor",
                           upper_pool_level: str | None = None) -> Expert:
    """Register an expert of a 上级库 or from outside the pool for one job (第十四条).

    Gender and birth date come from the 身份证号. The record is not part of the district
    pool (stage 未聘用), so it never enters a draw.
    """
    if source not in ("upper", "outside"):
        raise DomainError("来源须为“上级库”或“库外”。")
    name = text(name)
    if not name:
        raise DomainError("请填写专家姓名。")
    employer = text(employer)
    if not employer:
        raise DomainError("请填写专家的工作单位全称。")
    number = check_id_number(id_number, today=clock.today())
    existing = db.session.scalar(select(Expert).where(blind_match(Expert.id_number, number)))
    if existing is not None:
        raise DomainError(f"身份证号已登记为专家“{existing.name}”（{existing.source_label}），请直接选择该专家。")
    if education not in EDUCATION_LEVELS:
        raise DomainError("请选择学历。")
    if source == "upper":
        if upper_pool_level not in UPPER_POOL_LEVELS:
            raise DomainError("上级库专家须选择级别（国家级、省级或市级）。")
    else:
        upper_pool_level = None
    expert = Expert(
        name=name, id_number=number, gender="male" if id_gender(number) == "男" else "female",
        birth_date=id_birth_date(number), employer=employer, mobile=check_mobile(mobile),
        title=text(title) or None, education=education, source=source, upper_pool_level=upper_pool_level,
        stage="not_appointed",
    )
    expert.groups = load_groups(groups) if groups else []
    db.session.add(expert)
    db.session.flush()
    return expert


def designate(req: UsageRequest, expert: Expert, reason: str, actor=None) -> Assignment:
    """Choose an eligible expert by name instead of by draw; a written reason is required."""
    reason = written_reason(reason, "指定专家")
    if req.state in ("completed", "cancelled"):
        raise DomainError(f"该申请{req.state_label}，不能指定专家。")
    if expert is None:
        raise DomainError("请选择要指定的专家。")
    if still_needed(req) <= 0:
        raise DomainError("本次任务所需专家已经选定，不能再指定。")
    cands = candidates(req)
    if expert.id not in {e.id for e in cands.eligible}:
        why = cands.reasons_for(expert.id) or "不是区库在库专家"
        raise DomainError(f"{expert.name}不能被指定：{why}。")
    rank = max([a.rank for a in req.assignments] + [0]) + 1
    assignment = Assignment(expert=expert, method="designated", designation_reason=reason, rank=rank,
                            is_backup=False, response="pending")
    req.assignments.append(assignment)
    req.state = "dispatched"
    touch(req)
    db.session.flush()
    return assignment


def add_external_expert(req: UsageRequest, expert: Expert, reason: str, actor=None) -> Assignment:
    """Add an expert of a 上级库 or from outside the pool to this one job (第十四条).

    He must not be dismissed, blacklisted or suspended, must not conflict with the job's
    enterprises and must be free on its dates.
    """
    reason = written_reason(reason, "添加上级库或库外专家")
    if req.state in ("completed", "cancelled"):
        raise DomainError(f"该申请{req.state_label}，不能添加专家。")
    if expert is None:
        raise DomainError("请选择上级库或库外专家。")
    if expert.source not in ("upper", "outside"):
        raise DomainError("区库专家请通过随机抽取或指定选派；这里只能添加上级库或库外专家（第十四条）。")
    if any(a.expert_id == expert.id for a in req.assignments):
        raise DomainError(f"{expert.name}已在本次任务中。")
    status = statuses_for([expert.id], on=req.start_date).get(expert.id)
    if status is not None and status.code in ("dismissed", "blacklisted", "suspended"):
        raise DomainError(f"{expert.name}不能使用：{status.display}（{'；'.join(status.reasons)}）。")
    for ent in req.enterprises:
        if norm_name(expert.employer) == norm_name(ent.name) or (
            expert.employer_uscc and expert.employer_uscc.upper() == ent.uscc
        ):
            raise DomainError(f"{expert.name}须回避：{ent.name}是其工作单位（第十条(四)）。")
    conflict = db.session.scalar(
        select(ConflictOfInterest).where(ConflictOfInterest.expert_id == expert.id,
                                         ConflictOfInterest.enterprise_id.in_([e.id for e in req.enterprises]))
    )
    if conflict is not None:
        raise DomainError(f"{expert.name}须回避：与{conflict.enterprise.name}存在利害关系——{conflict.relation_label}。")
    busy = db.session.scalar(
        select(UsageRequest.request_no).join(Assignment, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id == expert.id, Assignment.is_backup.is_(False),
               Assignment.response.in_(OPEN_RESPONSES), UsageRequest.id != req.id,
               UsageRequest.state != "cancelled",
               UsageRequest.start_date <= req.end_date, UsageRequest.end_date >= req.start_date)
    )
    if busy:
        raise DomainError(f"{expert.name}在这段时间已有任务{busy}。")
    rank = max([a.rank for a in req.assignments] + [0]) + 1
    method = "upper_pool" if expert.source == "upper" else "outside"
    assignment = Assignment(expert=expert, method=method, designation_reason=reason, rank=rank, is_backup=False,
                            response="pending")
    req.assignments.append(assignment)
    req.state = "dispatched"
    touch(req)
    db.session.flush()
    return assignment
