"""Candidates for a request (SPEC §3.4, §3.5, 第十条(四)): who is eligible, and why the others are not."""
import datetime as dt

from sqlalchemy import event

from app.extensions import db
from app.services.dispatch import candidates, draws, responses
from models import CommitmentLetter, ConflictOfInterest, Violation
from tests import factories
from tests.dispatch.records import MONDAY, group_ids, new_request, pool


def _find(ents, groups=("化工",), start=MONDAY, end=None, **kw):
    from models import ExpertGroup

    group_objs = [db.session.get(ExpertGroup, gid) for gid in group_ids(*groups)]
    return candidates.find_candidates(
        start_date=start, end_date=end or start, groups=group_objs, enterprises=ents, **kw
    )


def _reasons(cands, expert):
    return cands.reasons_for(expert.id) or ""


def test_each_exclusion_names_its_rule(app):
    ent = factories.enterprise(name="常州华润化工有限公司")
    ok, = pool(1)
    no_letter = factories.expert(groups=("化工",))  # never appointed
    suspended, = pool(1)
    db.session.add(Violation(expert=suspended, state="verified", sanction="suspension",
                             found_on=MONDAY - dt.timedelta(days=20), sanction_start=MONDAY - dt.timedelta(days=10),
                             sanction_end=MONDAY + dt.timedelta(days=80),
                             finding="违规收取费用"))
    wrong_group, = pool(1, groups=("电气",))
    related, = pool(1)
    db.session.add(ConflictOfInterest(expert=related, enterprise=ent, relation="relative", source="expert"))
    employee, = pool(1, employer="常州华润化工有限公司")  # no conflict row: the employer always counts
    db.session.flush()

    cands = _find([ent])

    assert [e.id for e in cands.eligible] == [ok.id]
    assert "尚未聘任" in _reasons(cands, no_letter)
    assert "暂停" in _reasons(cands, suspended)
    assert "组别不符" in _reasons(cands, wrong_group) and "电气" in _reasons(cands, wrong_group)
    assert "常州华润化工有限公司" in _reasons(cands, related) and "亲属关系" in _reasons(cands, related)
    assert "现工作单位" in _reasons(cands, employee)


def test_employer_matched_by_credit_code(app):
    ent = factories.enterprise(name="江苏某某股份有限公司")
    expert, = pool(1, employer="某某股份（常州）", employer_uscc=ent.uscc)
    assert "现工作单位" in _reasons(_find([ent]), expert)


def test_missing_commitment_letter_is_not_dispatchable(app):
    ent = factories.enterprise()
    expert, = pool(1)
    for letter in db.session.query(CommitmentLetter).filter_by(expert_id=expert.id):
        db.session.delete(letter)
    db.session.flush()
    assert "承诺书" in _reasons(_find([ent]), expert)


def test_any_of_the_requested_groups_qualifies(app):
    ent = factories.enterprise()
    chem, = pool(1, groups=("化工",))
    elec, = pool(1, groups=("电气", "机械"))
    fire, = pool(1, groups=("烟花爆竹",))
    cands = _find([ent], groups=("化工", "机械"))
    assert {e.id for e in cands.eligible} == {chem.id, elec.id}
    assert "组别不符" in _reasons(cands, fire)


def test_already_booked_on_overlapping_dates(app, section):
    experts = pool(3)
    first = new_request(section, headcount=3, backups=0)
    draws.draw(first)
    # The same dates overlap; the day after the first request ends does not.
    overlapping = _find([factories.enterprise()], start=MONDAY + dt.timedelta(days=1))
    assert overlapping.eligible == []
    assert all("时间冲突" in _reasons(overlapping, e) and first.request_no in _reasons(overlapping, e) for e in experts)
    later = _find([factories.enterprise()], start=MONDAY + dt.timedelta(days=2))
    assert len(later.eligible) == 3


def test_a_declined_job_does_not_book_the_expert(app, section):
    pool(2)
    first = new_request(section, headcount=1, backups=0)
    draws.draw(first)
    a = first.assignments[0]
    responses.respond(a, "declined_justified", reason="出差在外")
    assert a.expert_id in {e.id for e in _find([factories.enterprise()]).eligible}


def _count_queries(fn):
    count = 0

    def before(*_args, **_kw):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return count


def test_fixed_number_of_queries_whatever_the_pool(app):
    ent = factories.enterprise()
    pool(3)
    db.session.commit()
    small = _count_queries(lambda: _find([ent], end=MONDAY + dt.timedelta(days=2)))
    pool(40, groups=("化工", "机械"))
    db.session.commit()
    db.session.expire_all()
    large = _count_queries(lambda: _find([ent], end=MONDAY + dt.timedelta(days=2)))
    assert small == large <= 24


def test_the_summary_counts_each_expert_once_under_his_first_reason(app):
    """未入选 N名 = the sum of its parts: an expert of the wrong group who is also not
    dispatchable counts once, as 不可派遣 (the reason that comes first)."""
    ent = factories.enterprise(name="常州华润化工有限公司")
    pool(1)
    factories.expert(groups=("电气",))  # never appointed and of the wrong group: two reasons
    pool(2, groups=("电气",))             # wrong group only
    related, = pool(1, groups=("电气",))  # wrong group and a conflict
    db.session.add(ConflictOfInterest(expert=related, enterprise=ent, relation="relative", source="expert"))
    db.session.flush()

    cands = _find([ent])
    counts = cands.counts()
    assert sum(counts.values()) == len(cands.excluded) == 4
    assert counts == {"status": 1, "group": 3}
    assert cands.summary() == "不可派遣1名、组别不符3名（每人只按排在最前的原因计一次）"
    never = next(x for x in cands.excluded if "尚未聘任" in x.text)
    assert never.kinds == ["status", "group"] and never.reasons[0][0] == "status"
