"""Fixtures for the dispatch area: the requesting units. Pools of experts and requests are made
by plain functions in tests/dispatch/records.py (``pool``, ``new_request``)."""
import pytest

from tests import factories


@pytest.fixture
def section(app):
    return factories.org_unit(name="危险化学品安全监督管理科", kind="section")


@pytest.fixture
def town(app):
    return factories.org_unit(name="湖塘镇", kind="town")
