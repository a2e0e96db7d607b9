"""Appointment conditions of 第十一条, checked one by one with a reason each (SPEC §3.1).

第十一条 lists six conditions. The software decides four of them from the record:

- (三) 学历: 大专 or above;
- (三) 职称: 中级 or above, **or** 注册安全评价师, **or** 注册安全工程师;
- (三) 从事相关专业工作经历 5 years or more (whole years; from 主要工作经历 when rows
  exist, otherwise from 从事相关专业起始年份);
- (五) 综合素质测试 passed;

one is a rule "in principle":

- (六) 年龄原则上不得超过65周岁: the age in whole years on the review date must be
  at most 65. Someone who has turned 66 is over 65 (the day before the 66th birthday
  is still fine). This is a warning that only 基础科 (``office``) may override, with a
  written reason that is kept on the application;

and the others are declarations of the applicant: (一) 职业道德 and (六) 身体健康.
(二) and (四) — knowledge and field ability — are judged by the 初审 and the test.

``check_conditions`` is the pure core over plain values; ``eligibility_of`` reads an
expert (and optionally his application) and calls it. Every screen that shows or
enforces the conditions uses these two functions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle.work_history import years_in_field
from models import Application, Expert, Setting, Term
from models.choices import EDUCATION_LEVELS, EDUCATION_RANK, TITLE_LEVELS, TITLE_RANK

MIN_YEARS_IN_FIELD = 5
DEFAULT_MAX_AGE = 65

# Application states in which the 综合素质测试 has been passed.
TEST_PASSED_STATES = ("test_passed", "shortlisted", "approved", "appointed")


@dataclass(frozen=True)
class Condition:
    """One condition of 第十一条 and its result.

    ``ok`` is True (met), False (not met) or None (cannot be decided yet: the test
    has not taken place). ``kind`` is ``rule``, ``principle`` (the age rule, which
    office may override) or ``declaration``.
    """

    code: str
    article: str
    label: str
    ok: bool | None
    reason: str
    kind: str = "rule"
    overridden: bool = False

    @property
    def passed(self) -> bool:
        return self.ok is True or self.overridden

    @property
    def result_label(self) -> str:
        if self.ok is True:
            return "符合"
        if self.overridden:
            return "已特批"
        if self.ok is None:
            return "待定"
        return "警告" if self.kind == "principle" else "不符合"


@dataclass(frozen=True)
class Eligibility:
    """The result of every condition, decided on ``on``."""

    on: dt.date
    conditions: tuple[Condition, ...]

    def __iter__(self):
        return iter(self.conditions)

    def get(self, code: str) -> Condition:
        return next(c for c in self.conditions if c.code == code)

    def failures(self, *, ignore: tuple[str, ...] = ()) -> list[Condition]:
        """Conditions not passed (pending ones count as not passed), except ``ignore``."""
        return [c for c in self.conditions if c.code not in ignore and not c.passed]

    def is_met(self, *, ignore: tuple[str, ...] = ()) -> bool:
        return not self.failures(ignore=ignore)

    @property
    def eligible(self) -> bool:
        return self.is_met()

    @property
    def age_warning(self) -> bool:
        """Over 65 and not (yet) overridden: what office may override."""
        age = self.get("age")
        return age.ok is False and not age.overridden

    def summary(self, *, ignore: tuple[str, ...] = ()) -> str:
        """The reasons of the failed conditions, joined for a message."""
        return "；".join(f"{c.label}：{c.reason}" for c in self.failures(ignore=ignore))

    def require(self, what: str, *, ignore: tuple[str, ...] = ()) -> None:
        """Raise a DomainError naming every unmet condition, e.g. before 初审通过."""
        failures = self.failures(ignore=ignore)
        if failures:
            raise DomainError(f"{what}：不符合第十一条聘任条件——" + self.summary(ignore=ignore) + "。")


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Age in whole years on ``on`` (a 29 February birthday falls on 1 March in other years)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def check_conditions(
    *,
    on: dt.date,
    birth_date: dt.date | None,
    education: str | None,
    title_level: str | None,
    title: str | None = None,
    registered_safety_engineer: bool = False,
    registered_safety_assessor: bool = False,
    years: int | None,
    years_basis: str = "",
    test_passed: bool | None,
    test_note: str = "",
    age_override_reason: str | None = None,
    health_declared: bool = False,
    ethics_declared: bool = False,
    max_age: int = DEFAULT_MAX_AGE,
) -> Eligibility:
    """Decide each condition of 第十一条 from plain values (see the module docstring).

    ``years`` is the completed years in the field, or None when nothing was given
    to count them from; ``years_basis`` says what they were counted from.
    ``test_passed`` is True, False or None (not tested yet).
    """
    out: list[Condition] = []

    edu_label = EDUCATION_LEVELS.get(education or "", education or "未填写")
    if EDUCATION_RANK.get(education or "", -1) >= EDUCATION_RANK["junior_college"]:
        out.append(Condition("education", "第十一条（三）", "学历", True, f"{edu_label}，符合大专及以上"))
    else:
        out.append(Condition("education", "第十一条（三）", "学历", False, f"{edu_label}，须具备大专及以上学历"))

    level_label = TITLE_LEVELS.get(title_level or "none", title_level or "无")
    title_text = f"{title}（{level_label}）" if title else level_label
    grounds = []
    if TITLE_RANK.get(title_level or "none", 0) >= TITLE_RANK["intermediate"]:
        grounds.append(f"职称{title_text}")
    if registered_safety_engineer:
        grounds.append("注册安全工程师")
    if registered_safety_assessor:
        grounds.append("注册安全评价师")
    if grounds:
        out.append(Condition("title", "第十一条（三）", "职称或注册资格", True, "、".join(grounds) + "，符合条件"))
    else:
        out.append(Condition("title", "第十一条（三）", "职称或注册资格", False,
                             f"职称{title_text}，须为中级以上技术职称，或具有注册安全评价师、注册安全工程师资格"))

    basis = f"（{years_basis}）" if years_basis else ""
    if years is None:
        out.append(Condition("experience", "第十一条（三）", "相关专业工作经历", False,
                             "未填写主要工作经历或从事相关专业起始年份，无法核定工作年限"))
    elif years >= MIN_YEARS_IN_FIELD:
        out.append(Condition("experience", "第十一条（三）", "相关专业工作经历", True, f"{years}年{basis}，满5年"))
    else:
        out.append(Condition("experience", "第十一条（三）", "相关专业工作经历", False,
                             f"{years}年{basis}，须满5年"))

    note = f"（{test_note}）" if test_note else ""
    if test_passed is True:
        out.append(Condition("test", "第十一条（五）", "综合素质测试", True, f"测试合格{note}"))
    elif test_passed is False:
        out.append(Condition("test", "第十一条（五）", "综合素质测试", False, f"测试不合格{note}"))
    else:
        out.append(Condition("test", "第十一条（五）", "综合素质测试", None, f"尚未参加测试{note}"))

    if birth_date is None:
        out.append(Condition("age", "第十一条（六）", "年龄", False, "未填写出生日期", kind="principle"))
    else:
        age = age_on(birth_date, on)
        if age <= max_age:
            out.append(Condition("age", "第十一条（六）", "年龄", True, f"{age}周岁，未超过{max_age}周岁",
                                 kind="principle"))
        elif age_override_reason:
            out.append(Condition("age", "第十一条（六）", "年龄", False,
                                 f"{age}周岁，超过{max_age}周岁；基础科特批理由：{age_override_reason}",
                                 kind="principle", overridden=True))
        else:
            out.append(Condition("age", "第十一条（六）", "年龄", False,
                                 f"{age}周岁，原则上不得超过{max_age}周岁（基础科可书面说明理由后特批）",
                                 kind="principle"))

    out.append(Condition("health", "第十一条（六）", "身体健康", bool(health_declared),
                         "本人已声明身体健康" if health_declared else "本人尚未声明身体健康", kind="declaration"))
    out.append(Condition("ethics", "第十一条（一）", "职业道德", bool(ethics_declared),
                         "本人已声明热爱安全生产工作、具有良好职业道德" if ethics_declared
                         else "本人尚未作职业道德声明", kind="declaration"))
    return Eligibility(on=on, conditions=tuple(out))


def max_age() -> int:
    """The age limit from the settings (default 65, 第十一条(六))."""
    value = db.session.scalar(select(Setting.value).where(Setting.key == "max_age"))
    try:
        return int(value) if value else DEFAULT_MAX_AGE
    except ValueError:
        return DEFAULT_MAX_AGE


def years_of(expert: Expert, on: dt.date) -> tuple[int | None, str]:
    """Completed years in the field and what they were counted from.

    Work history rows (主要工作经历) are used when present; otherwise the year the
    expert started in the field, counted from 1 January of that year.
    """
    rows = [w.period for w in expert.work_history if w.period]
    if rows:
        try:
            return years_in_field(rows, on), "按主要工作经历计算"
        except DomainError as err:
            if not expert.field_start_year:
                return None, f"主要工作经历有误：{err}"
    if expert.field_start_year:
        return max(0, on.year - expert.field_start_year), f"自{expert.field_start_year}年起计算"
    return None, ""


def _test_result(expert: Expert, application: Application | None) -> tuple[bool | None, str]:
    if application is not None:
        if application.direct_appointment:
            return True, "特需专家经局长办公会议审定直接聘任，免于测试（第十二条（五））"
        score = f"成绩{_score(application.test_score)}分" if application.test_score is not None else ""
        if application.state in TEST_PASSED_STATES:
            return True, score
        if application.state == "test_failed":
            return False, score
        return None, ""
    # Without an application (续聘): the test passed for an earlier appointment counts.
    earlier = db.session.scalar(
        select(Application).where(Application.expert_id == expert.id, Application.state.in_(TEST_PASSED_STATES))
        .order_by(Application.id.desc())
    )
    if earlier is not None:
        return True, f"已于{earlier.receipt_no}申请中测试合格"
    if db.session.scalar(select(Term.id).where(Term.expert_id == expert.id).limit(1)):
        return True, "已于上届聘任时通过"
    return None, ""


def _score(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def eligibility_of(expert: Expert, *, on: dt.date | None = None, application: Application | None = None,
                   age_override_reason: str | None = None) -> Eligibility:
    """The conditions of 第十一条 for ``expert`` on ``on`` (default today).

    With ``application``, the test result and any age override come from it; without
    one (续聘), an earlier passed test or appointment counts and ``age_override_reason``
    may be given by the caller.
    """
    on = on or clock.today()
    years, basis = years_of(expert, on)
    test_passed, test_note = _test_result(expert, application)
    override = age_override_reason or (application.age_override_reason if application is not None else None)
    return check_conditions(
        on=on,
        birth_date=expert.birth_date,
        education=expert.education,
        title_level=expert.title_level,
        title=expert.title,
        registered_safety_engineer=bool(expert.registered_safety_engineer),
        registered_safety_assessor=bool(expert.registered_safety_assessor),
        years=years,
        years_basis=basis,
        test_passed=test_passed,
        test_note=test_note,
        age_override_reason=override,
        health_declared=bool(expert.health_declared),
        ethics_declared=bool(expert.ethics_declared),
        max_age=max_age(),
    )
