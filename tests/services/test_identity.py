"""Identity and contact checks and masks (附件2, 第十条(三), SPEC §3.15)."""

import datetime as dt

import pytest
from stdnum.cn import ric

from app.services.errors import DomainError
from app.services.identity import (
    check_email,
    check_id_consistent,
    check_id_number,
    check_landline,
    check_mobile,
    check_phone,
    check_uscc,
    id_birth_date,
    id_gender,
    mask_id,
    mask_phone,
    not_in_future,
)

VALID_ID = "11010519491231002X"  # GB 11643-1999 sample: woman, born 1949-12-31


def with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


# 武进县 (320421, 1983–1995) for a man born 1960: a real kind of number that
# stdnum's own validate() refuses because the county code postdates the birth.
WUJIN_1960 = with_check_digit("32042119600315123")


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (VALID_ID, VALID_ID),
        ("11010519491231002x", VALID_ID),  # lower-case x
        (" 110105 19491231 002X ", VALID_ID),  # spaces
        ("１１０１０５１９４９１２３１００２Ｘ", VALID_ID),  # full-width
        (WUJIN_1960, WUJIN_1960),
        (with_check_digit("32041220000229001"), None),  # 29 Feb of a leap year
    ],
)
def test_check_id_number_accepts(raw, normalised):
    assert check_id_number(raw) == (normalised or raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "请填写身份证号"),
        ("110105491231002", "15位旧号码已停用"),
        ("11010519491231002", "应为18位，现为17位"),
        ("1101051949123100XX", "前17位应为数字"),
        ("11010519491231002A", "前17位应为数字"),
        ("110105194912310021", "校验位不正确"),  # wrong check digit
        ("110105194912130022", "校验位不正确"),  # two digits swapped
        (with_check_digit("99010519491231002"), "不是有效的省级行政区划代码"),
        (with_check_digit("32041219810229001"), "出生日期（19810229）不存在"),
        (with_check_digit("32041219491331002"), "出生日期（19491331）不存在"),
        (with_check_digit("32041218991231002"), "出生日期（18991231）不合理"),
    ],
)
def test_check_id_number_refuses(raw, message):
    with pytest.raises(DomainError, match=message):
        check_id_number(raw)


def test_check_id_number_refuses_a_birth_in_the_future():
    number = with_check_digit("32041220300101001")
    assert check_id_number(number) == number
    with pytest.raises(DomainError, match="不合理"):
        check_id_number(number, today=dt.date(2026, 5, 1))


@pytest.mark.parametrize(
    ("number", "birth", "gender"),
    [
        (VALID_ID, dt.date(1949, 12, 31), "女"),  # 17th digit 2: even
        (WUJIN_1960, dt.date(1960, 3, 15), "男"),  # 17th digit 3: odd
    ],
)
def test_birth_date_and_gender(number, birth, gender):
    assert id_birth_date(number) == birth
    assert id_gender(number) == gender
    assert check_id_consistent(number, birth, gender) == number


def test_consistency_skips_missing_fields():
    assert check_id_consistent(VALID_ID.lower()) == VALID_ID


@pytest.mark.parametrize(
    ("birth", "gender", "messages"),
    [
        (dt.date(1949, 12, 30), "女", ["出生日期1949-12-30与身份证号不一致"]),
        (dt.date(1949, 12, 31), "男", ["性别“男”与身份证号不一致（身份证号为“女”）"]),
        (dt.date(1950, 1, 1), "男", ["出生日期", "性别"]),
    ],
)
def test_consistency_mismatch(birth, gender, messages):
    with pytest.raises(DomainError) as raised:
        check_id_consistent(VALID_ID, birth, gender)
    assert all(message in str(raised.value) for message in messages)


