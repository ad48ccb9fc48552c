"""The queue's use cases: issue, call, recall, start, finish, no-show, transfer, pause, sign in.

Each function is one unit of work. Tickets are claimed by conditional UPDATEs (status must still
be what we read), so two windows calling at once never get the same ticket, on SQLite (where
BEGIN IMMEDIATE serializes writers) and on PostgreSQL alike.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..domain import identity
from ..domain import queue as qdomain
from ..domain import tickets as tdomain
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound, WrongState
from ..domain.hall import is_open_at
from ..store import tables as t
from . import estimates
from .auth import Principal
from .views import iso, ticket_for_events, ticket_public

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


def waiting_counts(conn, hall, day: str) -> dict[str, int]:
    rows = conn.execute(select(t.tickets.c.service, func.count()).where(
        t.tickets.c.hall_id == hall.id, t.tickets.c.day == day, t.tickets.c.status == "waiting"
    ).group_by(t.tickets.c.service)).all()
    counts = {s.code: 0 for s in hall.config.services}
    counts.update({r[0]: r[1] for r in rows})
    return counts


def _candidate(row) -> qdomain.Candidate:
    return qdomain.Candidate(id=row.id, service=row.service, queued_at=row.queued_at,
                             priority=row.priority,
                             appointment_due=row.appointment_id is not None and row.source == "appointment")


def _waiting_candidates(conn, hall, day: str, services: list[str]) -> list[qdomain.Candidate]:
    rows = conn.execute(select(t.tickets.c.id, t.tickets.c.service, t.tickets.c.queued_at,
                               t.tickets.c.priority, t.tickets.c.appointment_id, t.tickets.c.source)
                        .where(t.tickets.c.hall_id == hall.id, t.tickets.c.day == day,
                               t.tickets.c.status == "waiting", t.tickets.c.service.in_(services))
                        .order_by(t.tickets.c.queued_at, t.tickets.c.id)).all()
    return [_candidate(r) for r in rows]


def _rank_sql():
    """The queue rank of domain.queue.Candidate, in SQL (appointment 0, priority 1, ordinary 2)."""
    tk = t.tickets.c
    return case((and_(tk.appointment_id.is_not(None), tk.source == "appointment"), qdomain.APPOINTMENT),
                (tk.priority.is_not(None), qdomain.PRIORITY), else_=qdomain.ORDINARY)


def count_ahead(conn, row) -> int:
    """How many waiting tickets of the ticket's service stand before it (as domain.queue.ahead_of)."""
    tk = t.tickets.c
    mine = _candidate(row)
    rank = _rank_sql()
    before = or_(rank < mine.rank,
                 and_(rank == mine.rank, or_(tk.queued_at < row.queued_at,
                                             and_(tk.queued_at == row.queued_at, tk.id < row.id))))
    return conn.execute(select(func.count()).select_from(t.tickets).where(
        tk.hall_id == row.hall_id, tk.day == row.day, tk.status == "waiting",
        tk.service == row.service, tk.id != row.id, before)).scalar_one()


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
    if not svc.extra.get("open_on_holidays", False) and not hall.calendar.is_workday(local.date()):
        return False
    return is_open_at(svc.hours, local.time())


def list_services(app, hall_code: str) -> list[dict]:
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        day = hall.local_day(now).isoformat()
        counts = waiting_counts(conn, hall, day)
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
                          "conditions": s.conditions, "time_limit": s.time_limit},
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


# ---------------------------------------------------------------- issuing


def _next_number(conn, hall_id: int, day: str, prefix: str) -> int:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(t.counters).values(hall_id=hall_id, day=day, prefix=prefix, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=["hall_id", "day", "prefix"],
                                      set_={"last": t.counters.c.last + 1}).returning(t.counters.c.last)
    return conn.execute(stmt).scalar_one()


def _issue_response(app, conn, hall, row, replay=False) -> dict:
    out = ticket_public(row, hall)
    if not replay and row.estimated_wait_s is not None:  # what the ticket was given (printed, stored)
        out.update({"ahead": count_ahead(conn, row), "estimated_wait_s": row.estimated_wait_s,
                    "estimated_wait_range_s": [row.estimated_wait_low_s, row.estimated_wait_high_s]})
    else:
        out.update(ticket_position(app, conn, hall, row))
    out.update({"token": row.token,
                "track_url": f"/t/{row.token}", "hall": hall.code, "hall_name": hall.config.name})
    if replay:
        out["replayed"] = True
    return out


