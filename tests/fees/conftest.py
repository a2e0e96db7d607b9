"""Fixtures for fees and payouts: staff users and ``record`` (records.service_record, bound to the app)."""

import pytest

from tests import factories
from tests.fees.records import service_record


@pytest.fixture
def record(app):
    """``record(expert, activity=..., day=..., ...)`` → a flushed ServiceRecord."""
    return service_record


@pytest.fixture
def office(app):
    return factories.user(role="office", full_name="周焱")


@pytest.fixture
def leader(app):
    return factories.user(role="leader", full_name="局长")
