"""The discipline ladder of 第二十一条 (SPEC §3.7).

    专家在工作开展过程中存在违反专家义务情形的，经区应急管理局调查核实后，属首次发现的，
    给予警告；经警告后再次发现的，对其进行约谈，并暂停专家资格三个月；恢复专家资格后仍存在
    违反专家义务情形的，列入"黑名单"。列入"黑名单"的专家三年内在武进区行政区域范围内不予以
    使用……发现专家存在违法违规行为的，按照相关法律法规进行处理。

A violation is recorded as a draft (待核实). Only verification by the office applies a
step of the ladder, by itself, from the expert's verified history: 警告 → 约谈 + 暂停三个月
→ 黑名单三年. The sanction is written as dates on the violation (``sanction_start``, and
``sanction_end`` = the first day the expert is usable again); ``app.services.status``
reads those dates, so a suspension ends on its day with no job and no manual step.

Decisions the regulation leaves open, taken here the way a careful official would:

* **A further violation found before reinstatement** (during the suspension, or found
  before it began) does **not** escalate by itself. The text puts the blacklist on a
  violation found "恢复专家资格后"; a heavier sanction needs its condition to be met
  (处罚法定). The violation is verified and recorded, the suspension runs on unchanged
  (it is neither extended nor restarted), and the record is flagged in ``ladder_note``
  for the office, who may propose dismissal under 第十三条(七) (which needs a leader's
  approval) or refer an illegal act. It still counts as history: a violation found
  after reinstatement blacklists the expert.
* **A violation found before (or on the day of) an earlier warning** belongs to the
  same first discovery: "经警告后再次发现" means found after the warning. It is recorded
  without a further step.
* **While blacklisted** a further violation is recorded; the blacklist is not restarted.
  After a blacklist has run out, a further violation blacklists again for three years.
* **Dates.** A sanction starts on the verification day and that day counts. The first
  day usable again is the same day of the month 3 (suspension) or 36 (blacklist) months
  later; where that month has no such day, its last day is used (the usual convention
  for periods in months, cf. 民法典第二百零二条): suspended from 2027-11-30 → usable again
  2028-02-29; blacklisted from 2028-02-29 → usable again 2031-02-28, i.e. 1095 days, the
  same length as a three-year blacklist that contains no leap day.

Illegal acts (违法违规行为) carry ``illegal_referral`` with a note on where they were
referred; the ladder applies besides. A very low item score on an evaluation opens a
draft for the office to look at (``open_draft_from_low_score``), never a sanction.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.dispatch.withdrawal import release_for_penalty
from app.services.errors import DomainError
from app.services.status import Penalty
from app.services.timeline import record_event
from models import Evaluation, Expert, Interview, Setting, User, Violation
from models.choices import SANCTIONS

SUSPENSION_MONTHS = 3
BLACKLIST_MONTHS = 36
SUSPENSION_INTERVIEW_REASON = "第二十一条：经警告后再次违反专家义务，约谈并暂停专家资格三个月"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later; the month's last day where it has no such day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class PastViolation:
    """A verified violation of the same expert, as the ladder sees it."""

    found_on: dt.date
    sanction: str | None  # warning / suspension / blacklist / None (recorded only)
    start: dt.date | None = None
    end: dt.date | None = None  # first day usable again


@dataclass(frozen=True)
class Step:
    """What verifying a violation does: a sanction with its dates, or nothing (recorded only)."""

    sanction: str | None
    start: dt.date | None
    end: dt.date | None
    note: str
    interview: bool = False

    @property
    def label(self) -> str:
        return SANCTIONS.get(self.sanction, "不另行处罚（已记录）") if self.sanction else "不另行处罚（已记录）"

    @property
    def last_day(self) -> dt.date | None:
        """The last day of the sanction (the day before the expert is usable again)."""
        return self.end - dt.timedelta(days=1) if self.end else None


def next_step(history: Sequence[PastViolation], found_on: dt.date, verified_on: dt.date) -> Step:
    """The ladder step for a violation found on ``found_on`` and verified on ``verified_on``,
    given the expert's other verified violations (第二十一条; see the module docstring)."""
    blacklists = sorted((h for h in history if h.sanction == "blacklist"), key=lambda h: h.start)
    suspensions = sorted((h for h in history if h.sanction == "suspension"), key=lambda h: h.start)
    warnings = sorted((h for h in history if h.sanction == "warning"), key=lambda h: h.start)

    def blacklist(why: str) -> Step:
        end = add_months(verified_on, BLACKLIST_MONTHS)
        return Step("blacklist", verified_on, end,
                    f"{why}，列入黑名单三年：{_cn(verified_on)}至{_cn(end - dt.timedelta(days=1))}，"
                    f"三年内在武进区不予使用，不得开展中介活动（第二十一条）")

    if blacklists:
        last = blacklists[-1]
        if last.end is None or found_on < last.end:
            until = f"（至{_cn(last.end - dt.timedelta(days=1))}）" if last.end else ""
            return Step(None, None, None, f"已列入黑名单{until}，本次违规已记录，黑名单不重新起算；请基础科研究处理")
        return blacklist("黑名单期满后仍违反专家义务")
    if suspensions:
        last = suspensions[-1]
        if found_on < last.end:
            return Step(None, None, None,
                        f"恢复专家资格前（暂停至{_cn(last.end - dt.timedelta(days=1))}）发现，第二十一条的黑名单以"
                        f"“恢复专家资格后”再违反为条件，不自动加重；暂停按原定日期结束。请基础科研究处理"
                        f"（可按第十三条(七)提出解聘建议）")
        return blacklist("恢复专家资格后仍存在违反专家义务情形")
    if warnings:
        first = warnings[0]
        if found_on > first.start:
            end = add_months(verified_on, SUSPENSION_MONTHS)
            return Step("suspension", verified_on, end,
                        f"经警告后再次发现，约谈并暂停专家资格三个月：{_cn(verified_on)}至"
                        f"{_cn(end - dt.timedelta(days=1))}，{_cn(end)}起恢复（第二十一条）", interview=True)
        when = (f"与{_cn(first.start)}的警告同日发现（不在警告之后）" if found_on == first.start
                else f"发现于{_cn(first.start)}警告之前")
        return Step(None, None, None, f"{when}，与已警告的违规属同一轮首次发现，不另行处罚")
    return Step("warning", verified_on, None, "首次发现，给予警告（第二十一条）")


