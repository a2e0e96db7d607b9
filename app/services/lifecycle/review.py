"""The appointment procedure of 第十二条 as explicit states (SPEC §3.2).

    submitted ──初审──▶ prelim_passed ──测试──▶ test_passed ──▶ shortlisted ──审定──▶ approved ──发文──▶ appointed
        │                   │                      (拟聘名单)          │
        ▼                   ▼                                          ▼
  prelim_rejected       test_failed                                rejected

- 初审 (第十二条(三)) and the test result (第十二条(四)), the 拟聘名单 and the appointment
  发文 are done by 安全生产基础科 (``office``, 第十七条);
- the 局长办公会议 decides (``leader``): approve or reject a shortlisted candidate, or
  appoint a special-needs expert directly (第十二条(五)) from any open state — on its own
  motion or on the office's proposal (``propose_direct``), which it may also decline
  (``decline_direct``; the application then goes on by the ordinary steps);
- ``office`` may withdraw an open application, and override the age warning of
  第十一条(六) with a written reason.

Each verb checks the actor's role and the current state first and raises
:class:`DomainError` with a Chinese reason when the step is out of order; nothing is
changed then. A step records a :class:`ReviewStep` (who, when, from → to, opinion)
and a timeline event. Bulk verbs check every application before changing any.
Services flush; the view commits.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from app import clock
from app.auth.rights import allowed, holders
from app.extensions import db
from app.services import identity
from app.services.errors import DomainError
from app.services.lifecycle.eligibility import Eligibility, eligibility_of
from app.services.lifecycle.intake import new_receipt_no
from app.services.lifecycle.terms import check_can_start, check_term_fields, start_term
from app.services.status import current_term
from app.services.timeline import record_event
from models import Application, Expert, OrgUnit, ReviewStep, Term, User
from models.choices import APPLICATION_CHANNELS, APPLICATION_STATES, ROLES

# Who takes the steps is the rights table's: 基础科 reviews, the 局长办公会议 decides (第十二条).
OFFICE = tuple(sorted(holders("application", "review")))
LEADER = tuple(sorted(holders("application", "decide")))

OPEN_STATES = ("submitted", "prelim_passed", "test_passed", "shortlisted", "approved")
FINAL_STATES = ("prelim_rejected", "test_failed", "rejected", "appointed", "withdrawn")
NEGATIVE_STATES = ("prelim_rejected", "test_failed", "rejected", "withdrawn")
# Open states from which the meeting may still appoint directly (第十二条(五)).
DIRECT_STATES = ("submitted", "prelim_passed", "test_passed", "shortlisted")
# States from which the office may put a case to the meeting for direct appointment: one on
# the 拟聘名单 is before the meeting already.
PROPOSE_DIRECT_STATES = ("submitted", "prelim_passed", "test_passed")

# Which unit kinds may recommend through which channel (第十二条(一)).
CHANNEL_UNIT_KINDS = {
    "town": ("town", "devzone", "subdistrict"),
    "section": ("section",),
    "brigade": ("brigade",),
}


@dataclass(frozen=True)
class Step:
    """One step of the procedure: who may take it, from which states, and what it needs."""

    code: str
    label: str
    from_states: tuple[str, ...]
    roles: tuple[str, ...]
    requirement: str
    opinion_required: bool = False
    default_opinion: str = ""
    # Whether the step needs a pending proposal of direct appointment (True), needs none
    # (False), or does not care (None).
    needs_proposal: bool | None = None


STEPS: dict[str, Step] = {s.code: s for s in (
    Step("prelim_pass", "初审通过", ("submitted",), OFFICE, "只有“已提交”的申请才能初审",
         default_opinion="经初审，符合第十一条聘任条件，同意参加综合素质测试。"),
    Step("prelim_reject", "初审不通过", ("submitted",), OFFICE, "只有“已提交”的申请才能初审",
         opinion_required=True),
    Step("test", "录入测试结果", ("prelim_passed",), OFFICE, "须先通过初审，才能录入综合素质测试结果"),
    Step("shortlist", "列入拟聘名单", ("test_passed",), OFFICE, "须综合素质测试合格，才能列入拟聘名单",
         default_opinion="综合素质测试合格，列入拟聘名单，报局长办公会议审定。"),
    Step("approve", "审定通过", ("shortlisted",), LEADER,
         "须先经初审、综合素质测试合格并列入拟聘名单，才能报局长办公会议审定",
         default_opinion="经局长办公会议审定，同意聘任。"),
    Step("reject", "审定不通过", ("shortlisted",), LEADER,
         "须先经初审、综合素质测试合格并列入拟聘名单，才能报局长办公会议审定", opinion_required=True),
    Step("appoint", "聘任发文", ("approved",), OFFICE, "须经局长办公会议审定通过，才能聘任发文"),
    Step("direct", "特需专家直接聘任", DIRECT_STATES,
         LEADER, "已审定或已结束的申请不能再直接聘任", opinion_required=True),
    Step("withdraw", "撤回申请", OPEN_STATES, OFFICE, "已结束的申请不能撤回", opinion_required=True),
    Step("propose_direct", "提请特需专家直接聘任", PROPOSE_DIRECT_STATES, OFFICE,
         "已审定或已结束的申请不能再提请直接聘任", opinion_required=True, needs_proposal=False),
    Step("decline_direct", "不同意直接聘任", PROPOSE_DIRECT_STATES, LEADER,
         "已审定或已结束的申请不能再审定直接聘任", opinion_required=True, needs_proposal=True),
)}


def _roles_label(roles: Sequence[str]) -> str:
    return "、".join(ROLES[r] for r in roles)


def check_step(application: Application, code: str, actor: User | None) -> Step:
    """Refuse (DomainError) if ``actor`` may not take step ``code`` now; else return the step."""
    step = STEPS[code]
    if actor is None or actor.role not in step.roles:
        raise DomainError(f"只有{_roles_label(step.roles)}可以{step.label}。")
    if application.state not in step.from_states:
        raise DomainError(
            f"不能{step.label}：申请{application.receipt_no}当前为“{application.state_label}”，{step.requirement}。"
        )
    if step.needs_proposal is True and not direct_pending(application):
        raise DomainError(f"不能{step.label}：申请{application.receipt_no}没有待审定的直接聘任提请。")
    if step.needs_proposal is False and direct_pending(application):
        raise DomainError(f"不能{step.label}：申请{application.receipt_no}已提请直接聘任，等待局长办公会议审定。")
    return step


def direct_pending(application: Application) -> bool:
    """Whether the office's proposal of direct appointment waits for the meeting."""
    return application.direct_proposed_at is not None and application.state in PROPOSE_DIRECT_STATES


