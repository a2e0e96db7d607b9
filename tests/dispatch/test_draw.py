"""The recorded random draw (SPEC §3.5): replayable, never picks the ineligible, voided on changed conditions."""
import datetime as dt
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.services.dispatch import candidates, designation, draws, responses, usage_requests
from app.services.errors import DomainError
from models import Assignment, ConflictOfInterest, Draw, StatusEvent, UsageRequest, Violation
from tests import factories
from tests.dispatch.records import MONDAY, group_ids, new_request, pool


def test_algorithm_is_the_documented_sha256_ranking():
    """Anyone can check a draw by hand: rank ids by SHA-256("<seed>:<id>")."""
    seed = "00112233445566778899aabbccddeeff"
    ids = [3, 11, 25, 40, 41, 57]
    by_hand = sorted(ids, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    chosen, backups = draws.draw_order(seed, list(reversed(ids)), 2, 3)
    assert chosen == by_hand[:2] and backups == by_hand[2:5]


def test_replaying_a_recorded_draw_gives_the_same_experts(app, section):
    pool(12)
    req = new_request(section, headcount=3, backups=2)
    record = draws.draw(req)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Draw, record.id)
    assert len(stored.chosen_ids) == 3 and len(stored.backup_ids) == 2
    assert len(stored.seed) == 32 and int(stored.seed, 16) >= 0
    assert draws.replay_draw(stored) == (stored.chosen_ids, stored.backup_ids)
    assert draws.verify_draw(stored)
    assert [a.expert_id for a in stored.request.assignments if not a.is_backup] == stored.chosen_ids
    assert stored.conditions["groups"] == [{"id": group_ids("化工")[0], "name": "化工"}]
    assert stored.conditions["headcount"] == 3 and stored.conditions["backups"] == 2
    assert stored.eligible_ids == sorted(stored.eligible_ids) and len(stored.eligible_ids) == 12

    # A tampered record no longer verifies.
    stored.chosen_ids = list(reversed(stored.chosen_ids))
    assert not draws.verify_draw(stored)


def test_same_seed_same_pool_same_result(app, section):
    pool(10)
    seed = "0123456789abcdef0123456789abcdef"
    a = draws.draw(new_request(section, headcount=2), seed=seed)
    expected = draws.draw_order(seed, a.eligible_ids, 2, 2)
    assert (a.chosen_ids, a.backup_ids) == tuple(map(list, expected))


def test_more_experts_than_eligible_is_refused_and_changes_nothing(app, section):
    pool(2)
    before = db.session.scalar(select(func.count()).select_from(UsageRequest))
    with pytest.raises(DomainError) as err:
        new_request(section, headcount=3)
    assert "只有2名" in str(err.value) and "少于所需的3名" in str(err.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(UsageRequest)) == before


@pytest.mark.parametrize("field, value, message", [
    ("end_date", MONDAY - dt.timedelta(days=1), "不能早于开始日期"),
    ("enterprises", [999999], "所选企业不存在"),
    ("groups", [], "至少选择一个专家组别"),
    ("activity_type", "party", "请选择活动类型"),
    ("headcount", 0, "1至30人"),
    ("subject", "  ", "请填写任务名称"),
])
def test_bad_request_input_is_refused_in_chinese(app, section, field, value, message):
    pool(3)
    with pytest.raises(DomainError) as err:
        new_request(section, **{field: value})
    assert message in str(err.value)


def test_designation_needs_a_written_reason(app, section):
    experts = pool(4)
    req = new_request(section, headcount=1)
    with pytest.raises(DomainError, match="书面理由"):
        designation.designate(req, experts[0], "  ")
    a = designation.designate(req, experts[0], "熟悉该企业的重大危险源，事故调查需要")
    assert a.method == "designated" and "重大危险源" in a.designation_reason
    with pytest.raises(DomainError, match="已经选定"):
        designation.designate(req, experts[1], "另一个足够长的理由")


def test_designating_an_ineligible_expert_says_why(app, section):
    ent = factories.enterprise()
    ok = pool(3)
    related, = pool(1)
    db.session.add(ConflictOfInterest(expert=related, enterprise=ent, relation="contract"))
    req = new_request(section, enterprises=[ent], headcount=1)
    with pytest.raises(DomainError, match="咨询/中介服务合同"):
        designation.designate(req, related, "该专家最熟悉这家企业")
    assert ok


