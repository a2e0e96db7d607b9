"""Fixtures of the queue tests: one item of every kind waiting for a leader."""
import datetime as dt
from decimal import Decimal

import pytest

from app.extensions import db
from app.services.lifecycle import dismissal as dm
from app.services.lifecycle import review
from app.services.permits.issuing import issue_permit
from tests import factories
from tests.fees.records import service_record
from tests.lifecycle.records import make_applicant, make_application


@pytest.fixture
def office(app):
    return factories.user(role="office", full_name="周焱")


@pytest.fixture
def leader(app):
    return factories.user(role="leader", full_name="王局长")


@pytest.fixture
def waiting(app, office):
    """One item of each kind: 拟聘 (张三), 直接聘任 (李四), 拟解聘 (钱卫东), fee (省库专家)."""
    return make_waiting(office)


def make_waiting(office):
    """One item of each kind waiting for a leader, proposed by ``office``; commits."""
    shortlisted = make_application(make_applicant(name="张三"), state="test_passed")
    review.shortlist([shortlisted], office)
    direct = make_application(make_applicant(name="李四"), state="submitted")
    review.propose_direct(direct, office, "有限空间事故调查急需的检测专家")
    member = factories.appointed_expert(name="钱卫东")
    issue_permit(member, member.terms[0])
    proposal = dm.propose_by_office(member, "3", "本人已调往外地工作", office)
    upper = factories.expert(name="省库专家", source="upper", upper_pool_level="province")
    fee = service_record(upper, activity="inspection", day=dt.date(2026, 5, 12), units=1)
    from app.services.fees import pricing

    pricing.propose_amount(fee, office, Decimal("1800"), "省级专家一天")
    db.session.commit()
    return {"appointment": shortlisted, "direct": direct, "dismissal": proposal, "fee": fee}