def available_steps(application: Application, role: str | None) -> list[Step]:
    """The steps ``role`` may take on ``application`` in its current state (for the buttons)."""
    pending = direct_pending(application)
    return [s for s in STEPS.values() if role in s.roles and application.state in s.from_states
            and (s.needs_proposal is None or s.needs_proposal == pending)]


def _opinion(step: Step, opinion: str | None) -> str:
    text = (opinion or "").strip()
    if step.opinion_required and not text:
        raise DomainError(f"{step.label}须填写意见或理由。")
    if len(text) > 2000:
        raise DomainError("意见不能超过2000字。")
    return text or step.default_opinion


def _move(application: Application, to_state: str, actor: User | None, opinion: str, event: str | None,
          at: dt.datetime | None = None) -> ReviewStep:
    """Record the step and the timeline event (unless ``event`` is None because another
    service recorded it); set the new state and the expert's stage."""
    step = ReviewStep(application=application, from_state=application.state, to_state=to_state,
                      opinion=opinion or None, actor_id=actor.id if actor else None)
    if at is not None:
        step.at = at
    db.session.add(step)
    application.state = to_state
    expert = application.expert
    if to_state in NEGATIVE_STATES and expert.stage == "applicant":
        expert.stage = "not_appointed"
    if event:
        record_event(expert, event, f"申请{application.receipt_no}：{opinion}" if opinion else
                     f"申请{application.receipt_no}", actor, at=at)
    db.session.flush()
    return step


