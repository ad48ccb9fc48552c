"""Play a day through the real queue code: the kiosk issues, staff call, start, finish and mark
no-shows through services/queue.py, on the app's clock moved by the simulation (compressed time).

Windows are staffed during the hall's hours: when a span ends staff still serve everyone who took a
ticket before it, then pause until the next span (or sign out after the last). The day's staffing
changes give a window other services for a while, or nobody.
"""
from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select, update

from ..domain.hall import parse_hours
from ..services import auth, queue
from ..services.auth import Principal
from ..store import tables as t
from .day import DayPlan, StaffChange, Visit

LATEST_S = 23 * 3600  # a day that has not emptied by 23:00 is cut there


@dataclass
class Played:
    """One ticket of the played day, as measured."""

    day: str
    id: int
    number: str
    service: str
    priority: str | None
    issued_s: float  # hall-local seconds from midnight
    ahead: int
    estimate_s: int | None  # stored with the ticket at issue
    low_s: int | None
    high_s: int | None
    called_s: float | None = None
    no_show: bool = False
    others: dict[str, float] = field(default_factory=dict)  # other estimators' figures at issue

    @property
    def wait_s(self) -> float | None:
        return None if self.called_s is None else self.called_s - self.issued_s


@dataclass
class _Window:
    number: int
    services: list[str]
    principal: Principal
    signed_in: bool = False
    paused: bool = False
    busy: bool = False
    idle: bool = False  # asked and nobody was waiting: call again when someone arrives
    visit: Visit | None = None


