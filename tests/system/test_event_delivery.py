"""Issue 14: events published straight from the committing request (services/bus.py `publish`)
reach a real server's streams every one, once, in id order, while many writers commit at once and
another process writes events in between; a stream resumed with Last-Event-ID gets exactly the
rest. On a SQLite file (one server) and on PostgreSQL (two servers, a stream on each)."""
from __future__ import annotations

import re
import socket
import threading
import time

import pytest
import requests
from sqlalchemy import select

from server.services import auth
from server.services.context import create_hallq
from server.services.public_events import PUBLIC_TYPES
from server.store import tables as t
from tests.fixtures.server import two_pg_servers  # noqa: F401  (fixture)
from tests.support import ServerProcess

EVENTS = "/api/v1/halls/main/events"
EVENT = re.compile(rb"id: (\d+)\nevent: ([a-z_.]+)\n")


class RawStream:
    """An anonymous SSE connection read on a thread: the ids in arrival order."""

    def __init__(self, port, last_event_id=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        self.sock.sendall(f"GET {EVENTS} HTTP/1.1\r\nHost: hall\r\nAccept: text/event-stream\r\n"
                          f"{extra}\r\n".encode())
        self.ids: list[int] = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.ready.wait(10), "the stream did not open"

    def _read(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            if b"retry:" in buf:
                self.ready.set()
            end = 0
            for m in EVENT.finditer(buf):
                self.ids.append(int(m.group(1)))
                end = m.end()
            buf = buf[end:]

    def wait_for(self, last_id, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (not self.ids or self.ids[-1] < last_id):
            time.sleep(0.02)
        return self.ids

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def public_ids(url) -> list[int]:
    ctx = create_hallq(url, start_bus=False)
    try:
        with ctx.db.read() as conn:
            return list(conn.execute(select(t.events.c.id).where(t.events.c.type.in_(PUBLIC_TYPES))
                                     .order_by(t.events.c.id)).scalars())
    finally:
        ctx.db.dispose()


def write_from_another_process(url, pauses: int, stop_at: threading.Event):
    """A writer outside the servers (as the CLI is): window events on its own engine."""
    ctx = create_hallq(url, start_bus=False)
    try:
        with ctx.db.read() as conn:
            hid = ctx.hall(conn, "main").id
        for k in range(pauses):
            if stop_at.is_set():
                return
            with ctx.db.uow() as uow:
                uow.emit(hid, "window.paused" if k % 2 == 0 else "window.resumed", window=9,
                         actor="cli", data={"reason": "会议", "window_name": "9"})
                uow.commit()
            time.sleep(0.01)
    finally:
        ctx.db.dispose()


def issue_many(servers, token, threads=6, each=15):
    errors = []

    def kiosk(k):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        for i in range(each):
            srv = servers[(k + i) % len(servers)]
            r = s.post(srv.url + "/api/v1/halls/main/tickets",
                       json={"service": ("social", "hukou", "finance")[(k + i) % 3]}, timeout=20)
            if r.status_code != 201:
                errors.append(r.text)

    pool = [threading.Thread(target=kiosk, args=(k,)) for k in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join(120)
    assert not errors, errors[:3]
    return threads * each


def run_the_hall(url, servers):
    token = None
    ctx = create_hallq(url, start_bus=False)
    try:
        token = auth.add_device(ctx, "main", "kiosk-delivery", "kiosk")
    finally:
        ctx.db.dispose()
    streams = [RawStream(srv.port) for srv in servers]
    stop = threading.Event()
    other = threading.Thread(target=write_from_another_process, args=(url, 40, stop))
    other.start()
    try:
        issued = issue_many(servers, token)
    finally:
        stop.set()
        other.join(60)
    want = public_ids(url)
    seen = []
    for st in streams:
        seen.append(st.wait_for(want[-1]))
        st.close()
    # a screen that went away comes back from the middle
    middle = want[len(want) // 2]
    back = RawStream(servers[-1].port, last_event_id=middle)
    resumed = back.wait_for(want[-1])
    back.close()
    return want, issued, seen, middle, resumed


def assert_delivered(want, issued, seen, middle, resumed):
    """Every stream got every public event once, in id order, from the first one it saw on (which
    came before this test's tickets); the screen that came back got exactly the rest."""
    assert len(want) >= issued
    for got in seen:
        assert got and got[0] <= want[-issued], (got[:1], want[-issued])
        assert got == [i for i in want if i >= got[0]], (len(got), len(want))
    assert resumed == [i for i in want if i > middle]


def test_a_server_on_a_sqlite_file_delivers_every_event_once_in_order(sqlite_url, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    srv = ServerProcess(sqlite_url, var).start()
    try:
        want, issued, seen, middle, resumed = run_the_hall(sqlite_url, [srv])
        assert len(seen) == 1
        assert_delivered(want, issued, seen, middle, resumed)
    finally:
        srv.stop()


@pytest.mark.postgres
def test_two_servers_on_postgresql_deliver_every_event_once_in_order(two_pg_servers):
    url, a, b = two_pg_servers
    want, issued, seen, middle, resumed = run_the_hall(url, [a, b])
    assert len(seen) == 2  # a stream on each process
    assert_delivered(want, issued, seen, middle, resumed)
