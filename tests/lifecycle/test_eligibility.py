"""第十一条 as a table: each condition, its boundary and its reason."""
import datetime as dt

import pytest

from app.services.lifecycle.eligibility import age_on, check_conditions, eligibility_of
from models import WorkHistory
from tests.lifecycle.records import make_applicant, make_application

ON = dt.date(2026, 6, 15)
BASE = dict(
    on=ON, birth_date=dt.date(1975, 5, 17), education="bachelor", title_level="intermediate", title="工程师",
    registered_safety_engineer=False, registered_safety_assessor=False, years=10, test_passed=True,
    health_declared=True, ethics_declared=True,
)


def result(code, **changes):
    return check_conditions(**{**BASE, **changes}).get(code)


# 第十一条(三): 大专及以上学历
@pytest.mark.parametrize("education, ok", [
    ("below", False),           # 高中/中专及以下
    ("junior_college", True),   # 大专
    ("bachelor", True),
    ("master", True),
    ("doctor", True),
])
def test_education_junior_college_or_above(education, ok):
    assert result("education", education=education).passed is ok


# 第十一条(三): 中级以上技术职称（或者具有注册安全评价师、注册安全工程师资格）
@pytest.mark.parametrize("level, engineer, assessor, ok", [
    ("none", False, False, False),
    ("junior", False, False, False),            # 初级 is not enough
    ("intermediate", False, False, True),       # 中级
    ("associate_senior", False, False, True),
    ("senior", False, False, True),
    ("junior", True, False, True),              # 初级 + 注册安全工程师
    ("none", False, True, True),                # 注册安全评价师 without a title
    ("none", True, True, True),
])
def test_title_intermediate_or_registered(level, engineer, assessor, ok):
    cond = result("title", title_level=level, registered_safety_engineer=engineer,
                  registered_safety_assessor=assessor)
    assert cond.passed is ok
    if not ok:
        assert "注册安全评价师" in cond.reason and "中级" in cond.reason


# 第十一条(三): 从事相关专业工作经历5年以上 (5 included)
@pytest.mark.parametrize("years, ok", [(None, False), (0, False), (4, False), (5, True), (6, True), (30, True)])
def test_five_years_in_the_field(years, ok):
    assert result("experience", years=years).passed is ok


# 第十一条(五): 综合素质测试合格
@pytest.mark.parametrize("test_passed, ok, label", [(True, True, "符合"), (False, False, "不符合"),
                                                    (None, False, "待定")])
def test_test_passed(test_passed, ok, label):
    cond = result("test", test_passed=test_passed)
    assert cond.passed is ok
    assert cond.result_label == label


# 第十一条(六): 年龄原则上不得超过65周岁 — born 1960-06-15, turns 66 on 2026-06-15.
@pytest.mark.parametrize("on, override, passed, label", [
    (dt.date(2025, 6, 15), None, True, "符合"),      # 65th birthday
    (dt.date(2026, 6, 14), None, True, "符合"),      # day before the 66th birthday: still 65
    (dt.date(2026, 6, 15), None, False, "警告"),     # 66th birthday: over 65
    (dt.date(2026, 6, 15), "急需冶金煤气专业专家，身体健康", True, "已特批"),
    (dt.date(2030, 1, 1), None, False, "警告"),
])
def test_age_65_boundary_and_override(on, override, passed, label):
    cond = result("age", on=on, birth_date=dt.date(1960, 6, 15), age_override_reason=override)
    assert cond.passed is passed
    assert cond.result_label == label
    if override:
        assert override in cond.reason


def test_age_in_whole_years_with_leap_day_birthday():
    assert age_on(dt.date(1960, 2, 29), dt.date(2026, 2, 28)) == 65
    assert age_on(dt.date(1960, 2, 29), dt.date(2026, 3, 1)) == 66


@pytest.mark.parametrize("health, ethics, failing", [
    (True, True, set()), (False, True, {"health"}), (True, False, {"ethics"}), (False, False, {"health", "ethics"}),
])
def test_declarations(health, ethics, failing):
    elig = check_conditions(**{**BASE, "health_declared": health, "ethics_declared": ethics})
    assert {c.code for c in elig.failures()} == failing


def test_every_condition_has_a_reason_and_the_summary_names_the_failures():
    elig = check_conditions(**{**BASE, "education": "below", "years": 3})
    assert all(c.reason for c in elig)
    assert not elig.eligible
    assert "学历" in elig.summary() and "3年" in elig.summary()
    assert elig.is_met(ignore=("education", "experience"))


def test_work_history_is_used_when_present(app):
    # 4 years 11 months of history beat a field_start_year that would give 20 years.
    expert = make_applicant(field_start_year=2000)
    expert.work_history = [WorkHistory(position_no=1, period="2021.08-至今", employer="常州某化工有限公司")]
    elig = eligibility_of(expert, on=dt.date(2026, 6, 15))
    assert not elig.get("experience").passed
    assert "4年" in elig.get("experience").reason and "主要工作经历" in elig.get("experience").reason
    assert eligibility_of(expert, on=dt.date(2026, 7, 1)).get("experience").passed


def test_field_start_year_when_no_history(app):
    expert = make_applicant(field_start_year=2021)
    assert not eligibility_of(expert, on=dt.date(2025, 12, 31)).get("experience").passed
    assert eligibility_of(expert, on=dt.date(2026, 1, 1)).get("experience").passed


@pytest.mark.parametrize("state, passed", [
    ("submitted", False), ("prelim_passed", False), ("test_failed", False), ("test_passed", True),
    ("shortlisted", True), ("approved", True),
])
def test_test_result_comes_from_the_application(app, state, passed):
    application = make_application(state=state)
    assert eligibility_of(application.expert, application=application).get("test").passed is passed


def test_age_override_on_the_application_is_used(app):
    application = make_application(make_applicant(birth=dt.date(1955, 1, 1)), state="prelim_passed")
    assert eligibility_of(application.expert, application=application).age_warning
    application.age_override_reason = "特殊专业急需"
    assert eligibility_of(application.expert, application=application).get("age").passed
