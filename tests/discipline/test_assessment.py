"""Annual assessment (第二十二条, 第十三条(六)): the grade table, the figures of a year,
publication, the interview and the dismissal proposal."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.discipline.assessment import (
    Figures,
    Thresholds,
    grade,
    publish_assessment,
    record_interview,
    run_assessment,
    thresholds_from_settings,
)
from app.services.discipline.ladder import record_violation, verify_violation
from app.services.errors import DomainError
from models import Dismissal, Interview, Setting
from tests import factories
from tests.discipline import records

D = dt.date
T = Thresholds()  # 90 / 75 / 60, at least 1 evaluation, follow-ups 3 (lower one step) and 4 (for 优秀)


def F(avg=None, n=3, **kw):
    return Figures(evaluation_count=n, average_score=None if avg is None else Decimal(str(avg)), **kw)


@pytest.mark.parametrize("figures, expected", [
    # the average evaluation total against the thresholds
    (F(95), "excellent"),
    (F(90), "excellent"),
    (F("89.99"), "qualified"),
    (F("89.995"), "excellent"),            # graded on the published, rounded figure 90.00
    (F(75), "qualified"),
    (F("74.99"), "basic"),
    (F(60), "basic"),
    (F("59.99"), "unqualified"),
    (F(30), "unqualified"),
    # no evaluation to grade by: 不定等次, never 不合格
    (F(None, n=0), "ungraded"),
    (F(None, n=0, follow_up_count=2, follow_up_average=Decimal(5)), "ungraded"),
    # a suspension or blacklist for a violation found in the year outweighs any score
    (F(98, violations=2, serious_violations=1), "unqualified"),
    (F(None, n=0, violations=1, serious_violations=1), "unqualified"),
    # a warning (or a recorded violation) keeps an expert from 优秀 only
    (F(96, violations=1), "qualified"),
    (F(80, violations=1), "qualified"),
    # unjustified declines / no-shows keep an expert from 优秀
    (F(96, assignments=6, attended=5, absences=1), "qualified"),
    (F(96, assignments=6, attended=6), "excellent"),
    # follow-up visits: below 3 of 5 lowers one step; 优秀 needs at least 4
    (F(96, follow_up_count=3, follow_up_average=Decimal("4.00")), "excellent"),
    (F(96, follow_up_count=3, follow_up_average=Decimal("3.67")), "qualified"),
    (F(96, follow_up_count=2, follow_up_average=Decimal("2.50")), "qualified"),
    (F(80, follow_up_count=2, follow_up_average=Decimal("2.50")), "basic"),
    (F(65, follow_up_count=2, follow_up_average=Decimal("2.50")), "unqualified"),
    (F(40, follow_up_count=2, follow_up_average=Decimal("1.00")), "unqualified"),
    (F(80, follow_up_count=0), "qualified"),
])
def test_grade_table(figures, expected):
    code, reason = grade(figures, T)
    assert code == expected
    assert reason


@pytest.mark.parametrize("thresholds, avg, expected", [
    (Thresholds(excellent_min=Decimal(85)), 86, "excellent"),
    (Thresholds(qualified_min=Decimal(80)), 78, "basic"),
    (Thresholds(basic_min=Decimal(50)), 55, "basic"),
    (Thresholds(min_evaluations=3), 95, "ungraded"),  # only F(n=2) below
])
def test_grade_uses_the_thresholds_given(thresholds, avg, expected):
    assert grade(F(avg, n=2), thresholds)[0] == expected


def test_thresholds_come_from_settings_and_are_checked(app):
    db.session.get(Setting, "grade_excellent_min").value = "88"
    assert thresholds_from_settings().excellent_min == Decimal(88)
    db.session.get(Setting, "grade_qualified_min").value = "95"
    with pytest.raises(DomainError, match="分数线设置有误"):
        thresholds_from_settings()
    db.session.get(Setting, "grade_qualified_min").value = "七十五"
    with pytest.raises(DomainError, match="不是有效数字"):
        thresholds_from_settings()


def test_run_assessment_gathers_the_year(app):
    expert = factories.appointed_expert(D(2025, 6, 1), D(2028, 5, 31))
    for total in (92, 88, 95):
        records.evaluation(expert, D(2025, 9, 1), total)
    records.evaluation(expert, D(2026, 1, 3), 40)  # next year: not counted
    records.follow_up(expert, D(2025, 10, 1), 5)
    records.follow_up(expert, D(2025, 11, 1), 4)
    records.assignment(expert, D(2025, 7, 1))
    records.assignment(expert, D(2025, 8, 1), response="declined_unjustified", attended=False)
    records.assignment(expert, D(2025, 8, 2), response="pending", attended=None)  # never answered: not counted
    idle = factories.appointed_expert(D(2025, 6, 1), D(2028, 5, 31))
    rows = {a.expert_id: a for a in run_assessment(2025, today=D(2026, 1, 15))}
    a = rows[expert.id]
    assert (a.evaluation_count, a.average_score, a.follow_up_count, a.follow_up_average) == (
        3, Decimal("91.67"), 2, Decimal("4.50"))
    assert (a.assignments, a.attended, a.absences, a.violation_count) == (2, 1, 1, 0)
    assert a.grade == "qualified" and "不评为优秀" in a.grade_reason  # 91.67 but one unjustified decline
    assert rows[idle.id].grade == "ungraded"


def test_suspension_in_the_year_makes_unqualified(app):
    expert = factories.appointed_expert(D(2025, 1, 1), D(2027, 12, 31))
    for total in (95, 96):
        records.evaluation(expert, D(2025, 3, 1), total)
    for found, verified in ((D(2025, 2, 1), D(2025, 2, 5)), (D(2025, 6, 1), D(2025, 6, 5))):
        v = record_violation(expert, found, "索取服务对象财物", today=verified)
        v.investigation = "属实"
        verify_violation(v, today=verified)
    (a,) = run_assessment(2025, today=D(2026, 1, 15))
    assert (a.violation_count, a.grade) == (2, "unqualified")


def test_run_refuses_future_years_and_published_years(app):
    expert = factories.appointed_expert(D(2025, 1, 1), D(2027, 12, 31))
    records.evaluation(expert, D(2025, 3, 1), 80)
    with pytest.raises(DomainError, match="考核年度无效"):
        run_assessment(2027, today=D(2026, 1, 15))
    run_assessment(2025, today=D(2026, 1, 15))
    publish_assessment(2025, today=D(2026, 1, 20), doc_no="武应急〔2026〕5号")
    with pytest.raises(DomainError, match="已公示"):
        run_assessment(2025, today=D(2026, 1, 21))
    with pytest.raises(DomainError, match="已公示"):
        publish_assessment(2025, today=D(2026, 1, 21), doc_no="武应急〔2026〕5号")


def test_publish_announces_every_grade_and_opens_interviews(app):
    good = factories.appointed_expert(D(2025, 1, 1), D(2027, 12, 31), name="王优秀")
    bad = factories.appointed_expert(D(2025, 1, 1), D(2027, 12, 31), name="李较差")
    records.evaluation(good, D(2025, 3, 1), 95)
    records.evaluation(bad, D(2025, 3, 1), 50)
    with pytest.raises(DomainError, match="尚未评定"):
        publish_assessment(2025, today=D(2026, 1, 20), doc_no="武应急〔2026〕5号")
    run_assessment(2025, today=D(2026, 1, 15))
    ann = publish_assessment(2025, today=D(2026, 1, 20), doc_no="武应急〔2026〕5号")
    assert ann.kind == "assessment" and ann.published and ann.published_on == D(2026, 1, 20)
    assert [(e.name, e.remark) for e in ann.entries] == [("王优秀", "优秀"), ("李较差", "不合格")]
    assert "优秀1名" in ann.body and "不合格1名" in ann.body
    interview = db.session.scalar(select(Interview).where(Interview.expert_id == bad.id))
    assert interview.held_on is None and interview.assessment_id is not None
    assert db.session.scalar(select(Interview).where(Interview.expert_id == good.id)) is None
    assert db.session.scalar(select(Dismissal.id)) is None  # a first 不合格 is not a dismissal


def test_unqualified_again_after_the_interview_is_proposed_for_dismissal(app):
    bad = factories.appointed_expert(D(2024, 6, 1), D(2027, 5, 31))
    records.evaluation(bad, D(2024, 9, 1), 50)
    run_assessment(2024, today=D(2025, 1, 10))
    publish_assessment(2024, today=D(2025, 1, 15), doc_no="武应急〔2026〕5号")
    interview = db.session.scalar(select(Interview).where(Interview.expert_id == bad.id))
    record_interview(interview, held_on=D(2025, 2, 1), notes="指出问题，要求整改", outcome="improved",
                     today=D(2025, 2, 1))
    assert db.session.scalar(select(Dismissal.id)) is None

    records.evaluation(bad, D(2025, 9, 1), 55)
    run_assessment(2025, today=D(2026, 1, 10))
    publish_assessment(2025, today=D(2026, 1, 15), doc_no="武应急〔2026〕5号")
    proposal = db.session.scalar(select(Dismissal).where(Dismissal.expert_id == bad.id))
    assert (proposal.reason, proposal.origin, proposal.state) == ("6", "assessment", "proposed")
    assert "2024年度考核不合格" in proposal.detail and "2025年度考核仍不合格" in proposal.detail


def test_unqualified_again_without_a_held_interview_is_not_proposed(app):
    bad = factories.appointed_expert(D(2024, 6, 1), D(2027, 5, 31))
    for year in (2024, 2025):
        records.evaluation(bad, D(year, 9, 1), 50)
        run_assessment(year, today=D(year + 1, 1, 10))
        publish_assessment(year, today=D(year + 1, 1, 15), doc_no="武应急〔2026〕5号")
    assert db.session.scalar(select(Dismissal.id)) is None  # 经约谈 is the condition of 第十三条(六)
    assert len(list(db.session.scalars(select(Interview).where(Interview.expert_id == bad.id)))) == 2


def test_interview_concluding_still_unqualified_proposes_dismissal(app):
    bad = factories.appointed_expert(D(2025, 1, 1), D(2027, 12, 31))
    records.evaluation(bad, D(2025, 3, 1), 40)
    run_assessment(2025, today=D(2026, 1, 10))
    publish_assessment(2025, today=D(2026, 1, 15), doc_no="武应急〔2026〕5号")
    interview = db.session.scalar(select(Interview).where(Interview.expert_id == bad.id))
    with pytest.raises(DomainError, match="约谈结论"):
        record_interview(interview, held_on=D(2026, 2, 1), today=D(2026, 2, 3))
    with pytest.raises(DomainError, match="不能晚于今天"):
        record_interview(interview, held_on=D(2026, 2, 4), outcome="improved", today=D(2026, 2, 3))
    assert interview.held_on is None
    record_interview(interview, held_on=D(2026, 2, 1), outcome="still_unqualified", today=D(2026, 2, 3))
    proposal = db.session.scalar(select(Dismissal).where(Dismissal.expert_id == bad.id))
    assert proposal.reason == "6" and proposal.origin == "assessment"
