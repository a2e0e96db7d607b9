"""Quarterly payout batches (第二十条: 每季度审核发放一次; SPEC §3.10 income tax).

Amounts here can be checked by hand against the withholding rule: ≤4000 → (income − 800) × 20%;
>4000 → income × 80% × 20% (up to 20 000 taxable). One 次 = one expert's income of one month.
"""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.errors import DomainError
from app.services.fees import payouts, pricing, settlement, statements, town_dues
from app.services.fees.record_status import record_status
from models import PayoutBatch, PayoutLine, ServiceRecord
from tests import factories
from tests.fees import records

Q2 = (2026, 2)
JULY_10 = dt.date(2026, 7, 10)
JULY_25 = dt.date(2026, 7, 25)


@pytest.fixture
def wang(app):
    return factories.appointed_expert(name="王建国")


@pytest.fixture
def li(app):
    return factories.appointed_expert(name="李敏")


def priced(expert, days, activity="inspection", **kw):
    """One inspection per day in ``days``, priced (1000 元 each)."""
    out = [records.service_record(expert, activity=activity, day=d, **kw) for d in days]
    pricing.price_records(out)
    return out


def lines_by_name(batch):
    return {row.name: row for row in payouts.batch_lines(batch) if not row.is_adjustment}


def test_batch_gathers_the_quarters_unpaid_bureau_records(wang, li, office):
    town = factories.org_unit("湖塘镇", kind="town")
    priced(wang, [dt.date(2026, 4, 2), dt.date(2026, 5, 6), dt.date(2026, 6, 30)])
    priced(li, [dt.date(2026, 4, 20)])
    priced(li, [dt.date(2026, 5, 20)], payer="unit", unit=town)  # the town pays (第十九条)
    priced(li, [dt.date(2026, 3, 31), dt.date(2026, 7, 1)])  # other quarters
    unpriced = records.service_record(li, activity="other", day=dt.date(2026, 6, 1))  # awaiting approval

    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)

    assert batch.state == "draft" and batch.sequence == 1
    lines = lines_by_name(batch)
    assert set(lines) == {"王建国", "李敏"}
    assert (lines["王建国"].service_count, lines["王建国"].gross, lines["王建国"].tax, lines["王建国"].net) == (
        3, Decimal("3000.00"), Decimal("440.00"), Decimal("2560.00"))
    assert (lines["李敏"].service_count, lines["李敏"].gross, lines["李敏"].tax, lines["李敏"].net) == (
        1, Decimal("1000.00"), Decimal("40.00"), Decimal("960.00"))
    assert {row.pay_month for row in payouts.batch_lines(batch)} == {"2026-07"}
    totals = payouts.batch_totals([batch.id])[batch.id]
    assert (totals.experts, totals.services, totals.gross, totals.tax, totals.net) == (
        2, 4, Decimal("4000.00"), Decimal("480.00"), Decimal("3520.00"))
    # The town's record, the other quarters and the unpriced record stay off the bureau's batch.
    paid = set(db.session.scalars(select(ServiceRecord).where(settlement.batch_records_condition(batch))))
    assert len(paid) == 4 and unpriced not in paid and {r.expert_id for r in paid} == {wang.id, li.id}
    assert all(r.service_date.month in (4, 5, 6) and r.payer == "bureau" for r in paid)


def test_review_links_the_drafts_records_to_their_lines(wang, li, office):
    """A draft pays the quarter's open records as they are; review ties each one to its line."""
    w1, w2 = priced(wang, [dt.date(2026, 4, 2), dt.date(2026, 5, 6)])
    (l1,) = priced(li, [dt.date(2026, 4, 20)])
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    assert {r.payout_line_id for r in (w1, w2, l1)} == {None}  # nothing written on the records yet
    assert record_status(w1) == "已汇总待审核"
    payouts.review_batch(batch, office)
    db.session.commit()
    lines = {
        line.expert_id: line.id
        for line in db.session.scalars(select(PayoutLine).where(PayoutLine.batch_id == batch.id))
    }
    assert (w1.payout_line_id, w2.payout_line_id, l1.payout_line_id) == (lines[wang.id], lines[wang.id], lines[li.id])
    assert record_status(w1) == "已审核待发放"
    # A record priced after the review is paid by no batch yet, not by the locked one.
    (late,) = priced(wang, [dt.date(2026, 6, 3)])
    assert late.payout_line_id is None and record_status(late) == "待纳入季度发放"
    assert late not in set(db.session.scalars(select(ServiceRecord).where(settlement.batch_records_condition(batch))))


