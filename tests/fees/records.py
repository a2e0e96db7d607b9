"""Fees records for tests: a completed service as the dispatch area records it. Plain functions
like tests/factories.py.
"""
import datetime as dt
from decimal import Decimal

from app.extensions import db
from models import ServiceRecord


def service_record(expert, activity="inspection", day=dt.date(2026, 5, 12), units=1, payer="bureau", unit=None,
                   started_at=None, proposed_amount=None, **kw) -> ServiceRecord:
    """A completed service as the dispatch area records it (一条服务记录)."""
    if activity == "emergency" and started_at is None:
        started_at = dt.datetime.combine(day, dt.time(10, 0))
    record = ServiceRecord(
        expert=expert, activity=activity, service_date=day, started_at=started_at, units=Decimal(units),
        payer=payer, unit=unit, proposed_amount=proposed_amount, **kw,
    )
    db.session.add(record)
    db.session.flush()
    return record
