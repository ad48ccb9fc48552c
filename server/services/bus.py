"""The event bus: committed event rows fanned out to every subscriber of this process.

Events live in the `events` table with increasing ids. The bus keeps the newest ones in memory and
wakes waiting subscribers; a subscriber that is further behind than the buffer reads the table.
A local commit hands its events to the bus as they were stored (`publish`: no read back) when
they continue the ids the bus holds; when they do not (another process or the CLI wrote events
in between, or two of this process's PostgreSQL commits finished out of order) the bus reads the
table instead. It also reads on PostgreSQL NOTIFY from other server processes, and every `poll_s`
seconds as a safety net (e.g. events written by the CLI). Either way a subscriber gets every
event once, in id order.

Each event is formatted once per audience: the full text for staff and devices, and the public
view (services/public_events.py) for anonymous screens, or nothing when it is staff-only.

Event ids never go backwards. When the database is swapped for an older copy (`server.py restore`,
or a file copied in place), a `stream.reset` event is written above the highest id issued before,
so every client gets it live and redraws from the server's state (see `continue_event_ids`).
"""
from __future__ import annotations

import bisect
import json
import logging
import threading

from sqlalchemy import func, insert, select, text

from .public_events import public_view

from ..store import tables as t
from ..store.db import EVENT_LOCK_KEY, NOTIFY_CHANNEL, Database

log = logging.getLogger(__name__)


def sse_text(ev: dict, encoded: str | None = None) -> str:
    """The event as one SSE message (formatted once, sent to every subscriber); `encoded`: the
    event's JSON when it is at hand."""
    data = encoded if encoded is not None else json.dumps(ev, ensure_ascii=False)
    return f"id: {ev['id']}\nevent: {ev['type']}\ndata: {data}\n\n"


def formatted(ev: dict) -> tuple:
    """(event, its SSE text, its public view or None, that view's SSE text or None)."""
    pub = public_view(ev)
    return ev, sse_text(ev), pub, (sse_text(pub) if pub is not None else None)


def published(ev: dict, hall_code: str) -> tuple:
    """formatted() of a unit of work's event as stored (store/db.py emit, with its id), without
    reading it back: the staff text is encoded from the event as the unit of work holds it, and
    the event is decoded from that text, so its data has been through JSON as the column's has and
    a published event and one read later are the same."""
    text = json.dumps(_event(ev["id"], ev["type"], hall_code, ev["created_at"], ev["window"],
                             ev["ticket_id"], ev["data"]), ensure_ascii=False)
    event = json.loads(text)
    pub = public_view(event)
    return event, sse_text(event, text), pub, (sse_text(pub) if pub is not None else None)


def pick(item: tuple, audience: str):
    """(event, text) of a formatted item for `audience` ("staff" or "public"), None if not theirs."""
    if audience == "staff":
        return item[0], item[1]
    return (item[2], item[3]) if item[2] is not None else None


def continue_event_ids(db: Database, above: int, reason: str, *, unless_above: bool = False) -> int:
    """Write a `stream.reset` event for every hall with ids above `above` (and above every id in
    the table), so ids never go backwards after the database was swapped. Returns the last id.
    `unless_above`: write nothing if the table already holds an id above `above` (a restore that
    ran meanwhile has continued the ids itself: one reset is enough)."""
    # a writing transaction from its start (BEGIN IMMEDIATE on SQLite): the max read below then
    # cannot be outdated by another writer's reset before this one inserts
    with db.engine.connect().execution_options(write=True) as conn, conn.begin():
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENT_LOCK_KEY})
        top = conn.execute(select(func.max(t.events.c.id))).scalar() or 0
        if unless_above and top > above:
            return top
        nxt = max(int(above), top) + 1
        now = db.now()
        for hall_id in conn.execute(select(t.halls.c.id).order_by(t.halls.c.id)).scalars():
            conn.execute(insert(t.events).values(id=nxt, hall_id=hall_id, type="stream.reset",
                                                 actor="system", data={"reason": reason},
                                                 created_at=now))
            nxt += 1
        if db.dialect == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('events', 'id'), :v)"),
                         {"v": nxt - 1})
            conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": str(nxt - 1)})
    return nxt - 1


