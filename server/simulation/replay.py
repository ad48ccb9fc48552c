"""A past day from the hall's database, as a day to play again (`server.py simulate --replay DAY`).

Each ticket becomes a visit at its issue time, for the service it was taken for, with its priority,
its own walk (call -> start), service (start -> finish) and, for a no-show, how long it held the
window. Windows that called anyone that day are staffed during the hall's hours; the others are off.
Cancelled tickets are left out (they never reached a window); a transferred ticket is played as one
visit to the service it was taken for. The live database is only read.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from ..domain.errors import Invalid, NotFound
from ..domain.hall import parse as parse_hall
from ..store import tables as t
from .day import DayPlan, StaffChange, Visit

DEFAULT_WALK_S = 40.0


def _local_s(dt: datetime, tz, day: date) -> float:
    local = dt.replace(tzinfo=timezone.utc).astimezone(tz)
    return (local - datetime.combine(day, datetime.min.time(), tzinfo=tz)).total_seconds()


def visits_of(conn, hall_id: int, tz, day: date) -> tuple[list[Visit], set[int]]:
    """The day's visits and the windows that called anyone."""
    tk = t.tickets.c
    rows = conn.execute(select(t.tickets).where(tk.hall_id == hall_id, tk.day == day.isoformat())
                        .order_by(tk.issued_at, tk.id)).all()
    visits, staffed = [], set()
    for r in rows:
        if r.status == "cancelled" or r.called_at is None:
            continue
        if r.window:
            staffed.add(r.window)
        called = r.last_called_at if r.transfers else r.called_at
        if r.status == "no_show":
            hold = (r.finished_at - r.called_at).total_seconds() if r.finished_at else 120.0
            visits.append(Visit(_local_s(r.issued_at, tz, day), r.first_service, r.priority,
                                no_show=True, hold_s=max(1.0, hold)))
            continue
        walk = (r.started_at - called).total_seconds() if r.started_at and called else DEFAULT_WALK_S
        if r.started_at and r.finished_at:
            service = (r.finished_at - r.started_at).total_seconds()
        elif r.finished_at and called:
            service = (r.finished_at - called).total_seconds() - walk
        else:
            service = 300.0
        visits.append(Visit(_local_s(r.issued_at, tz, day), r.first_service, r.priority,
                            walk_s=max(0.0, walk), service_s=max(1.0, service)))
    return visits, staffed


def plan_from_database(ctx, day_text: str, hall_code: str) -> tuple[DayPlan, dict]:
    """(the day as a plan, the hall's config) from the database of `ctx`."""
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise Invalid("--replay takes a date: YYYY-MM-DD") from None
    with ctx.db.read() as conn:
        hall = conn.execute(select(t.halls).where(t.halls.c.code == hall_code)).first()
        if hall is None:
            raise NotFound(f"没有这个大厅 (unknown hall): {hall_code}")
        cfg = parse_hall(hall.config)
        visits, staffed = visits_of(conn, hall.id, cfg.tz, day)
    if not visits:
        raise NotFound(f"{day} 没有叫过号的号票 (no called tickets on {day})")
    off = [StaffChange(w.number, None, 0.0, 24 * 3600.0) for w in cfg.windows if w.number not in staffed]
    plan = DayPlan(name=f"{cfg.name} {day.isoformat()} (replayed)", services={}, staffing=off, visits=visits)
    return plan, hall.config


def days_before(ctx, day_text: str, hall_code: str, count: int) -> list[tuple[date, DayPlan]]:
    """Up to `count` earlier days with called tickets, oldest first (the replay's warm-up)."""
    day = date.fromisoformat(day_text)
    out = []
    for back in range(1, 45):
        if len(out) >= count:
            break
        d = day - timedelta(days=back)
        try:
            plan, _ = plan_from_database(ctx, d.isoformat(), hall_code)
        except NotFound:
            continue
        out.append((d, plan))
    return list(reversed(out))
