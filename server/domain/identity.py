"""Resident ID numbers (GB 11643) on the server: validation with messages, keyed hashing.

The rules themselves (shape, birth date, check character, age, masking) are `rules/identity.py`,
shared with the kiosk, the hardware drivers and the booking page. Whole ID numbers are never
stored, shown or logged: the store keeps a keyed hash (to match an appointment or a daily limit)
and the masked form (3301**********1234) for screens and paper.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import date

from rules import identity as rules
from rules.identity import age_on, birth_date, make_id_number, mask_name, mask_phone, normalize  # noqa: F401

from .errors import Invalid

check_digit = rules.check_char
mask = rules.mask_id_number

_MESSAGES = {
    rules.SHAPE: "身份证号码应为18位 (an ID number has 18 characters)",
    rules.BIRTH_DATE: "身份证号码中的出生日期无效 (invalid birth date in ID number)",
    rules.CHECK: "身份证号码校验位错误，请核对 (ID number check digit is wrong)",
}


def validate(id_number: str, today: date | None = None) -> str:
    """The normalized number, or Invalid with a message the resident can act on."""
    why = rules.problem(id_number, today)
    if why is not None:
        raise Invalid(_MESSAGES[why], code="invalid_id_number")
    return normalize(id_number)


def keyed_hash(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalized number: matches without keeping the number."""
    return hmac.new(key, normalize(id_number).encode(), hashlib.sha256).hexdigest()
