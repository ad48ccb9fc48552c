"""What the queue looks like from outside: services with waiting counts and estimates, windows,
a ticket's place in line, a resident's tracking page. Read-only; the changes are in queue.py.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, or_, select

from ..domain import queue as qdomain
from ..domain import tickets as tdomain
from ..domain.errors import NotFound
from ..domain.hall import is_open_at
from ..store import tables as t
from ..store.prepared import Prepared
from ..store.repository import TicketRepository
from . import estimates
from .views import iso, ticket_public

# ---------------------------------------------------------------- reading helpers


def _ticket(conn, hall, ticket_id) -> object:
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise NotFound("没有这张号票 (unknown ticket)", code="unknown_ticket")
    row = conn.execute(select(t.tickets).where(t.tickets.c.id == ticket_id,
                                               t.tickets.c.hall_id == hall.id)).first()
    if row is None:
        raise NotFound("没有这张号票 (unknown ticket)", code="unknown_ticket")
    return row


def _window_row(conn, hall, number, lock=False):
    hall.window_config(number) if isinstance(number, int) else None
    q = select(t.windows).where(t.windows.c.hall_id == hall.id, t.windows.c.number == number,
                                t.windows.c.active.is_(True))
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(f"没有 {number} 号窗口 (unknown window {number})", code="unknown_window")
    return row


def _rank_sql():
    """The queue rank of domain.queue.Candidate, in SQL (appointment 0, priority 1, ordinary 2)."""
    tk = t.tickets.c
    return case((and_(tk.appointment_id.is_not(None), tk.source == "appointment"), qdomain.APPOINTMENT),
                (tk.priority.is_not(None), qdomain.PRIORITY), else_=qdomain.ORDINARY)


def _ahead_sql():
    tk = t.tickets.c
    rank, mine, at = _rank_sql(), bindparam("rank"), bindparam("queued_at")
    before = or_(rank < mine, and_(rank == mine, or_(tk.queued_at < at,
                                                     and_(tk.queued_at == at, tk.id < bindparam("id")))))
    return select(func.count()).select_from(t.tickets).where(
        tk.hall_id == bindparam("hall_id"), tk.day == bindparam("day"), tk.status == "waiting",
        tk.service == bindparam("service"), tk.id != bindparam("id"), before)


_AHEAD = Prepared(_ahead_sql())  # built once: every ticket's page and every issue asks it


def count_ahead(conn, row) -> int:
    """How many waiting tickets of the ticket's service stand before it (as domain.queue.ahead_of)."""
    return _AHEAD.scalar(conn, {"rank": qdomain.Candidate.of(row).rank, "queued_at": row.queued_at,
                                "id": row.id, "hall_id": row.hall_id, "day": row.day,
                                "service": row.service})


def ticket_position(app, conn, hall, row) -> dict:
    """ahead, estimated_wait_s and its 80% range of a waiting ticket (0, 0, None otherwise)."""
    if row.status != "waiting":
        return {"ahead": 0, "estimated_wait_s": 0, "estimated_wait_range_s": None}
    wait, span = estimates.for_ticket(app, conn, hall, row)
    return {"ahead": count_ahead(conn, row), "estimated_wait_s": wait, "estimated_wait_range_s": span}


def service_open(app, hall, svc, now_utc: datetime) -> bool:
    if app.always_open:
        return True
    local = hall.local_now(now_utc)
    return is_open_at(hall.config.hours_on(svc, local.date(), hall.calendar), local.time())


