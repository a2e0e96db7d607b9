"""Demo data for fees and payouts (第十九、二十条, 附件4).

Runs last (``app.demo.seed``), after the jobs were completed and so created their service
records. Here, through the fee services, each step at its date:

- every demo record is priced (计价); the 标准化评审 amount is entered per the higher
  standard; amounts 另行确定 are proposed by the office and approved by the leader;
- the previous quarter's bureau records become a batch that is reviewed and paid
  early in this quarter; this quarter's records a draft batch;
- a town records that it paid part of what it owes (各镇应付);
- the demo ``expert`` login gets a service in the previous quarter if he had none,
  so that his phone statement (/m/statement) shows a paid line;
- a training this quarter has a proposed amount waiting for the leader, and an
  "other" service still awaits its proposal (费用审批).

If no service records exist (the dispatch demo absent), a few are entered by hand
as the office would for work done without a request.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select

from app import clock
from app.demo.moments import at
from app.extensions import db
from app.services.calendar_data import load_calendar
from app.services.errors import DomainError
from app.services.fees import payouts, pricing, town_dues
from app.services.fees.records import payer_for_unit
from models import ServiceRecord, User


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _working_day_from(day: dt.date) -> dt.date:
    calendar = load_calendar()
    while calendar.covers(day.year) and not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _add_record(expert, unit, activity, day, units=1, started_at=None, note="基础科补录") -> ServiceRecord:
    """基础科 enters work done without a request on the service-record form, the day after."""
    with at(min(day + dt.timedelta(days=1), clock.today()), 10):
        record = ServiceRecord(expert=expert, unit=unit, activity=activity, service_date=day, started_at=started_at,
                               units=Decimal(units), payer=payer_for_unit(unit), note=note)
        db.session.add(record)
        db.session.flush()
    return record


def _fallback_records(rng: random.Random, last_q: dt.date, this_q: dt.date, today: dt.date, units: dict,
                      experts: list) -> None:
    """A few records entered by hand when no job has produced any."""
    brigade = units.get("应急管理综合行政执法大队一中队")
    town = units.get("湖塘镇")
    pool = experts[1:13]
    for i, expert in enumerate(pool):
        day = _working_day_from(last_q + dt.timedelta(days=7 * i + 3))
        _add_record(expert, brigade if i % 4 else town, ("inspection", "hazard_check", "accident_investigation")[i % 3],
                    day, units=rng.choice([1, 1, 2]))
    night = _working_day_from(last_q + dt.timedelta(days=33))
    _add_record(pool[0], brigade, "emergency", night, started_at=dt.datetime.combine(night, dt.time(22, 40)))
    for i, expert in enumerate(pool[:6]):
        day = _working_day_from(this_q + dt.timedelta(days=6 * i + 2))
        if day <= today:
            _add_record(expert, brigade, "inspection", day)


def extend_demo(rng: random.Random, today: dt.date, units: dict, experts: list, enterprises: list) -> None:
    """Price, approve, batch and pay the demo service records (see the module docstring)."""
    office, leader, town_user = _user("office"), _user("leader"), _user("town")
    this_q = _quarter_start(today)
    last_q = _quarter_start(this_q - dt.timedelta(days=1))

    if not db.session.scalar(select(ServiceRecord.id).limit(1)):
        _fallback_records(rng, last_q, this_q, today, units, experts)
    me = experts[0]
    has_last = db.session.scalar(
        select(ServiceRecord.id).where(ServiceRecord.expert_id == me.id, ServiceRecord.service_date >= last_q,
                                       ServiceRecord.service_date < this_q, ServiceRecord.payer == "bureau")
    )
    if not has_last:
        day = _working_day_from(last_q + dt.timedelta(days=45))
        _add_record(me, units.get("危险化学品安全监督管理科"), "inspection", day, units=2,
                    note="危险化学品企业专项检查（基础科补录）")
    # Work whose amount is 另行确定 this quarter, left for the leader on the approval page.
    section = units.get("综合科")
    training_day = _working_day_from(this_q + dt.timedelta(days=16))
    if training_day <= today and len(experts) > 3:
        _add_record(experts[2], section, "training", training_day,
                    note="全区危险化学品企业主要负责人安全培训授课半天（基础科补录）")
        _add_record(experts[3], section, "other", training_day, note="参加安全生产地方标准草案评审会（基础科补录）")
    db.session.flush()

    # 计价: standard-priced records at once; entered and approved amounts as the office and leader would.
    records = db.session.scalars(select(ServiceRecord).order_by(ServiceRecord.service_date, ServiceRecord.id)).all()
    for record in records:
        if record.amount is not None:
            continue
        proposed = min(record.service_date + dt.timedelta(days=3), today)
        try:
            if pricing.needs_entered_amount(record):
                with at(proposed, 10):
                    pricing.propose_amount(record, office, Decimal(3000) * record.units, "按省级标准化评审费用标准")
            elif pricing.needs_approval(record) and record.activity != "other":
                with at(proposed, 10):
                    pricing.propose_amount(record, office, Decimal(1500) * record.units, "参照执法检查标准并考虑工作量")
                if record.service_date < this_q and leader is not None:
                    with at(min(proposed + dt.timedelta(days=4), today), 15):
                        pricing.approve_amount(record, leader)
        except DomainError:
            continue

    # The previous quarter: priced, reviewed and paid early in this quarter.
    pay_day = min(_working_day_from(this_q + dt.timedelta(days=9)), today)
    with at(min(this_q + dt.timedelta(days=3), today), 9):
        pricing.price_unpriced(last_q.year, (last_q.month - 1) // 3 + 1)
    try:
        with at(min(this_q + dt.timedelta(days=3), today), 10):
            batch = payouts.build_batch(last_q.year, (last_q.month - 1) // 3 + 1, office, pay_date=pay_day)
        with at(min(this_q + dt.timedelta(days=6), today), 16):
            payouts.review_batch(batch, office, pay_date=pay_day)
        with at(pay_day, 15):
            payouts.mark_paid(batch, office, paid_on=pay_day)
    except DomainError:
        pass
    # This quarter: everything priced today, a draft, taxes provisional until it is reviewed.
    with at(today, 9):
        pricing.price_unpriced()
        try:
            payouts.build_batch(this_q.year, (this_q.month - 1) // 3 + 1, office)
        except DomainError:
            pass

    # A town pays part of what it owes directly (第十九条).
    if town_user is not None and town_user.org_unit is not None:
        owed = db.session.scalars(
            select(ServiceRecord).where(
                ServiceRecord.unit_id == town_user.org_unit_id, ServiceRecord.payer == "unit",
                ServiceRecord.amount.is_not(None), ServiceRecord.service_date < this_q,
            ).order_by(ServiceRecord.service_date)
        ).all()
        if owed:
            paid_on = min(this_q + dt.timedelta(days=20), today)
            try:
                with at(paid_on, 11):
                    town_dues.mark_unit_paid(owed[:1], town_user, paid_on=paid_on)
            except DomainError:
                pass
    db.session.flush()
