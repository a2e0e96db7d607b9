"""Usage requests (第十五条): asking for experts, changing the conditions, withdrawing.

A 科室、大队 or 镇 asks for experts of some groups, for some enterprises and dates. 督查、
举报核查、应急救援处置 are *emergencies*: experts are drawn at once ("可先行使用") and the
paperwork is due later (:mod:`app.services.dispatch.paperwork`). A request for more experts than
are eligible (:mod:`app.services.dispatch.candidates`) is refused. Changing the groups, dates,
enterprises or headcount after a draw voids it (:func:`app.services.dispatch.draws.void_selection`).
A new enterprise (服务单位) of a request is registered here with its 统一社会信用代码.

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.services.dispatch.assignments import OPEN_RESPONSES, actor_id, text
from app.services.dispatch.candidates import find_candidates, not_enough
from app.services.dispatch.draws import draw, void_selection
from app.services.dispatch.notices import withdraw_notices
from app.services.dispatch.paperwork import paperwork_due_for
from app.services.errors import DomainError
from app.services.identity import check_uscc
from models import Enterprise, ExpertGroup, OrgUnit, UsageRequest
from models.choices import ACTIVITY_TYPES, EMERGENCY_REASONS

MAX_HEADCOUNT = 30
MAX_BACKUPS = 10


# --------------------------------------------------------------------------------------
# checking the input
# --------------------------------------------------------------------------------------


def load_groups(groups: Iterable) -> list[ExpertGroup]:
    items = list(groups or [])
    ids = [g for g in items if isinstance(g, int)]
    objs = [g for g in items if isinstance(g, ExpertGroup)]
    if len(ids) + len(objs) != len(items):
        raise DomainError("专家组别无效，请重新选择。")
    if ids:
        found = db.session.scalars(select(ExpertGroup).where(ExpertGroup.id.in_(ids))).all()
        if len(found) != len(set(ids)):
            raise DomainError("所选专家组别不存在，请重新选择。")
        objs.extend(found)
    unique = {g.id: g for g in objs}
    return sorted(unique.values(), key=lambda g: g.sort_order)


def _load_enterprises(enterprises: Iterable) -> list[Enterprise]:
    items = list(enterprises or [])
    ids: list[int] = []
    objs: list[Enterprise] = []
    for item in items:
        if isinstance(item, Enterprise):
            objs.append(item)
        else:
            try:
                ids.append(int(item))
            except (TypeError, ValueError):
                raise DomainError("所选企业不存在，请从服务单位中选择或新建企业。") from None
    if ids:
        found = db.session.scalars(select(Enterprise).where(Enterprise.id.in_(ids))).all()
        missing = set(ids) - {e.id for e in found}
        if missing:
            raise DomainError("所选企业不存在（编号" + "、".join(str(i) for i in sorted(missing))
                              + "），请从服务单位中选择或新建企业。")
        objs.extend(found)
    unique = {e.id: e for e in objs}
    return sorted(unique.values(), key=lambda e: e.id)


def _check_counts(headcount, backups) -> tuple[int, int]:
    try:
        headcount = int(headcount)
        backups = int(backups if backups not in (None, "") else 0)
    except (TypeError, ValueError):
        raise DomainError("所需专家人数和候补人数须为整数。") from None
    if not 1 <= headcount <= MAX_HEADCOUNT:
        raise DomainError(f"所需专家人数须在1至{MAX_HEADCOUNT}人之间。")
    if not 0 <= backups <= MAX_BACKUPS:
        raise DomainError(f"候补人数须在0至{MAX_BACKUPS}人之间。")
    return headcount, backups


def _check_dates(start, end) -> tuple[dt.date, dt.date]:
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise DomainError("请填写使用专家的开始日期和结束日期。")
    if isinstance(start, dt.datetime):
        start = start.date()
    if isinstance(end, dt.datetime):
        end = end.date()
    if end < start:
        raise DomainError(f"结束日期（{end.isoformat()}）不能早于开始日期（{start.isoformat()}）。")
    if (end - start).days > 92:
        raise DomainError("一次使用申请的期间不能超过三个月，请分次申请。")
    return start, end


# --------------------------------------------------------------------------------------
# enterprises
# --------------------------------------------------------------------------------------


def register_enterprise(name: str, uscc: str, *, town: OrgUnit | None = None, address: str | None = None,
                        contact_person: str | None = None, contact_phone: str | None = None) -> Enterprise:
    """Add a new enterprise (服务单位) with a checked 统一社会信用代码; a known code is refused."""
    name = text(name)
    if not name:
        raise DomainError("请填写新企业的全称。")
    if len(name) > 200:
        raise DomainError("企业名称过长（不超过200字）。")
    code = check_uscc(uscc)
    existing = db.session.scalar(select(Enterprise).where(Enterprise.uscc == code))
    if existing is not None:
        raise DomainError(f"统一社会信用代码{code}已登记为“{existing.name}”，请直接在企业列表中选择该企业。")
    ent = Enterprise(name=name, uscc=code, town=town, address=text(address) or None,
                     contact_person=text(contact_person) or None, contact_phone=text(contact_phone) or None)
    db.session.add(ent)
    db.session.flush()
    return ent


# --------------------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------------------


def next_request_no(year: int) -> str:
    """The next request number of ``year``: WJSQ-2026-0001."""
    prefix = f"WJSQ-{year}-"
    last = db.session.scalar(
        select(func.max(UsageRequest.request_no)).where(UsageRequest.request_no.like(prefix + "%"))
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def create_request(*, unit: OrgUnit, activity_type: str, subject: str, start_date: dt.date, end_date: dt.date,
                   groups: Iterable, enterprises: Iterable, headcount: int, backups: int = 1,
                   description: str | None = None, emergency_reason: str | None = None, created_by=None,
                   today: dt.date | None = None, seed: str | None = None) -> UsageRequest:
    """A unit's usage request (第十五条). An emergency is drawn at once and gets a paperwork
    deadline; a request for more experts than are eligible is refused.

    ``groups`` and ``enterprises`` are ids or objects. Raises :class:`DomainError` with a
    Chinese message, having changed nothing, for any bad input.
    """
    today = today or clock.today()
    if unit is None:
        raise DomainError("请选择申请单位。")
    if activity_type not in ACTIVITY_TYPES:
        raise DomainError("请选择活动类型。")
    subject = text(subject)
    if not subject:
        raise DomainError("请填写任务名称。")
    if len(subject) > 200:
        raise DomainError("任务名称过长（不超过200字）。")
    start_date, end_date = _check_dates(start_date, end_date)
    headcount, backups = _check_counts(headcount, backups)
    emergency_reason = emergency_reason or None
    if activity_type == "emergency" and emergency_reason is None:
        emergency_reason = "emergency"
    if emergency_reason is not None and emergency_reason not in EMERGENCY_REASONS:
        raise DomainError("紧急情况类型无效（督查、举报核查或应急救援处置）。")
    if emergency_reason is None and start_date < today:
        raise DomainError(
            "开始日期不能早于今天；督查、举报核查、应急救援处置等紧急情况请选择“紧急情况”类型，先行使用、事后补办手续。"
        )
    group_list = load_groups(groups)
    if not group_list:
        raise DomainError("请至少选择一个专家组别。")
    ent_list = _load_enterprises(enterprises)
    if not ent_list:
        raise DomainError("请至少选择一家服务企业（或新建企业）。")
    cands = find_candidates(start_date=start_date, end_date=end_date, groups=group_list, enterprises=ent_list)
    if len(cands.eligible) < headcount:
        raise not_enough(len(cands.eligible), headcount, cands)

    req = UsageRequest(
        request_no=next_request_no(today.year), unit=unit, created_by_id=actor_id(created_by),
        activity_type=activity_type, subject=subject, description=text(description) or None,
        start_date=start_date, end_date=end_date, headcount=headcount, backups=backups,
        emergency=emergency_reason is not None, emergency_reason=emergency_reason, state="submitted",
    )
    req.groups = group_list
    req.enterprises = ent_list
    db.session.add(req)
    db.session.flush()
    if req.emergency:
        req.paperwork_due = paperwork_due_for(start_date)
        draw(req, created_by, seed=seed)
    return req


def _conditions(req: UsageRequest) -> dict:
    return {
        "groups": sorted(g.id for g in req.groups),
        "start_date": req.start_date,
        "end_date": req.end_date,
        "enterprises": sorted(e.id for e in req.enterprises),
        "headcount": req.headcount,
    }


def _describe_change(old: dict, new: dict, groups: list[ExpertGroup], ents: list[Enterprise],
                     req: UsageRequest) -> list[str]:
    out = []
    if old["groups"] != new["groups"]:
        out.append(f"组别由{'、'.join(g.name for g in req.groups)}改为{'、'.join(g.name for g in groups)}")
    if (old["start_date"], old["end_date"]) != (new["start_date"], new["end_date"]):
        out.append(f"日期由{old['start_date']}至{old['end_date']}改为{new['start_date']}至{new['end_date']}")
    if old["enterprises"] != new["enterprises"]:
        out.append(f"企业由{'、'.join(e.name for e in req.enterprises)}改为{'、'.join(e.name for e in ents)}")
    if old["headcount"] != new["headcount"]:
        out.append(f"人数由{old['headcount']}改为{new['headcount']}")
    return out


def update_request_conditions(req: UsageRequest, *, actor=None, subject=None, description=None, activity_type=None,
                   groups=None, start_date=None, end_date=None, enterprises=None, headcount=None,
                   backups=None, today: dt.date | None = None) -> list[str]:
    """Change a request. Changing its conditions (groups, dates, enterprises, headcount) after
    experts were chosen voids the draw and releases the open assignments, with a record.

    Returns the list of condition changes (empty when only the text changed).
    """
    if req.state in ("completed", "cancelled"):
        raise DomainError(f"该申请{req.state_label}，不能再修改。")
    new_groups = load_groups(groups) if groups is not None else list(req.groups)
    new_ents = _load_enterprises(enterprises) if enterprises is not None else list(req.enterprises)
    if not new_groups:
        raise DomainError("请至少选择一个专家组别。")
    if not new_ents:
        raise DomainError("请至少选择一家服务企业（或新建企业）。")
    start, end = _check_dates(start_date or req.start_date, end_date or req.end_date)
    new_headcount, new_backups = _check_counts(headcount if headcount is not None else req.headcount,
                                               backups if backups is not None else req.backups)
    if activity_type is not None and activity_type not in ACTIVITY_TYPES:
        raise DomainError("请选择活动类型。")
    if subject is not None and not text(subject):
        raise DomainError("请填写任务名称。")
    old = _conditions(req)
    new = {"groups": sorted(g.id for g in new_groups), "start_date": start, "end_date": end,
           "enterprises": sorted(e.id for e in new_ents), "headcount": new_headcount}
    changes = _describe_change(old, new, new_groups, new_ents, req)
    if changes:
        if any(a.completed_at is not None for a in req.assignments):
            raise DomainError("已有专家完成本次任务，不能再修改组别、日期、企业或人数。")
        today = today or clock.today()
        if not req.emergency and start < today and start != req.start_date:
            raise DomainError("开始日期不能早于今天。")
        cands = find_candidates(start_date=start, end_date=end, groups=new_groups, enterprises=new_ents,
                                request_id=req.id, ignore_open_on_request=True)
        if len(cands.eligible) < new_headcount:
            raise not_enough(len(cands.eligible), new_headcount, cands)
        if any(d.voided_at is None for d in req.draws) or any(
            a.response in OPEN_RESPONSES for a in req.assignments
        ):
            void_selection(req, "使用条件已变更：" + "；".join(changes), actor=actor)
        removed = set(old["enterprises"]) - set(new["enterprises"])
        if removed:

            withdraw_notices(req, removed)
    req.groups = new_groups
    req.enterprises = new_ents
    if req.emergency and start != req.start_date:
        req.paperwork_due = paperwork_due_for(start)
    req.start_date, req.end_date = start, end
    req.headcount, req.backups = new_headcount, new_backups
    if activity_type is not None:
        req.activity_type = activity_type
    if subject is not None:
        req.subject = text(subject)
    if description is not None:
        req.description = text(description) or None
    db.session.flush()
    return changes


def cancel_request(req: UsageRequest, reason: str, *, actor=None) -> None:
    """Withdraw a request that no expert has completed work on; open assignments are released."""
    reason = text(reason)
    if not reason:
        raise DomainError("取消申请须填写理由。")
    if req.state in ("completed", "cancelled"):
        raise DomainError(f"该申请{req.state_label}，不能取消。")
    if any(a.completed_at for a in req.assignments):
        raise DomainError("已有专家完成本次任务，不能取消申请。")
    void_selection(req, "申请已取消：" + reason, actor=actor)
    req.state = "cancelled"
    db.session.flush()