def test_upper_pool_and_outside_experts_can_join_one_job(app, section):
    pool(2)
    req = new_request(section, headcount=2)
    outsider = designation.create_external_expert(
        name="郑国庆", id_number=factories.id_number(dt.date(1970, 2, 3)), employer="南京工业大学",
        mobile="13912345678", source="outside", groups=group_ids("化工"),
    )
    upper = designation.create_external_expert(
        name="江海", id_number=factories.id_number(dt.date(1968, 8, 9)), employer="江苏省安全生产科学研究院",
        mobile="13912345679", source="upper", upper_pool_level="provincial",
    )
    a = designation.add_external_expert(req, outsider, "爆炸事故需要高校爆炸力学专家")
    b = designation.add_external_expert(req, upper, "省级专家库专家协助调查")
    assert (a.method, b.method) == ("outside", "upper_pool")
    assert outsider.stage == "not_appointed" and outsider.birth_date == dt.date(1970, 2, 3)
    # They never enter a draw of the district pool.
    assert outsider.id not in candidates.candidates(req).eligible_ids
    with pytest.raises(DomainError, match="区库专家"):
        designation.add_external_expert(req, db.session.get(type(outsider), candidates.candidates(req).eligible_ids[0]),
                                        "区库专家不走这里")


def test_changing_conditions_after_a_draw_voids_it(app, section):
    pool(8)
    req = new_request(section, headcount=2, backups=1)
    record = draws.draw(req)
    accepted = req.assignments[0]
    responses.respond(accepted, "accepted")
    declined = req.assignments[1]
    responses.respond(declined, "declined_unjustified")  # calls the backup
    released = {a.expert_id for a in req.assignments if a.response in ("pending", "accepted")}
    db.session.commit()

    changes = usage_requests.update_request_conditions(req, start_date=MONDAY + dt.timedelta(days=7),
                                                       end_date=MONDAY + dt.timedelta(days=7), today=MONDAY)
    db.session.commit()

    assert changes and "日期由" in changes[0]
    assert record.voided_at is not None and "使用条件已变更" in record.void_reason
    assert req.state == "submitted"
    # Open assignments are released; the decline stays on record (it counts for the absence rule).
    left = db.session.scalars(select(Assignment).where(Assignment.request_id == req.id)).all()
    assert [(a.expert_id, a.response) for a in left] == [(declined.expert_id, "declined_unjustified")]
    events = db.session.scalars(select(StatusEvent).where(StatusEvent.event == "任务选派作废")).all()
    assert {e.expert_id for e in events} == released
    # A new draw is possible and recorded separately.
    again = draws.draw(req)
    assert again.id != record.id and again.voided_at is None


def test_text_only_edits_do_not_void(app, section):
    pool(4)
    req = new_request(section)
    record = draws.draw(req)
    assert usage_requests.update_request_conditions(req, subject="改个名称", description="补充说明") == []
    assert record.voided_at is None


def test_no_second_draw_when_the_job_is_staffed(app, section):
    pool(5)
    req = new_request(section, headcount=2)
    draws.draw(req)
    with pytest.raises(DomainError, match="无需再抽取"):
        draws.draw(req)


# -- property: over random pools ---------------------------------------------------------

expert_kinds = st.sampled_from(["ok", "ok", "ok", "no_term", "suspended", "conflict", "employer", "other_group"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(expert_kinds, min_size=0, max_size=14), headcount=st.integers(1, 5),
       backups=st.integers(0, 3), seed=st.binary(min_size=16, max_size=16))
def test_never_draws_the_ineligible_and_meets_the_headcount(app, kinds, headcount, backups, seed):
    nested = db.session.begin_nested()
    try:
        unit = factories.org_unit(kind="brigade")
        ent = factories.enterprise(name="常州抽样化工有限公司")
        bad, good = set(), set()
        for kind in kinds:
            if kind == "no_term":
                e = factories.expert(groups=("化工",))
            elif kind == "other_group":
                e = factories.appointed_expert(start=dt.date(2026, 1, 1), groups=("纺织",))
            elif kind == "employer":
                e = factories.appointed_expert(start=dt.date(2026, 1, 1), employer="常州抽样化工有限公司")
            else:
                e = factories.appointed_expert(start=dt.date(2026, 1, 1))
            if kind == "suspended":
                db.session.add(Violation(expert=e, state="verified", sanction="suspension", finding="x",
                                         found_on=dt.date(2026, 5, 1), sanction_start=dt.date(2026, 5, 1),
                                         sanction_end=dt.date(2026, 8, 1)))
            if kind == "conflict":
                db.session.add(ConflictOfInterest(expert=e, enterprise=ent, relation="former_employer"))
            (good if kind == "ok" else bad).add(e.id)
        db.session.flush()
        try:
            req = usage_requests.create_request(
                unit=unit, activity_type="inspection", subject="抽样", start_date=MONDAY, end_date=MONDAY,
                groups=group_ids("化工"), enterprises=[ent.id], headcount=headcount, backups=backups,
                today=MONDAY, emergency_reason="supervision", seed=seed.hex(),
            )
        except DomainError as err:
            assert len(good) < headcount
            assert f"只有{len(good)}名" in str(err)
        else:
            assert len(good) >= headcount
            record = req.draws[0]
            drawn = set(record.chosen_ids) | set(record.backup_ids)
            assert not drawn & bad
            assert len(record.chosen_ids) == headcount
            assert len(record.backup_ids) == min(backups, len(good) - headcount)
            assert set(record.eligible_ids) == good
            assert draws.verify_draw(record)
    finally:
        nested.rollback()
        db.session.expunge_all()