def _each(applications: Iterable[Application], check: Callable[[Application], None]) -> list[Application]:
    """Run ``check`` on every application; raise one DomainError listing every refusal."""
    apps = list(applications)
    if not apps:
        raise DomainError("请至少选择一份申请。")
    problems = []
    for app_ in apps:
        try:
            check(app_)
        except DomainError as err:
            problems.append(f"{app_.expert.name}（{app_.receipt_no}）：{err}")
    if problems:
        raise DomainError("未作任何修改。" + "\n".join(problems))
    return apps


def eligibility_for(application: Application, on: dt.date | None = None) -> Eligibility:
    """第十一条 for the applicant of ``application`` on ``on`` (the review date, default today)."""
    return eligibility_of(application.expert, on=on, application=application)


# --- entering a recommendation --------------------------------------------------------


def next_receipt_no(channel: str = "section", today: dt.date | None = None) -> str:
    """A receipt number (ZJ… for 自荐, TJ… for 推荐), the same kind intake gives."""
    return new_receipt_no(channel, today)


def check_channel(channel: str, unit: OrgUnit | None, unit_name: str | None) -> None:
    """The recommending unit must fit the channel (第十二条(一))."""
    if channel not in APPLICATION_CHANNELS:
        raise DomainError("请选择推荐渠道。")
    kinds = CHANNEL_UNIT_KINDS.get(channel)
    if kinds:
        if unit is None:
            raise DomainError(f"请选择推荐单位（{APPLICATION_CHANNELS[channel]}）。")
        if unit.kind not in kinds:
            raise DomainError(f"推荐单位“{unit.name}”不是{APPLICATION_CHANNELS[channel]}。")
    if channel == "employer" and not (unit_name or "").strip():
        raise DomainError("请填写推荐单位（本人所在单位）的全称。")


def check_recommender(channel: str, opinion: str | None, contact: str | None, phone: str | None) -> str | None:
    """附件2 填表说明11: a recommendation carries the unit's opinion, 经办联系人 and phone.

    Returns the normalised phone number."""
    if channel == "self":
        return identity.check_phone(phone) if phone else None
    missing = [label for label, value in (("推荐单位意见", opinion), ("经办联系人", contact), ("联系电话", phone))
               if not (value or "").strip()]
    if missing:
        raise DomainError("推荐须填写" + "、".join(missing) + "（附件2填表说明11）。")
    return identity.check_phone(phone)


