"""Resident ID numbers (居民身份证号码, GB 11643-1999), mainland mobile numbers (手机号码), and how
personal data is masked.

An ID number is 18 characters: 6-digit area code, 8-digit birth date (YYYYMMDD), 3-digit
sequence, and a MOD 11-2 check character (0-9 or X). A number is valid when it has that shape,
its birth date is a real date from 1900 up to today, and its check character matches.

The same vectors run through server/web/static/js/idnumber.js in Chromium
(tests/pages/phone/test_id_rules_parity.py), so the booking page cannot drift from this module.
"""
from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2**(17-i) mod 11
CHECK_CHARS = "10X98765432"
EARLIEST_YEAR = 1900

# What is wrong with a number, for messages: None (valid) or one of these.
SHAPE, BIRTH_DATE, CHECK = "shape", "birth_date", "check"


def normalize(id_number: str) -> str:
    """Spaces stripped, a lower-case x made X."""
    return (id_number or "").strip().upper() if isinstance(id_number, str) else ""


def check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def _shaped(s: str) -> bool:
    return len(s) == 18 and s[:17].isascii() and s[:17].isdigit() and s[17] in "0123456789X"


def birth_date(id_number: str) -> date:
    """The birth date carried in the number. ValueError if there is none."""
    s = normalize(id_number)
    if not _shaped(s):
        raise ValueError("not an 18-character ID number")
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def problem(id_number: str, today: date | None = None) -> str | None:
    """Why the number is not valid (SHAPE, BIRTH_DATE, CHECK), or None when it is."""
    s = normalize(id_number)
    if not _shaped(s):
        return SHAPE
    try:
        born = birth_date(s)
    except ValueError:
        return BIRTH_DATE
    if born.year < EARLIEST_YEAR or born > (today or date.today()):
        return BIRTH_DATE
    if check_char(s[:17]) != s[17]:
        return CHECK
    return None


def is_valid(id_number: str, today: date | None = None) -> bool:
    return problem(id_number, today) is None


def years_between(born: date, on: date) -> int:
    """Full years from `born` to `on` (an age)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_on(id_number: str, on: date) -> int:
    """Full years of age on a date, from the birth date in the number."""
    return years_between(birth_date(id_number), on)


def make_id_number(first17: str) -> str:
    """A valid number from its first 17 digits (for demos, simulators and tests)."""
    return first17 + check_char(first17)


# ---- masking (PIPL: personal data only masked on screens, paper and logs) ----------------------


def mask_id_number(id_number: str) -> str:
    """First 4 and last 4 characters, the rest as '*': 3301**********1234. Eight characters or
    fewer are all stars (there would be nothing left to hide)."""
    s = (id_number or "").strip()
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_name(name: str) -> str:
    """张三 -> 张*, 张 -> 张*, 欧阳娜娜 -> 欧*: the first character and one star, whatever the name's
    length (a star per character would tell how long the name is, and 欧阳 from 欧)."""
    s = (name or "").strip()
    return s[0] + "*" if s else ""


# A mainland mobile number: 11 ASCII digits, 1 then 3-9 (the operators' ranges 13x-19x).
MOBILE = re.compile(r"1[3-9][0-9]{9}")


def mobile_number(text) -> str | None:
    """The 11 digits of a mainland mobile number as a resident may type it (spaces and dashes
    between digits, a leading +86), or None when it is not one. ASCII digits only: a full-width or
    other script's digit is not accepted (it would be stored as typed)."""
    if not isinstance(text, str):
        return None
    s = re.sub(r"[ \t\r\n-]", "", text)
    if s.startswith("+86"):
        s = s[3:]
    return s if MOBILE.fullmatch(s) else None


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; fewer than 7 characters are all stars."""
    s = (phone or "").strip()
    if len(s) < 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]
