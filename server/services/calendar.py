"""A hall's working-day calendar on /admin: its own holidays and make-up workdays (放假/调休) for
years the chinese-calendar package does not know yet, audited. See docs/operations.md."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from ..domain import calendar as workcal
from ..domain.errors import Invalid, NotFound
from ..store import tables as t
from .auth import Principal

KINDS = ("holiday", "workday")
MAX_DAYS = 60  # one entry covers at most a long holiday; a typo must not close a year


def _days(spec: str) -> list[date]:
    try:
        days = workcal.parse_days(spec)
    except (ValueError, TypeError):
        raise Invalid("日期格式应为 2027-02-06 或 2027-02-06..2027-02-12 "
                      "(days: YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)", code="invalid_date") from None
    if not days or len(days) > MAX_DAYS:
        raise Invalid(f"一次最多录入 {MAX_DAYS} 天 (at most {MAX_DAYS} days at once)", code="invalid_date")
    return days


def view(app, hall_code: str) -> dict:
    """The hall's overrides, which years are known, and the next-year warning if it applies."""
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        rows = conn.execute(select(t.calendar_days).where(t.calendar_days.c.hall_id == hall.id)
                            .order_by(t.calendar_days.c.day)).all()
    cal = hall.calendar
    today = hall.local_day(now)
    years = range(today.year, today.year + 2)
    config_days = sorted({*cal.holidays, *cal.workdays} - {r.day for r in rows})
    return {
        "days": [{"date": r.day.isoformat(), "kind": r.kind, "name": r.name, "source": "admin"}
                 for r in rows]
               + [{"date": d.isoformat(), "kind": "workday" if d in cal.workdays else "holiday",
                   "name": None if d in cal.workdays else cal.holidays.get(d), "source": "config"}
                  for d in config_days],
        "years": [{"year": y, "package": workcal.package_has_year(y),
                   "overrides": y in cal.years_overridden(), "known": cal.has_data(y)} for y in years],
        "warning": cal.next_year_warning(today),
        "national": national_days(today.year),
    }


def national_days(year: int) -> list[dict]:
    """The national holidays and make-up workdays of `year` the chinese-calendar package carries
    (built in: nothing to enter), grouped by holiday: [{name, name_zh, holidays: [...], workdays: [...]}]."""
    import chinese_calendar
    from ..domain.booking import holiday_zh
    groups: dict[str, dict] = {}
    for table, key in ((chinese_calendar.holidays, "holidays"), (chinese_calendar.workdays, "workdays")):
        for d, name in sorted(table.items()):
            if d.year != year or not name or (key == "workdays" and d.weekday() < 5):
                continue
            g = groups.setdefault(str(name), {"name": str(name), "name_zh": holiday_zh(str(name)),
                                              "holidays": [], "workdays": []})
            g[key].append(d.isoformat())
    return sorted(groups.values(), key=lambda g: (g["holidays"] or g["workdays"])[0])


def set_days(app, hall_code: str, actor: Principal, *, days: str, kind: str, name: str | None) -> dict:
    """Mark `days` (one day or A..B) as holiday or make-up workday, replacing earlier entries."""
    if kind not in KINDS:
        raise Invalid("kind must be holiday or workday", code="invalid")
    name = (name or "").strip()[:64] or None
    if kind == "holiday" and not name:
        raise Invalid("请填写节日名称，如 春节 (a holiday needs a name, e.g. Spring Festival)", code="name_required")
    todo = _days(days)
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        uow.execute(delete(t.calendar_days).where(t.calendar_days.c.hall_id == hall.id,
                                                  t.calendar_days.c.day.in_(todo)))
        for day in todo:
            uow.execute(t.calendar_days.insert().values(
                hall_id=hall.id, day=day, kind=kind, name=name if kind == "holiday" else None,
                created_by=actor.id if actor.is_user else None, created_at=app.now()))
        uow.emit(hall.id, "admin.calendar_set", actor=actor.actor,
                 data={"from": todo[0].isoformat(), "to": todo[-1].isoformat(), "kind": kind,
                       "name": name})
        uow.commit()
    app.forget_halls()
    return view(app, hall_code)


def remove_day(app, hall_code: str, actor: Principal, day_s: str) -> dict:
    day = _days(day_s)
    if len(day) != 1:
        raise Invalid("one day at a time", code="invalid_date")
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        gone = uow.execute(delete(t.calendar_days).where(t.calendar_days.c.hall_id == hall.id,
                                                         t.calendar_days.c.day == day[0])).rowcount
        if not gone:
            raise NotFound(f"{day[0].isoformat()} 没有录入 (no entry for that day)", code="unknown_day")
        uow.emit(hall.id, "admin.calendar_removed", actor=actor.actor, data={"day": day[0].isoformat()})
        uow.commit()
    app.forget_halls()
    return view(app, hall_code)