def history_of(expert: Expert | int, *, exclude_id: int | None = None) -> list[PastViolation]:
    """The expert's verified violations as ladder history."""
    eid = expert if isinstance(expert, int) else expert.id
    query = select(Violation).where(Violation.expert_id == eid, Violation.state == "verified")
    if exclude_id is not None:
        query = query.where(Violation.id != exclude_id)
    return [PastViolation(v.found_on, v.sanction, v.sanction_start, v.sanction_end) for v in db.session.scalars(query)]


def _actor_id(actor: User | int | None) -> int | None:
    if actor is None:
        return None
    return actor if isinstance(actor, int) else actor.id


def _event(expert: Expert, event: str, reason: str | None, actor) -> None:
    """Add the change to the expert's timeline (SPEC §2)."""
    record_event(expert, event, reason, actor)


def _check_found_on(found_on, today: dt.date) -> None:
    if not isinstance(found_on, dt.date):
        raise DomainError("请填写发现日期。")
    if found_on > today:
        raise DomainError("发现日期不能晚于今天。")


def record_violation(expert: Expert, found_on: dt.date, finding: str, *, investigation: str | None = None,
                     illegal_referral: bool = False, referral_note: str | None = None,
                     evaluation: Evaluation | None = None, actor: User | int | None = None,
                     today: dt.date | None = None) -> Violation:
    """Record a possible violation as a draft (待核实); nothing happens to the expert until it is verified."""
    today = today or clock.today()
    if expert is None:
        raise DomainError("请选择专家。")
    _check_found_on(found_on, today)
    if not (finding or "").strip():
        raise DomainError("请填写违规情形。")
    violation = Violation(expert=expert, found_on=found_on, finding=finding.strip(),
                          investigation=(investigation or "").strip() or None, state="draft",
                          illegal_referral=bool(illegal_referral), referral_note=(referral_note or "").strip() or None,
                          evaluation_id=evaluation.id if evaluation is not None else None)
    db.session.add(violation)
    db.session.flush()
    return violation


def preview_step(violation: Violation, verified_on: dt.date | None = None) -> Step:
    """What verifying ``violation`` on ``verified_on`` (default today) would do."""
    verified_on = verified_on or clock.today()
    return next_step(history_of(violation.expert_id, exclude_id=violation.id), violation.found_on, verified_on)


