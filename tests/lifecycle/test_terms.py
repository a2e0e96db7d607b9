"""Terms (第六、七条): length, renewal with a fresh check of 第十一条, 换届, terms ending, 承诺书."""
import datetime as dt

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle import terms
from app.services.permits.issuing import current_permit
from app.services.status import dispatchable, status_of
from models import AnnualAssessment, CommitmentLetter, Dismissal, Setting, Term, Violation
from tests.lifecycle.records import make_applicant

TODAY = clock.today()


@pytest.mark.parametrize("start, end", [
    (dt.date(2024, 6, 1), dt.date(2027, 5, 31)),
    (dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    (dt.date(2024, 2, 29), dt.date(2027, 2, 28)),
])
def test_three_year_term(start, end):
    assert terms.term_end(start, 3) == end


def test_term_years_come_from_the_settings(app, office):
    db.session.get(Setting, "term_years").value = "2"
    expert = make_applicant()
    term = terms.start_term(expert, cohort=1, doc_no="武应急〔2026〕1号", start_date=dt.date(2026, 1, 1), actor=office)
    assert term.end_date == dt.date(2027, 12, 31)


def appointed(start, **kw):
    """An expert in the pool since ``start`` with a term, a permit and a letter."""
    expert = make_applicant(stage="in_pool", **kw)
    term = terms.start_term(expert, cohort=1, doc_no="武应急〔2024〕36号", start_date=start, actor=None)
    db.session.add(CommitmentLetter(expert=expert, term_id=term.id, signed_on=start))
    db.session.flush()
    return expert, term


def test_start_term_issues_a_permit_and_refuses_overlap(app, office):
    expert, term = appointed(dt.date(2024, 6, 1))
    permit = current_permit(expert)
    assert permit.term_id == term.id
    with pytest.raises(DomainError, match="重叠"):
        terms.start_term(expert, cohort=2, doc_no="武应急〔2025〕1号", start_date=dt.date(2025, 1, 1), actor=office)


@pytest.mark.parametrize("cohort, doc_no, message", [(0, "武应急〔2026〕1号", "届次"), (1, " ", "发文文号")])
def test_term_fields_required(app, office, cohort, doc_no, message):
    with pytest.raises(DomainError, match=message):
        terms.start_term(make_applicant(), cohort=cohort, doc_no=doc_no, start_date=TODAY, actor=office)


def test_renewal_starts_after_the_current_term(app, office):
    expert, term = appointed(TODAY - dt.timedelta(days=3 * 365 - 20))
    new = terms.renew_term(expert, actor=office, doc_no="武应急〔2027〕3号")
    assert new.start_date == term.end_date + dt.timedelta(days=1)
    assert new.cohort == 2 and new.is_renewal
    assert current_permit(expert).term_id == new.id


def test_renewal_of_an_expert_who_no_longer_qualifies_is_refused(app, office):
    # turned 66 during his term: 第十一条(六) is checked again on the review date
    expert, term = appointed(TODAY - dt.timedelta(days=3 * 365 - 20),
                             birth=TODAY.replace(year=TODAY.year - 66) - dt.timedelta(days=10))
    with pytest.raises(DomainError) as err:
        terms.renew_term(expert, actor=office, doc_no="武应急〔2027〕3号")
    assert "不能续聘" in str(err.value) and "年龄" in str(err.value)
    assert db.session.scalars(select(Term).where(Term.expert_id == expert.id)).all() == [term]
    # the office may override the age rule in writing
    new = terms.renew_term(
        expert, actor=office, doc_no="武应急〔2027〕3号", age_override_reason="冶金煤气组急需，体检合格"
    )
    assert new.is_renewal


def test_renewal_refused_when_title_level_was_lost(app, office):
    expert, _ = appointed(TODAY - dt.timedelta(days=400))
    expert.title_level = "junior"
    with pytest.raises(DomainError, match="职称"):
        terms.renew_term(expert, actor=office, doc_no="武应急〔2027〕3号")


def test_renewal_refused_after_unqualified_assessment(app, office):
    expert, _ = appointed(TODAY - dt.timedelta(days=400))
    db.session.add(AnnualAssessment(expert=expert, year=TODAY.year - 1, grade="unqualified"))
    db.session.flush()
    with pytest.raises(DomainError, match="年度考核不合格"):
        terms.renew_term(expert, actor=office, doc_no="武应急〔2027〕3号")


def test_renewal_refused_while_suspended(app, office):
    expert, _ = appointed(TODAY - dt.timedelta(days=400))
    db.session.add(Violation(expert=expert, found_on=TODAY, finding="迟到", state="verified", sanction="suspension",
                             sanction_start=TODAY - dt.timedelta(days=1), sanction_end=TODAY + dt.timedelta(days=80)))
    db.session.flush()
    with pytest.raises(DomainError, match="暂停"):
        terms.renew_term(expert, actor=office, doc_no="武应急〔2027〕3号")


def test_renewal_only_by_office(app, leader):
    expert, _ = appointed(TODAY - dt.timedelta(days=400))
    with pytest.raises(DomainError, match="只有基础科"):
        terms.renew_term(expert, actor=leader, doc_no="武应急〔2027〕3号")


def test_change_of_cohort_renews_the_chosen_and_ends_the_others(app, office):
    start = dt.date(2024, 6, 1)
    a, ta = appointed(start, name="甲专家")
    b, tb = appointed(start, name="乙专家")
    late, tl = appointed(dt.date(2025, 3, 1), name="丙专家")  # joined mid-term, term runs to 2028
    new_start = dt.date(2027, 6, 1)
    result = terms.change_cohort(1, renew_expert_ids=[a.id, late.id], actor=office, doc_no="武应急〔2027〕30号",
                                 start_date=new_start, on=dt.date(2027, 5, 20))
    assert {t.expert_id for t in result.renewed} == {a.id, late.id}
    assert all(t.cohort == 2 and t.start_date == new_start for t in result.renewed)
    assert tl.ended_on == new_start  # the old term stops where the new 届 begins
    assert [d.expert_id for d in result.ended] == [b.id]
    assert result.ended[0].reason == "2" and result.ended[0].state == "proposed"
    assert status_of(b, dt.date(2027, 6, 2)).code == "expired"


def test_change_of_cohort_refuses_all_when_one_does_not_qualify(app, office):
    start = dt.date(2024, 6, 1)
    a, _ = appointed(start, name="甲专家")
    b, _ = appointed(start, name="乙专家", education="below")
    with pytest.raises(DomainError) as err:
        terms.change_cohort(1, renew_expert_ids=[a.id, b.id], actor=office, doc_no="武应急〔2027〕30号",
                            start_date=dt.date(2027, 6, 1), on=dt.date(2027, 5, 20))
    assert "乙专家" in str(err.value) and "学历" in str(err.value)
    assert db.session.scalar(select(Term).where(Term.cohort == 2)) is None
    assert db.session.scalar(select(Dismissal)) is None


def test_terms_ending_within_90_and_30_days(app):
    on = dt.date(2026, 3, 1)
    soon, _ = appointed(dt.date(2023, 3, 20))      # ends 2026-03-19: 18 days
    later, _ = appointed(dt.date(2023, 5, 20))     # ends 2026-05-19: 79 days
    far, _ = appointed(dt.date(2024, 6, 1))        # ends 2027
    renewed, t = appointed(dt.date(2023, 3, 25))   # ends within 30 days but already renewed
    terms.start_term(renewed, cohort=2, doc_no="武应急〔2026〕2号", start_date=t.end_date + dt.timedelta(days=1),
                     actor=None, is_renewal=True)
    gone, _ = appointed(dt.date(2023, 3, 10))
    gone.stage = "dismissed"
    assert [x.expert for x in terms.terms_ending(30, on)] == [soon]
    assert [x.expert for x in terms.terms_ending(90, on)] == [soon, later]
    assert far not in [x.expert for x in terms.terms_ending(90, on)]


def test_commitment_letter_makes_an_appointed_expert_dispatchable(app, office):
    expert = make_applicant()
    terms.start_term(
        expert, cohort=1, doc_no="武应急〔2026〕1号", start_date=TODAY - dt.timedelta(days=5), actor=office
    )
    assert not dispatchable(expert)[0]
    with pytest.raises(DomainError, match="晚于今天"):
        terms.record_commitment(expert, signed_on=TODAY + dt.timedelta(days=1), actor=office)
    letter = terms.record_commitment(expert, signed_on=TODAY, actor=office, scan=_pdf_bytes())
    assert letter.scan_path and letter.term_id is not None
    assert dispatchable(expert) == (True, ())
    with pytest.raises(DomainError, match="已于"):
        terms.record_commitment(expert, signed_on=TODAY, actor=office)


def test_commitment_letter_only_by_office(app, leader):
    with pytest.raises(DomainError, match="只有基础科"):
        terms.record_commitment(make_applicant(), signed_on=TODAY, actor=leader)


def _pdf_bytes():
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