def test_a_record_deleted_under_a_draft_makes_it_refresh_before_review(wang, office):
    r1, r2 = priced(wang, [dt.date(2026, 4, 2), dt.date(2026, 4, 3)])
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    db.session.delete(r2)  # entered by mistake: a draft does not hold it
    db.session.flush()
    with pytest.raises(DomainError, match="重新汇总"):
        payouts.review_batch(batch, office)
    assert batch.state == "draft"
    payouts.refresh_batch(batch)
    payouts.review_batch(batch, office)
    assert lines_by_name(batch)["王建国"].gross == Decimal("1000.00")
    assert db.session.get(ServiceRecord, r1.id).payout_line_id is not None


def test_the_quarter_overview_counts_where_each_record_stands(wang, office):
    town = factories.org_unit("湖塘镇", kind="town")
    priced(wang, [dt.date(2026, 4, 2), dt.date(2026, 4, 3)])
    priced(wang, [dt.date(2026, 5, 20)], payer="unit", unit=town)
    records.service_record(wang, activity="other", day=dt.date(2026, 6, 1))
    before = settlement.quarter_overview(*Q2)
    assert (before.ready, before.in_draft, before.unpriced, before.settled, before.unit) == (2, 0, 1, 0, 1)
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    draft = settlement.quarter_overview(*Q2)
    assert (draft.ready, draft.in_draft, draft.settled) == (0, 2, 0) and draft.batches == [batch]
    payouts.review_batch(batch, office)
    after = settlement.quarter_overview(*Q2)
    assert (after.ready, after.in_draft, after.settled) == (0, 0, 2)


def test_one_draft_per_quarter_and_nothing_to_pay_is_refused(wang, office):
    with pytest.raises(DomainError, match="没有待发放"):
        payouts.build_batch(*Q2, office)
    assert db.session.scalar(select(PayoutBatch.id)) is None
    priced(wang, [dt.date(2026, 4, 2)])
    payouts.build_batch(*Q2, office)
    with pytest.raises(DomainError, match="已有草稿批次"):
        payouts.build_batch(*Q2, office)


def test_records_completed_after_review_go_into_the_next_batch_of_the_quarter(wang, office):
    priced(wang, [dt.date(2026, 4, 2)])
    first = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    payouts.review_batch(first, office)
    priced(wang, [dt.date(2026, 6, 29)])  # entered late
    second = payouts.build_batch(*Q2, office, pay_date=dt.date(2026, 8, 10))
    assert second.sequence == 2
    assert lines_by_name(second)["王建国"].service_count == 1


def test_open_records_are_found_once_a_batch_is_locked(wang, li, office, leader):
    """A record on no batch is open even when locked batches exist (SQL NULL must not hide it)."""
    priced(wang, [dt.date(2026, 4, 1)])
    payouts.review_batch(payouts.build_batch(*Q2, office, pay_date=JULY_10), office)
    later = records.service_record(li, day=dt.date(2026, 7, 2))
    training = records.service_record(li, activity="training", day=dt.date(2026, 7, 3), proposed_amount=Decimal("900"))
    assert pricing.price_unpriced().priced == 1 and later.amount == Decimal("1000.00")
    assert db.session.scalars(pricing.awaiting_approval_query()).all() == [training]
    assert set(db.session.scalars(pricing.open_records_query()).all()) == {later, training}


def test_two_batches_paid_in_one_month_withhold_only_the_difference(wang, office):
    """SPEC §3.10: one expert's income of one calendar month is one 次."""
    priced(wang, [dt.date(2026, 4, d) for d in (1, 2, 3)])  # 3000
    first = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    payouts.review_batch(first, office)
    assert lines_by_name(first)["王建国"].tax == Decimal("440.00")  # (3000 − 800) × 20%

    priced(wang, [dt.date(2026, 6, 29), dt.date(2026, 6, 30)])  # +2000, paid the same July
    second = payouts.build_batch(*Q2, office, pay_date=JULY_25)
    line = lines_by_name(second)["王建国"]
    # The month: 5000 → 5000 × 80% × 20% = 800; 440 already withheld → 360 now.
    assert (line.gross, line.tax, line.net) == (Decimal("2000.00"), Decimal("360.00"), Decimal("1640.00"))
    payouts.review_batch(second, office)
    month = db.session.scalars(select(PayoutLine).where(PayoutLine.pay_month == "2026-07")).all()
    assert sum(x.tax for x in month) == Decimal("800.00")