def list_services(app, hall_code: str) -> list[dict]:
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        day = hall.local_day(now).isoformat()
        counts = TicketRepository(conn).waiting_counts(hall, day)
        waits = estimates.for_services(app, conn, hall)
        out = []
        for s in hall.config.services:
            out.append({
                "code": s.code, "name": s.name, "name_en": s.name_en, "prefix": s.prefix,
                "waiting": counts.get(s.code, 0),
                "estimated_wait_s": waits[s.code][0], "estimated_wait_range_s": waits[s.code][1],
                "open": service_open(app, hall, s, now), "hours": s.hours,
                "target_wait_s": s.target_wait_min * 60, "identify": s.identify,
                "promise_days": s.promise_days,
                "guide": {"description": s.description, "materials": s.materials,
                          "conditions": s.conditions, "time_limit": s.time_limit,
                          "matters": [m.as_dict() for m in s.matters]},
            })
        return out


def _staff_card(conn, staff_id):
    if not staff_id:
        return None
    u = conn.execute(select(t.users).where(t.users.c.id == staff_id)).first()
    if u is None:
        return None
    return {"id": u.id, "name": u.name, "staff_no": u.staff_no, "duties": u.duties,
            "photo": f"/api/v1/staff/{u.id}/photo" if u.photo else None}


def _window_dict(conn, hall, w) -> dict:
    current = None
    if w.current_ticket_id:
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == w.current_ticket_id)).first()
        if row is not None and row.status in tdomain.ACTIVE:
            current = ticket_public(row, hall)
    last = conn.execute(select(t.tickets.c.id, t.tickets.c.number, t.tickets.c.finished_at)
                        .where(t.tickets.c.hall_id == hall.id, t.tickets.c.window == w.number,
                               t.tickets.c.status == "done")
                        .order_by(t.tickets.c.finished_at.desc()).limit(1)).first()
    last_finished = None
    if last is not None:
        rated = conn.execute(select(t.ratings.c.id).where(t.ratings.c.ticket_id == last.id)).first()
        last_finished = {"id": last.id, "number": last.number, "finished_at": iso(last.finished_at),
                         "rated": rated is not None}
    return {"number": w.number, "name": w.name, "services": list(w.services or []),
            "policy": w.policy, "status": w.status, "pause_reason": w.pause_reason,
            "paused_at": iso(w.paused_at), "current": current, "staff": _staff_card(conn, w.staff_id),
            "signed_in_at": iso(w.signed_in_at), "last_finished": last_finished}


def list_windows(app, hall_code: str) -> list[dict]:
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        rows = conn.execute(select(t.windows).where(t.windows.c.hall_id == hall.id,
                                                    t.windows.c.active.is_(True))
                            .order_by(t.windows.c.number)).all()
        return [_window_dict(conn, hall, w) for w in rows]


def get_window(app, hall_code: str, number: int) -> dict:
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        return _window_dict(conn, hall, _window_row(conn, hall, number))



def window_queue(app, hall_code: str, number: int) -> dict:
    """The tickets waiting for window `number`, in the order it would call them (for 选呼 at the
    window and the front desk). Staff only: it carries the front desk's notes."""
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        w = _window_row(conn, hall, number)
        day = hall.local_day(now).isoformat()
        waiting = TicketRepository(conn).waiting(hall.id, day, list(w.services or []))
        order = qdomain.order(waiting, list(w.services or []), w.policy, w.priority_streak,
                              int(hall.config.rule("priority_cap", 3)))
        rows = {r.id: r for r in conn.execute(select(t.tickets).where(
            t.tickets.c.id.in_([c.id for c in order])))} if order else {}
        out = []
        for c in order:
            r = rows[c.id]
            d = ticket_public(r, hall)
            d.pop("id_masked", None)
            d["note"] = r.note
            out.append(d)
        return {"window": number, "tickets": out}


def selected_calls(conn, hall_id: int, day_from: str, day_to: str, staff_id: int | None = None) -> int:
    """How many 选呼 (calls out of turn) the hall's windows made on these hall-local days, or one
    staff member's (the ticket.called events marked `selected`)."""
    q = (select(t.events.c.data).select_from(t.events.join(t.tickets, t.tickets.c.id == t.events.c.ticket_id))
         .where(t.events.c.hall_id == hall_id, t.events.c.type == "ticket.called",
                t.tickets.c.day >= day_from, t.tickets.c.day <= day_to))
    if staff_id is not None:
        q = q.where(t.tickets.c.staff_id == staff_id)
    return sum(1 for (data,) in conn.execute(q) if (data or {}).get("selected"))