def issue_ticket(app, hall_code: str, principal: Principal, service, *, source: str | None = None,
                 id_number: str | None = None, priority: str | None = None,
                 appointment_id: int | None = None, idempotency_key: str | None = None,
                 note: str | None = None, _uow=None) -> dict:
    """Take a number. A retry with the same Idempotency-Key returns the ticket of the first try."""
    if idempotency_key is not None and (not isinstance(idempotency_key, str)
                                        or not 1 <= len(idempotency_key) <= 128):
        raise Invalid("Idempotency-Key must be 1..128 characters", code="invalid_idempotency_key")
    now = app.now()
    own = _uow is None
    uow = app.uow().__enter__() if own else _uow
    try:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        if idempotency_key:
            prior = conn.execute(select(t.tickets).where(
                t.tickets.c.hall_id == hall.id, t.tickets.c.idempotency_key == idempotency_key)).first()
            if prior is not None:
                if prior.first_service != hall.find_service(service).code:
                    raise Conflict("Idempotency-Key was used for another service",
                                   code="idempotency_conflict")
                return _issue_response(app, conn, hall, prior, replay=True)
        svc = hall.find_service(service)
        if source is None:
            source = "kiosk" if principal.role == "kiosk" else "staff"
        if source not in ("kiosk", "staff", "appointment", "phone"):
            raise Invalid("source must be kiosk, staff, appointment or phone", code="invalid_source")
        if principal.role == "kiosk" and not service_open(app, hall, svc, now):
            raise Conflict(f"「{svc.name}」当前不在办理时间({', '.join(svc.hours)})"
                           f" ({svc.name_en or svc.code} is closed now)", code="service_closed")
        groups = list(hall.config.rule("priority_groups", ["elderly", "disabled"]))
        if priority is not None and priority not in groups:
            raise Invalid(f"priority must be one of: {', '.join(groups)}", code="invalid_priority")
        local_day = hall.local_day(now)
        id_hash = id_masked = None
        if id_number is not None:
            if not isinstance(id_number, str):
                raise Invalid("id_number must be a string", code="invalid_id_number")
            norm = identity.validate(id_number)
            id_hash, id_masked = identity.keyed_hash(norm, app.secret), identity.mask(norm)
            if priority is None and identity.age_on(norm, local_day) >= int(
                    hall.config.rule("elderly_age", 65)) and "elderly" in groups:
                priority = "elderly"
        day = local_day.isoformat()
        seq = _next_number(conn, hall.id, day, svc.prefix)
        number = tdomain.format_number(svc.prefix, seq)
        values = dict(hall_id=hall.id, day=day, service=svc.code, first_service=svc.code,
                      number=number, status="waiting", source=source, priority=priority,
                      appointment_id=appointment_id, id_hash=id_hash, id_masked=id_masked,
                      token=secrets.token_urlsafe(12), idempotency_key=idempotency_key,
                      issued_by=principal.actor, queued_at=now, issued_at=now, recalls=0,
                      transfers=0, note=note)
        values.update(estimates.at_issue(app, conn, hall, values))
        try:
            with conn.begin_nested():
                tid = conn.execute(t.tickets.insert().values(**values)).inserted_primary_key[0]
        except IntegrityError:
            if idempotency_key:  # a concurrent retry with the same key won (PostgreSQL)
                prior = conn.execute(select(t.tickets).where(
                    t.tickets.c.hall_id == hall.id,
                    t.tickets.c.idempotency_key == idempotency_key)).first()
                if prior is not None:
                    return _issue_response(app, conn, hall, prior, replay=True)
            raise
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == tid)).first()
        uow.emit(hall.id, "ticket.issued", ticket_id=tid, actor=principal.actor,
                 data={"ticket": ticket_for_events(row, hall),
                       "waiting": waiting_counts(conn, hall, day)})
        if not own:
            return _issue_response(app, conn, hall, row)
        uow.commit()
        # `ahead` is read after the commit, outside the single-writer section.
        with app.db.read() as rconn:
            return _issue_response(app, rconn, hall, row)
    finally:
        if own:
            uow.__exit__(None, None, None)


# ---------------------------------------------------------------- window actions


