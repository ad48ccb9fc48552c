"""Working days on the Chinese calendar (public holidays and make-up workdays, 放假/调休).

The maintained chinese-calendar package knows the State Council's holidays up to the last year
it was released for (1.11.0: 2026). A hall enters later years itself: `WorkCalendar` lays the
hall's overrides (hall config `[calendar]` and the /admin page) over the package. For a year with
neither, Monday to Friday count as working days and `next_year_warning` says so from 1 November.

Every working-day computation (review deadlines, promised-case due dates, kiosk opening, booking
days) goes through a hall's `WorkCalendar`; the module-level functions are the calendar with no
overrides.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)
_warned: set[int] = set()

def package_has_year(year: int) -> bool:
    """True when the chinese-calendar package has the State Council's data for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def _package_workday(day: date) -> bool | None:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def parse_days(spec) -> list[date]:
    """Days from "2027-02-06", "2027-02-06..2027-02-12" or a list of those; ValueError if malformed."""
    items = [spec] if isinstance(spec, (str, date)) else list(spec or [])
    out: list[date] = []
    for item in items:
        if isinstance(item, date):
            out.append(item)
            continue
        text = str(item).strip()
        first, _, last = text.partition("..")
        a = date.fromisoformat(first.strip())
        b = date.fromisoformat(last.strip()) if last else a
        if b < a or (b - a).days > 60:
            raise ValueError(f"bad day range {text!r}")
        out.extend(a + timedelta(days=i) for i in range((b - a).days + 1))
    return out


@dataclass(frozen=True)
class WorkCalendar:
    """The package's calendar with a hall's overrides laid over it.

    holidays: day -> name of the holiday (放假); workdays: make-up working days (调休上班).
    A day in both is a working day (the later, more specific notice wins in practice).
    """
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()

    @classmethod
    def from_config(cls, section: dict | None, extra: list[tuple[date, str, str]] = ()) -> "WorkCalendar":
        """From a hall config's `[calendar]` section plus (day, kind, name) rows kept in the database."""
        section = section or {}
        holidays: dict[date, str] = {}
        for entry in section.get("holidays") or []:
            if isinstance(entry, dict):
                for day in parse_days(entry.get("days") or entry.get("day")):
                    holidays[day] = str(entry.get("name") or "假期")
            else:
                for day in parse_days(entry):
                    holidays[day] = "假期"
        workdays = set(parse_days(section.get("workdays") or []))
        for day, kind, name in extra:
            if kind == "holiday":
                holidays[day] = name or "假期"
                workdays.discard(day)
            elif kind == "workday":
                workdays.add(day)
                holidays.pop(day, None)
        return cls(holidays, frozenset(workdays))

    def years_overridden(self) -> set[int]:
        return {d.year for d in self.holidays} | {d.year for d in self.workdays}

    def has_data(self, day_or_year) -> bool:
        """True when `day`'s year is known: package data, or the hall entered overrides for it."""
        year = day_or_year if isinstance(day_or_year, int) else day_or_year.year
        return package_has_year(year) or year in self.years_overridden()

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        known = _package_workday(day)
        if known is not None:
            return known
        if day.year not in _warned and day.year not in self.years_overridden():
            _warned.add(day.year)
            log.warning("no Chinese holiday data for %s: counting Mon-Fri until the hall enters its "
                        "holidays (/admin, calendar) or chinese-calendar is upgraded", day.year)
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        """The holiday's name (Chinese for the hall's own, English for the package's) or None."""
        if day in self.workdays:
            return None
        if day in self.holidays:
            return self.holidays[day]
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return None
        return name if on_holiday and name else None

    def add_working_days(self, start: date, n: int) -> date:
        """The date n working days after `start` (start itself is not counted)."""
        day, left = start, n
        while left > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def next_year_warning(self, today: date) -> dict | None:
        """From 1 November: a warning when next year has neither package data nor hall overrides."""
        if today.month < 11:
            return None
        year = today.year + 1
        if self.has_data(year):
            return None
        return {"code": "calendar_next_year", "year": year,
                "message": f"尚未录入 {year} 年放假和调休安排，请在管理页「工作日历」中录入",
                "message_en": f"No {year} holidays known yet: enter them under Admin, Calendar"}


DEFAULT = WorkCalendar()


def has_data(day: date) -> bool:
    return DEFAULT.has_data(day)


def is_workday(day: date) -> bool:
    return DEFAULT.is_workday(day)


def holiday_name(day: date) -> str | None:
    return DEFAULT.holiday_name(day)


def add_working_days(start: date, n: int) -> date:
    return DEFAULT.add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    return DEFAULT.working_days_between(start, end)