# ---------------------------------------------------------------- tickets (read)


def get_ticket(app, hall_code, ticket_id) -> dict:
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        row = _ticket(conn, hall, ticket_id)
        out = ticket_public(row, hall)
        out["note"] = row.note  # staff only (this read needs a staff sign-in)
        out.update(ticket_position(app, conn, hall, row))
        evs = conn.execute(select(t.events).where(t.events.c.ticket_id == row.id)
                           .order_by(t.events.c.id)).all()
        out["history"] = [{"event_id": e.id, "type": e.type, "at": iso(e.created_at),
                           "window": e.window, "actor": e.actor,
                           **{k: v for k, v in (e.data or {}).items() if k not in ("ticket", "waiting")}}
                          for e in evs]
        rating = conn.execute(select(t.ratings).where(t.ratings.c.ticket_id == row.id)).first()
        out["rating"] = ({"level": rating.level, "reasons": rating.reasons, "at": iso(rating.created_at)}
                         if rating else None)
        return out


def track(app, token: str) -> dict:
    """What a resident's phone sees for its ticket: no personal data, nothing of other tickets."""
    if not isinstance(token, str) or len(token) > 64:
        raise NotFound("没有这张号票 (unknown ticket)", code="unknown_ticket")
    with app.db.read() as conn:
        row = conn.execute(select(t.tickets).where(t.tickets.c.token == token)).first()
        if row is None:
            raise NotFound("没有这张号票 (unknown ticket)", code="unknown_ticket")
        hall_code = conn.execute(select(t.halls.c.code).where(t.halls.c.id == row.hall_id)).scalar_one()
        hall = app.hall(conn, hall_code)
        svc = hall.service(row.service)
        return {"id": row.id, "number": row.number, "status": row.status, "service": row.service,
                "service_name": svc.name, "service_name_en": svc.name_en,
                **ticket_position(app, conn, hall, row),
                "window": row.window if row.status in tdomain.ACTIVE else None,
                "hall": hall.code, "hall_name": hall.config.name, "hall_name_en": hall.config.name_en,
                "timezone": hall.config.timezone, "priority": row.priority,
                "issued_at": iso(row.issued_at),
                "called_at": iso(row.last_called_at or row.called_at),
                "case": case_progress(hall, row, app.now()),
                "rating": rating_state(conn, hall, row, app.now())}


def rating_state(conn, hall, row, now) -> dict | None:
    """After the visit: whether the phone may still rate it (not rated, within the hall's hours)."""
    from .ratings import rating_open_until
    until = rating_open_until(hall, row)
    if until is None:
        return None
    rated = conn.execute(select(t.ratings.c.id).where(t.ratings.c.ticket_id == row.id)).scalar()
    return {"rated": rated is not None, "open": rated is None and now <= until,
            "open_until": iso(until)}


def case_progress(hall, row, now) -> dict | None:
    """After the window: how the case was closed and, for a time-limited one (承诺件, 上报件, 代办件),
    its due date and whether the result is ready (办结/出件). None while the ticket is in the queue."""
    if row.status != "done" or not row.outcome:
        return None
    tracked = row.outcome in tdomain.TRACKED
    today = hall.local_day(now)
    return {"outcome": row.outcome, "outcome_name": tdomain.OUTCOME_ZH.get(row.outcome, row.outcome),
            "tracked": tracked, "due_date": row.due_date.isoformat() if row.due_date else None,
            "delivered": row.delivered_at is not None,
            "delivered_at": iso(row.delivered_at),
            "overdue": bool(tracked and row.delivered_at is None and row.due_date and row.due_date < today)}