def _acting_window(conn, hall, number, principal: Principal, lock=True):
    """The window row, if `principal` may act there now (its signed-in staff, or its keypad)."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise NotFound("没有这个窗口 (unknown window)", code="unknown_window")
    w = _window_row(conn, hall, number, lock=lock)
    if principal.is_user:
        if w.staff_id != principal.id:
            raise Forbidden(f"您未在 {number} 号窗口签到 (you are not signed in at window {number})",
                            code="not_signed_in")
    elif principal.role == "keypad":
        if principal.windows and number not in principal.windows:
            raise Forbidden(f"此呼叫器不属于 {number} 号窗口 (keypad not bound to window {number})",
                            code="forbidden")
        if not w.staff_id:
            raise WrongState(f"{number} 号窗口无人签到 (nobody is signed in at window {number})",
                             code="window_closed")
    else:
        raise Forbidden("无权进行此操作 (not allowed for this account)", code="forbidden")
    return w


def _current(conn, w):
    if not w.current_ticket_id:
        return None
    row = conn.execute(select(t.tickets).where(t.tickets.c.id == w.current_ticket_id)).first()
    return row if row is not None and row.status in tdomain.ACTIVE else None


def _emit_ticket(uow, hall, type_, row, w_number, actor, day=None, **extra):
    data = {"ticket": ticket_for_events(row, hall)}
    if day:
        data["waiting"] = waiting_counts(uow.conn, hall, day)
    data.update(extra)
    uow.emit(hall.id, type_, ticket_id=row.id, window=w_number, actor=actor, data=data)


def call_next(app, hall_code: str, number: int, principal: Principal) -> dict:
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        w = _acting_window(conn, hall, number, principal)
        if w.status == "paused":
            raise WrongState(f"{number} 号窗口暂停中,请先恢复 (window {number} is paused; resume first)",
                             code="window_paused")
        cur = _current(conn, w)
        if cur is not None:
            raise WrongState(f"请先办结或过号当前号票 {cur.number} (finish or no-show {cur.number} first)",
                             code="window_busy")
        day = hall.local_day(now).isoformat()
        cands = qdomain.order(_waiting_candidates(conn, hall, day, list(w.services)), list(w.services),
                              w.policy, w.priority_streak, int(hall.config.rule("priority_cap", 3)))
        picked = None
        for cand in cands:
            claimed = conn.execute(update(t.tickets).where(
                t.tickets.c.id == cand.id, t.tickets.c.status == "waiting").values(
                status="called", called_at=func.coalesce(t.tickets.c.called_at, now),
                last_called_at=now, window=w.number, staff_id=w.staff_id)).rowcount
            if claimed == 1:
                picked = cand
                break
        if picked is None:
            uow.commit()
            return {"ticket": None, "message": "当前无人等候 (nobody is waiting)"}
        conn.execute(update(t.windows).where(t.windows.c.id == w.id).values(
            current_ticket_id=picked.id, status="open",
            priority_streak=qdomain.streak_after(picked, w.priority_streak)))
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == picked.id)).first()
        _emit_ticket(uow, hall, "ticket.called", row, w.number, principal.actor, day,
                     window_name=w.name, staff_id=w.staff_id)
        uow.commit()
        return {"ticket": ticket_public(row, hall)}


def _act(app, hall_code, number, principal, action, mutate, event_type, clear_window=False):
    """Apply `action` to the window's current ticket: check the transition, update, emit."""
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        w = _acting_window(conn, hall, number, principal)
        cur = _current(conn, w)
        if cur is None:
            raise WrongState(f"{number} 号窗口当前没有号票 (window {number} has no current ticket)",
                             code="no_current_ticket")
        tdomain.next_status(action, cur.status)
        values, extra = mutate(conn, hall, cur, now)
        n = conn.execute(update(t.tickets).where(t.tickets.c.id == cur.id,
                                                 t.tickets.c.status == cur.status).values(**values)).rowcount
        if n != 1:
            raise WrongState("号票状态已变化,请刷新 (the ticket changed meanwhile)", code="stale")
        if clear_window:
            conn.execute(update(t.windows).where(t.windows.c.id == w.id).values(current_ticket_id=None))
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == cur.id)).first()
        _emit_ticket(uow, hall, event_type, row, w.number, principal.actor,
                     row.day if clear_window or action == "transfer" else None,
                     window_name=w.name, **extra)
        uow.commit()
        return {"ticket": ticket_public(row, hall)}


def recall(app, hall_code, number, principal):
    def mutate(conn, hall, cur, now):
        tdomain.check_recall(cur.recalls, int(hall.config.rule("max_recalls", 3)))
        return {"recalls": cur.recalls + 1, "last_called_at": now}, {"recall": cur.recalls + 1}
    return _act(app, hall_code, number, principal, "recall", mutate, "ticket.recalled")


def start(app, hall_code, number, principal):
    return _act(app, hall_code, number, principal, "start",
                lambda conn, hall, cur, now: ({"status": "serving", "started_at": now}, {}),
                "ticket.started")


