"""A day's summary read from the tables: its tickets, the ratings of them, and on-duty time from
the day's window and ticket events (the arithmetic is in domain/kpis.py and domain/duty_time.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from ...domain import duty_time
from ...domain.kpis import DaySummary
from ...store import tables as t
from .periods import day_bounds, local_day, opening_and_closing, utc_offset


def compute_day(conn, hall, day: date, now: datetime) -> DaySummary:
    """The summary of one hall-local day (see docs/kpis.md)."""
    iso_day = day.isoformat()
    offset = utc_offset(hall, day)
    tk = t.tickets.c
    rows = conn.execute(select(tk.id, tk.service, tk.first_service, tk.status, tk.window, tk.staff_id,
                               tk.issued_at, tk.called_at, tk.started_at, tk.finished_at,
                               tk.transfers, tk.outcome, tk.estimated_wait_s, tk.estimated_wait_low_s,
                               tk.estimated_wait_high_s)
                        .where(tk.hall_id == hall.id, tk.day == iso_day)).all()
    # the day's ticket ids: a pre-filter that lets later queries use the ticket_id indexes
    out = DaySummary(day=iso_day, ticket_ids=(min(r.id for r in rows), max(r.id for r in rows)) if rows else None)
    for r in rows:
        out.count_ticket(r, offset)
    rc = t.ratings.c
    for r in conn.execute(select(rc.level, rc.window, rc.staff_id, rc.service)
                          .select_from(t.ratings.join(t.tickets, tk.id == rc.ticket_id))
                          .where(tk.hall_id == hall.id, tk.day == iso_day,
                                 rc.level.is_not(None))):  # a complaint (投诉) is no rating
        out.count_rating(r.level, r.window, r.staff_id, r.service)
    out.count_duty(*day_duty(conn, hall, day, now))
    out.sort()
    return out


def _staff_of(data, actor) -> int | None:
    """Who a window event is about: its data's staff_id, else the user who acted."""
    if data and data.get("staff_id") is not None:
        return data["staff_id"]
    if actor and actor.startswith("user:"):
        return int(actor[5:])
    return None


def day_duty(conn, hall, day: date, now: datetime) -> tuple[dict, dict]:
    """(per window, per staff member) duty_time.DutyTime of one day, from its events."""
    start, end = day_bounds(hall, day)
    ev = t.events.c
    wrows = conn.execute(select(ev.type, ev.window, ev.data, ev.actor, ev.created_at).where(
        ev.hall_id == hall.id, ev.created_at >= start, ev.created_at < end,
        ev.type.in_(duty_time.WINDOW_EVENTS)).order_by(ev.id)).all()
    trows = conn.execute(select(ev.type, ev.window, ev.ticket_id, ev.created_at).where(
        ev.hall_id == hall.id, ev.created_at >= start, ev.created_at < end,
        ev.type.in_(duty_time.TICKET_EVENTS)).order_by(ev.id)).all()
    if not wrows and not trows:
        return {}, {}
    opening, closing = opening_and_closing(hall, day)
    window_events = [(r.type, r.window, _staff_of(r.data, r.actor), r.created_at) for r in wrows]
    return duty_time.day_duty(window_events, trows, opening, closing,
                              until=now if day == local_day(hall, now) else None)


def max_rating_id(conn, hall) -> int:
    return conn.execute(select(func.max(t.ratings.c.id)).where(t.ratings.c.hall_id == hall.id)
                        ).scalar() or 0


def ticket_days(conn, hall, ids: list[int]) -> dict[int, str]:
    """{ticket id: day} for those of `ids` that belong to the hall."""
    out = {}
    tk = t.tickets.c
    uniq = sorted(set(ids))
    for i in range(0, len(uniq), 500):
        # hall checked here, not in SQL: SQLite would then scan by the hall index instead of the key
        for r in conn.execute(select(tk.id, tk.day, tk.hall_id).where(tk.id.in_(uniq[i:i + 500]))):
            if r.hall_id == hall.id:
                out[r.id] = r.day
    return out
