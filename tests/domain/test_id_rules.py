"""The shared rules (rules/): one answer for the server, the kiosk and the hardware drivers."""
from __future__ import annotations

from datetime import date

import pytest

from hardware import idcard
from rules import identity, priority
from server.domain import identity as server_identity
from server.domain.errors import Invalid

ELDER = "110101194003071230"  # born 1940-03-07


def test_a_birth_date_after_today_is_refused_everywhere():
    tomorrow = identity.make_id_number("11010120261201123")
    assert identity.problem(tomorrow, date(2026, 11, 30)) == identity.BIRTH_DATE
    assert identity.is_valid(tomorrow, date(2026, 12, 1))
    assert not idcard.validate_id_number(tomorrow, date(2026, 11, 30))
    with pytest.raises(Invalid) as bad:
        server_identity.validate(tomorrow, date(2026, 11, 30))
    assert "出生日期" in str(bad.value)


def test_the_server_and_the_card_reader_mask_alike():
    for name in ("张", "张三", "欧阳娜娜", ""):
        assert idcard.mask_name(name) == server_identity.mask_name(name) == identity.mask_name(name)
    for text in ("12345678", "123456789", ELDER):
        assert idcard.mask_id_number(text) == server_identity.mask(text)
    assert identity.mask_name("张") == "张*" and server_identity.mask("12345678") == "********"


def test_the_hall_rule_puts_a_resident_in_the_elderly_group_from_the_id_number():
    on = date(2005, 3, 7)  # the 65th birthday
    assert priority.from_id_number(ELDER, on) == "elderly"
    assert priority.from_id_number(ELDER, date(2005, 3, 6)) is None
    assert priority.from_id_number(ELDER, date(2005, 3, 6), elderly_age=60) == "elderly"
    assert priority.from_id_number(ELDER, on, groups=["disabled"]) is None  # the hall has no such group
    assert priority.from_id_number("not a number", on) is None and priority.from_id_number(None, on) is None


def test_labels_come_from_one_table():
    assert priority.label("elderly") == "老年人优先" and priority.label("elderly", "en") == "Elderly"
    assert priority.label("firefighter") == "firefighter" and priority.label(None) == ""
