"""Fixtures for fees and payouts: staff users. Service records are made by the plain function
``tests.fees.records.service_record`` (``records.service_record(expert, activity=..., day=...)``)."""

import pytest

from tests import factories


@pytest.fixture
def office(app):
    return factories.user(role="office", full_name="周焱")


@pytest.fixture
def leader(app):
    return factories.user(role="leader", full_name="局长")