def test_batches_paid_in_different_months_are_separate(wang, office):
    priced(wang, [dt.date(2026, 4, d) for d in (1, 2, 3)])
    payouts.review_batch(payouts.build_batch(*Q2, office, pay_date=JULY_10), office)
    priced(wang, [dt.date(2026, 6, 29), dt.date(2026, 6, 30)])
    second = payouts.build_batch(*Q2, office, pay_date=dt.date(2026, 8, 3))
    assert lines_by_name(second)["王建国"].tax == Decimal("240.00")  # (2000 − 800) × 20%


def test_a_draft_does_not_count_until_reviewed_and_review_recomputes(wang, office):
    priced(wang, [dt.date(2026, 4, d) for d in (1, 2, 3)])
    q2 = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    priced(wang, [dt.date(2026, 7, 1), dt.date(2026, 7, 2)])
    q3 = payouts.build_batch(2026, 3, office, pay_date=JULY_25)
    assert lines_by_name(q3)["王建国"].tax == Decimal("240.00")  # q2 is only a draft
    payouts.review_batch(q2, office)
    payouts.review_batch(q3, office)  # review recomputes against the reviewed July income
    assert lines_by_name(q3)["王建国"].tax == Decimal("360.00")


def test_review_locks_the_batch(wang, li, office):
    priced(wang, [dt.date(2026, 4, 2)])
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    payouts.review_batch(batch, office)
    db.session.commit()
    assert batch.state == "reviewed" and batch.reviewed_by_id == office.id

    line = db.session.scalar(select(PayoutLine).where(PayoutLine.batch_id == batch.id))
    line.gross = Decimal("5000.00")
    with pytest.raises(DomainError, match="已审核锁定"):
        db.session.flush()
    db.session.rollback()
    batch.pay_date = dt.date(2026, 8, 1)
    with pytest.raises(DomainError, match="已审核锁定"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(batch)
    with pytest.raises(DomainError, match="已审核锁定"):
        db.session.flush()
    db.session.rollback()
    for action in (
        lambda: payouts.refresh_batch(batch),
        lambda: payouts.discard_batch(batch),
        lambda: payouts.set_pay_date(batch, JULY_25),
        lambda: payouts.review_batch(batch, office),
        lambda: payouts.add_adjustment(batch, li, "100", "补发"),
    ):
        with pytest.raises(DomainError, match="已审核锁定"):
            action()
        db.session.rollback()
    record_ = db.session.scalar(select(ServiceRecord).where(ServiceRecord.expert_id == wang.id))
    record_.units = Decimal(3)
    with pytest.raises(DomainError, match="金额已结算"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(record_)
    with pytest.raises(DomainError, match="金额已结算"):
        db.session.flush()
    db.session.rollback()
    assert lines_by_name(batch)["王建国"].gross == Decimal("1000.00")


def test_corrections_go_into_a_later_batch_as_adjustments(wang, office):
    priced(wang, [dt.date(2026, 4, d) for d in (1, 2, 3)])  # 3000, tax 440
    q2 = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    payouts.review_batch(q2, office)
    payouts.mark_paid(q2, office, paid_on=JULY_10)
    wrong = db.session.scalar(select(PayoutLine).where(PayoutLine.batch_id == q2.id))

    priced(wang, [dt.date(2026, 7, 6), dt.date(2026, 7, 7)])  # Q3: 2000
    q3 = payouts.build_batch(2026, 3, office, pay_date=dt.date(2026, 10, 12))
    adj = payouts.add_adjustment(q3, wang, "-500", "第二季度多计半天", adjusts_line=wrong, actor=office)
    assert adj.is_adjustment and adj.adjusts_line_id == wrong.id
    rows = [r for r in payouts.batch_lines(q3) if r.name == "王建国"]
    # October income 2000 − 500 = 1500 → tax (1500 − 800) × 20% = 140: 240 on the line, −100 on the adjustment.
    assert [(r.gross, r.tax, r.net) for r in rows] == [
        (Decimal("2000.00"), Decimal("240.00"), Decimal("1760.00")),
        (Decimal("-500.00"), Decimal("-100.00"), Decimal("-400.00")),
    ]
    # The paid batch is untouched.
    assert lines_by_name(q2)["王建国"].gross == Decimal("3000.00")
    db.session.commit()
    # An adjustment needs a reason, a non-zero amount, and may not make the month negative.
    for amount, note, message in (("0", "x", "不能为零"), ("100", " ", "请填写调整原因"),
                                  ("-5000", "冲减", "冲减后本月收入为负数")):
        with pytest.raises(DomainError, match=message):
            payouts.add_adjustment(q3, wang, amount, note)
        db.session.rollback()
    # Removing an adjustment from the draft restores the line's tax.
    payouts.remove_adjustment(db.session.get(PayoutLine, adj.id))
    assert [r.tax for r in payouts.batch_lines(q3) if r.name == "王建国"] == [Decimal("240.00")]


def test_a_change_behind_the_fee_rules_back_leaves_no_stale_amount(wang, office):
    """E.g. the dispatch area re-records a job as 2 days: the 1-day amount must not be paid."""
    r1, r2 = priced(wang, [dt.date(2026, 4, 1), dt.date(2026, 4, 2)])
    r1.units = Decimal(2)
    db.session.flush()
    assert r1.amount is None and r1.basis is None
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    assert lines_by_name(batch)["王建国"].service_count == 1  # only the priced one
    r2.started_at = dt.datetime(2026, 4, 2, 9, 0)  # any input of the fee counts, even one that keeps the amount
    db.session.flush()
    assert r2.amount is None and record_status(r2) == "待计价"  # out of the draft
    with pytest.raises(DomainError, match="重新汇总"):
        payouts.review_batch(batch, office)
    pricing.price_unpriced()
    payouts.refresh_batch(batch)
    assert lines_by_name(batch)["王建国"].gross == Decimal("3000.00")
    payouts.review_batch(batch, office)


def test_repricing_a_draft_refreshes_its_lines(wang, office):
    r1, r2 = priced(wang, [dt.date(2026, 4, 1), dt.date(2026, 4, 2)])
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    r2.units = Decimal(3)
    pricing.price_record(r2)  # 3 days now
    assert lines_by_name(batch)["王建国"].gross == Decimal("4000.00")
    payouts.review_batch(batch, office)


def test_review_refuses_a_stale_draft_and_a_pay_date_before_the_work(wang, office):
    (r1,) = priced(wang, [dt.date(2026, 6, 20)])
    batch = payouts.build_batch(*Q2, office)
    with pytest.raises(DomainError, match="不能早于批次中最后一次服务的日期"):
        payouts.review_batch(batch, office, pay_date=dt.date(2026, 6, 1))
    db.session.execute(  # a change behind the service's back, e.g. another tool
        ServiceRecord.__table__.update().where(ServiceRecord.id == r1.id).values(amount=Decimal("1500.00"))
    )
    with pytest.raises(DomainError, match="重新汇总"):
        payouts.review_batch(batch, office, pay_date=JULY_10)
    payouts.refresh_batch(batch)
    payouts.review_batch(batch, office, pay_date=JULY_10)
    assert lines_by_name(batch)["王建国"].gross == Decimal("1500.00")


def test_mark_paid_within_the_tax_month(wang, office):
    priced(wang, [dt.date(2026, 4, 1)])
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    with pytest.raises(DomainError, match="须先审核"):
        payouts.mark_paid(batch, office, paid_on=JULY_10)
    payouts.review_batch(batch, office)
    with pytest.raises(DomainError, match="实际发放日期须在该月内"):
        payouts.mark_paid(batch, office, paid_on=dt.date(2026, 8, 3))
    payouts.mark_paid(batch, office, paid_on=dt.date(2026, 7, 14))
    assert batch.state == "paid" and batch.pay_date == dt.date(2026, 7, 14)
    with pytest.raises(DomainError, match="已经发放"):
        payouts.mark_paid(batch, office)


def test_discarding_a_draft_frees_its_records(wang, office):
    priced(wang, [dt.date(2026, 4, 1)])
    batch = payouts.build_batch(*Q2, office)
    payouts.discard_batch(batch)
    assert db.session.scalar(select(PayoutLine.id)) is None
    again = payouts.build_batch(*Q2, office)
    assert lines_by_name(again)["王建国"].service_count == 1


def test_money_is_decimal_end_to_end(wang, li, office, leader):
    """Amounts that binary floating point gets wrong, summed and taxed exactly.

    In floats 1000.10 + 1000.20 + 1000.30 + 1024.35 == 4024.9500000000003 (a value
    above 4024.95), and truncating 1024.35 × 100 to whole 分 gives 102434: the batch
    must still say gross 4024.95, tax 4024.95 × 80% × 20% = 643.992 → 643.99.
    """
    amounts = ["1000.10", "1000.20", "1000.30", "1024.35"]
    assert sum(float(a) for a in amounts) != 4024.95
    assert int(float("1024.35") * 100) == 102434
    for i, amount in enumerate(amounts, start=1):
        r = records.service_record(wang, activity="other", day=dt.date(2026, 4, i))
        pricing.propose_amount(r, office, amount)
        pricing.approve_amount(r, leader)
    for i in range(1, 4):  # 3 × 1333.33 = 3999.99: just under the 4000 line of the rule
        r = records.service_record(li, activity="other", day=dt.date(2026, 5, i))
        pricing.propose_amount(r, office, "1333.33")
        pricing.approve_amount(r, leader)
    db.session.commit()
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    lines = lines_by_name(batch)
    wang_line, li_line = lines["王建国"], lines["李敏"]
    assert (wang_line.gross, wang_line.tax, wang_line.net) == (
        Decimal("4024.95"), Decimal("643.99"), Decimal("3380.96"))
    assert (li_line.gross, li_line.tax) == (Decimal("3999.99"), Decimal("640.00"))  # (3999.99 − 800) × 20% = 639.998
    for value in (wang_line.gross, wang_line.tax, wang_line.net, li_line.gross):
        assert type(value) is Decimal
    payouts.review_batch(batch, office)
    stored = db.session.scalar(select(PayoutLine).where(PayoutLine.expert_id == wang.id))
    assert type(stored.gross) is Decimal and stored.gross == Decimal("4024.95")
    totals = payouts.batch_totals([batch.id])[batch.id]
    assert totals.gross == Decimal("8024.94") and totals.net == Decimal("6740.95")
    assert type(totals.net) is Decimal


def test_what_a_town_owes(wang, li, office):
    hutang = factories.org_unit("湖塘镇", kind="town")
    niutang = factories.org_unit("牛塘镇", kind="town")
    a, b = priced(wang, [dt.date(2026, 4, 8), dt.date(2026, 5, 8)], payer="unit", unit=hutang)
    priced(li, [dt.date(2026, 5, 9)], payer="unit", unit=hutang)
    priced(li, [dt.date(2026, 5, 10)], payer="unit", unit=niutang)
    priced(li, [dt.date(2026, 5, 11)], unit=hutang)  # paid by the bureau
    records.service_record(li, activity="other", day=dt.date(2026, 6, 1), payer="unit", unit=hutang)  # not yet priced

    dues = town_dues.what_town_owes(hutang, *Q2)
    assert {e.name: (e.services, e.amount, e.owed) for e in dues.experts} == {
        "王建国": (2, Decimal("2000.00"), Decimal("2000.00")),
        "李敏": (2, Decimal("1000.00"), Decimal("1000.00")),
    }
    assert dues.owed == Decimal("3000.00") and dues.unpriced == 1
    town_user = factories.user(role="town", org_unit_=hutang)
    town_dues.mark_unit_paid([a], town_user, paid_on=dt.date(2026, 5, 30))
    dues = town_dues.what_town_owes(hutang, *Q2)
    wang_due = next(e for e in dues.experts if e.name == "王建国")
    assert (wang_due.paid, wang_due.owed) == (Decimal("1000.00"), Decimal("1000.00"))
    assert (wang_due.tax_hint, wang_due.net_hint) == (Decimal("40.00"), Decimal("960.00"))
    # A town records payments only for its own unit; a paid amount is settled.
    other_town = factories.user(role="town", org_unit_=niutang)
    with pytest.raises(DomainError, match="只能登记本单位"):
        town_dues.mark_unit_paid([b], other_town)
    with pytest.raises(DomainError, match="已结算"):
        pricing.price_record(a)
    # The bureau's batch never takes the towns' records.
    batch = payouts.build_batch(*Q2, office)
    assert payouts.batch_totals([batch.id])[batch.id].services == 1
    assert [row[0].name for row in town_dues.town_totals(*Q2)] == ["湖塘镇", "牛塘镇"]


def test_expert_statement_shows_only_his_own_settled_lines(wang, li, office):
    priced(wang, [dt.date(2026, 4, 1), dt.date(2026, 4, 2)])
    priced(li, [dt.date(2026, 4, 3)])
    batch = payouts.build_batch(*Q2, office, pay_date=JULY_10)
    assert statements.expert_statement(wang).lines == []  # a draft is not a statement
    payouts.review_batch(batch, office)
    payouts.mark_paid(batch, office, paid_on=JULY_10)
    priced(wang, [dt.date(2026, 7, 3)])
    statement = statements.expert_statement(wang)
    assert [(x.gross, x.tax, x.net, x.state_label) for x in statement.lines] == [
        (Decimal("2000.00"), Decimal("240.00"), Decimal("1760.00"), "已发放")]
    assert statement.months == [("2026-07", Decimal("2000.00"), Decimal("240.00"), Decimal("1760.00"))]
    assert [r.status for r in statement.records] == ["待纳入季度发放", "已发放", "已发放"]
