"""The queue's use cases: issue, call, recall, start, finish, no-show, transfer, cancel; a window's
sign-in, pause, resume, sign-out.

Each is one unit of work: load the Ticket / Window from the repositories (`uow.tickets`,
`uow.windows`), call the domain method that holds the rule, save, emit the event. Saves are
conditional UPDATEs (store/repository.py), so two windows calling at once never get the same ticket,
on SQLite (BEGIN IMMEDIATE serializes writers) and on PostgreSQL (FOR UPDATE SKIP LOCKED) alike.
What the queue looks like from outside (lists, positions, estimates) is in queue_view.py.
"""
from __future__ import annotations

import secrets
import threading
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select

from rules import priority as priority_rule

from ..domain import identity
from ..domain import tickets as tdomain
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound, WrongState
from ..domain.tickets import Ticket
from ..domain.windows import Window
from ..store import tables as t
from . import estimates
from .auth import Principal
from .queue_view import count_ahead, get_window, service_open, ticket_position
from .views import ticket_for_events, ticket_public

# ---------------------------------------------------------------- issuing


def _issue_response(app, conn, hall, ticket, replay=False) -> dict:
    out = ticket_public(ticket, hall)
    if not replay and ticket.estimated_wait_s is not None:  # what the ticket was given (printed, stored)
        out.update({"ahead": count_ahead(conn, ticket), "estimated_wait_s": ticket.estimated_wait_s,
                    "estimated_wait_range_s": [ticket.estimated_wait_low_s, ticket.estimated_wait_high_s]})
    else:
        out.update(ticket_position(app, conn, hall, ticket))
    out.update({"token": ticket.token,
                "track_url": f"/t/{ticket.token}", "hall": hall.code, "hall_name": hall.config.name})
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
    if idempotency_key:  # scoped to the sender: another device's key is simply a new request
        idempotency_key = tdomain.scoped_idempotency_key(principal.actor, idempotency_key)
    now = app.now()
    own = _uow is None
    early = _estimate_before_writing(app, hall_code, principal, service, source, priority, appointment_id,
                                     id_number, now) if own else None
    uow = app.uow().__enter__() if own else _uow
    try:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        if idempotency_key:
            prior = uow.tickets.by_idempotency_key(hall.id, idempotency_key)
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
            spans = hall.config.hours_on(svc, hall.local_day(now), hall.calendar)
            when = f"今日办理时间 {', '.join(spans)}" if spans else "今日不办理"
            raise Conflict(f"「{svc.name}」当前不在办理时间（{when}）"
                           f" ({svc.name_en or svc.code} is closed now)", code="service_closed")
        groups = list(hall.config.rule("priority_groups", list(priority_rule.DEFAULT_GROUPS)))
        if priority is not None and priority not in groups:
            raise Invalid(f"priority must be one of: {', '.join(groups)}", code="invalid_priority")
        local_day = hall.local_day(now)
        id_hash = id_masked = None
        if id_number is not None:
            if not isinstance(id_number, str):
                raise Invalid("id_number must be a string", code="invalid_id_number")
            norm = identity.validate(id_number, local_day)
            id_hash, id_masked = identity.keyed_hash(norm, app.secret), identity.mask(norm)
            if priority is None:  # the hall's rule, the same one the kiosk is told
                priority = priority_rule.from_id_number(norm, local_day, groups, hall.config.rule(
                    "elderly_age", priority_rule.DEFAULT_ELDERLY_AGE))
        day = local_day.isoformat()
        number = tdomain.format_number(svc.prefix, uow.tickets.next_number(hall.id, day, svc.prefix))
        ticket = Ticket(id=None, hall_id=hall.id, day=day, service=svc.code, first_service=svc.code,
                        number=number, status="waiting", source=source, priority=priority,
                        appointment_id=appointment_id, id_hash=id_hash, id_masked=id_masked,
                        token=secrets.token_urlsafe(12), idempotency_key=idempotency_key,
                        issued_by=principal.actor, queued_at=now, issued_at=now, recalls=0,
                        transfers=0, note=note)
        ticket.given_estimate(**estimates.at_issue(app, conn, hall, vars(ticket), early))
        if not uow.tickets.add(ticket):  # a concurrent retry with the same key won (PostgreSQL)
            prior = uow.tickets.by_idempotency_key(hall.id, idempotency_key)
            if prior is None:
                raise Conflict("Idempotency-Key is being used (retry)", code="idempotency_conflict")
            return _issue_response(app, conn, hall, prior, replay=True)
        uow.emit(hall.id, "ticket.issued", ticket_id=ticket.id, actor=principal.actor,
                 data={"ticket": ticket_for_events(ticket, hall),
                       "waiting": uow.tickets.waiting_counts(hall, day)})
        if not own:
            return _issue_response(app, conn, hall, ticket)
        uow.commit()
        # `ahead` is read after the commit, outside the single-writer section.
        with app.db.read() as rconn:
            return _issue_response(app, rconn, hall, ticket)
    finally:
        if own:
            uow.__exit__(None, None, None)


