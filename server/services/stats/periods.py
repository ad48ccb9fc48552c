"""Periods the figures cover: hall-local days, ranges and quarters from the query string, and the
UTC times that bound a hall-local day."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, text

from ...domain.errors import Invalid
from ...domain.hall import parse_hours

MAX_DAYS = 400


def parse_day(value, name: str) -> date:
    if not isinstance(value, str):
        raise Invalid(f"{name} 应为 YYYY-MM-DD ({name} must be YYYY-MM-DD)", code="invalid_date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{name} 应为 YYYY-MM-DD ({name} must be YYYY-MM-DD)", code="invalid_date") from None


def parse_range(date_from, date_to, today: date) -> tuple[date, date]:
    """?from&to (inclusive hall-local days; each defaults to today)."""
    d1 = parse_day(date_from, "from") if date_from else today
    d2 = parse_day(date_to, "to") if date_to else (today if not date_from else d1)
    if d2 < d1:
        raise Invalid("结束日期早于开始日期 (to is before from)", code="invalid_range")
    if (d2 - d1).days + 1 > MAX_DAYS:
        raise Invalid(f"日期范围最多 {MAX_DAYS} 天 (at most {MAX_DAYS} days)", code="invalid_range")
    return d1, d2


def parse_quarter(value) -> tuple[date, date]:
    """'2026Q4' -> (2026-10-01, 2026-12-31)."""
    if not isinstance(value, str) or len(value) != 6 or value[4] not in "Qq" \
            or not value[:4].isdigit() or value[5] not in "1234":
        raise Invalid("quarter 应为 2026Q4 这样的格式 (quarter must look like 2026Q4)", code="invalid_quarter")
    y, q = int(value[:4]), int(value[5])
    if not 1900 <= y <= 9998:  # date() has no year 0 or 10000 (was a 500)
        raise Invalid("quarter 的年份无效 (quarter: year out of range)", code="invalid_quarter")
    start = date(y, 3 * q - 2, 1)
    end = date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def days(d1: date, d2: date):
    d = d1
    while d <= d2:
        yield d
        d += timedelta(days=1)


def local_day(hall, now: datetime) -> date:
    """The hall-local date of a naive UTC time."""
    return now.replace(tzinfo=timezone.utc).astimezone(hall.config.tz).date()


def utc_offset(hall, day: date) -> timedelta:
    """The hall's offset from UTC at noon of `day`."""
    return hall.config.tz.utcoffset(datetime.combine(day, time(12)))


def utc_at(hall, day: date, at: time) -> datetime:
    local = datetime.combine(day, at, tzinfo=hall.config.tz)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def day_bounds(hall, day: date) -> tuple[datetime, datetime]:
    """Naive UTC start of `day` and of the next day."""
    return utc_at(hall, day, time(0)), utc_at(hall, day + timedelta(days=1), time(0))


def opening_and_closing(hall, day: date) -> tuple[datetime, datetime]:
    """Naive UTC opening and closing time of the hall on `day`."""
    spans = parse_hours(hall.config.hours or ["08:30-17:30"])
    return utc_at(hall, day, spans[0][0]), utc_at(hall, day, spans[-1][1])


_offsets: dict = {}


def local_date(hall, dt: datetime) -> date:
    """The hall-local date of a naive UTC time, with the zone's offset cached per UTC date."""
    key = (hall.config.timezone, dt.date())
    off = _offsets.get(key)
    if off is None:
        off = _offsets[key] = hall.config.tz.utcoffset(datetime.combine(dt.date(), time(12)))
        if len(_offsets) > 5000:
            _offsets.clear()
    return (dt + off).date()


def after_day_sql(conn, hall, date_col, near: date):
    """SQL for a UTC time a little before the end of `date_col` in the hall's time zone: rows at or
    after it are the only ones that can fall on a later local day (checked exactly in Python)."""
    off = utc_offset(hall, near)
    hours = max(0, 23 - int(off.total_seconds() // 3600))  # an hour's margin for DST changes
    if conn.dialect.name == "postgresql":
        return date_col + text(f"interval '{hours} hours'")
    return func.datetime(date_col, f"+{hours} hours")
