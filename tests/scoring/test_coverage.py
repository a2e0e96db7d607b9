"""Coverage of service-quality evaluations against the enforcement plan (第二十二条: ≥ 20%)."""
import datetime as dt

import pytest

from app.extensions import db
from app.services.scoring import coverage as coverage_service
from app.services.scoring.coverage import UnitCoverage
from models import EnforcementPlan, OrgUnit
from tests.scoring import records

D = dt.date


@pytest.mark.parametrize("planned,evaluations,required,percent,below", [
    (50, 10, 10, "20.0", False),   # exactly 20%
    (50, 9, 10, "18.0", True),
    (51, 10, 11, "19.6", True),    # 20% of 51 is 10.2: eleven are needed
    (51, 11, 11, "21.6", False),
    (3, 1, 1, "33.3", False),
    (0, 0, 0, None, False),        # nothing planned: nothing owed
])
def test_the_20_percent_rule(planned, evaluations, required, percent, below):
    row = UnitCoverage(unit=OrgUnit(name="某镇", kind="town"), planned=planned, evaluations=evaluations,
                       all_evaluations=evaluations)
    assert row.required == required
    assert (str(row.percent) if row.percent is not None else None) == percent
    assert row.below is below


def test_coverage_per_unit_counts_service_quality_evaluations_of_the_year(app):
    town = records.scorer("town")
    brigade = records.scorer("department")
    idle = records.unit("town", "未录入计划的镇")
    db.session.add_all([EnforcementPlan(unit=town.org_unit, year=2026, planned_checks=20),
                        EnforcementPlan(unit=brigade.org_unit, year=2026, planned_checks=10)])
    for day in (D(2026, 2, 1), D(2026, 5, 1), D(2026, 9, 1)):
        records.evaluation(town, variant="B", on=day)            # counts
    records.evaluation(town, variant="A", on=D(2026, 6, 1))      # 配合工作 (A): not service quality
    records.evaluation(town, variant="B", on=D(2025, 12, 31))    # last year
    records.evaluation(brigade, variant="B", on=D(2026, 3, 3))
    records.evaluation(brigade, variant="B", on=D(2026, 4, 4), is_paper=True)  # paper forms count too
    rows = {r.unit.id: r for r in coverage_service.coverage(2026)}
    t, b, i = rows[town.org_unit_id], rows[brigade.org_unit_id], rows[idle.id]
    assert (t.planned, t.evaluations, t.all_evaluations, str(t.percent), t.below) == (20, 3, 4, "15.0", True)
    assert (b.planned, b.evaluations, str(b.percent), b.below) == (10, 2, "20.0", False)
    assert (i.planned, i.percent, i.below, i.status_label) == (None, None, False, "未录入执法计划")
    assert [r.unit.id for r in coverage_service.units_below(2026)] == [town.org_unit_id]


def test_a_unit_sees_its_own_coverage_only(app):
    town = records.scorer("town")
    records.unit("town")
    assert [r.unit.id for r in coverage_service.coverage(2026, unit_ids=[town.org_unit_id])] == [town.org_unit_id]
