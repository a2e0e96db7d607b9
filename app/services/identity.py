"""Checks and masks for identity and contact data (附件2, 第十条(三), SPEC §2, §3.15).

附件2 collects 身份证号, 出生日期, 性别, 工作电话/住宅电话 ("请写明区号"), 手机 and
电子邮箱 for each expert; SPEC §2 adds each enterprise's 统一社会信用代码. The
validators here return the normalised value or raise :class:`DomainError` with
a Chinese message. SPEC §3.15 (第十条(三) 保密) has ID numbers, phones, home address,
WeChat, QQ and e-mail masked for everyone but the expert office: :func:`mask_id`,
:func:`mask_phone`, :func:`mask_address`, :func:`mask_account`, :func:`mask_email`, and
:func:`mask` by kind (what the admin's ``masked_columns`` and the PDFs use).

Input is normalised with NFKC first, so full-width digits, letters, brackets
and ＠ typed with a Chinese input method are accepted.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from app.crypto import UnreadableValue
from app.services.errors import DomainError

#: First two digits of a 身份证号: the province-level divisions of GB/T 2260,
#: plus 71/81/82/83 used by residence permits of 台湾/香港/澳门 residents.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

_MOBILE = re.compile(r"1[3-9]\d{9}")
_BRACKETED_AREA = re.compile(r"\((0\d{2,3})\)-?")
_LANDLINE = re.compile(
    r"""
    (?: (?P<area3>010|02\d) -? (?P<local8>[2-9]\d{7})         # 010, 02x: 8 digits
      | (?P<area4>0[3-9]\d{2}) -? (?P<local>[2-9]\d{6,7})     # 0xxx: 7-8 digits
    )
    (?: (?:-|转|ext\.?|x|\#|,) (?P<ext>\d{1,6}) )?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_LOCAL_ONLY = re.compile(r"[2-9]\d{6,7}")
_EMAIL_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL_LOCAL = re.compile(rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*")
_EMAIL_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def _normalise(value: object, what: str) -> str:
    """NFKC-folded text without any whitespace; an empty value is refused."""
    if not isinstance(value, str):
        raise DomainError(f"{what}必须是文本")
    text = "".join(unicodedata.normalize("NFKC", value).split())
    if not text:
        raise DomainError(f"请填写{what}")
    return text


# --- 身份证号 -----------------------------------------------------------------


def check_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Validate a 18-digit 身份证号 (GB 11643-1999; 附件2 身份证号) and return it normalised.

    Checks length, digits, the province code, that the embedded birth date
    exists (and, given ``today``, is not in the future) and the check digit;
    returns the 18 characters with an upper-case X.

    The check digit and the birth date are read with ``stdnum.cn.ric``. Its
    ``validate`` is not used as a whole: it also requires the county code to
    have existed in the birth year, which refuses real numbers — codes were
    assigned when the card was issued, so e.g. 320421 (武进县, 1983–1995) is
    refused for anyone born before 1983 (python-stdnum issue #442). Only the
    province is checked here; the check digit catches typing errors.
    """
    number = ric.compact(_normalise(value, "身份证号"))
    if len(number) == 15 and number.isdigit():
        raise DomainError("请填写18位身份证号（15位旧号码已停用）")
    if len(number) != 18:
        raise DomainError(f"身份证号应为18位，现为{len(number)}位")
    if not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        raise DomainError("身份证号前17位应为数字，最后一位为数字或X")
    if number[:2] not in PROVINCE_CODES:
        raise DomainError(f"身份证号前两位（{number[:2]}）不是有效的省级行政区划代码")
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise DomainError(f"身份证号中的出生日期（{number[6:14]}）不存在") from None
    if birth.year < 1900 or (today is not None and birth > today):
        raise DomainError(f"身份证号中的出生日期（{number[6:14]}）不合理")
    if number[17] != ric.calc_check_digit(number):
        raise DomainError("身份证号校验位不正确，请核对号码")
    return number


def id_birth_date(value: str) -> dt.date:
    """The birth date embedded in a valid 身份证号 (digits 7–14)."""
    return ric.get_birth_date(check_id_number(value))


def id_gender(value: str) -> str:
    """'男' or '女' from a valid 身份证号: the 17th digit is odd for a man."""
    return "男" if int(check_id_number(value)[16]) % 2 else "女"


def check_id_consistent(
    id_number: str, birth_date: dt.date | None = None, gender: str | None = None
) -> str:
    """Check 附件2's 出生日期 and 性别 against the 身份证号; return the normalised number.

    ``birth_date`` or ``gender`` left None is not compared. All mismatches are
    reported in one :class:`DomainError`.
    """
    number = check_id_number(id_number)
    problems = []
    expected_birth = id_birth_date(number)
    if birth_date is not None and birth_date != expected_birth:
        problems.append(
            f"出生日期{birth_date:%Y-%m-%d}与身份证号不一致（身份证号为{expected_birth:%Y-%m-%d}）"
        )
    expected_gender = id_gender(number)
    if gender is not None and gender != expected_gender:
        problems.append(f"性别“{gender}”与身份证号不一致（身份证号为“{expected_gender}”）")
    if problems:
        raise DomainError("；".join(problems))
    return number


# --- 统一社会信用代码 -----------------------------------------------------------


def check_uscc(value: str) -> str:
    """Validate an enterprise's 统一社会信用代码 (GB 32100-2015; SPEC §2 服务单位).

    Uses ``stdnum.cn.uscc`` (length, character set, check digit); returns the
    18 characters upper-case.
    """
    code = uscc.compact(_normalise(value, "统一社会信用代码"))
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidLength:
        raise DomainError(f"统一社会信用代码应为18位，现为{len(code)}位") from None
    except stdnum_errors.InvalidFormat:
        raise DomainError(
            "统一社会信用代码含有无效字符（前8位为数字，不使用字母I、O、Z、S、V）"
        ) from None
    except stdnum_errors.ValidationError:
        raise DomainError("统一社会信用代码校验位不正确，请核对") from None


# --- phones and e-mail ---------------------------------------------------------


def check_mobile(value: str) -> str:
    """Validate a 手机 number (附件2): 11 digits starting 13–19; return the 11 digits.

    Spaces and dashes are ignored, and a +86 / 0086 country prefix is dropped.
    """
    digits = _normalise(value, "手机号码").replace("-", "")
    digits = re.sub(r"^(?:\+86|0086)", "", digits)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not _MOBILE.fullmatch(digits):
        raise DomainError("手机号码应为11位数字，以13至19开头")
    return digits


def check_landline(value: str) -> str:
    """Validate a fixed phone number with its area code (附件2 填表说明8: 请写明区号).

    Accepts "0519-86310627", "(0519)86310627", "051986310627", an extension
    after "-", "转", "ext" or "#"; returns "0519-86310627" or
    "0519-86310627-801". Area codes are 010 and 02x (8-digit numbers) or a
    4-digit 0xxx (7- or 8-digit numbers).
    """
    text = _normalise(value, "电话号码")
    # "(0519)86310627" is the same number as "0519-86310627".
    text = _BRACKETED_AREA.sub(r"\1-", text, count=1) if text.startswith("(") else text
    match = _LANDLINE.fullmatch(text)
    if match is None:
        if _LOCAL_ONLY.fullmatch(text):
            raise DomainError("请在电话号码前加上区号，例如 0519-86310627")
        raise DomainError("电话号码格式不正确，应为“区号-号码”，例如 0519-86310627")
    area = match["area3"] or match["area4"]
    local = match["local8"] or match["local"]
    extension = f"-{match['ext']}" if match["ext"] else ""
    return f"{area}-{local}{extension}"


def check_phone(value: str) -> str:
    """A 工作电话/住宅电话 that may be a mobile or a fixed line (附件2); normalised."""
    try:
        return check_mobile(value)
    except DomainError:
        pass
    try:
        return check_landline(value)
    except DomainError:
        raise DomainError(
            "电话号码格式不正确：请填写11位手机号码，或带区号的固定电话，例如 0519-86310627"
        ) from None


def check_email(value: str) -> str:
    """Validate an 电子邮箱 (附件2); return it with the domain in lower case.

    NFKC folds the full-width "＠" (as printed in 附件2 itself) to "@".
    """
    text = _normalise(value, "电子邮箱")
    local, at, domain = text.rpartition("@")
    if (
        not at
        or len(text) > 254
        or len(local) > 64
        or not _EMAIL_LOCAL.fullmatch(local)
        or not _EMAIL_DOMAIN.fullmatch(domain)
    ):
        raise DomainError("电子邮箱格式不正确，例如 name@example.com")
    return f"{local}@{domain.lower()}"


# --- masks (第十条(三), SPEC §3.15) ---------------------------------------------


def mask_id(value: str | None) -> str:
    """A 身份证号 with all but its first 4 and last 4 characters hidden (SPEC §3.15).

    '11010519491231002X' → '1101**********002X'. Never raises: a value too
    short to keep 8 characters is hidden entirely.
    """
    text = "".join((value or "").split())
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_phone(value: str | None) -> str:
    """A phone number with its middle hidden (SPEC §3.15).

    Mobile '13812345678' → '138****5678'; fixed line '0519-86310627' →
    '0519-****0627' (the area code stays: it only says where). Anything else
    keeps only its last 4 digits. Never raises.
    """
    text = value or ""
    try:
        mobile = check_mobile(text)
        return mobile[:3] + "****" + mobile[-4:]
    except DomainError:
        pass
    try:
        area, local, *extension = check_landline(text).split("-")
        return "-".join([area, "*" * (len(local) - 4) + local[-4:], *extension])
    except DomainError:
        pass
    digits_seen = sum(ch.isdigit() for ch in text)
    masked = []
    for ch in text:
        if ch.isdigit():
            digits_seen -= 1
            masked.append(ch if digits_seen < 4 else "*")
        else:
            masked.append(ch)
    return "".join(masked)


def mask_address(value: str | None) -> str:
    """An address with only its beginning (at most 6 characters: city and district) kept.

    '常州市武进区湖塘镇花园新村12幢' → '常州市武进区****'; '湖塘镇某路1号' → '湖塘镇****'. Never raises.
    """
    text = "".join((value or "").split())
    if not text:
        return ""
    return text[:min(6, len(text) // 2)] + "****"


def mask_account(value: str | None) -> str:
    """A WeChat ID or QQ number with only its first and last two characters kept.

    'wx_liudadi' → 'wx****di'; '123456789' → '12****89'; anything of 5 characters or fewer
    is hidden entirely. Never raises.
    """
    text = "".join((value or "").split())
    if len(text) <= 5:
        return "*" * len(text)
    return text[:2] + "****" + text[-2:]


def mask_email(value: str | None) -> str:
    """An e-mail address with its name hidden but its first character: 'l****@example.cn'."""
    text = "".join((value or "").split())
    local, at, domain = text.rpartition("@")
    if not at:
        return mask_account(text)
    return (local[:1] if len(local) > 1 else "") + "****@" + domain


#: The masks by kind, as views and documents name them.
MASKS = {"id": mask_id, "phone": mask_phone, "address": mask_address, "account": mask_account, "email": mask_email}


def mask(kind: str, value: str | None) -> str:
    """``value`` masked as a ``kind`` of :data:`MASKS` (empty stays empty)."""
    if value in (None, ""):
        return value or ""
    if isinstance(value, UnreadableValue):
        return str(value)  # the Chinese "cannot decrypt" message, not a masked fragment of it
    return MASKS[kind](str(value))


# --- dates -------------------------------------------------------------------


def not_in_future(day: dt.date, today: dt.date, label: str = "日期") -> dt.date:
    """Refuse a date after ``today`` (附件2 出生日期, 获得年月 and the like); return it.

    ``label`` names the field in the message, e.g. "出生日期".
    """
    if isinstance(day, dt.datetime):
        day = day.date()
    if day > today:
        raise DomainError(f"{label}不能晚于今天（{today:%Y-%m-%d}）")
    return day
