"""Calendar quarters (第二十条: 每季度审核发放一次): bounds, the quarter of a day, stepping."""
import datetime as dt

import pytest

from app.services.errors import DomainError
from app.services.fees.quarters import check_quarter, quarter_bounds, quarter_of, shift_quarter


def test_quarter_bounds_and_the_quarter_of_a_day():
    assert quarter_bounds(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert quarter_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_of(dt.date(2026, 6, 30)) == (2026, 2) and quarter_of(dt.date(2026, 7, 1)) == (2026, 3)


@pytest.mark.parametrize("start, by, expected", [
    ((2026, 1), -1, (2025, 4)), ((2026, 4), 1, (2027, 1)), ((2026, 2), 0, (2026, 2)),
    ((2026, 2), -13, (2023, 1)), ((2025, 4), 5, (2027, 1)),
])
def test_shift_quarter_crosses_years(start, by, expected):
    assert shift_quarter(*start, by) == expected


@pytest.mark.parametrize("year, quarter, message", [("x", 1, "有效"), (2026, 5, "1至4"), (1999, 1, "年度无效")])
def test_a_quarter_that_is_not_one_is_refused(year, quarter, message):
    with pytest.raises(DomainError, match=message):
        check_quarter(year, quarter)