def verify_violation(violation: Violation, *, verified_on: dt.date | None = None, investigation: str | None = None,
                     actor: User | int | None = None, today: dt.date | None = None) -> Step:
    """核实 a draft violation and apply the next ladder step by itself (第二十一条).

    Writes the sanction and its dates on the violation, opens the 约谈 that goes with a
    suspension, and adds the change to the expert's timeline. A suspension or blacklisting
    bites at once: the expert is released from every open job from its first day on
    (:func:`app.services.dispatch.withdrawal.release_for_penalty`, SPEC §3.16). Refuses a verification
    dated before the finding, in the future, or before the expert's previous
    verification (the ladder is applied in order).
    """
    today = today or clock.today()
    verified_on = verified_on or today
    if violation.state != "draft":
        raise DomainError(f"该违规记录已{violation.state_label}，不能再次核实。")
    if investigation is not None:
        violation.investigation = investigation.strip() or None
    if not (violation.investigation or "").strip():
        raise DomainError("请填写调查核实结果（第二十一条：经调查核实后处理）。")
    if verified_on > today:
        raise DomainError("核实日期不能晚于今天。")
    if verified_on < violation.found_on:
        raise DomainError("核实日期不能早于发现日期。")
    if violation.illegal_referral and not (violation.referral_note or "").strip():
        raise DomainError("已标记“违法违规、移送处理”，请填写移送情况（移送机关、日期、文号）。")
    previous = db.session.scalar(
        select(Violation.verified_on)
        .where(Violation.expert_id == violation.expert_id, Violation.state == "verified", Violation.id != violation.id)
        .order_by(Violation.verified_on.desc())
        .limit(1)
    )
    if previous is not None and verified_on < previous:
        raise DomainError(f"核实日期不能早于该专家上一次违规的核实日期（{previous.isoformat()}）。")

    step = next_step(history_of(violation.expert_id, exclude_id=violation.id), violation.found_on, verified_on)
    violation.state = "verified"
    violation.verified_on = verified_on
    violation.verified_by_id = _actor_id(actor)
    violation.sanction = step.sanction
    violation.sanction_start = step.start
    violation.sanction_end = step.end
    violation.ladder_note = step.note[:300]
    expert = violation.expert
    if step.interview:
        db.session.add(Interview(expert=expert, reason=SUSPENSION_INTERVIEW_REASON, violation_id=violation.id))
    event = {"warning": "警告", "suspension": "约谈并暂停专家资格三个月", "blacklist": "列入黑名单三年"}.get(
        step.sanction, "违规已核实（未另行处罚）")
    _event(expert, f"{event}（第二十一条）", f"{violation.finding}\n{step.note}", actor)
    if violation.illegal_referral:
        _event(expert, "违法违规行为移送处理", violation.referral_note, actor)
    db.session.flush()
    if step.sanction in ("suspension", "blacklist"):
        penalty = Penalty(step.sanction, step.start, step.end)
        release_for_penalty(expert, step.start, f"专家{penalty.reason}", actor=actor)
    return step


def dismiss_violation(violation: Violation, reason: str, *, actor: User | int | None = None) -> Violation:
    """不予认定: the investigation did not confirm the draft; it has no consequence."""
    if violation.state != "draft":
        raise DomainError(f"该违规记录已{violation.state_label}，不能改为不予认定。")
    if not (reason or "").strip():
        raise DomainError("请填写不予认定的理由。")
    violation.state = "dismissed"
    violation.investigation = reason.strip()
    violation.verified_by_id = _actor_id(actor)
    violation.verified_on = clock.today()
    db.session.flush()
    return violation


def low_item_ratio() -> Decimal:
    """The setting ``low_item_ratio`` (share of an item's maximum), 0.4 if unset or unreadable."""
    raw = db.session.scalar(select(Setting.value).where(Setting.key == "low_item_ratio"))
    try:
        value = Decimal(str(raw).strip()) if raw is not None else Decimal("0.4")
    except InvalidOperation:
        return Decimal("0.4")
    return value if Decimal(0) <= value <= Decimal(1) else Decimal("0.4")


def low_items(evaluation: Evaluation, ratio: Decimal, scores: Sequence | None = None) -> list:
    """The item scores of ``evaluation`` (or ``scores``, read the same way) strictly below
    ``ratio`` × the item's maximum."""
    scores = evaluation.scores if scores is None else scores
    return sorted((s for s in scores if Decimal(s.score) < ratio * s.item.max_score),
                  key=lambda s: (s.item.section.position, s.item.position))


def open_draft_from_low_score(evaluation: Evaluation, *, new_scores: Sequence | None = None) -> Violation | None:
    """A draft violation for the office when an item of ``evaluation`` scored very low.

    One draft per evaluation, listing every low item with its 发现问题; calling again
    for the same evaluation returns the existing draft. It is never a sanction: only
    the office's verification applies the ladder (第二十一条: 经调查核实后).

    ``new_scores`` are the scores of an evaluation saved just now (objects with ``item``,
    ``score`` and ``problem``): it cannot have a draft yet, and its scores are read from
    them rather than from the database — two statements fewer for every evaluation saved.
    """
    if new_scores is None:
        existing = db.session.scalar(select(Violation).where(Violation.evaluation_id == evaluation.id))
        if existing is not None:
            return existing
    scores = evaluation.scores if new_scores is None else new_scores
    if all(s.score >= (s.item.max_score or 0) for s in scores):
        return None  # nothing below its maximum: nothing is low, whatever the setting says
    ratio = low_item_ratio()
    lows = low_items(evaluation, ratio, scores)
    if not lows:
        return None
    items = []
    for s in lows:
        text = f"{s.item.text}：{s.score}/{s.item.max_score}分"
        if (s.problem or "").strip():
            text += f"（发现问题：{s.problem.strip()}）"
        items.append(text)
    # the low items first: they are what the office reads in the list
    finding = (f"单项得分过低（低于满分的{(ratio * 100).normalize():f}%）：" + "；".join(items) + "。\n"
               f"来源：评价表（{evaluation.enterprise_name}，{evaluation.evaluated_on.isoformat()}，"
               f"考评人{evaluation.evaluator_name}）。请核实是否存在违反专家义务情形。")
    violation = Violation(expert_id=evaluation.expert_id, found_on=evaluation.evaluated_on, finding=finding,
                          state="draft", evaluation_id=evaluation.id)
    db.session.add(violation)
    db.session.flush()
    return violation


