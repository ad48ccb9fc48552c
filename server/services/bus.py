"""The event bus: committed event rows fanned out to every subscriber of this process.

Events live in the `events` table with increasing ids. The bus keeps the newest ones in memory and
wakes waiting subscribers; a subscriber that is further behind than the buffer reads the table.
It refreshes right after each local commit, on PostgreSQL NOTIFY from other server processes, and
every `poll_s` seconds as a safety net (e.g. events written by the CLI).
"""
from __future__ import annotations

import logging
import threading
from collections import deque

from sqlalchemy import select

from ..store import tables as t
from ..store.db import NOTIFY_CHANNEL, Database

log = logging.getLogger(__name__)


def event_dict(row, hall_code: str) -> dict:
    data = dict(row.data or {})
    out = {"id": row.id, "type": row.type, "hall": hall_code,
           "at": row.created_at.isoformat(timespec="milliseconds") + "Z",
           "window": row.window, "ticket_id": row.ticket_id}
    out.update(data)
    return out


class EventBus:
    def __init__(self, db: Database, buffer_size: int = 10000, poll_s: float = 1.0):
        self.db = db
        self.buffer: deque = deque(maxlen=buffer_size)  # (id, hall_id, dict)
        self.cond = threading.Condition()
        self.last_id = 0
        self.poll_s = poll_s
        self._refresh_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._hall_codes: dict[int, str] = {}
        self._threads: list[threading.Thread] = []
        with db.read() as conn:
            last = conn.execute(select(t.events.c.id).order_by(t.events.c.id.desc()).limit(1)).first()
        self.last_id = last[0] if last else 0
        db.after_commit_hooks.append(lambda ids: self.refresh())

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

    def stop(self):
        self._stop.set()
        self._wake.set()
        with self.cond:
            self.cond.notify_all()

    def refresh(self) -> None:
        """Read committed events newer than the last seen and wake subscribers."""
        with self._refresh_lock:
            with self.db.read() as conn:
                rows = conn.execute(select(t.events).where(t.events.c.id > self.last_id)
                                    .order_by(t.events.c.id).limit(5000)).all()
                fresh = [(r.id, r.hall_id, event_dict(r, self.hall_code(conn, r.hall_id)))
                         for r in rows]
            if not fresh:
                return
            with self.cond:
                self.buffer.extend(fresh)
                self.last_id = fresh[-1][0]
                self.cond.notify_all()

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
                        self._wake.set()
                        if self._stop.is_set():
                            return
            except Exception:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stop.wait(1.0)

    def events_after(self, hall_id: int, after_id: int, limit: int = 1000) -> list[dict]:
        """Events of the hall with id > after_id, from memory when it reaches back far enough."""
        with self.cond:
            covered = bool(self.buffer) and self.buffer[0][0] <= after_id + 1
            if covered or (not self.buffer and after_id >= self.last_id):
                return [ev for (eid, hid, ev) in self.buffer
                        if eid > after_id and hid == hall_id][:limit]
            upto = self.last_id
        with self.db.read() as conn:
            rows = conn.execute(select(t.events).where(
                t.events.c.hall_id == hall_id, t.events.c.id > after_id, t.events.c.id <= upto)
                .order_by(t.events.c.id).limit(limit)).all()
            return [event_dict(r, self.hall_code(conn, r.hall_id)) for r in rows]

    def wait(self, after_id: int, timeout: float) -> bool:
        """Block until an event newer than after_id exists (True) or timeout (False)."""
        with self.cond:
            return self.cond.wait_for(lambda: self.last_id > after_id or self._stop.is_set(),
                                      timeout)
