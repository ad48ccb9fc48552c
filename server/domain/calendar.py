"""Working days on the Chinese calendar (public holidays and make-up workdays).

Uses the maintained chinese-calendar package. For a year it has no data for yet (the State
Council publishes each year's holidays in the autumn before), Monday to Friday count as working
days until the package is upgraded; `has_data` tells callers which case they are in.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)
_warned: set[int] = set()


def has_data(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
        return True
    except NotImplementedError:
        return False


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("no Chinese holiday data for %s: counting Mon-Fri; upgrade chinese-calendar",
                        day.year)
        return day.weekday() < 5


def holiday_name(day: date) -> str | None:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return name if on_holiday and name else None


def add_working_days(start: date, n: int) -> date:
    """The date n working days after `start` (start itself is not counted)."""
    day = start
    left = n
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return count
