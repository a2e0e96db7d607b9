"""Dashboard figures: average total per group and the distribution over score bands."""
import datetime as dt
from decimal import Decimal

from app.services.scoring.score_stats import average_score_per_group, score_distribution
from tests import factories
from tests.discipline import records

D = dt.date


def test_average_per_group_counts_an_expert_in_each_of_his_groups(app):
    both = factories.appointed_expert(D(2025, 1, 1), D(2027, 12, 31), groups=("化工", "电气"))
    chem = factories.appointed_expert(D(2025, 1, 1), D(2027, 12, 31), groups=("化工",))
    records.evaluation(both, D(2026, 3, 1), 90)
    records.evaluation(chem, D(2026, 4, 1), 75)
    records.evaluation(chem, D(2026, 5, 1), 80)
    records.evaluation(chem, D(2025, 5, 1), 10)  # another year
    rows = average_score_per_group(2026)
    assert [name for name, _, _ in rows][:3] == ["化工", "烟花爆竹", "冶金煤气"] and len(rows) == 12
    by = {name: (avg, n) for name, avg, n in rows}
    assert by["化工"] == (Decimal("81.7"), 3)
    assert by["电气"] == (Decimal("90.0"), 1)
    assert by["机械"] == (None, 0)


def test_distribution_over_the_five_bands(app):
    expert = factories.appointed_expert(D(2025, 1, 1), D(2027, 12, 31))
    for total in (59, 60, 69, 70, 85, 89, 90, 100, 100):
        records.evaluation(expert, D(2026, 6, 1), total)
    records.evaluation(expert, D(2025, 6, 1), 30)
    assert score_distribution(2026) == [("0-59", 1), ("60-69", 2), ("70-79", 1), ("80-89", 2), ("90-100", 3)]
    assert score_distribution(2024) == [("0-59", 0), ("60-69", 0), ("70-79", 0), ("80-89", 0), ("90-100", 0)]
