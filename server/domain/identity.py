"""Resident ID numbers (GB 11643): validation, age, masking, keyed hashing.

Whole ID numbers are never stored, shown or logged: the store keeps a keyed hash (to match an
appointment or a daily limit) and the masked form (3301**********1234) for screens and paper.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from .errors import Invalid

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


def normalize(id_number: str) -> str:
    return (id_number or "").strip().upper()


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def birth_date(id_number: str) -> date:
    s = normalize(id_number)
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def validate(id_number: str) -> str:
    """The normalized number, or Invalid with a message the resident can act on."""
    s = normalize(id_number)
    if not _PATTERN.match(s):
        raise Invalid("身份证号码应为18位 (an ID number has 18 characters)", code="invalid_id_number")
    try:
        born = birth_date(s)
    except ValueError:
        raise Invalid("身份证号码中的出生日期无效 (invalid birth date in ID number)",
                      code="invalid_id_number") from None
    if born.year < 1900:
        raise Invalid("身份证号码中的出生日期无效 (invalid birth date in ID number)",
                      code="invalid_id_number")
    if check_digit(s[:17]) != s[17]:
        raise Invalid("身份证号码校验位错误,请核对 (ID number check digit is wrong)",
                      code="invalid_id_number")
    return s


def age_on(id_number: str, on: date) -> int:
    born = birth_date(id_number)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def mask(id_number: str) -> str:
    s = normalize(id_number)
    if len(s) < 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_phone(phone: str) -> str:
    s = (phone or "").strip()
    if len(s) < 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧*: the first character and one star, whatever the name's length
    (a star per character would tell how long the name is, and 欧阳 from 欧)."""
    s = (name or "").strip()
    if not s:
        return ""
    return s[0] + "*"


def keyed_hash(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalized number: matches without keeping the number."""
    return hmac.new(key, normalize(id_number).encode(), hashlib.sha256).hexdigest()


def make_id_number(first17: str) -> str:
    """A valid number from its first 17 digits (for demos and tests)."""
    return first17 + check_digit(first17)
