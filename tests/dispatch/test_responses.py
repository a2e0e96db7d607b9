"""Responses, backups and the absence rule (第十三条(四), SPEC §3.6)."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.dispatch import assignments, candidates, draws, responses
from app.services.dispatch.responses import Invitation, absence_tally
from app.services.errors import DomainError
from models import ConflictOfInterest, Dismissal
from tests import factories
from tests.dispatch.records import MONDAY, new_request, pool


def test_a_decline_calls_the_next_backup(app, section):
    pool(6)
    req = new_request(section, headcount=2, backups=2)
    record = draws.draw(req)
    first = next(a for a in req.assignments if a.expert_id == record.chosen_ids[0])
    outcome = responses.respond(first, "declined_justified", reason="当天在外地参加培训")
    assert outcome.promoted is not None and outcome.promoted.expert_id == record.backup_ids[0]
    assert not outcome.promoted.is_backup and outcome.promoted.response == "pending"
    assert assignments.still_needed(req) == 0


def test_a_declared_conflict_is_recorded_and_calls_the_backup(app, section):
    pool(5)
    ent = factories.enterprise(name="常州新东化工发展有限公司")
    req = new_request(section, enterprises=[ent], headcount=1, backups=1)
    record = draws.draw(req)
    a = req.assignments[0]
    outcome = responses.respond(a, "conflict", conflict_enterprise=ent.id, conflict_relation="former_employer",
                                reason="2019年前在该企业任职", by_expert=True)
    row = db.session.scalar(select(ConflictOfInterest).where(ConflictOfInterest.expert_id == a.expert_id))
    assert (row.enterprise_id, row.relation, row.source) == (ent.id, "former_employer", "expert")
    assert outcome.promoted.expert_id == record.backup_ids[0]
    assert "常州新东化工发展有限公司" in a.response_reason
    # From now on that expert is excluded from jobs at this enterprise.
    assert "原工作单位" in candidates.candidates(req).reasons_for(a.expert_id)


def test_no_backup_left_is_reported(app, section):
    pool(2)
    req = new_request(section, headcount=1, backups=0)
    draws.draw(req)
    outcome = responses.respond(req.assignments[0], "declined_unjustified")
    assert outcome.promoted is None and outcome.backups_exhausted


@pytest.mark.parametrize("response, message", [
    ("declined_justified", "须说明理由"),
    ("pending", "答复类型无效"),
])
def test_bad_responses_are_refused(app, section, response, message):
    pool(3)
    req = new_request(section, headcount=1)
    draws.draw(req)
    with pytest.raises(DomainError, match=message):
        responses.respond(req.assignments[0], response)
    assert req.assignments[0].response == "pending"


def test_an_expert_cannot_record_his_own_no_show(app, section):
    pool(3)
    req = new_request(section, headcount=1)
    draws.draw(req)
    with pytest.raises(DomainError, match="使用单位记录"):
        responses.respond(req.assignments[0], "no_show", by_expert=True)


def test_a_backup_not_yet_called_cannot_answer(app, section):
    pool(4)
    req = new_request(section, headcount=1, backups=1)
    draws.draw(req)
    backup = next(a for a in req.assignments if a.is_backup)
    with pytest.raises(DomainError, match="候补"):
        responses.respond(backup, "accepted")


# -- the absence rule, as a table a reader can check against 第十三条(四) ---------------------

A, J, U, N, C = "accepted", "declined_justified", "declined_unjustified", "no_show", "conflict"


@pytest.mark.parametrize("history, proposed", [
    ([U, U, U], True),            # three in a row
    ([U, N, U], True),            # a no-show is an absence too
    ([U, U], False),
    ([U, U, A, U], False),        # an accepted job breaks the row
    ([U, U, J], False),           # a justified decline does not count...
    ([U, J, U, U], True),         # ...nor break the row
    ([U, C, U, U], True),         # a declared conflict neither counts nor breaks it
    ([J, J, J, J, J, J], False),  # justified declines never count
    ([U, A, U, A, U, A, U, A, U], True),  # five in one calendar year
    ([U, A, U, A, U, A, U], False),       # four in the year
])
def test_absence_rule(history, proposed):
    invitations = [Invitation(f"WJSQ-2026-{i:04d}", dt.date(2026, 1, 5) + dt.timedelta(days=7 * i), r)
                   for i, r in enumerate(history)]
    row, in_year = absence_tally(invitations, 2026)
    assert (len(row) >= 3 or len(in_year) >= 5) is proposed


def test_five_absences_count_within_one_calendar_year_only():
    days = [dt.date(2025, 11, 3), dt.date(2025, 12, 1), dt.date(2026, 1, 5), dt.date(2026, 2, 2), dt.date(2026, 3, 2)]
    invitations = []
    for i, day in enumerate(days):
        invitations += [Invitation(f"X{i}", day, U), Invitation(f"Y{i}", day + dt.timedelta(days=1), A)]
    assert len(absence_tally(invitations, 2026)[1]) == 3


def _jobs(section, pool_experts, n, start=MONDAY):
    """n one-day jobs a week apart, each drawing exactly the one expert of the pool."""
    out = []
    for i in range(n):
        day = start + dt.timedelta(days=7 * i)
        req = new_request(section, headcount=1, backups=0, start_date=day, end_date=day)
        draws.draw(req)
        out.append(req.assignments[0])
    return out


def test_three_unjustified_declines_in_a_row_propose_dismissal(app, section):
    expert, = pool(1)
    jobs = _jobs(section, [expert], 3)
    outcomes = [responses.respond(a, "declined_unjustified") for a in jobs]
    assert [o.proposal is not None for o in outcomes] == [False, False, True]
    proposal = db.session.scalar(select(Dismissal).where(Dismissal.expert_id == expert.id))
    assert (proposal.reason, proposal.origin, proposal.state) == ("4", "absence", "proposed")
    assert "连续3次" in proposal.detail and jobs[0].request.request_no in proposal.detail


def test_a_justified_decline_does_not_count(app, section):
    expert, = pool(1)
    jobs = _jobs(section, [expert], 3)
    responses.respond(jobs[0], "declined_unjustified")
    responses.respond(jobs[1], "declined_justified", reason="住院治疗")
    responses.respond(jobs[2], "declined_unjustified")
    assert db.session.scalar(select(Dismissal).where(Dismissal.expert_id == expert.id)) is None


def test_five_absences_in_a_year_propose_dismissal(app, section):
    expert, = pool(1)
    jobs = _jobs(section, [expert], 9)
    for i, a in enumerate(jobs):
        if i % 2:
            responses.respond(a, "accepted")
        else:
            responses.respond(a, "declined_unjustified" if i < 8 else "no_show")
    proposal = db.session.scalar(select(Dismissal).where(Dismissal.expert_id == expert.id))
    assert proposal is not None and "2026年内累计5次" in proposal.detail


def test_reclassifying_a_decline_as_unjustified_runs_the_rule(app, section):
    expert, = pool(1)
    jobs = _jobs(section, [expert], 3)
    responses.respond(jobs[0], "declined_unjustified")
    responses.respond(jobs[1], "declined_unjustified")
    responses.respond(jobs[2], "declined_justified", reason="家中有事")
    assert db.session.scalar(select(Dismissal).where(Dismissal.expert_id == expert.id)) is None
    proposal = responses.reclassify_decline(jobs[2], False, "理由不成立")
    assert proposal is not None and jobs[2].response == "declined_unjustified"
    with pytest.raises(DomainError, match="须写明理由"):
        responses.reclassify_decline(jobs[0], True, "")


def test_a_row_counts_even_when_a_later_job_was_accepted_first(app, section):
    """Jobs are ordered by their dates, not by when they were answered."""
    expert, = pool(1)
    jobs = _jobs(section, [expert], 4)
    responses.respond(jobs[3], "accepted")  # the latest job, answered first
    outcomes = [responses.respond(a, "declined_unjustified") for a in jobs[:3]]
    assert outcomes[-1].proposal is not None


def test_the_row_of_the_focus_job():
    inv = [Invitation("A", dt.date(2026, 1, 1), U), Invitation("B", dt.date(2026, 1, 2), U),
           Invitation("C", dt.date(2026, 1, 3), U), Invitation("D", dt.date(2026, 1, 4), A)]
    assert len(absence_tally(inv, 2026)[0]) == 0
    assert [i.request_no for i in absence_tally(inv, 2026, focus="C")[0]] == ["A", "B", "C"]
