"""主要工作经历 periods and years in the field (附件2 填表说明1、9, 第十一条(三))."""

import datetime as dt

import pytest

from app.services.errors import DomainError
from app.services.lifecycle.work_history import (
    RowError,
    check_history,
    format_period,
    months_in_field,
    parse_period,
    years_in_field,
)

TODAY = dt.date(2026, 5, 20)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("1988.09-1992.07", ((1988, 9), (1992, 7))),  # 填表说明1
        ("1988.09－1992.07", ((1988, 9), (1992, 7))),  # full-width dash, as printed
        ("1988.09—1992.07", ((1988, 9), (1992, 7))),  # em dash
        ("1988.09——1992.07", ((1988, 9), (1992, 7))),  # double em dash (Chinese IME)
        ("1988.09–1992.07", ((1988, 9), (1992, 7))),  # en dash
        ("1988.09~1992.07", ((1988, 9), (1992, 7))),
        ("1988.09至1992.07", ((1988, 9), (1992, 7))),
        (" 1988.09 - 1992.07 ", ((1988, 9), (1992, 7))),
        ("１９８８．０９－１９９２．０７", ((1988, 9), (1992, 7))),  # full-width digits
        ("1988.9-1992.7", ((1988, 9), (1992, 7))),  # one-digit months
        ("2015.03-至今", ((2015, 3), None)),
        ("2015.03至今", ((2015, 3), None)),
        ("2015.03－至今", ((2015, 3), None)),
    ],
)
def test_parse_period(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请填写起止年月"),
        ("1988-1992", "格式不正确"),
        ("1988.09", "格式不正确"),
        ("1988.09-", "格式不正确"),
        ("1988.09 1992.07", "格式不正确"),
        ("1988/09-1992/07", "格式不正确"),
        ("88.09-92.07", "格式不正确"),
        ("1988.13-1992.07", "月份应在01至12之间：1988.13"),
        ("1988.00-1992.07", "月份应在01至12之间"),
        ("1888.09-1992.07", "年份不合理"),
    ],
)
def test_parse_period_refuses(text, message):
    with pytest.raises(DomainError, match=message):
        parse_period(text)


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [((1988, 9), (1992, 7), "1988.09-1992.07"), ((2015, 3), None, "2015.03-至今")],
)
def test_format_period(start, end, text):
    assert format_period(start, end) == text
    assert parse_period(text) == (start, end)


def test_a_good_history():
    rows = ["1988.09-1992.07", "1992.07-1995.03", "1995.04-2015.02", "2015.03-至今"]
    assert check_history(rows, TODAY) == []


def test_shared_boundary_month_is_allowed():
    assert check_history(["1988.09-1992.07", "1992.07-1995.03"], TODAY) == []


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        (["1988.09-1992.07", "1992/07-1995"], [(1, "第2行：起止年月“1992/07-1995”格式不正确")]),
        (["1992.07-1988.09"], [(0, "第1行：开始年月1992.07晚于结束年月1988.09")]),
        (["2020.01-2026.06"], [(0, "第1行：结束年月2026.06晚于当前月份")]),
        (["2026.06-至今"], [(0, "第1行：开始年月2026.06晚于当前月份")]),
        (["2020.01-2026.05"], []),  # the current month is not the future
        (
            ["1995.04-2015.02", "1988.09-1992.07"],
            [(1, "第2行：应按时间先后顺序填写，本行开始早于第1行")],
        ),
        (["1988.09-1992.07", "1992.06-1995.03"], [(1, "第2行：与第1行的时间重叠")]),
        (["1988.09-2000.01", "1990.01-1992.07"], [(1, "第2行：与第1行的时间重叠")]),
        (
            ["2010.01-至今", "2015.01-2016.01"],
            [(0, "第1行：只有最后一行（当前工作）可以写“至今”")],
        ),
        (
            # A bad row is skipped: the next one is compared with the last good one.
            ["1988.09-1992.07", "1995.04-1993.01", "1992.06-1995.03"],
            [(1, "第2行：开始年月1995.04晚于结束年月1993.01"), (2, "第3行：与第1行的时间重叠")],
        ),
    ],
)
def test_check_history_errors(rows, errors):
    found = check_history(rows, TODAY)
    assert [error.index for error in found] == [index for index, _ in errors]
    for error, (_, message) in zip(found, errors, strict=True):
        assert isinstance(error, RowError)
        assert error.message.startswith(message)


@pytest.mark.parametrize(
    ("rows", "months", "years"),
    [
        (["2000.01-2004.12"], 60, 5),  # Jan 2000 through Dec 2004: five full years
        (["2000.01-2004.11"], 59, 4),  # one month short of 5年以上
        (["1988.09-1992.07", "1992.07-1995.03"], 79, 6),  # shared month counted once
        (["1988.09-1992.07", "1990.01-1991.12"], 47, 3),  # overlap counted once
        (["2021.06-至今"], 60, 5),  # 2021.06 through 2026.05
        (["2024.01-2030.12"], 29, 2),  # the future is not counted
        (["2027.01-至今"], 0, 0),
        ([], 0, 0),
    ],
)
def test_months_and_years_in_field(rows, months, years):
    assert months_in_field(rows, TODAY) == months
    assert years_in_field(rows, TODAY) == years


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["2000.01-2004.12", "2005.01"], "第2行：起止年月“2005.01”格式不正确"),
        (["2004.12-2000.01"], "第1行：开始年月2004.12晚于结束年月2000.01"),
    ],
)
def test_years_in_field_refuses_bad_rows(rows, message):
    with pytest.raises(DomainError, match=message):
        years_in_field(rows, TODAY)