def test_bad_id_number_makes_derived_values_refuse():
    with pytest.raises(DomainError, match="校验位不正确"):
        id_gender("110105194912310021")


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("91110000600037341L", "91110000600037341L"),
        ("91320412720592586w", "91320412720592586W"),
        (" 9132 0412 MA1X 2Y3K 4E ", "91320412MA1X2Y3K4E"),
        ("１２３２０４１２４６６２８１６１７８", "123204124662816178"),
    ],
)
def test_check_uscc_accepts(raw, normalised):
    assert check_uscc(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "请填写统一社会信用代码"),
        ("9111000060003734", "应为18位，现为16位"),
        ("9111000060003734IL", "含有无效字符"),  # I is not used
        ("91110000600037341A", "校验位不正确"),
    ],
)
def test_check_uscc_refuses(raw, message):
    with pytest.raises(DomainError, match=message):
        check_uscc(raw)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_check_mobile_accepts(raw, normalised):
    assert check_mobile(raw) == normalised


@pytest.mark.parametrize(
    "raw", ["12812345678", "1381234567", "138123456789", "2381234567a", "0519-86310627"]
)
def test_check_mobile_refuses(raw):
    with pytest.raises(DomainError, match="手机号码应为11位数字"):
        check_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("0519-86310627", "0519-86310627"),  # 附件2's own contact number
        ("0519 86310627", "0519-86310627"),
        ("051986310627", "0519-86310627"),
        ("(0519)86310627", "0519-86310627"),
        ("（0519）86310627", "0519-86310627"),
        ("0519－86310627", "0519-86310627"),  # full-width dash
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),  # 010 + 8 digits, not 0106 + 7
        ("025-83456789", "025-83456789"),
        ("0936-8123456", "0936-8123456"),  # 7-digit local number
        ("0519-86310627-801", "0519-86310627-801"),
        ("0519-86310627转801", "0519-86310627-801"),
        ("0519-86310627 ext. 801", "0519-86310627-801"),
    ],
)
def test_check_landline_accepts(raw, normalised):
    assert check_landline(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("86310627", "请在电话号码前加上区号"),
        ("010-6234567", "格式不正确"),  # 010 numbers have 8 digits
        ("0519-06310627", "格式不正确"),  # local numbers do not start with 0
        ("0519-863106271", "格式不正确"),
        ("13812345678", "格式不正确"),
        ("", "请填写电话号码"),
    ],
)
def test_check_landline_refuses(raw, message):
    with pytest.raises(DomainError, match=message):
        check_landline(raw)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("138 1234 5678", "13812345678"), ("0519-86310627", "0519-86310627")],
)
def test_check_phone(raw, normalised):
    assert check_phone(raw) == normalised


def test_check_phone_refuses():
    with pytest.raises(DomainError, match="请填写11位手机号码，或带区号的固定电话"):
        check_phone("86310627")


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("469734441@qq.com", "469734441@qq.com"),
        ("469734441＠qq.com", "469734441@qq.com"),  # as printed in 附件2
        (" Zhou.Yan@WJ.Gov.CN ", "Zhou.Yan@wj.gov.cn"),
        ("a+tag@mail.example.org", "a+tag@mail.example.org"),
    ],
)
def test_check_email_accepts(raw, normalised):
    assert check_email(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "469734441qq.com",
        "@qq.com",
        "name@",
        "name@qq",
        "name@qq..com",
        "na..me@qq.com",
        ".name@qq.com",
        "name@-qq.com",
        "name@qq.c0m",
        "名字@qq.com",
    ],
)
def test_check_email_refuses(raw):
    with pytest.raises(DomainError, match="电子邮箱格式不正确"):
        check_email(raw)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("320421196003151234", "3204**********1234"),
        (VALID_ID, "1101**********002X"),
        ("12345678", "********"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id(raw, masked):
    assert mask_id(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("0519-86310627", "0519-****0627"),
        ("(0519)86310627", "0519-****0627"),
        ("0936-8123456", "0936-***3456"),
        ("0519-86310627-801", "0519-****0627-801"),
        ("86310627", "****0627"),  # unrecognised: only the last 4 digits stay
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_not_in_future():
    today = dt.date(2026, 5, 1)
    assert not_in_future(today, today) == today
    assert not_in_future(dt.date(1949, 12, 31), today, "出生日期") == dt.date(1949, 12, 31)
    with pytest.raises(DomainError, match="出生日期不能晚于今天（2026-05-01）"):
        not_in_future(dt.date(2026, 5, 2), today, "出生日期")