def parse_due(hall, outcome, due_date, promise_days, today: date) -> date | None:
    if outcome != "promised":
        if due_date is not None or promise_days is not None:
            raise Invalid("due_date/promise_days only go with outcome promised", code="invalid")
        return None
    if due_date is None and promise_days is None:
        raise Invalid("承诺件需要承诺办结日期 (promised needs due_date or promise_days)",
                      code="due_date_required")
    if promise_days is not None:
        if isinstance(promise_days, bool) or not isinstance(promise_days, int) or not 1 <= promise_days <= 365:
            raise Invalid("promise_days must be an integer 1..365", code="invalid")
        return hall.calendar.add_working_days(today, promise_days)
    if not isinstance(due_date, str):
        raise Invalid("due_date must be YYYY-MM-DD", code="invalid_date")
    try:
        due = date.fromisoformat(due_date)
    except ValueError:
        raise Invalid("due_date must be YYYY-MM-DD", code="invalid_date") from None
    if due < today:
        raise Invalid("承诺日期不能早于今天 (due_date is in the past)", code="invalid_date")
    return due


def finish(app, hall_code, number, principal, outcome, due_date=None, promise_days=None, note=None):
    valid = [o.value for o in tdomain.Outcome]
    if outcome not in valid:
        raise Invalid(f"outcome must be one of: {', '.join(valid)}", code="invalid_outcome")
    if note is not None and not isinstance(note, str):
        raise Invalid("note must be text", code="invalid")

    def mutate(conn, hall, cur, now):
        due = parse_due(hall, outcome, due_date, promise_days, hall.local_day(now))
        values = {"status": "done", "finished_at": now, "outcome": outcome, "due_date": due}
        if cur.started_at is None:  # finished straight from called: no service time to measure
            values["started_at"] = None
        if note:
            values["note"] = note[:2000]
        return values, {"outcome": outcome, "due_date": due.isoformat() if due else None}
    return _act(app, hall_code, number, principal, "finish", mutate, "ticket.finished",
                clear_window=True)


def no_show(app, hall_code, number, principal):
    return _act(app, hall_code, number, principal, "no_show",
                lambda conn, hall, cur, now: ({"status": "no_show", "finished_at": now}, {}),
                "ticket.no_show", clear_window=True)


def transfer(app, hall_code, number, principal, service):
    def mutate(conn, hall, cur, now):
        svc = hall.find_service(service)
        if svc.code == cur.service:
            raise Invalid("已在该业务队列中 (the ticket is already in that service)", code="same_service")
        return ({"status": "waiting", "service": svc.code, "window": None, "staff_id": None,
                 "transfers": cur.transfers + 1, "started_at": None},
                {"from_service": cur.service, "to_service": svc.code})
    return _act(app, hall_code, number, principal, "transfer", mutate, "ticket.transferred",
                clear_window=True)


def pause(app, hall_code, number, principal, reason):
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise Invalid("请填写暂停原因 (a pause needs a reason, up to 200 characters)", code="reason_required")
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        w = _acting_window(conn, hall, number, principal)
        if w.status == "paused":
            raise WrongState(f"{number} 号窗口已暂停 (window {number} is already paused)", code="window_paused")
        cur = _current(conn, w)
        if cur is not None:
            raise WrongState(f"请先办结或过号当前号票 {cur.number} (finish {cur.number} first)",
                             code="window_busy")
        conn.execute(update(t.windows).where(t.windows.c.id == w.id).values(
            status="paused", pause_reason=reason.strip(), paused_at=now))
        uow.emit(hall.id, "window.paused", window=w.number, actor=principal.actor,
                 data={"reason": reason.strip(), "window_name": w.name})
        uow.commit()
    return get_window(app, hall_code, number)


def resume(app, hall_code, number, principal):
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        w = _acting_window(conn, hall, number, principal)
        if w.status != "paused":
            raise WrongState(f"{number} 号窗口未暂停 (window {number} is not paused)", code="not_paused")
        conn.execute(update(t.windows).where(t.windows.c.id == w.id).values(
            status="open", pause_reason=None, paused_at=None))
        paused_s = int((app.now() - w.paused_at).total_seconds()) if w.paused_at else None
        uow.emit(hall.id, "window.resumed", window=w.number, actor=principal.actor,
                 data={"reason": w.pause_reason, "paused_s": paused_s, "window_name": w.name})
        uow.commit()
    return get_window(app, hall_code, number)


