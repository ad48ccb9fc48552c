"""An in-memory unit of work with the same repositories as store/db.py (tickets, windows, cases),
for service-layer tests that need no database (as cosmicpython's FakeUnitOfWork).

Objects are copied in and out, so a use case sees only what it saved, and what it saved is kept
only if it commits. Saves are conditional like the real store's: a ticket whose stored status is
no longer the one it was read with is not written.
"""
from __future__ import annotations

import copy
import itertools
from datetime import datetime

from server.domain import hall as hall_domain
from server.domain import queue as qdomain
from server.domain.cases import ReviewCase
from server.domain.errors import NotFound
from server.domain.tickets import ACTIVE, Ticket
from server.domain.windows import Window
from server.services.context import Hall
from server.store.repository import stale

HALL_CONFIG = {
    "hall": {"code": "main", "name": "测试镇便民服务中心", "hours": ["00:00-23:59"]},
    "rules": {"max_recalls": 2, "priority_cap": 3},
    "services": [{"code": "social", "prefix": "A", "name": "社保医保"},
                 {"code": "civil", "prefix": "B", "name": "民政事务"}],
    "windows": [{"number": 1, "services": ["social", "civil"]}, {"number": 2, "services": ["civil"]}],
}


class FakeStore:
    """What is committed."""

    def __init__(self):
        self.tickets: dict[int, Ticket] = {}
        self.windows: dict[int, Window] = {}  # by number
        self.cases: dict[int, ReviewCase] = {}
        self.counters: dict[tuple, int] = {}
        self.events: list[dict] = []
        self.ids = itertools.count(1)


def _copy(obj):
    return copy.deepcopy(obj)


class FakeTickets:
    def __init__(self, store: FakeStore, staged: dict):
        self.store, self.staged = store, staged

    def _stored(self, ticket_id):
        return self.staged.get(ticket_id) or self.store.tickets.get(ticket_id)

    def _load(self, ticket):
        if ticket is None:
            return None
        out = _copy(ticket)
        out.loaded_status = out.status
        return out

    def by_id(self, ticket_id):
        return self._load(self._stored(ticket_id))

    def get(self, hall_id, ticket_id):
        ticket = self.by_id(ticket_id) if isinstance(ticket_id, int) else None
        if ticket is None or ticket.hall_id != hall_id:
            raise NotFound("没有这张号票 (unknown ticket)", code="unknown_ticket")
        return ticket

    def by_idempotency_key(self, hall_id, key):
        every = {**self.store.tickets, **self.staged}.values()
        return self._load(next((t for t in every if t.hall_id == hall_id and t.idempotency_key == key), None))

    def next_number(self, hall_id, day, prefix):
        key = (hall_id, day, prefix)
        self.store.counters[key] = self.store.counters.get(key, 0) + 1
        return self.store.counters[key]

    def add(self, ticket):
        ticket.id = next(self.store.ids)
        ticket.loaded_status = ticket.status
        self.staged[ticket.id] = _copy(ticket)
        return True

    def try_save(self, ticket):
        if self._stored(ticket.id).status != ticket.loaded_status:
            return False
        ticket.loaded_status = ticket.status
        self.staged[ticket.id] = _copy(ticket)
        return True

    def save(self, ticket):
        if not self.try_save(ticket):
            raise stale()

    def _all(self):
        return list({**self.store.tickets, **self.staged}.values())

    def waiting(self, hall_id, day, services):
        return sorted((qdomain.Candidate.of(t) for t in self._all()
                       if t.hall_id == hall_id and t.day == day and t.status == "waiting"
                       and t.service in services), key=lambda c: (c.queued_at, c.id))

    def claim(self, ticket_id):
        ticket = self.by_id(ticket_id)
        return ticket if ticket is not None and ticket.status == "waiting" else None

    def waiting_counts(self, hall, day):
        counts = {s.code: 0 for s in hall.config.services}
        for t in self._all():
            if t.hall_id == hall.id and t.day == day and t.status == "waiting":
                counts[t.service] = counts.get(t.service, 0) + 1
        return counts

    def left_open_before(self, hall_id, day):
        return [self._load(t) for t in self._all() if t.hall_id == hall_id and t.day < day
                and t.status in ("waiting", "called", "serving")]