def current_sanction(expert: Expert | int, on: dt.date | None = None) -> Violation | None:
    """The verified suspension or blacklist in force on ``on`` (for display; status.py decides)."""
    on = on or clock.today()
    eid = expert if isinstance(expert, int) else expert.id
    rows = db.session.scalars(select(Violation).where(
        Violation.expert_id == eid, Violation.state == "verified", Violation.sanction.in_(("suspension", "blacklist")),
        Violation.sanction_start <= on))
    active = [v for v in rows if v.sanction_end is None or on < v.sanction_end]
    active.sort(key=lambda v: (v.sanction != "blacklist", v.sanction_start))
    return active[0] if active else None


def amend_violation(violation: Violation, *, actor: User | int | None = None) -> None:
    """Check an edit of an existing violation (the form has already changed its attributes).

    A draft may be corrected freely. Once verified or dismissed, who, when and what was
    found are the basis of the decision and stay as they are; the investigation text
    and the referral of an illegal act (违法违规, often decided later) may still be
    completed. A referral added after verification goes to the timeline.
    """
    from sqlalchemy import inspect

    state = inspect(violation)
    if violation.state != "draft":
        changed = [label for attr, label in (("expert", "专家"), ("expert_id", "专家"), ("found_on", "发现日期"),
                                             ("finding", "违规情形"))
                   if state.attrs[attr].history.has_changes()]
        if changed:
            raise DomainError(f"该违规记录已{violation.state_label}，不能再修改{'、'.join(dict.fromkeys(changed))}。")
    if violation.illegal_referral and not (violation.referral_note or "").strip():
        raise DomainError("已标记“违法违规、移送处理”，请填写移送情况（移送机关、日期、文号）。")
    if violation.found_on and violation.found_on > clock.today():
        raise DomainError("发现日期不能晚于今天。")
    referral = state.attrs.illegal_referral.history
    if violation.state == "verified" and violation.illegal_referral and referral.has_changes():
        _event(violation.expert, "违法违规行为移送处理", violation.referral_note, actor)


def draft_blacklist_announcement(violation: Violation, *, actor: User | None = None):
    """A draft 黑名单公告 for a verified blacklist (SPEC §2: announcements include the blacklist).

    The office reviews the wording and publishes it with the other announcements. Only
    public facts are copied (name, groups, employer, the period). Asking again for the
    same violation returns the draft or announcement already made.
    """
    from models import Announcement, AnnouncementEntry

    if violation.state != "verified" or violation.sanction != "blacklist":
        raise DomainError("只有已核实并列入黑名单的违规记录才能起草黑名单公告。")
    expert = violation.expert
    last = violation.sanction_end - dt.timedelta(days=1)
    remark = f"黑名单期限：{violation.sanction_start.isoformat()}至{last.isoformat()}"
    existing = db.session.scalar(
        select(Announcement).join(AnnouncementEntry).where(
            Announcement.kind == "blacklist", AnnouncementEntry.expert_id == expert.id,
            AnnouncementEntry.remark == remark))
    if existing is not None:
        return existing
    body = (f"根据《武进区安全生产专家管理办法》第二十一条，经区应急管理局调查核实，{expert.name}存在违反专家义务"
            f"情形，决定将其列入“黑名单”。自{_cn(violation.sanction_start)}起至{_cn(last)}止，三年内在武进区行政区域"
            f"范围内不予以使用，并不得在武进区行政区域范围内开展中介活动。")
    ann = Announcement(kind="blacklist", title=f"关于将{expert.name}列入武进区安全生产专家“黑名单”的公告", body=body,
                       published=False, created_by_id=_actor_id(actor))
    ann.entries.append(AnnouncementEntry(expert_id=expert.id, name=expert.name,
                                         groups="、".join(expert.group_names)[:200],
                                         employer=(expert.employer or "")[:200], remark=remark))
    db.session.add(ann)
    db.session.flush()
    return ann