def _estimate_before_writing(app, hall_code, principal, service, source, priority, appointment_id,
                             id_number, now):
    """The wait estimate of the ticket about to be issued, played in a read transaction before the
    writers' lock is taken (the play is the costliest part of issuing); None where it cannot be
    guessed cheaply (an ID card that may decide the priority; bad input is checked inside)."""
    if id_number is not None and priority is None:
        return None
    if app.db.writers_busy:
        # other writers are in line: the hall will have changed by this one's turn and the
        # estimate would be played again inside the lock (~2 ms with 200 waiting, for nothing)
        return None
    try:
        with app.db.read() as conn:
            hall = app.hall(conn, hall_code)
            svc = hall.find_service(service)
            values = {"service": svc.code, "queued_at": now, "priority": priority,
                      "appointment_id": appointment_id,
                      "source": source or ("kiosk" if principal.role == "kiosk" else "staff")}
            return estimates.before_issue(app, conn, hall, values)
    except (Invalid, NotFound, Conflict, TypeError):
        return None


# ---------------------------------------------------------------- loading a window


def _window(uow, hall, number) -> Window:
    if isinstance(number, bool) or not isinstance(number, int):
        raise NotFound("没有这个窗口 (unknown window)", code="unknown_window")
    hall.window_config(number)
    return uow.windows.get(hall.id, number)


def _acting_window(uow, hall, number, principal: Principal) -> Window:
    """The window, if `principal` may act there now (its signed-in staff, or its keypad)."""
    w = _window(uow, hall, number)
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


@contextmanager
def _at_window(app, hall_code, number, principal, urgent=False):
    """A unit of work with the hall and the acting window (its current ticket loaded); `urgent`
    for a call, which the hall's screens wait for (it goes before waiting ordinary writers)."""
    with app.uow(urgent) as uow:
        hall = app.hall(uow.conn, hall_code)
        yield uow, hall, _acting_window(uow, hall, number, principal)


def _emit_ticket(uow, hall, type_, ticket, window, actor, day=None, **extra):
    """A ticket event; `day` adds the waiting counts (the queue's length changed)."""
    data = {"ticket": ticket_for_events(ticket, hall)}
    if day:
        data["waiting"] = uow.tickets.waiting_counts(hall, day)
    data.update(extra)
    uow.emit(hall.id, type_, ticket_id=ticket.id, window=window, actor=actor, data=data)


# ---------------------------------------------------------------- the window's ticket


def _call_first_free(uow, hall, w: Window, principal: Principal, now) -> Ticket | None:
    """Call the first ticket of the window's order that is still free (emits ticket.called)."""
    day = hall.local_day(now).isoformat()
    order = w.call_order(uow.tickets.waiting(hall.id, day, w.services),
                         int(hall.config.rule("priority_cap", 3)))
    for candidate in order:  # the first still free wins; another window may have taken one
        ticket = uow.tickets.claim(candidate.id)
        if ticket is None:
            continue
        ticket.call(w.number, w.staff_id, now)
        if uow.tickets.try_save(ticket):
            w.take(ticket)
            uow.windows.save(w)
            _emit_ticket(uow, hall, "ticket.called", ticket, w.number, principal.actor, day,
                         window_name=w.name, staff_id=w.staff_id)
            return ticket
    return None


NOBODY = "当前无人等候 (nobody is waiting)"


def _called(hall, ticket: Ticket | None) -> dict:
    if ticket is None:
        return {"ticket": None, "message": NOBODY}
    return {"ticket": ticket_public(ticket, hall)}


# The window actions that are calls (POST …/windows/<n>/<action>): what the hall's screens and
# speakers wait for. Their units of work are urgent (before ordinary writers waiting for SQLite's
# turn), and the event server runs them before other requests (serving/http.py).
CALL_ACTIONS = ("call-next", "finish-and-call-next", "recall", "call")