def open_application(expert: Expert, *, channel: str, actor: User, recommending_unit: OrgUnit | None = None,
                     recommending_unit_name: str | None = None, opinion: str | None = None,
                     contact: str | None = None, phone: str | None = None, is_renewal: bool = False,
                     today: dt.date | None = None) -> Application:
    """A new application for an expert already on record (a renewed recommendation, or
    someone not appointed before). New people are entered with their 附件2 data
    through ``app.services.lifecycle.intake.submit_self_recommendation``.
    """
    if actor is None or not allowed(actor.role, "application", "review"):
        raise DomainError("只有基础科可以录入推荐。")
    if expert.stage == "dismissed":
        raise DomainError(f"{expert.name}已被解聘（第十三条），不能再次申请聘任。")
    if expert.source != "district":
        raise DomainError("上级库或库外专家不通过本程序聘任（第十四条）。")
    running = db.session.scalar(
        select(Application).where(Application.expert_id == expert.id, Application.state.in_(OPEN_STATES))
    )
    if running is not None:
        raise DomainError(f"{expert.name}已有进行中的申请（{running.receipt_no}，{running.state_label}）。")
    if current_term(expert, today) is not None and not is_renewal:
        raise DomainError(f"{expert.name}在聘期内；如为换届续聘，请勾选“续聘申请”。")
    check_channel(channel, recommending_unit, recommending_unit_name)
    phone = check_recommender(channel, opinion, contact, phone)
    if channel != "self":
        expert.recommender_opinion = (opinion or "").strip()
        expert.recommender_contact = (contact or "").strip()
        expert.recommender_phone = phone
    application = Application(
        receipt_no=next_receipt_no(channel, today), expert=expert, channel=channel, state="submitted",
        recommending_unit=recommending_unit,
        recommending_unit_name=(recommending_unit.name if recommending_unit else (recommending_unit_name or "").strip()
                                or None),
        is_renewal=is_renewal, created_by_id=actor.id,
    )
    db.session.add(application)
    if expert.stage == "not_appointed":
        expert.stage = "applicant"
    who = application.recommending_unit_name or APPLICATION_CHANNELS[channel]
    record_event(expert, "提交续聘申请" if is_renewal else "提交推荐申请",
                 f"回执编号 {application.receipt_no}，{APPLICATION_CHANNELS[channel]}：{who}", actor)
    db.session.flush()
    return application


# --- 初审 (第十二条(三)) --------------------------------------------------------------------


def pass_prelim(application: Application, actor: User, opinion: str | None = None,
                on: dt.date | None = None) -> ReviewStep:
    """初审通过: every condition of 第十一条 except the test must be met on ``on``."""
    step = check_step(application, "prelim_pass", actor)
    eligibility_for(application, on).require("初审不能通过", ignore=("test",))
    return _move(application, "prelim_passed", actor, _opinion(step, opinion), "初审通过")


def reject_prelim(application: Application, actor: User, opinion: str) -> ReviewStep:
    """初审不通过, with the reason (required)."""
    step = check_step(application, "prelim_reject", actor)
    return _move(application, "prelim_rejected", actor, _opinion(step, opinion), "初审未通过")


def override_age(application: Application, actor: User, reason: str, on: dt.date | None = None) -> None:
    """Accept an applicant over 65 (第十一条(六) 原则上): only 基础科, only with a written reason.

    The reason and who gave it are kept on the application and in the timeline."""
    if actor is None or not allowed(actor.role, "application", "review"):
        raise DomainError("只有基础科可以对年龄超过65周岁的情形作出特批。")
    if application.state not in OPEN_STATES:
        raise DomainError(f"申请已结束（{application.state_label}），不能再特批。")
    text = (reason or "").strip()
    if len(text) < 4:
        raise DomainError("年龄特批须书面说明理由（不少于4个字）。")
    age = eligibility_for(application, on).get("age")
    if age.ok:
        raise DomainError(f"无需特批：{age.reason}。")
    application.age_override_reason = text
    application.age_override_by_id = actor.id
    record_event(application.expert, "年龄条件特批", f"申请{application.receipt_no}：{text}", actor)
    db.session.flush()


# --- 综合素质测试 (第十一条(五), 第十二条(四)) ----------------------------------------------------


