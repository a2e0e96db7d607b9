"""Using experts: requests, candidates, the recorded random draw, responses and completion
(第十条(四)、第十三条(四)、第十四、十五、十九条; SPEC §3.4–3.6).

The rules, in the words of the regulation and how they are kept here:

* **Requests** (第十五条): a 科室、大队 or 镇 asks for experts of some groups, for some
  enterprises and dates. 督查、举报核查、应急救援处置 are *emergencies*: experts are drawn at
  once ("可先行使用") and the paperwork is due ``emergency_paperwork_days`` working days
  (a setting, default 3) after the first day of use ("事后补办使用手续").
* **Candidates** (SPEC §3.4, §3.5): an expert of the district pool qualifies when he is
  dispatchable on the first and on the last day (``status.statuses_for``, the one status
  rule), belongs to **any** of the requested groups, has no conflict of interest with any
  enterprise of the job (第十条(四); his own employer always counts, matched by
  统一社会信用代码 or full name, even without a recorded conflict) and is not booked: no
  pending or accepted (non-backup) assignment on another request whose dates overlap.
  Everyone left out is listed with every reason that applies.
* **The draw** (SPEC §3.5) is deterministic from its record, so anyone can replay it:

  1. take the recorded eligible expert ids;
  2. give each id the key ``SHA-256("<seed>:<id>")`` in hexadecimal, where ``seed`` is the
     recorded 32-hex-digit (128-bit) random value from :mod:`secrets`;
  3. order the ids by key (ties, never seen in practice, by id);
  4. the first ``needed`` ids are drawn, the next ``min(backups, rest)`` are the backups,
     in that order.

  A hash ranking is used rather than ``random.shuffle`` because Python does not promise
  the same shuffle across versions; SHA-256 can be recomputed anywhere for years.
  Changing the groups, dates, enterprises or headcount after a draw voids it (time and
  reason recorded on the draw, a timeline event for every released expert); the
  pending and accepted assignments are released, responses already given are kept.
* **Designation** needs a written reason; experts of 上级库 or 库外 can be added to one job
  (第十四条) with a reason too.
* **Responses**: accepted / declined with a justified reason / declined without one /
  no-show / conflict declared. A decline or a declared conflict calls the next backup.
  An expert answering on his phone says whether he has a justified reason and gives it;
  the office (or the requesting unit) can reclassify a decline afterwards.
* **Absence rule** (第十三条(四): "无正当理由，连续三次或者一年内累计五次不参加专家活动"):
  declines without a justified reason *and* no-shows are absences. Three in a row (in the
  order of the jobs' dates; an accepted job breaks the row, a justified decline or a
  declared conflict neither counts nor breaks it) or five in one calendar year put the
  expert on the dismissal-proposal list (reason 4); dismissal itself needs approval.
* **Completion** turns attendance and the work done into the service record from which
  fees are computed (第二十条, 附件4); the bureau pays when one of its units engaged the
  expert, a town pays when it engaged him directly (第十九条).

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.services.calendar_data import load_calendar
from app.services.dismissal import propose_dismissal
from app.services.errors import DomainError
from app.services.fees import whole_units
from app.services.identity import check_id_number, check_mobile, check_uscc, id_birth_date, id_gender
from app.services.status import statuses_for
from app.services.workcalendar import add_working_days, is_night
from models import (
    Assignment,
    ConflictOfInterest,
    Dismissal,
    Draw,
    Enterprise,
    Expert,
    ExpertGroup,
    OrgUnit,
    ServiceRecord,
    Setting,
    StatusEvent,
    UsageRequest,
    expert_group_link,
)
from models.base import utcnow
from models.choices import (
    ACTIVITY_TYPES,
    CONFLICT_RELATIONS,
    CONFLICT_SOURCES,
    EDUCATION_LEVELS,
    EMERGENCY_REASONS,
    RESPONSES,
    UPPER_POOL_LEVELS,
)

#: Responses that keep an expert on a job (and book him for those dates).
OPEN_RESPONSES = ("pending", "accepted")
#: Responses that are absences under 第十三条(四).
ABSENCE_RESPONSES = ("declined_unjustified", "no_show")
#: Responses that release the expert and call the next backup.
RELEASING_RESPONSES = ("declined_justified", "declined_unjustified", "conflict")
#: What may follow what. Completion is a separate step; reclassifying a decline too.
TRANSITIONS = {
    "pending": {"accepted", "declined_justified", "declined_unjustified", "conflict", "no_show"},
    "accepted": {"declined_justified", "declined_unjustified", "conflict", "no_show"},
}
#: What an expert may answer himself (a no-show is recorded by the unit).
EXPERT_RESPONSES = ("accepted", "declined_justified", "declined_unjustified", "conflict")

ALGORITHM = "sha256-rank-v1"
ALGORITHM_TEXT = ("按 SHA-256(种子:专家编号) 的十六进制值从小到大排序，前N名为抽中专家，其后依次为候补专家")
SEED_RE = re.compile(r"^[0-9a-f]{32}$")
ABSENCES_IN_A_ROW = 3
ABSENCES_IN_A_YEAR = 5

#: Why an expert is left out, by kind (the candidates table groups by these).
EXCLUSION_KINDS = {
    "status": "不可派遣",
    "group": "组别不符",
    "conflict": "回避",
    "booked": "时间冲突",
    "job": "本次任务",
}

MAX_HEADCOUNT = 30
MAX_BACKUPS = 10
MIN_REASON_CHARS = 5


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()


def _norm_name(name: str | None) -> str:
    """An enterprise or employer name compared without spaces and with full-width folded."""
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def _fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _setting(key: str, default: str) -> str:
    value = db.session.scalar(select(Setting.value).where(Setting.key == key))
    return value if value not in (None, "") else default


def paperwork_days() -> int:
    """The ``emergency_paperwork_days`` setting (working days; 第十五条 事后补办)."""
    try:
        days = int(_setting("emergency_paperwork_days", "3"))
    except ValueError:
        raise DomainError("参数“紧急使用后补办手续期限”不是整数，请系统管理员修改。") from None
    if days < 0:
        raise DomainError("参数“紧急使用后补办手续期限”不能为负数，请系统管理员修改。")
    return days


def _parse_time(value: str, fallback: dt.time) -> dt.time:
    try:
        hours, minutes = value.split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return fallback


def _load_groups(groups: Iterable) -> list[ExpertGroup]:
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


def _event(expert_id: int, event: str, reason: str | None, actor_id: int | None) -> None:
    db.session.add(StatusEvent(expert_id=expert_id, event=event[:100], reason=reason, actor_id=actor_id))


def _touch(req: UsageRequest) -> None:
    """Bump the request's version with this change, so that two people staffing the same
    request at the same moment cannot both succeed (the second gets a stale-data refusal)."""
    req.updated_at = utcnow()


def _actor_id(actor) -> int | None:
    if actor is None:
        return None
    return actor if isinstance(actor, int) else getattr(actor, "id", None)


# --------------------------------------------------------------------------------------
# enterprises and external experts
# --------------------------------------------------------------------------------------


def register_enterprise(name: str, uscc: str, *, town: OrgUnit | None = None, address: str | None = None,
                        contact_person: str | None = None, contact_phone: str | None = None) -> Enterprise:
    """Add a new enterprise (服务单位) with a checked 统一社会信用代码; a known code is refused."""
    name = _text(name)
    if not name:
        raise DomainError("请填写新企业的全称。")
    if len(name) > 200:
        raise DomainError("企业名称过长（不超过200字）。")
    code = check_uscc(uscc)
    existing = db.session.scalar(select(Enterprise).where(Enterprise.uscc == code))
    if existing is not None:
        raise DomainError(f"统一社会信用代码{code}已登记为“{existing.name}”，请直接在企业列表中选择该企业。")
    ent = Enterprise(name=name, uscc=code, town=town, address=_text(address) or None,
                     contact_person=_text(contact_person) or None, contact_phone=_text(contact_phone) or None)
    db.session.add(ent)
    db.session.flush()
    return ent


def create_external_expert(*, name: str, id_number: str, employer: str, mobile: str, source: str,
                           groups: Iterable = (), title: str | None = None, education: str = "bachelor",
                           upper_pool_level: str | None = None) -> Expert:
    """Register an expert of a 上级库 or from outside the pool for one job (第十四条).

    Gender and birth date come from the 身份证号. The record is not part of the district
    pool (stage 未聘用), so it never enters a draw.
    """
    if source not in ("upper", "outside"):
        raise DomainError("来源须为“上级库”或“库外”。")
    name = _text(name)
    if not name:
        raise DomainError("请填写专家姓名。")
    employer = _text(employer)
    if not employer:
        raise DomainError("请填写专家的工作单位全称。")
    number = check_id_number(id_number, today=dt.date.today())
    existing = db.session.scalar(select(Expert).where(Expert.id_number == number))
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
        title=_text(title) or None, education=education, source=source, upper_pool_level=upper_pool_level,
        stage="not_appointed",
    )
    expert.groups = _load_groups(groups) if groups else []
    db.session.add(expert)
    db.session.flush()
    return expert


# --------------------------------------------------------------------------------------
# candidates
# --------------------------------------------------------------------------------------


@dataclass
class Exclusion:
    """An expert left out, with every reason: (kind, text) pairs (kinds: EXCLUSION_KINDS)."""

    expert: Expert
    reasons: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(kind for kind, _ in self.reasons))

    @property
    def kind_labels(self) -> list[str]:
        return [EXCLUSION_KINDS[k] for k in self.kinds]

    @property
    def text(self) -> str:
        return "；".join(text for _, text in self.reasons)


@dataclass
class Candidates:
    """The eligible experts and those left out, for one set of conditions."""

    eligible: list[Expert]
    excluded: list[Exclusion]

    @property
    def eligible_ids(self) -> list[int]:
        return sorted(e.id for e in self.eligible)

    def counts(self) -> dict[str, int]:
        """How many experts are left out for each kind of reason (one expert may count twice)."""
        out = {kind: 0 for kind in EXCLUSION_KINDS}
        for item in self.excluded:
            for kind in item.kinds:
                out[kind] += 1
        return {k: v for k, v in out.items() if v}

    def summary(self) -> str:
        parts = [f"{EXCLUSION_KINDS[k]}{n}名" for k, n in self.counts().items()]
        return "、".join(parts) if parts else "无"

    def reasons_for(self, expert_id: int) -> str | None:
        for item in self.excluded:
            if item.expert.id == expert_id:
                return item.text
        return None


def find_candidates(*, start_date: dt.date, end_date: dt.date, groups: Sequence[ExpertGroup],
                    enterprises: Sequence[Enterprise], request_id: int | None = None,
                    ignore_open_on_request: bool = False) -> Candidates:
    """Eligible and excluded district experts for the given conditions (SPEC §3.4, §3.5).

    A fixed number of queries whatever the pool size: experts, their groups, conflicts,
    bookings, this job's assignments, and the status rule on the first and last day.
    ``request_id`` names the request being staffed: its own assignments are not bookings
    but "this job" reasons (already chosen, declined, conflict declared);
    ``ignore_open_on_request`` skips its open ones (they are about to be voided).
    """
    experts = db.session.scalars(
        select(Expert).where(Expert.source == "district", Expert.stage != "applicant")
        .options(selectinload(Expert.groups)).order_by(Expert.id)
    ).all()
    ids = [e.id for e in experts]
    group_ids = {g.id for g in groups}
    group_text = "、".join(g.name for g in groups)
    ent_by_id = {e.id: e for e in enterprises}

    conflicts: dict[int, list[tuple[Enterprise, str, str]]] = defaultdict(list)
    if ent_by_id and ids:
        for row in db.session.execute(
            select(ConflictOfInterest.expert_id, ConflictOfInterest.enterprise_id, ConflictOfInterest.relation,
                   ConflictOfInterest.source)
            .where(ConflictOfInterest.enterprise_id.in_(list(ent_by_id)))
        ):
            conflicts[row.expert_id].append((ent_by_id[row.enterprise_id], row.relation, row.source))

    booked: dict[int, list[tuple[str, dt.date, dt.date, str]]] = defaultdict(list)
    booking_query = (
        select(Assignment.expert_id, UsageRequest.request_no, UsageRequest.start_date, UsageRequest.end_date,
               Assignment.response)
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.is_backup.is_(False), Assignment.response.in_(OPEN_RESPONSES),
               UsageRequest.state != "cancelled",
               UsageRequest.start_date <= end_date, UsageRequest.end_date >= start_date)
    )
    if request_id is not None:
        booking_query = booking_query.where(UsageRequest.id != request_id)
    for row in db.session.execute(booking_query):
        booked[row.expert_id].append((row.request_no, row.start_date, row.end_date, row.response))

    on_job: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    if request_id is not None:
        for row in db.session.execute(
            select(Assignment.expert_id, Assignment.response, Assignment.is_backup)
            .where(Assignment.request_id == request_id)
        ):
            if ignore_open_on_request and row.response in OPEN_RESPONSES:
                continue
            on_job[row.expert_id].append((row.response, row.is_backup))

    first = statuses_for(ids, on=start_date)
    last = statuses_for(ids, on=end_date) if end_date != start_date else first

    eligible: list[Expert] = []
    excluded: list[Exclusion] = []
    for expert in experts:
        reasons: list[tuple[str, str]] = []
        for response, is_backup in on_job.get(expert.id, []):
            if response in OPEN_RESPONSES:
                what = "本次任务候补专家" if is_backup else "已选派参加本次任务"
                reasons.append(("job", f"{what}（{RESPONSES[response]}）"))
            else:
                reasons.append(("job", f"已答复本次任务：{RESPONSES.get(response, response)}"))
        for status, day in ((first.get(expert.id), start_date), (last.get(expert.id), end_date)):
            if status is not None and not status.dispatchable:
                why = "；".join(status.reasons) or status.label
                text = f"{_fmt(day)}不可派遣：{status.display}（{why}）"
                if ("status", text) not in reasons and not any(k == "status" for k, _ in reasons):
                    reasons.append(("status", text))
        own_groups = {g.id for g in expert.groups}
        if not own_groups & group_ids:
            have = "、".join(g.name for g in expert.groups) or "未填写"
            reasons.append(("group", f"组别不符：本次需要{group_text}中任一组别，该专家为{have}"))
        seen_employer = False
        for ent in enterprises:
            if (expert.employer_uscc and expert.employer_uscc.upper() == ent.uscc) or (
                _norm_name(expert.employer) and _norm_name(expert.employer) == _norm_name(ent.name)
            ):
                reasons.append(("conflict", f"回避：{ent.name}是该专家的现工作单位（第十条(四)）"))
                seen_employer = True
        for ent, relation, source in conflicts.get(expert.id, []):
            if relation == "current_employer" and seen_employer:
                continue
            reasons.append(("conflict", f"回避：与{ent.name}存在利害关系——{CONFLICT_RELATIONS.get(relation, relation)}"
                                        f"（{CONFLICT_SOURCES.get(source, source)}，第十条(四)）"))
        for request_no, b_start, b_end, response in booked.get(expert.id, []):
            span = b_start.isoformat() if b_start == b_end else f"{b_start.isoformat()}至{b_end.isoformat()}"
            reasons.append(("booked", f"时间冲突：{span}已有任务{request_no}（{RESPONSES[response]}）"))
        if reasons:
            excluded.append(Exclusion(expert, reasons))
        else:
            eligible.append(expert)
    return Candidates(eligible, excluded)


def candidates(request: UsageRequest) -> Candidates:
    """The eligible experts for ``request`` and, for everyone left out, why (SPEC §3.5)."""
    return find_candidates(start_date=request.start_date, end_date=request.end_date, groups=request.groups,
                           enterprises=request.enterprises, request_id=request.id)


def _not_enough(n_eligible: int, needed: int, cands: Candidates) -> DomainError:
    return DomainError(
        f"符合条件的专家只有{n_eligible}名，少于所需的{needed}名。未入选情况：{cands.summary()}。"
        "请调整组别、日期或人数，或按第十四条添加上级库、库外专家。"
    )


# --------------------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------------------


def next_request_no(year: int) -> str:
    """The next request number of ``year``: WJSQ-2026-0001."""
    prefix = f"WJSQ-{year}-"
    last = db.session.scalar(select(func.max(UsageRequest.request_no)).where(UsageRequest.request_no.like(prefix + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def paperwork_due_for(start: dt.date) -> dt.date | None:
    """The paperwork deadline of an emergency that began on ``start`` (第十五条), or None
    when the holiday table does not yet cover the days to count (set later, see
    :func:`paperwork_overview`)."""
    days, calendar = paperwork_days(), load_calendar()
    try:
        return add_working_days(start, days, calendar)
    except DomainError:  # the holiday table does not cover these days yet
        return None


def create_request(*, unit: OrgUnit, activity_type: str, subject: str, start_date: dt.date, end_date: dt.date,
                   groups: Iterable, enterprises: Iterable, headcount: int, backups: int = 1,
                   description: str | None = None, emergency_reason: str | None = None, created_by=None,
                   today: dt.date | None = None, seed: str | None = None) -> UsageRequest:
    """A unit's usage request (第十五条). An emergency is drawn at once and gets a paperwork
    deadline; a request for more experts than are eligible is refused.

    ``groups`` and ``enterprises`` are ids or objects. Raises :class:`DomainError` with a
    Chinese message, having changed nothing, for any bad input.
    """
    today = today or dt.date.today()
    if unit is None:
        raise DomainError("请选择申请单位。")
    if activity_type not in ACTIVITY_TYPES:
        raise DomainError("请选择活动类型。")
    subject = _text(subject)
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
        raise DomainError("开始日期不能早于今天；督查、举报核查、应急救援处置等紧急情况请选择“紧急情况”类型，先行使用、事后补办手续。")
    group_list = _load_groups(groups)
    if not group_list:
        raise DomainError("请至少选择一个专家组别。")
    ent_list = _load_enterprises(enterprises)
    if not ent_list:
        raise DomainError("请至少选择一家服务企业（或新建企业）。")
    cands = find_candidates(start_date=start_date, end_date=end_date, groups=group_list, enterprises=ent_list)
    if len(cands.eligible) < headcount:
        raise _not_enough(len(cands.eligible), headcount, cands)

    req = UsageRequest(
        request_no=next_request_no(today.year), unit=unit, created_by_id=_actor_id(created_by),
        activity_type=activity_type, subject=subject, description=_text(description) or None,
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
    new_groups = _load_groups(groups) if groups is not None else list(req.groups)
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
    if subject is not None and not _text(subject):
        raise DomainError("请填写任务名称。")
    old = _conditions(req)
    new = {"groups": sorted(g.id for g in new_groups), "start_date": start, "end_date": end,
           "enterprises": sorted(e.id for e in new_ents), "headcount": new_headcount}
    changes = _describe_change(old, new, new_groups, new_ents, req)
    if changes:
        if any(a.completed_at is not None for a in req.assignments):
            raise DomainError("已有专家完成本次任务，不能再修改组别、日期、企业或人数。")
        today = today or dt.date.today()
        if not req.emergency and start < today and start != req.start_date:
            raise DomainError("开始日期不能早于今天。")
        cands = find_candidates(start_date=start, end_date=end, groups=new_groups, enterprises=new_ents,
                                request_id=req.id, ignore_open_on_request=True)
        if len(cands.eligible) < new_headcount:
            raise _not_enough(len(cands.eligible), new_headcount, cands)
        if any(d.voided_at is None for d in req.draws) or any(
            a.response in OPEN_RESPONSES for a in req.assignments
        ):
            void_selection(req, "使用条件已变更：" + "；".join(changes), actor=actor)
        removed = set(old["enterprises"]) - set(new["enterprises"])
        if removed:
            from app.services.notices import withdraw_notices

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
        req.subject = _text(subject)
    if description is not None:
        req.description = _text(description) or None
    db.session.flush()
    return changes


def void_selection(req: UsageRequest, reason: str, *, actor=None, now: dt.datetime | None = None) -> list[Expert]:
    """Void the request's live draws and release its open assignments (pending or accepted,
    not completed); responses already given stay as history. Returns the released experts."""
    now = now or utcnow()
    for d in req.draws:
        if d.voided_at is None:
            d.voided_at = now
            d.void_reason = reason
    released = []
    for a in list(req.assignments):
        if a.response in OPEN_RESPONSES and a.completed_at is None:
            released.append(a.expert)
            _event(a.expert_id, "任务选派作废", f"{req.request_no} {req.subject}：{reason}", _actor_id(actor))
            req.assignments.remove(a)
            db.session.delete(a)
    req.state = "submitted"
    _touch(req)
    db.session.flush()
    return released


def active_assignments(req: UsageRequest) -> list[Assignment]:
    """The experts on the job: not backups, pending or accepted (completed ones included)."""
    return [a for a in req.assignments if not a.is_backup and a.response in OPEN_RESPONSES]


def still_needed(req: UsageRequest) -> int:
    """How many more experts the request needs."""
    return req.headcount - len(active_assignments(req))


def cancel_request(req: UsageRequest, reason: str, *, actor=None) -> None:
    """Withdraw a request that no expert has completed work on; open assignments are released."""
    reason = _text(reason)
    if not reason:
        raise DomainError("取消申请须填写理由。")
    if req.state in ("completed", "cancelled"):
        raise DomainError(f"该申请{req.state_label}，不能取消。")
    if any(a.completed_at for a in req.assignments):
        raise DomainError("已有专家完成本次任务，不能取消申请。")
    void_selection(req, "申请已取消：" + reason, actor=actor)
    req.state = "cancelled"
    db.session.flush()


# --------------------------------------------------------------------------------------
# the draw
# --------------------------------------------------------------------------------------


def draw_order(seed: str, eligible_ids: Iterable[int], needed: int, backups: int) -> tuple[list[int], list[int]]:
    """The pure draw (see the module docstring): (drawn ids, backup ids) from the seed."""
    ids = sorted({int(i) for i in eligible_ids})
    ranked = sorted(ids, key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode("ascii")).hexdigest(), i))
    needed = max(0, min(needed, len(ranked)))
    backups = max(0, min(backups, len(ranked) - needed))
    return ranked[:needed], ranked[needed:needed + backups]


def new_seed() -> str:
    """128 random bits from the operating system, as 32 hexadecimal digits."""
    return secrets.token_hex(16)


def draw(req: UsageRequest, actor=None, *, seed: str | None = None) -> Draw:
    """Draw the experts the request still needs, with backups, and record everything
    needed to replay the draw (SPEC §3.5)."""
    if req.state in ("completed", "cancelled"):
        raise DomainError(f"该申请{req.state_label}，不能抽取。")
    needed = still_needed(req)
    if needed <= 0:
        raise DomainError("本次任务所需专家已经选定，无需再抽取。")
    cands = candidates(req)
    if len(cands.eligible) < needed:
        raise _not_enough(len(cands.eligible), needed, cands)
    seed = seed or new_seed()
    if not SEED_RE.match(seed):
        raise DomainError("抽取种子须为32位十六进制数。")
    eligible_ids = cands.eligible_ids
    chosen, backup_ids = draw_order(seed, eligible_ids, needed, req.backups)
    record = Draw(
        request=req, drawn_by_id=_actor_id(actor), seed=seed, eligible_ids=eligible_ids, chosen_ids=chosen,
        backup_ids=backup_ids,
        conditions={
            "request_no": req.request_no,
            "groups": [{"id": g.id, "name": g.name} for g in req.groups],
            "group_rule": "属于所需组别中任一组别即可",
            "start_date": req.start_date.isoformat(),
            "end_date": req.end_date.isoformat(),
            "enterprises": [{"id": e.id, "name": e.name, "uscc": e.uscc} for e in req.enterprises],
            "headcount": req.headcount,
            "needed": needed,
            "backups": req.backups,
            "eligible_count": len(eligible_ids),
            "algorithm": ALGORITHM,
        },
    )
    db.session.add(record)
    db.session.flush()
    rank = max([a.rank for a in req.assignments] + [0])
    for expert_id in chosen:
        rank += 1
        req.assignments.append(Assignment(expert_id=expert_id, draw_id=record.id, method="draw", rank=rank,
                                          is_backup=False, response="pending"))
    for expert_id in backup_ids:
        rank += 1
        req.assignments.append(Assignment(expert_id=expert_id, draw_id=record.id, method="draw", rank=rank,
                                          is_backup=True, response="pending"))
    req.state = "dispatched"
    _touch(req)
    db.session.flush()
    return record


def replay_draw(record: Draw) -> tuple[list[int], list[int]]:
    """Recompute a recorded draw from its seed, eligible ids and counts: (drawn, backups)."""
    cond = record.conditions or {}
    return draw_order(record.seed, record.eligible_ids or [], int(cond.get("needed", 0)), int(cond.get("backups", 0)))


def verify_draw(record: Draw) -> bool:
    """Whether replaying the draw gives exactly the recorded experts and backups."""
    chosen, backups = replay_draw(record)
    return chosen == list(record.chosen_ids or []) and backups == list(record.backup_ids or [])


# --------------------------------------------------------------------------------------
# designation and external experts
# --------------------------------------------------------------------------------------


def _reason(reason: str | None, what: str) -> str:
    reason = _text(reason)
    if not reason:
        raise DomainError(f"{what}须填写书面理由。")
    if len(reason) < MIN_REASON_CHARS:
        raise DomainError(f"{what}的理由过于简单，请具体说明（至少{MIN_REASON_CHARS}个字）。")
    return reason


def designate(req: UsageRequest, expert: Expert, reason: str, actor=None) -> Assignment:
    """Choose an eligible expert by name instead of by draw; a written reason is required."""
    reason = _reason(reason, "指定专家")
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
    _touch(req)
    db.session.flush()
    return assignment


def add_external_expert(req: UsageRequest, expert: Expert, reason: str, actor=None) -> Assignment:
    """Add an expert of a 上级库 or from outside the pool to this one job (第十四条).

    He must not be dismissed, blacklisted or suspended, must not conflict with the job's
    enterprises and must be free on its dates.
    """
    reason = _reason(reason, "添加上级库或库外专家")
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
        if _norm_name(expert.employer) == _norm_name(ent.name) or (
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
    _touch(req)
    db.session.flush()
    return assignment


# --------------------------------------------------------------------------------------
# responses, backups and the absence rule
# --------------------------------------------------------------------------------------


@dataclass
class ResponseOutcome:
    """What a response led to: the backup called in, a dismissal proposal, or neither."""

    assignment: Assignment
    promoted: Assignment | None = None
    proposal: Dismissal | None = None
    backups_exhausted: bool = False


def respond(assignment: Assignment, response: str, *, reason: str | None = None, actor=None,
            by_expert: bool = False, conflict_enterprise: Enterprise | int | None = None,
            conflict_relation: str | None = None, now: dt.datetime | None = None) -> ResponseOutcome:
    """Record an expert's answer to a job (by staff, or by the expert on his phone).

    A decline or a declared conflict calls the next backup; an absence runs the
    absence rule (第十三条(四)). A declared conflict is also recorded as a conflict of
    interest with that enterprise (第十条(四)).
    """
    now = now or utcnow()
    req = assignment.request
    if response not in RESPONSES or response == "pending":
        raise DomainError("答复类型无效。")
    if by_expert and response not in EXPERT_RESPONSES:
        raise DomainError("“未到场”由使用单位记录。")
    if assignment.completed_at is not None:
        raise DomainError("该任务已完成，不能再更改答复。")
    if req.state == "cancelled":
        raise DomainError("该申请已取消。")
    if assignment.is_backup:
        raise DomainError("候补专家尚未递补，无需答复。")
    allowed = TRANSITIONS.get(assignment.response, set())
    if response not in allowed:
        raise DomainError(f"当前答复为“{assignment.response_label}”，不能改为“{RESPONSES[response]}”。")
    reason = _text(reason) or None
    if response == "declined_justified" and not reason:
        raise DomainError("有正当理由拒绝的，须说明理由。")
    if response == "conflict":
        reason = _declare_conflict(assignment, conflict_enterprise, conflict_relation, reason, by_expert)
    assignment.response = response
    assignment.response_reason = reason
    assignment.responded_at = now
    assignment.responded_by_id = _actor_id(actor)
    if response == "no_show":
        assignment.attended = False
    outcome = ResponseOutcome(assignment)
    if response != "accepted":
        who = "专家本人" if by_expert else "使用单位"
        _event(assignment.expert_id, f"任务答复：{RESPONSES[response]}",
               f"{req.request_no} {req.subject}（{who}记录）" + (f"：{reason}" if reason else ""), _actor_id(actor))
    db.session.flush()
    if response in RELEASING_RESPONSES:
        outcome.promoted = promote_backup(req, actor=actor)
        outcome.backups_exhausted = outcome.promoted is None and still_needed(req) > 0
    if response in ABSENCE_RESPONSES:
        outcome.proposal = apply_absence_rule(assignment.expert, req.start_date.year, actor=actor,
                                              focus=req.request_no)
    return outcome


def _declare_conflict(assignment: Assignment, enterprise, relation, note, by_expert) -> str:
    req = assignment.request
    if isinstance(enterprise, int) or (isinstance(enterprise, str) and enterprise.isdigit()):
        enterprise = next((e for e in req.enterprises if e.id == int(enterprise)), None)
    if enterprise is None or enterprise not in req.enterprises:
        raise DomainError("申报回避须选择本次任务中存在利害关系的企业。")
    if relation not in CONFLICT_RELATIONS:
        raise DomainError("请选择利害关系的类型。")
    existing = db.session.scalar(
        select(ConflictOfInterest).where(ConflictOfInterest.expert_id == assignment.expert_id,
                                         ConflictOfInterest.enterprise_id == enterprise.id,
                                         ConflictOfInterest.relation == relation)
    )
    if existing is None:
        db.session.add(ConflictOfInterest(expert_id=assignment.expert_id, enterprise_id=enterprise.id,
                                          relation=relation, source="expert" if by_expert else "office",
                                          note=note))
    text = f"与{enterprise.name}存在利害关系——{CONFLICT_RELATIONS[relation]}"
    return text + (f"（{note}）" if note else "")


def reclassify_decline(assignment: Assignment, justified: bool, reason: str | None = None, *, actor=None
                       ) -> Dismissal | None:
    """The office (or the requesting unit) decides whether a decline had a justified reason."""
    if assignment.response not in ("declined_justified", "declined_unjustified"):
        raise DomainError("只有“拒绝”的答复可以重新认定是否有正当理由。")
    target = "declined_justified" if justified else "declined_unjustified"
    if target == assignment.response:
        raise DomainError(f"该答复已经是“{RESPONSES[target]}”。")
    reason = _text(reason) or assignment.response_reason
    if justified and not reason:
        raise DomainError("认定为有正当理由的，须写明理由。")
    old = assignment.response_label
    assignment.response = target
    assignment.response_reason = reason
    req = assignment.request
    _event(assignment.expert_id, f"拒绝理由重新认定：{RESPONSES[target]}",
           f"{req.request_no}：由“{old}”改为“{RESPONSES[target]}”" + (f"，{reason}" if reason else ""),
           _actor_id(actor))
    db.session.flush()
    if not justified:
        return apply_absence_rule(assignment.expert, req.start_date.year, actor=actor, focus=req.request_no)
    return None


def promote_backup(req: UsageRequest, *, actor=None) -> Assignment | None:
    """Call the next backup (lowest rank) who is still dispatchable and free on the dates."""
    if still_needed(req) <= 0:
        return None
    backups = sorted((a for a in req.assignments if a.is_backup and a.response == "pending"), key=lambda a: a.rank)
    if not backups:
        return None
    ids = [a.expert_id for a in backups]
    first = statuses_for(ids, on=req.start_date)
    last = statuses_for(ids, on=req.end_date)
    busy = set(db.session.scalars(
        select(Assignment.expert_id).join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id.in_(ids), Assignment.is_backup.is_(False),
               Assignment.response.in_(OPEN_RESPONSES), UsageRequest.id != req.id,
               UsageRequest.state != "cancelled",
               UsageRequest.start_date <= req.end_date, UsageRequest.end_date >= req.start_date)
    ))
    for backup in backups:
        ok = first.get(backup.expert_id) and first[backup.expert_id].dispatchable
        ok = ok and last.get(backup.expert_id) and last[backup.expert_id].dispatchable
        if ok and backup.expert_id not in busy:
            backup.is_backup = False
            _touch(req)
            _event(backup.expert_id, "候补递补", f"{req.request_no} {req.subject}：前序专家拒绝或回避，由候补递补",
                   _actor_id(actor))
            db.session.flush()
            return backup
    return None


@dataclass(frozen=True)
class Invitation:
    """One job an expert was asked to do, as the absence rule sees it."""

    request_no: str
    day: dt.date
    response: str


def absence_tally(invitations: Sequence[Invitation], year: int, focus: str | None = None
                  ) -> tuple[list[Invitation], list[Invitation]]:
    """The pure absence rule (第十三条(四)): (a row of consecutive absences, the absences of ``year``).

    ``invitations`` in the order of the jobs' dates. An absence is a decline without a
    justified reason or a no-show; an accepted job ends a row; a justified decline or a
    declared conflict neither counts nor ends it. The row returned is the one containing
    the job ``focus`` (a request number: the absence just recorded), or the row at the end
    of the history when ``focus`` is None.
    """
    rows: list[list[Invitation]] = [[]]
    for inv in invitations:
        if inv.response in ABSENCE_RESPONSES:
            rows[-1].append(inv)
        elif inv.response == "accepted" and rows[-1]:
            rows.append([])
    row = rows[-1]
    if focus is not None:
        row = next((r for r in rows if any(inv.request_no == focus for inv in r)), [])
    in_year = [inv for inv in invitations if inv.response in ABSENCE_RESPONSES and inv.day.year == year]
    return row, in_year


def invitations_of(expert: Expert | int) -> list[Invitation]:
    """The expert's answered jobs (not backups), in the order of the jobs' dates."""
    eid = expert if isinstance(expert, int) else expert.id
    rows = db.session.execute(
        select(UsageRequest.request_no, UsageRequest.start_date, Assignment.response)
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id == eid, Assignment.is_backup.is_(False), Assignment.response != "pending")
        .order_by(UsageRequest.start_date, Assignment.responded_at, Assignment.id)
    ).all()
    return [Invitation(r.request_no, r.start_date, r.response) for r in rows]


def apply_absence_rule(expert: Expert, year: int, *, actor=None, focus: str | None = None) -> Dismissal | None:
    """Put the expert on the dismissal-proposal list (reason 4) when the absence rule is met
    by the absence just recorded on the job ``focus`` (a request number)."""
    row, in_year = absence_tally(invitations_of(expert), year, focus)
    parts = []
    if len(row) >= ABSENCES_IN_A_ROW:
        listed = "、".join(f"{i.request_no}（{i.day.isoformat()}，{RESPONSES[i.response]}）" for i in row)
        parts.append(f"无正当理由连续{len(row)}次不参加专家活动：{listed}")
    if len(in_year) >= ABSENCES_IN_A_YEAR:
        listed = "、".join(f"{i.request_no}（{i.day.isoformat()}，{RESPONSES[i.response]}）" for i in in_year)
        parts.append(f"{year}年内累计{len(in_year)}次无正当理由不参加专家活动：{listed}")
    if not parts:
        return None
    return propose_dismissal(expert, "4", origin="absence", detail="；".join(parts), actor_id=_actor_id(actor))


# --------------------------------------------------------------------------------------
# completion → service record; emergency paperwork
# --------------------------------------------------------------------------------------


def default_units(req: UsageRequest) -> Decimal:
    """A sensible first value for the work done: days for day-priced work, 1 次/起 otherwise."""
    if req.activity_type in ("accident_investigation", "emergency"):
        return Decimal("1")
    return Decimal((req.end_date - req.start_date).days + 1)


def unit_label(activity_type: str) -> str:
    """The unit of work of 附件4 for an activity: 天 / 次 / 起."""
    return {"accident_investigation": "次", "emergency": "起"}.get(activity_type, "天")


def _decimal(value, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"{what}须为数字。") from None
    if not number.is_finite():
        raise DomainError(f"{what}须为数字。")
    return number


def complete_assignment(assignment: Assignment, *, attended: bool, units=None, service_date: dt.date | None = None,
                        started_at: dt.datetime | None = None, note: str | None = None, actor=None,
                        today: dt.date | None = None, now: dt.datetime | None = None) -> ServiceRecord | None:
    """Record attendance and the work done; this creates or updates the service record that
    fees are computed from (第二十条, 附件4). Absent → recorded as a no-show (absence rule).

    For 应急救援处置 the date and time the work began are required: 附件4 pays night and
    holiday work at the higher rate, so the record carries both flags.
    """
    today = today or dt.date.today()
    req = assignment.request
    if not attended:
        if assignment.completed_at is not None:
            raise DomainError("该任务已登记完成，不能改为未到场。")
        respond(assignment, "no_show", reason=_text(note) or None, actor=actor, now=now)
        return None
    if assignment.response != "accepted":
        raise DomainError(f"只有已接受任务的专家可以登记完成情况（当前：{assignment.response_label}）。")
    record = db.session.scalar(select(ServiceRecord).where(ServiceRecord.assignment_id == assignment.id))
    if record is not None and record.payout_line_id is not None:
        raise DomainError("该服务记录已纳入已审核的发放批次，金额已结算，不能再修改。")
    amount = whole_units(_decimal(units if units not in (None, "") else default_units(req), "工作量"))
    if amount > 99:
        raise DomainError("工作量不能超过99。")
    if isinstance(started_at, dt.datetime):
        started_at = started_at.replace(tzinfo=None, second=0, microsecond=0)
        service_date = started_at.date()
    elif req.activity_type == "emergency":
        raise DomainError("应急救援处置须填写开始工作的日期和时间（用于夜间、节假日费用标准）。")
    service_date = service_date or req.start_date
    if isinstance(service_date, dt.datetime):
        service_date = service_date.date()
    if not req.start_date <= service_date <= req.end_date + dt.timedelta(days=1 if started_at else 0):
        raise DomainError(f"服务日期须在使用申请的日期范围内（{req.start_date}至{req.end_date}）。")
    if service_date > today:
        raise DomainError("服务日期不能晚于今天；请在工作完成后登记。")
    night = holiday = False
    if req.activity_type == "emergency" and started_at is not None:
        night = is_night(started_at, _parse_time(_setting("night_start", "22:00"), dt.time(22)),
                         _parse_time(_setting("night_end", "06:00"), dt.time(6)))
        holiday = load_calendar().is_non_working_day(service_date)
    if record is None:
        record = ServiceRecord(expert_id=assignment.expert_id, assignment_id=assignment.id)
        db.session.add(record)
    record.unit_id = req.unit_id
    record.activity = req.activity_type
    record.service_date = service_date
    record.started_at = started_at
    record.units = amount
    record.payer = "unit" if req.unit.is_town_level else "bureau"
    record.is_night = night
    record.is_holiday = holiday
    record.note = _text(note) or record.note
    assignment.attended = True
    assignment.work_units = amount
    assignment.work_started_at = started_at
    assignment.completed_at = now or utcnow()
    db.session.flush()
    if all(a.completed_at is not None for a in active_assignments(req)) and active_assignments(req):
        req.state = "completed"
    db.session.flush()
    return record


def complete_paperwork(req: UsageRequest, note: str, *, actor=None, now: dt.datetime | None = None) -> None:
    """Complete the paperwork of an emergency use afterwards (第十五条: 事后补办使用手续)."""
    if not req.emergency:
        raise DomainError("只有紧急使用的申请需要事后补办手续。")
    if req.paperwork_done_at is not None:
        raise DomainError("该申请的补办手续已经完成。")
    note = _reason(note, "补办手续")
    req.description = ((req.description + "\n") if req.description else "") + "事后补办说明：" + note
    req.paperwork_done_at = now or utcnow()
    db.session.flush()


@dataclass
class PaperworkOverview:
    """Emergency requests whose paperwork is not done: overdue, due later, or without a date yet."""

    overdue: list[UsageRequest]
    pending: list[UsageRequest]
    undetermined: list[UsageRequest]


def paperwork_overview(unit: OrgUnit | int | None = None, today: dt.date | None = None) -> PaperworkOverview:
    """Emergency paperwork still open, for one unit or all (SPEC §2 usage requests).

    A deadline left empty because the holiday table did not cover it is computed now if
    the table has since been maintained.
    """
    today = today or dt.date.today()
    query = (select(UsageRequest).where(UsageRequest.emergency.is_(True), UsageRequest.paperwork_done_at.is_(None),
                                        UsageRequest.state != "cancelled")
             .options(selectinload(UsageRequest.unit)).order_by(UsageRequest.paperwork_due, UsageRequest.id))
    if unit is not None:
        query = query.where(UsageRequest.unit_id == (unit if isinstance(unit, int) else unit.id))
    out = PaperworkOverview([], [], [])
    for req in db.session.scalars(query):
        if req.paperwork_due is None:
            req.paperwork_due = paperwork_due_for(req.start_date)
        if req.paperwork_due is None:
            out.undetermined.append(req)
        elif req.paperwork_due < today:
            out.overdue.append(req)
        else:
            out.pending.append(req)
    return out


def overdue_paperwork(unit: OrgUnit | int | None = None, today: dt.date | None = None) -> list[UsageRequest]:
    """Emergency requests whose paperwork deadline has passed without the paperwork done."""
    return paperwork_overview(unit, today).overdue


# --------------------------------------------------------------------------------------
# the expert's own tasks
# --------------------------------------------------------------------------------------


def tasks_of(expert_id: int) -> list[Assignment]:
    """The jobs an expert is asked to do (backups not yet called are not shown), newest first."""
    return db.session.scalars(
        select(Assignment).join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id == expert_id, Assignment.is_backup.is_(False),
               UsageRequest.state != "cancelled")
        .options(selectinload(Assignment.request).selectinload(UsageRequest.enterprises),
                 selectinload(Assignment.request).selectinload(UsageRequest.unit))
        .order_by(UsageRequest.start_date.desc(), Assignment.id.desc())
    ).all()


# --------------------------------------------------------------------------------------
# fairness
# --------------------------------------------------------------------------------------


@dataclass
class FairnessRow:
    expert: Expert
    drawn: int
    ratio: float | None
    flagged: bool


@dataclass
class FairnessGroup:
    group: ExpertGroup
    members: int
    total: int
    average: float
    rows: list[FairnessRow]

    @property
    def flagged(self) -> list[FairnessRow]:
        return [r for r in self.rows if r.flagged]


FLAG_RATIO = 2


def fairness_report(year: int) -> list[FairnessGroup]:
    """Per group, how often each member was drawn in ``year`` against the group's average
    (SPEC §3.5); drawn twice the average or more is flagged.

    "Drawn" counts assignments chosen by the random draw (a backup that was called in
    counts, a backup never called does not) on jobs starting in ``year``. Members are the
    district experts in the pool; an expert in several groups appears under each.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    counts = dict(db.session.execute(
        select(Assignment.expert_id, func.count(Assignment.id))
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.method == "draw", Assignment.is_backup.is_(False),
               UsageRequest.start_date >= start, UsageRequest.start_date <= end)
        .group_by(Assignment.expert_id)
    ).all())
    members = db.session.execute(
        select(expert_group_link.c.group_id, Expert)
        .join(Expert, Expert.id == expert_group_link.c.expert_id)
        .where(Expert.source == "district", (Expert.stage == "in_pool") | Expert.id.in_(list(counts) or [-1]))
        .order_by(Expert.name)
    ).all()
    by_group: dict[int, list[Expert]] = defaultdict(list)
    for group_id, expert in members:
        by_group[group_id].append(expert)
    out = []
    for group in db.session.scalars(select(ExpertGroup).order_by(ExpertGroup.sort_order)):
        experts = by_group.get(group.id, [])
        if not experts:
            continue
        total = sum(counts.get(e.id, 0) for e in experts)
        average = total / len(experts)
        rows = []
        for e in experts:
            n = counts.get(e.id, 0)
            ratio = (n / average) if average else None
            rows.append(FairnessRow(e, n, ratio, bool(average) and n > 0 and n >= FLAG_RATIO * average))
        rows.sort(key=lambda r: (-r.drawn, r.expert.name))
        out.append(FairnessGroup(group, len(experts), total, average, rows))
    return out


__all__ = [
    "ALGORITHM", "ALGORITHM_TEXT", "Candidates", "EXCLUSION_KINDS", "Exclusion", "FairnessGroup",
    "Invitation", "ResponseOutcome", "absence_tally", "active_assignments", "add_external_expert",
    "apply_absence_rule", "cancel_request", "candidates", "complete_assignment", "complete_paperwork",
    "create_external_expert", "create_request", "default_units", "designate", "draw", "draw_order",
    "fairness_report", "find_candidates", "invitations_of", "new_seed", "overdue_paperwork", "paperwork_due_for",
    "paperwork_overview", "promote_backup", "reclassify_decline", "register_enterprise", "replay_draw", "respond",
    "still_needed", "tasks_of", "unit_label", "update_request_conditions", "verify_draw", "void_selection",
]