def call_next(app, hall_code: str, number: int, principal: Principal) -> dict:
    def step(uow):
        hall = app.hall(uow.conn, hall_code)
        w = _acting_window(uow, hall, number, principal)
        return _called(hall, _call_first_free(uow, hall, w, principal, app.now()))
    return _together(app, app.calls, step, urgent=True)


# ---------------------------------------------------------------- windows writing at once


class _Step:
    """One window's write waiting for SQLite's writers' turn (store.db.Together): `work(uow)`
    does it in a unit of work (without committing) and returns the answer."""

    def __init__(self, work):
        self.work = work
        self.result: dict | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def alone(self, app, urgent: bool) -> None:
        try:
            with app.uow(urgent) as uow:
                got = self.work(uow)
                uow.commit()
            self.result = got
        except Exception as exc:
            self.error = exc


def _together(app, batch, work, urgent: bool = False) -> dict:
    """`work` in the writers' turn, with the other windows' writes of its kind waiting then
    (`batch`: app.calls), or alone (`batch` None: PostgreSQL, turned off)."""
    step = _Step(work)
    if batch is None:
        step.alone(app, urgent)
    else:
        batch.submit(step, lambda steps: _run_together(app, steps, urgent))
    if step.error is not None:
        raise step.error
    if step.result is None:  # the turn's holder was stopped before it got to this one
        raise RuntimeError("the write was not done")
    return step.result


def _run_together(app, steps: list[_Step], urgent: bool) -> None:
    """In the writers' turn: the windows' writes one after another in one unit of work, each as
    it would have gone alone (a later window sees what the earlier ones did). If any of them
    fails (not signed in there, an unknown window...), that unit of work is rolled back and each
    goes alone instead, so one window's error is never another's."""
    if len(steps) > 1:
        uow, got = None, []
        try:
            with app.uow(urgent) as uow:
                uow.tickets.keep_queue()  # the day's queue read once for all of them
                got = [step.work(uow) for step in steps]
                uow.commit()
        except Exception:
            if uow is None or not uow.committed:  # (committed: the writes stand, never twice)
                got = []
        if got:
            for step, result in zip(steps, got):
                step.result = result
            return
    for step in steps:
        step.alone(app, urgent)


def call_selected(app, hall_code: str, number: int, principal: Principal, ticket_id) -> dict:
    """选呼: call one particular waiting ticket of this window's services out of turn (a resident
    who stepped out and came back). Recorded as ticket.called with `selected` and how many
    tickets it passed (`passed`), which the ticket's history and the statistics show."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise Invalid("ticket_id must be an integer", code="invalid")
    now = app.now()
    with _at_window(app, hall_code, number, principal, urgent=True) as (uow, hall, w):
        day = hall.local_day(now).isoformat()
        order = w.call_order(uow.tickets.waiting(hall.id, day, w.services),
                             int(hall.config.rule("priority_cap", 3)))
        ids = [c.id for c in order]
        if ticket_id not in ids:
            raise WrongState("该号票不在本窗口的等候队列中 (the ticket is not waiting for this window)",
                             code="not_waiting")
        ticket = uow.tickets.claim(ticket_id)
        if ticket is None:
            raise WrongState("该号票已被其他窗口呼叫 (another window called this ticket)", code="not_waiting")
        ticket.call(w.number, w.staff_id, now)
        uow.tickets.save(ticket)
        w.take(ticket)
        uow.windows.save(w)
        _emit_ticket(uow, hall, "ticket.called", ticket, w.number, principal.actor, day,
                     window_name=w.name, staff_id=w.staff_id, selected=True, passed=ids.index(ticket_id))
        uow.commit()
        return {"ticket": ticket_public(ticket, hall), "passed": ids.index(ticket_id)}


def recall(app, hall_code, number, principal):
    with _at_window(app, hall_code, number, principal, urgent=True) as (uow, hall, w):
        ticket = w.ensure_current()
        recalls = ticket.recall(app.now(), int(hall.config.rule("max_recalls", 3)))
        uow.tickets.save(ticket)
        _emit_ticket(uow, hall, "ticket.recalled", ticket, w.number, principal.actor,
                     window_name=w.name, recall=recalls)
        uow.commit()
    return {"ticket": ticket_public(ticket, hall)}


def start(app, hall_code, number, principal):
    with _at_window(app, hall_code, number, principal) as (uow, hall, w):
        ticket = w.ensure_current()
        ticket.start(app.now())
        uow.tickets.save(ticket)
        _emit_ticket(uow, hall, "ticket.started", ticket, w.number, principal.actor, window_name=w.name)
        uow.commit()
    return {"ticket": ticket_public(ticket, hall)}


def outcome_limit_days(hall, outcome: str) -> int | None:
    """Working days a time-limited outcome (上报件, 代办件) is due in by the hall's rules."""
    limits = {**tdomain.DEFAULT_LIMIT_DAYS, **(hall.config.rule("outcome_limit_days", {}) or {})}
    days = limits.get(outcome)
    return int(days) if days else None