def _score(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(f"测试成绩“{value}”不是数字。") from None
    if not score.is_finite() or score < 0 or score > 100:
        raise DomainError("测试成绩须在0到100分之间。")
    if score != score.quantize(Decimal("0.1")):
        raise DomainError("测试成绩最多保留一位小数。")
    return score.quantize(Decimal("0.1"))


def record_test_result(application: Application, actor: User, passed: bool | None, score=None,
                       opinion: str | None = None) -> ReviewStep:
    """Enter one 综合素质测试 result: 合格 or 不合格, with the score if there is one."""
    step = check_step(application, "test", actor)
    if passed is None:
        raise DomainError("请选择测试结果（合格或不合格）。")
    value = _score(score)
    application.test_score = value
    shown = f"成绩{value.normalize():f}分" if value is not None else ""
    text = (opinion or "").strip() or ("综合素质测试合格" if passed else "综合素质测试不合格")
    if shown:
        text = f"{text}（{shown}）"
    _opinion(step, text)
    return _move(application, "test_passed" if passed else "test_failed", actor, text,
                 "综合素质测试合格" if passed else "综合素质测试不合格")


def record_test_results(rows: Sequence[tuple[Application, bool | None, object, str | None]],
                        actor: User) -> list[ReviewStep]:
    """Enter many results at once; all rows are checked first, and one bad row changes nothing.

    ``rows`` are (application, passed, score, opinion)."""
    rows = list(rows)

    def check(row):
        application, passed, score, _ = row
        check_step(application, "test", actor)
        if passed is None:
            raise DomainError("未选择测试结果")
        _score(score)

    problems = []
    if not rows:
        raise DomainError("没有要录入的测试结果。")
    for row in rows:
        try:
            check(row)
        except DomainError as err:
            problems.append(f"{row[0].expert.name}（{row[0].receipt_no}）：{err}")
    if problems:
        raise DomainError("未作任何修改。" + "\n".join(problems))
    return [record_test_result(a, actor, passed, score, opinion) for a, passed, score, opinion in rows]


# --- 拟聘名单 ----------------------------------------------------------------------------


def shortlist(applications: Iterable[Application], actor: User, opinion: str | None = None,
              on: dt.date | None = None) -> list[ReviewStep]:
    """Put candidates who passed the test on the 拟聘名单 (第十二条(四)); each must meet every
    condition of 第十一条 (an age warning needs 基础科's written override first)."""

    def check(app_):
        check_step(app_, "shortlist", actor)
        eligibility_for(app_, on).require("不能列入拟聘名单")

    apps = _each(applications, check)
    step = STEPS["shortlist"]
    return [_move(a, "shortlisted", actor, _opinion(step, opinion), "列入拟聘名单") for a in apps]


def shortlisted(on: dt.date | None = None) -> list[Application]:
    """The current 拟聘名单: applications waiting for the 局长办公会议, by name."""
    return list(db.session.scalars(
        select(Application).join(Application.expert).where(Application.state == "shortlisted").order_by(Expert.name)
    ))


# --- 局长办公会议审定 -------------------------------------------------------------------------


def approve(application: Application, actor: User, opinion: str | None = None,
            on: dt.date | None = None) -> ReviewStep:
    """局长办公会议审定通过 (leader)."""
    step = check_step(application, "approve", actor)
    eligibility_for(application, on).require("不能审定通过")
    return _move(application, "approved", actor, _opinion(step, opinion), "局长办公会议审定通过")


def reject(application: Application, actor: User, opinion: str) -> ReviewStep:
    """局长办公会议审定不通过 (leader), with the reason."""
    step = check_step(application, "reject", actor)
    return _move(application, "rejected", actor, _opinion(step, opinion), "局长办公会议审定未通过")


def approve_many(applications: Iterable[Application], actor: User, opinion: str | None = None,
                 on: dt.date | None = None) -> list[ReviewStep]:
    """Approve several shortlisted candidates with one opinion (one meeting)."""

    def check(app_):
        check_step(app_, "approve", actor)
        eligibility_for(app_, on).require("不能审定通过")

    return [approve(a, actor, opinion, on) for a in _each(applications, check)]


def direct_appoint(application: Application, actor: User, reason: str,
                   on: dt.date | None = None) -> ReviewStep:
    """特需专家 (第十二条(五)): the meeting decides to appoint directly, skipping 初审, test and
    拟聘名单. The reason is required; conditions of 第十一条 not met are written into the
    record so the decision shows what it set aside. The office then issues the 发文."""
    step = check_step(application, "direct", actor)
    text = _opinion(step, reason)
    application.direct_appointment = True
    application.direct_reason = text
    application.direct_proposed_at = None
    unmet = eligibility_for(application, on).summary()
    record = f"特需专家直接聘任（第十二条（五））：{text}"
    if unmet:
        record += f"。未满足的第十一条条件：{unmet}"
    return _move(application, "approved", actor, record, "局长办公会议审定直接聘任（特需专家）")


def propose_direct(application: Application, actor: User, reason: str) -> ReviewStep:
    """基础科 puts a 特需专家 to the 局长办公会议 for direct appointment (第十二条(五)), with
    the reason (required). The proposal waits in the leader's queue; the state is unchanged."""
    step = check_step(application, "propose_direct", actor)
    text = _opinion(step, reason)
    application.direct_proposed_at = clock.utcnow()
    application.direct_proposal = text
    return _move(application, application.state, actor, f"提请特需专家直接聘任（第十二条（五））：{text}",
                 "提请特需专家直接聘任")


def decline_direct(application: Application, actor: User, reason: str) -> ReviewStep:
    """The meeting does not appoint directly (leader), with the reason; the application goes
    on by the ordinary steps (初审, test, 拟聘名单)."""
    step = check_step(application, "decline_direct", actor)
    text = _opinion(step, reason)
    application.direct_proposed_at = None
    return _move(application, application.state, actor, f"不同意直接聘任：{text}", "局长办公会议不同意直接聘任")


def pending_direct() -> list[Application]:
    """Proposals of direct appointment waiting for the 局长办公会议, oldest first."""
    return list(db.session.scalars(
        select(Application).where(Application.direct_proposed_at.is_not(None),
                                  Application.state.in_(PROPOSE_DIRECT_STATES))
        .order_by(Application.direct_proposed_at, Application.id)
    ))


# --- 聘任发文 (第七条) --------------------------------------------------------------------------


def appoint(application: Application, actor: User, *, cohort: int, doc_no: str, start_date: dt.date,
            on: dt.date | None = None) -> Term:
    """Appoint an approved candidate: the term (第六条), the permit (第七条), stage 在库."""
    check_step(application, "appoint", actor)
    if not application.direct_appointment:
        eligibility_for(application, on).require("不能聘任")
    term = start_term(application.expert, cohort=cohort, doc_no=doc_no, start_date=start_date, actor=actor,
                      application=application, is_renewal=application.is_renewal)
    _move(application, "appointed", actor, f"聘任为第{term.cohort}届专家，发文文号{term.doc_no}，"
          f"聘期{term.start_date.isoformat()}至{term.end_date.isoformat()}", None)  # start_term wrote the event
    return term


def appoint_many(applications: Iterable[Application], actor: User, *, cohort: int, doc_no: str,
                 start_date: dt.date, on: dt.date | None = None) -> list[Term]:
    """One 发文 appointing every approved candidate given; all are checked first."""
    def check(app_):
        check_step(app_, "appoint", actor)
        if not app_.direct_appointment:
            eligibility_for(app_, on).require("不能聘任")
        check_can_start(app_.expert, start_date, is_renewal=app_.is_renewal)

    check_term_fields(cohort, doc_no, start_date)
    apps = _each(applications, check)
    return [appoint(a, actor, cohort=cohort, doc_no=doc_no, start_date=start_date, on=on) for a in apps]


def withdraw(application: Application, actor: User, reason: str) -> ReviewStep:
    """撤回 an open application (the applicant withdrew, or a duplicate), with the reason."""
    step = check_step(application, "withdraw", actor)
    return _move(application, "withdrawn", actor, _opinion(step, reason), "申请撤回")


def review_trail(application: Application) -> list[ReviewStep]:
    """The steps in order, oldest first."""
    return list(application.steps)


def state_label(state: str) -> str:
    return APPLICATION_STATES.get(state, state)
