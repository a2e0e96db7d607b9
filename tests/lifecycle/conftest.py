"""Fixtures of the lifecycle tests: the office and a leader (the records they need: records.py)."""
import pytest

from tests import factories


@pytest.fixture
def office(app):
    return factories.user(role="office")


@pytest.fixture
def leader(app):
    return factories.user(role="leader")