def parse_due(hall, outcome, due_date, promise_days, today: date) -> date | None:
    if outcome not in tdomain.TRACKED:
        if due_date is not None or promise_days is not None:
            raise Invalid("due_date/promise_days only go with outcomes promised, escalated, proxy",
                          code="invalid")
        return None
    if outcome != "promised" and due_date is None and promise_days is None:
        promise_days = outcome_limit_days(hall, outcome)
        if promise_days is None:
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


def _leave_window(uow, hall, w, ticket, type_, actor, **extra):
    """The ticket left the window (finished, no-show, transferred): save both, emit."""
    uow.tickets.save(ticket)
    w.release()
    uow.windows.save(w)
    _emit_ticket(uow, hall, type_, ticket, w.number, actor, ticket.day, window_name=w.name, **extra)
    uow.commit()
    return {"ticket": ticket_public(ticket, hall)}


def _check_finish(outcome, note) -> None:
    """Bad finish input is refused before the window's write transaction starts."""
    valid = [o.value for o in tdomain.Outcome]
    if outcome not in valid:
        raise Invalid(f"outcome must be one of: {', '.join(valid)}", code="invalid_outcome")
    if note is not None and not isinstance(note, str):
        raise Invalid("note must be text", code="invalid")


def finish(app, hall_code, number, principal, outcome, due_date=None, promise_days=None, note=None):
    _check_finish(outcome, note)
    now = app.now()
    with _at_window(app, hall_code, number, principal) as (uow, hall, w):
        ticket = w.ensure_current()
        due = parse_due(hall, outcome, due_date, promise_days, hall.local_day(now))
        ticket.finish(now, outcome, due, note)
        return _leave_window(uow, hall, w, ticket, "ticket.finished", principal.actor,
                             outcome=outcome, due_date=due.isoformat() if due else None)


def finish_and_call_next(app, hall_code, number, principal, outcome, due_date=None, promise_days=None,
                         note=None) -> dict:
    """办结并叫下一位: finish the current ticket and call the next, in one transaction (one key at
    the window). {"finished": ticket, "ticket": the next or None}."""
    _check_finish(outcome, note)
    now = app.now()

    def step(uow):  # (with the other windows calling now: app.calls)
        hall = app.hall(uow.conn, hall_code)
        w = _acting_window(uow, hall, number, principal)
        ticket = w.ensure_current()
        due = parse_due(hall, outcome, due_date, promise_days, hall.local_day(now))
        ticket.finish(now, outcome, due, note)
        uow.tickets.save(ticket)
        w.release()
        uow.windows.save(w)
        _emit_ticket(uow, hall, "ticket.finished", ticket, w.number, principal.actor, ticket.day,
                     window_name=w.name, outcome=outcome, due_date=due.isoformat() if due else None)
        called = None if w.status == "paused" else _call_first_free(uow, hall, w, principal, now)
        return {"finished": ticket_public(ticket, hall),
                "ticket": ticket_public(called, hall) if called else None,
                **({} if called else {"message": NOBODY})}
    return _together(app, app.calls, step, urgent=True)


def no_show(app, hall_code, number, principal):
    with _at_window(app, hall_code, number, principal) as (uow, hall, w):
        ticket = w.ensure_current()
        ticket.no_show(app.now())
        return _leave_window(uow, hall, w, ticket, "ticket.no_show", principal.actor)


def transfer(app, hall_code, number, principal, service):
    with _at_window(app, hall_code, number, principal) as (uow, hall, w):
        ticket = w.ensure_current()
        to = hall.find_service(service).code
        was = ticket.transfer(to)
        return _leave_window(uow, hall, w, ticket, "ticket.transferred", principal.actor,
                             from_service=was, to_service=to)