class FakeWindows:
    def __init__(self, store: FakeStore, staged: dict, tickets: FakeTickets):
        self.store, self.staged, self.tickets = store, staged, tickets

    def get(self, hall_id, number, lock=True):
        w = self.staged.get(number) or self.store.windows.get(number)
        if w is None or w.hall_id != hall_id:
            raise NotFound(f"没有 {number} 号窗口 (unknown window {number})", code="unknown_window")
        w = _copy(w)
        cur = self.tickets.by_id(w.current_ticket_id) if w.current_ticket_id else None
        w.current = cur if cur is not None and cur.status in ACTIVE else None
        return w

    def save(self, window):
        kept = _copy(window)
        kept.current = None
        self.staged[window.number] = kept

    def leave_others(self, hall_id, staff_id, keep):
        for number, w in {**self.store.windows, **self.staged}.items():
            if w.staff_id == staff_id and number != keep.number and w.current_ticket_id is None:
                w = _copy(w)
                w.staff_id, w.status, w.signed_in_at = None, "closed", None
                self.staged[number] = w

    def release_tickets(self, hall_id, ticket_ids):
        for number, w in {**self.store.windows, **self.staged}.items():
            if w.current_ticket_id in ticket_ids:
                w = _copy(w)
                w.current_ticket_id = None
                self.staged[number] = w


class FakeCases:
    def __init__(self, store: FakeStore, staged: dict):
        self.store, self.staged = store, staged

    def get(self, hall_id, case_id, lock=True):
        case = self.staged.get(case_id) or self.store.cases.get(case_id)
        if case is None or case.hall_id != hall_id:
            raise NotFound("没有这个差评整改件 (unknown review case)", code="unknown_case")
        case = _copy(case)
        case.loaded_status = case.status
        return case

    def add(self, case):
        case.id = next(self.store.ids)
        self.staged[case.id] = _copy(case)

    def save(self, case):
        stored = self.staged.get(case.id) or self.store.cases[case.id]
        if stored.status != case.loaded_status:
            raise stale("该差评件已变化", "the case")
        for i, s in enumerate(case.steps):
            if s.id is None:
                case.steps[i] = type(s)(s.step, s.text, s.user_id, s.created_at, next(self.store.ids))
        case.loaded_status = case.status
        self.staged[case.id] = _copy(case)


class FakeOutbox:
    """The province outbox of the in-memory store: what a use case recorded in its unit of work."""

    def __init__(self, store):
        self.store = store
        if not hasattr(store, "outbox"):
            store.outbox = []

    def record_step(self, hall, rating_id, step_id, step, text, now, callback=None):
        if step in ("rectify", "callback"):  # as services.outbox.record_step: 核实 stays in the hall
            self.store.outbox.append({"rating_id": rating_id, "step_id": step_id, "step": step, "text": text})


class FakeUnitOfWork:
    conn = None  # the fake app's hall() needs no connection

    def __init__(self, store: FakeStore):
        self.store = store
        self._staged = {"tickets": {}, "windows": {}, "cases": {}}
        self.tickets = FakeTickets(store, self._staged["tickets"])
        self.windows = FakeWindows(store, self._staged["windows"], self.tickets)
        self.cases = FakeCases(store, self._staged["cases"])
        self.events: list[dict] = []
        self.outbox = FakeOutbox(store)
        self.committed = False

    def __enter__(self):
        return self

    def emit(self, hall_id, type_, *, ticket_id=None, window=None, actor=None, data=None):
        ev = {"hall_id": hall_id, "type": type_, "ticket_id": ticket_id, "window": window,
              "actor": actor, "data": copy.deepcopy(data or {})}
        self.events.append(ev)
        return ev

    def commit(self):
        self.store.tickets.update(self._staged["tickets"])
        self.store.windows.update(self._staged["windows"])
        self.store.cases.update(self._staged["cases"])
        self.store.events.extend(self.events)
        self.committed = True
        return []

    def __exit__(self, *exc):
        return False


class FakeApp:
    """Enough of services.context.Hallq for the queue's use cases: a clock, one hall, units of work."""

    calls = None  # each call-next alone (calls together are tested on SQLite)

    def __init__(self, now: datetime, config: dict | None = None):
        self.store = FakeStore()
        self.clock = now
        self.secret = b"test-secret"
        self.always_open = True
        self._hall = Hall(1, "main", hall_domain.parse(config or HALL_CONFIG))
        for wc in self._hall.config.windows:
            self.store.windows[wc.number] = Window(id=wc.number, hall_id=1, number=wc.number,
                                                   name=wc.name, services=list(wc.services),
                                                   policy=wc.policy)

    def now(self) -> datetime:
        return self.clock

    def uow(self, urgent: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    def hall(self, conn, code):
        if code != self._hall.code:
            raise NotFound(f"没有这个大厅 (unknown hall): {code}", code="unknown_hall")
        return self._hall

    def events(self, *types):
        return [e for e in self.store.events if not types or e["type"] in types]