class Hall:
    """A hall in a database the simulation owns (never the live one): staff, a kiosk, a clock."""

    def __init__(self, ctx, hall_code: str = "main"):
        self.ctx, self.code = ctx, hall_code
        self.now = datetime(2026, 1, 1)
        ctx.clock = lambda: self.now
        with ctx.db.read() as conn:
            hall = ctx.hall(conn, hall_code)
            rows = conn.execute(select(t.windows.c.number, t.windows.c.services).where(
                t.windows.c.hall_id == hall.id, t.windows.c.active.is_(True))
                .order_by(t.windows.c.number)).all()
            have = {r.username: r.id for r in conn.execute(select(t.users.c.username, t.users.c.id))}
        self.hall = hall
        self.config_services = {r.number: list(r.services) for r in rows}
        self.staff = {}
        with ctx.uow() as uow:  # accounts that never sign in by password (no hash to compute)
            for number in self.config_services:
                name = f"sim-staff-{number}"
                uid = have.get(name) or uow.execute(t.users.insert().values(
                    username=name, name=f"模拟{number}号", role="staff", password_hash="!", hall_id=hall.id,
                    windows=[number], active=True, created_at=self.now)).inserted_primary_key[0]
                self.staff[number] = Principal("user", uid, name, "staff", hall.id, [number])
            uow.commit()
        name = "sim-kiosk"
        with ctx.db.read() as conn:
            dev = conn.execute(select(t.devices.c.id).where(t.devices.c.name == name)).scalar()
        if dev is None:
            auth.add_device(ctx, hall_code, name, "kiosk", [])
            with ctx.db.read() as conn:
                dev = conn.execute(select(t.devices.c.id).where(t.devices.c.name == name)).scalar()
        self.kiosk = Principal("device", dev, name, "kiosk", hall.id, [])
        self.spans = [(a.hour * 3600 + a.minute * 60, b.hour * 3600 + b.minute * 60)
                      for a, b in parse_hours(hall.config.hours or ["08:30-17:30"])]

    # ------------------------------------------------------------ one day
    def play(self, day: date, plan: DayPlan, visits: list[Visit], seed: int,
             on_issue=None) -> list[Played]:
        """Play `visits` on `day`. `on_issue(ctx, hall, ticket)` may return {name: seconds} of other
        estimators, measured at the same moment as the stored one."""
        rng = random.Random(seed * 7919 + 1)
        midnight = datetime.combine(day, time(0), tzinfo=self.hall.config.tz)
        base = midnight.astimezone(timezone.utc).replace(tzinfo=None)
        events, seq = [], itertools.count()

        def at(s: float, kind: str, arg=None):
            heapq.heappush(events, (s, next(seq), kind, arg))

        windows = {n: _Window(n, list(s), self.staff[n]) for n, s in self.config_services.items()}
        self._set_services(windows.values(), self.config_services)
        for v in visits:
            at(v.at_s, "arrive", v)
        last_end = self.spans[-1][1]
        for i, (a, b) in enumerate(self.spans):
            at(a, "open", None)
            if b != last_end:
                at(b, "close", None)
        for ch in plan.staffing:
            at(ch.start_s, "change", ch)
            at(ch.end_s, "restore", ch)
        off: dict[int, StaffChange] = {}
        by_ticket: dict[int, tuple[Visit, Played]] = {}
        played: list[Played] = []

        def gap() -> float:
            return rng.uniform(*plan.next_call_s)

        def in_span(s: float) -> bool:
            return any(a <= s < b for a, b in self.spans)

        def wake(s: float, service: str | None = None):
            for w in windows.values():
                if w.signed_in and not w.paused and not w.busy and w.idle and \
                        (service is None or service in w.services):
                    w.idle = False
                    at(s + gap(), "call", w.number)

        while events:
            s, _, kind, arg = heapq.heappop(events)
            if s > LATEST_S:
                break
            self.now = base + timedelta(seconds=s)
            if kind == "arrive":
                tk = queue.issue_ticket(self.ctx, self.code, self.kiosk, arg.service, source="kiosk",
                                        priority=arg.priority)
                span = tk.get("estimated_wait_range_s") or [None, None]
                p = Played(day.isoformat(), tk["id"], tk["number"], arg.service, arg.priority, s,
                           tk["ahead"], tk.get("estimated_wait_s"), span[0], span[1])
                if on_issue is not None:
                    p.others = on_issue(self.ctx, self.hall, tk) or {}
                by_ticket[tk["id"]] = (arg, p)
                played.append(p)
                wake(s, arg.service)
            elif kind == "open":
                for w in windows.values():
                    if w.number in off:
                        continue
                    self._on_duty(w)
                    at(s + gap(), "call", w.number)
            elif kind == "close":
                for w in windows.values():
                    if w.idle:
                        self._pause(w)
            elif kind == "change":
                w = windows[arg.window]
                if arg.services is None:
                    off[w.number] = arg
                    if not w.busy:
                        self._off(w)
                else:
                    self._set_services([w], {w.number: arg.services})
                    wake(s)
            elif kind == "restore":
                w = windows[arg.window]
                if arg.services is None:
                    off.pop(w.number, None)
                    if in_span(s):
                        self._on_duty(w)
                        at(s + gap(), "call", w.number)
                else:
                    self._set_services([w], {w.number: self.config_services[w.number]})
                    wake(s)
            elif kind == "call":
                w = windows[arg]
                if w.busy or not w.signed_in or w.paused:
                    continue
                if w.number in off:
                    continue
                got = queue.call_next(self.ctx, self.code, w.number, w.principal)["ticket"]
                if got is None:  # nobody waits: idle in hours; else the span's queue is done
                    w.idle = True
                    if s >= last_end:
                        self._off(w)
                    elif not in_span(s):
                        self._pause(w)
                    continue
                visit, p = by_ticket[got["id"]]
                p.called_s = s
                w.busy, w.visit = True, visit
                if visit.no_show:
                    p.no_show = True
                    for k in (1, 2):
                        if visit.hold_s * k / 3 > 0:
                            at(s + visit.hold_s * k / 3, "recall", w.number)
                    at(s + visit.hold_s, "no_show", w.number)
                else:
                    at(s + visit.walk_s, "start", w.number)
                    at(s + visit.walk_s + visit.service_s, "finish", w.number)
            elif kind in ("recall", "start", "finish", "no_show"):
                w = windows[arg]
                if kind == "recall":
                    queue.recall(self.ctx, self.code, w.number, w.principal)
                elif kind == "start":
                    queue.start(self.ctx, self.code, w.number, w.principal)
                else:
                    if kind == "finish":
                        queue.finish(self.ctx, self.code, w.number, w.principal, "immediate")
                    else:
                        queue.no_show(self.ctx, self.code, w.number, w.principal)
                    w.busy, w.visit = False, None
                    if w.number in off:
                        self._off(w)
                    else:
                        at(s + gap(), "call", w.number)
        for w in windows.values():
            self._off(w)
        self._set_services(windows.values(), self.config_services)
        return played

    # ------------------------------------------------------------ staffing through the real use cases
    def _on_duty(self, w: _Window):
        if not w.signed_in:
            queue.sign_in(self.ctx, self.code, w.number, w.principal)
            w.signed_in = True
        if w.paused:
            queue.resume(self.ctx, self.code, w.number, w.principal)
            w.paused = False
        w.idle = False

    def _pause(self, w: _Window):
        w.idle = False
        if w.signed_in and not w.paused and not w.busy:
            queue.pause(self.ctx, self.code, w.number, w.principal, "午休 (break)")
            w.paused = True

    def _off(self, w: _Window):
        if w.signed_in and not w.busy:
            if w.paused:
                queue.resume(self.ctx, self.code, w.number, w.principal)
                w.paused = False
            queue.sign_out(self.ctx, self.code, w.number, w.principal)
            w.signed_in = False

    def _set_services(self, windows, services: dict[int, list[str]]):
        """A manager's change of what a window serves (as editing the hall config would make it)."""
        with self.ctx.uow() as uow:
            for w in windows:
                w.services = list(services[w.number])
                uow.execute(update(t.windows).where(t.windows.c.hall_id == self.hall.id,
                                                    t.windows.c.number == w.number)
                            .values(services=w.services))
            uow.commit()