def _served_services(hall, windows: list[int]) -> set[str]:
    served = set()
    for n in windows or []:
        try:
            served.update(hall.window_config(n).services)
        except NotFound:  # a window since removed from the config
            pass
    return served


def cancel(app, hall_code, ticket_id, principal, reason="cancelled"):
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        ticket = uow.tickets.get(hall.id, ticket_id)
        if principal is not None and not tdomain.may_cancel(
                principal.role, ticket.service, _served_services(hall, principal.windows)):
            raise Forbidden("只能取消本人窗口所办业务的号票 (staff cancel only tickets of the services "
                            "their windows serve)", code="other_service")
        ticket.cancel(app.now())
        uow.tickets.save(ticket)
        _emit_ticket(uow, hall, "ticket.cancelled", ticket, None,
                     principal.actor if principal else "system", ticket.day, reason=reason,
                     by_role=principal.role if principal else "system")
        uow.commit()
        return ticket_public(ticket, hall)


# ---------------------------------------------------------------- the window itself


def pause(app, hall_code, number, principal, reason):
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise Invalid("请填写暂停原因 (a pause needs a reason, up to 200 characters)", code="reason_required")
    with _at_window(app, hall_code, number, principal) as (uow, hall, w):
        w.pause(reason.strip(), app.now())
        uow.windows.save(w)
        uow.emit(hall.id, "window.paused", window=w.number, actor=principal.actor,
                 data={"reason": reason.strip(), "window_name": w.name})
        uow.commit()
    return get_window(app, hall_code, number)


def resume(app, hall_code, number, principal):
    with _at_window(app, hall_code, number, principal) as (uow, hall, w):
        reason, paused_s = w.resume(app.now())
        uow.windows.save(w)
        uow.emit(hall.id, "window.resumed", window=w.number, actor=principal.actor,
                 data={"reason": reason, "paused_s": paused_s, "window_name": w.name})
        uow.commit()
    return get_window(app, hall_code, number)


def sign_in(app, hall_code, number, principal: Principal):
    if not principal.is_user:
        raise Forbidden("只有工作人员可以签到 (only staff sign in)", code="forbidden")
    if isinstance(number, bool) or not isinstance(number, int):
        raise NotFound("没有这个窗口 (unknown window)", code="unknown_window")
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        if not principal.in_hall(hall.id) or number not in principal.windows:
            raise Forbidden(f"您不是 {number} 号窗口的A/B岗人员 (you are not assigned to window {number})",
                            code="not_assigned")
        w = _window(uow, hall, number)
        previous = w.sign_in(principal.id, app.now())
        uow.windows.leave_others(hall.id, principal.id, keep=w)
        uow.windows.save(w)
        uow.emit(hall.id, "window.signed_in", window=number, actor=principal.actor,
                 data={"staff_id": principal.id, "staff_name": principal.name,
                       "previous_staff_id": previous, "window_name": w.name})
        uow.commit()
    return get_window(app, hall_code, number)


def sign_out(app, hall_code, number, principal: Principal):
    with _at_window(app, hall_code, number, principal) as (uow, hall, w):
        previous = w.sign_out()
        uow.windows.save(w)
        uow.emit(hall.id, "window.signed_out", window=number, actor=principal.actor,
                 data={"staff_id": previous, "window_name": w.name})
        uow.commit()
    return get_window(app, hall_code, number)


# ---------------------------------------------------------------- end of day


def close_stale_days(app) -> int:
    """Tickets still waiting or called from an earlier day are closed (cancelled / no-show)."""
    closed = 0
    with app.db.read() as conn:
        halls = conn.execute(select(t.halls.c.code)).scalars().all()
    for code in halls:
        with app.uow() as uow:
            hall = app.hall(uow.conn, code)
            left = uow.tickets.left_open_before(hall.id, hall.local_day(app.now()).isoformat())
            for ticket in left:
                status = ticket.close_day(app.now())
                if not uow.tickets.try_save(ticket):
                    continue  # changed meanwhile by a window: it is no longer ours to close
                _emit_ticket(uow, hall, f"ticket.{status if status != 'done' else 'finished'}", ticket,
                             ticket.window, "system", reason="end_of_day")
                closed += 1
            uow.windows.release_tickets(hall.id, [tk.id for tk in left])
            uow.commit()
    return closed