def sign_in(app, hall_code, number, principal: Principal):
    if not principal.is_user:
        raise Forbidden("只有工作人员可以签到 (only staff sign in)", code="forbidden")
    if isinstance(number, bool) or not isinstance(number, int):
        raise NotFound("没有这个窗口 (unknown window)", code="unknown_window")
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        if not principal.in_hall(hall.id) or number not in principal.windows:
            raise Forbidden(f"您不是 {number} 号窗口的A/B岗人员 (you are not assigned to window {number})",
                            code="not_assigned")
        w = _window_row(conn, hall, number, lock=True)
        if w.staff_id and w.staff_id != principal.id and _current(conn, w) is not None:
            raise WrongState(f"{number} 号窗口正在办理业务,请稍后接班 (window {number} is serving; "
                             "take over after it finishes)", code="window_busy")
        previous = w.staff_id
        # One staff member works one window at a time.
        conn.execute(update(t.windows).where(t.windows.c.hall_id == hall.id,
                                             t.windows.c.staff_id == principal.id,
                                             t.windows.c.id != w.id,
                                             t.windows.c.current_ticket_id.is_(None))
                     .values(staff_id=None, status="closed", signed_in_at=None))
        conn.execute(update(t.windows).where(t.windows.c.id == w.id).values(
            staff_id=principal.id, signed_in_at=now,
            status="paused" if w.status == "paused" else "open"))
        uow.emit(hall.id, "window.signed_in", window=number, actor=principal.actor,
                 data={"staff_id": principal.id, "staff_name": principal.name,
                       "previous_staff_id": previous, "window_name": w.name})
        uow.commit()
    return get_window(app, hall_code, number)


def sign_out(app, hall_code, number, principal: Principal):
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        w = _acting_window(conn, hall, number, principal)
        cur = _current(conn, w)
        if cur is not None:
            raise WrongState(f"请先办结或过号当前号票 {cur.number} (finish {cur.number} first)",
                             code="window_busy")
        conn.execute(update(t.windows).where(t.windows.c.id == w.id).values(
            staff_id=None, status="closed", signed_in_at=None, pause_reason=None, paused_at=None))
        uow.emit(hall.id, "window.signed_out", window=number, actor=principal.actor,
                 data={"staff_id": w.staff_id, "window_name": w.name})
        uow.commit()
    return get_window(app, hall_code, number)


# ---------------------------------------------------------------- tickets


def get_ticket(app, hall_code, ticket_id) -> dict:
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        row = _ticket(conn, hall, ticket_id)
        out = ticket_public(row, hall)
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
                **ticket_position(app, conn, hall, row), "window": row.window if row.status in tdomain.ACTIVE else None,
                "hall": hall.code, "hall_name": hall.config.name, "issued_at": iso(row.issued_at),
                "called_at": iso(row.last_called_at or row.called_at)}


def cancel(app, hall_code, ticket_id, principal, reason="cancelled"):
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        row = _ticket(conn, hall, ticket_id)
        tdomain.next_status("cancel", row.status)
        conn.execute(update(t.tickets).where(t.tickets.c.id == row.id, t.tickets.c.status == "waiting")
                     .values(status="cancelled", finished_at=app.now()))
        row = _ticket(conn, hall, ticket_id)
        _emit_ticket(uow, hall, "ticket.cancelled", row, None, principal.actor if principal else "system",
                     row.day, reason=reason)
        uow.commit()
        return ticket_public(row, hall)


def close_stale_days(app) -> int:
    """Tickets still waiting or called from an earlier day are closed (cancelled / no-show)."""
    closed = 0
    with app.db.read() as conn:
        halls = conn.execute(select(t.halls.c.code)).scalars().all()
    for code in halls:
        with app.uow() as uow:
            conn = uow.conn
            hall = app.hall(conn, code)
            today = hall.local_day(app.now()).isoformat()
            rows = conn.execute(select(t.tickets).where(
                t.tickets.c.hall_id == hall.id, t.tickets.c.day < today,
                t.tickets.c.status.in_(("waiting", "called", "serving")))).all()
            for row in rows:
                status = "cancelled" if row.status == "waiting" else "no_show"
                if row.status == "serving":
                    status = "done"
                conn.execute(update(t.tickets).where(t.tickets.c.id == row.id).values(
                    status=status, finished_at=app.now(),
                    outcome=row.outcome if status != "done" else "immediate"))
                fresh = _ticket(conn, hall, row.id)
                _emit_ticket(uow, hall, f"ticket.{status if status != 'done' else 'finished'}", fresh,
                             row.window, "system", reason="end_of_day")
                closed += 1
            if rows:
                conn.execute(update(t.windows).where(
                    t.windows.c.hall_id == hall.id,
                    t.windows.c.current_ticket_id.in_([r.id for r in rows])).values(current_ticket_id=None))
            uow.commit()
    return closed