class _HallBuffer:
    """The newest events of one hall, ids ascending, for bisecting by Last-Event-ID."""

    def __init__(self, size: int, covered_from: int):
        self.size = size
        self.covered_from = covered_from  # every event of the hall with id >= this is held here
        self.ids: list[int] = []
        self.items: list[tuple] = []  # formatted(): (event, text, public event, public text)

    def extend(self, fresh: list[tuple[int, tuple]]):
        for eid, item in fresh:
            if item[0]["type"] == "stream.reset":  # what came before belongs to a lost timeline
                self.ids, self.items, self.covered_from = [], [], eid
            self.ids.append(eid)
            self.items.append(item)
        if len(self.ids) > self.size * 2:  # trim in batches: amortized O(1)
            self.covered_from = self.ids[-self.size - 1] + 1
            del self.ids[:-self.size]
            del self.items[:-self.size]

    def after(self, after_id: int, limit: int) -> list[tuple]:
        i = bisect.bisect_right(self.ids, after_id)
        return self.items[i:i + limit]


def event_dict(row, hall_code: str) -> dict:
    return _event(row.id, row.type, hall_code, row.created_at, row.window, row.ticket_id, row.data)


def _event(id_, type_, hall_code, created_at, window, ticket_id, data) -> dict:
    out = {"id": id_, "type": type_, "hall": hall_code,
           "at": created_at.isoformat(timespec="milliseconds") + "Z",
           "window": window, "ticket_id": ticket_id}
    out.update(data or {})
    return out


class EventBus:
    def __init__(self, db: Database, buffer_size: int = 10000, poll_s: float = 1.0):
        self.db = db
        self.buffer_size = buffer_size
        self.halls: dict[int, _HallBuffer] = {}
        self.first_id = None  # the oldest id held in memory: older ones are read from the table
        self.cond = threading.Condition()
        self.last_id = 0
        self.poll_s = poll_s
        self._refresh_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._hall_codes: dict[int, str] = {}
        self._threads: list[threading.Thread] = []
        # called (in the refreshing thread) after new events arrived: e.g. the event server's
        # fan-out, which lives in another thread and is woken through its own loop
        self.listeners: list = []
        with db.read() as conn:
            last = conn.execute(select(t.events.c.id).order_by(t.events.c.id.desc()).limit(1)).first()
            self._hall_codes.update(conn.execute(select(t.halls.c.id, t.halls.c.code)).all())
        self.last_id = last[0] if last else 0
        self.first_id = self.last_id + 1
        # after a local commit whose events cannot be published as they are: read the new rows
        # now (tests and in-process callers see them at once), or, with refresh_in_background
        # (the event server), let the pump thread read them so the request answers without it
        self.refresh_in_background = False
        db.after_commit_hooks.append(self._after_commit)

    def _after_commit(self, events: list[dict]) -> None:
        if self.publish(events):
            return
        if self.refresh_in_background:
            self._wake.set()
        else:
            self.refresh()

    def publish(self, events: list[dict]) -> bool:
        """Take a local commit's events as stored (each with its id) without reading them back.
        False when they do not continue the ids held (an event of another writer in between, or
        a hall not seen yet): the caller then reads the table (`refresh`)."""
        fresh = []
        for ev in events:
            code = self._hall_codes.get(ev["hall_id"])
            if code is None:
                return False
            fresh.append((ev["id"], ev["hall_id"], published(ev, code)))
        if not fresh:
            return True
        fresh.sort(key=lambda f: f[0])
        with self.cond:
            # ids at or below those held: a refresh read them already, or the database was
            # swapped for an older copy (refresh tells the two apart); a gap: another writer
            if fresh[0][0] != self.last_id + 1 or any(
                    b[0] != a[0] + 1 for a, b in zip(fresh, fresh[1:])):
                return False
            self._take(fresh)
        self._tell_listeners()
        return True

    def _take(self, fresh: list[tuple[int, int, tuple]]) -> None:
        """Append (id, hall id, formatted event) in id order to the hall buffers and wake waiters
        (under cond)."""
        by_hall: dict[int, list] = {}
        for eid, hid, item in fresh:
            by_hall.setdefault(hid, []).append((eid, item))
        for hid, items in by_hall.items():
            buf = self.halls.get(hid)
            if buf is None:
                buf = self.halls[hid] = _HallBuffer(self.buffer_size, self.first_id)
            buf.extend(items)
        self.last_id = fresh[-1][0]
        self.cond.notify_all()

    def _tell_listeners(self) -> None:
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                log.exception("event listener failed")

    def hall_code(self, conn, hall_id: int) -> str:
        code = self._hall_codes.get(hall_id)
        if code is None:
            code = conn.execute(select(t.halls.c.code).where(t.halls.c.id == hall_id)).scalar_one()
            self._hall_codes[hall_id] = code
        return code

    def start(self) -> "EventBus":
        th = threading.Thread(target=self._pump, name="hallq-bus-pump", daemon=True)
        th.start()
        self._threads.append(th)
        if self.db.dialect == "postgresql":
            th = threading.Thread(target=self._listen, name="hallq-bus-listen", daemon=True)
            th.start()
            self._threads.append(th)
        return self

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self):
        self._stop.set()
        self._wake.set()
        with self.cond:
            self.cond.notify_all()

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the bus's threads to end after stop(): a read they were in the middle of
        then no longer holds the database file open (a restore checks that nothing does)."""
        for th in self._threads:
            if th is not threading.current_thread():
                th.join(timeout)

    def refresh(self) -> None:
        """Read committed events newer than the last seen and wake subscribers."""
        with self._refresh_lock:
            last = self.last_id  # a commit may publish above it meanwhile (not a swap)
            with self.db.read() as conn:
                rows = conn.execute(select(t.events).where(t.events.c.id > last)
                                    .order_by(t.events.c.id).limit(5000)).all()
                fresh = [(r.id, r.hall_id, formatted(event_dict(r, self.hall_code(conn, r.hall_id))))
                         for r in rows]
                if not fresh and last:
                    top = conn.execute(select(func.max(t.events.c.id))).scalar() or 0
                else:
                    top = None
            if not fresh:
                if top is not None and top < last:
                    # the database was swapped for an older copy under this running server
                    log.warning("event ids went back from %d to %d: database swapped; "
                                "continuing above %d", last, top, self.last_id)
                    self._hall_codes.clear()
                    continue_event_ids(self.db, self.last_id, "database_swapped", unless_above=True)
                    self._wake.set()
                return
            with self.cond:
                fresh = [f for f in fresh if f[0] > self.last_id]  # published meanwhile
                if not fresh:
                    return
                self._take(fresh)
            self._tell_listeners()

    def _pump(self):
        while not self._stop.is_set():
            self._wake.wait(self.poll_s)
            self._wake.clear()
            try:
                self.refresh()
            except Exception:
                log.exception("event bus refresh failed; retrying")
                self._stop.wait(1.0)

    def _listen(self):
        """PostgreSQL: other server processes' commits wake this one through LISTEN/NOTIFY."""
        import psycopg
        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wake.set()  # catch up on anything sent while not listening
                    for _ in conn.notifies(timeout=5.0):
                        try:  # read at once here: one thread hop less between processes
                            self.refresh()
                        except Exception:
                            self._wake.set()
                        if self._stop.is_set():
                            return
            except Exception:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stop.wait(1.0)

    def events_after(self, hall_id: int, after_id: int, limit: int = 1000,
                     audience: str = "staff") -> list[tuple[dict, str]]:
        """(event, SSE text) for `audience` of the hall with id > after_id, from memory when it
        reaches back far enough, else from the table."""
        return [p for p in (pick(item, audience) for item in self.items_after(hall_id, after_id, limit))
                if p is not None]

    def items_after(self, hall_id: int, after_id: int, limit: int = 1000) -> list[tuple]:
        """formatted() items of the hall with id > after_id (both audiences)."""
        with self.cond:
            buf = self.halls.get(hall_id)
            if after_id >= self.last_id:
                return []
            covered_from = buf.covered_from if buf is not None else self.first_id
            if after_id + 1 >= covered_from:
                return buf.after(after_id, limit) if buf is not None else []
            upto = self.last_id
        with self.db.read() as conn:
            rows = conn.execute(select(t.events).where(
                t.events.c.hall_id == hall_id, t.events.c.id > after_id, t.events.c.id <= upto)
                .order_by(t.events.c.id).limit(limit)).all()
            return [formatted(event_dict(r, self.hall_code(conn, r.hall_id))) for r in rows]

    def wait(self, after_id: int, timeout: float) -> bool:
        """Block until an event newer than after_id exists (True) or timeout (False)."""
        with self.cond:
            return self.cond.wait_for(lambda: self.last_id > after_id or self._stop.is_set(),
                                      timeout)
