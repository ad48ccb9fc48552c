"""A power cut in the middle of a busy morning: the server is killed (SIGKILL) while kiosks issue
and windows call, then started again on the same port and database. Every ticket a kiosk saw
acknowledged is there, numbering goes on with no duplicate and no gap, every acknowledged call
stands, and a display that reconnects with Last-Event-ID has every event exactly once."""
from __future__ import annotations

import re
import socket
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import select

from server.domain.tickets import scoped_idempotency_key
from server.store import tables as t
from tests.support import PASSWORD, ServerProcess

KIOSKS = 3
WINDOWS = (1, 2, 3)
SERVICES = ("social", "agri", "land", "hukou")


class Subscriber(threading.Thread):
    """A display: raw SSE socket from event 0, reconnecting with Last-Event-ID after a drop."""

    EVENT = re.compile(rb"id: (\d+)\nevent: [a-z_.]+\ndata: [^\n]*\n\n")

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.ids, self.reconnects = port, [], 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            last = self.ids[-1] if self.ids else 0
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            except OSError:
                time.sleep(0.1)
                continue
            try:
                s.sendall(f"GET /api/v1/halls/main/events HTTP/1.1\r\nHost: x\r\n"
                          f"Last-Event-ID: {last}\r\n\r\n".encode())
                buf = b""
                while not self.stop.is_set():
                    try:
                        chunk = s.recv(65536)
                    except socket.timeout:
                        continue
                    if not chunk:
                        break
                    buf += chunk
                    end = 0
                    for m in self.EVENT.finditer(buf):
                        self.ids.append(int(m.group(1)))
                        end = m.end()
                    buf = buf[end:]
            except OSError:
                pass
            finally:
                s.close()
            self.reconnects += 1
            time.sleep(0.1)


def _post(session, url, **kw):
    try:
        return session.post(url, timeout=5, **kw)
    except requests.RequestException:
        return None


def _accounts(url):
    from server.services import auth
    from server.services.context import create_hallq
    ctx = create_hallq(url, start_bus=False)
    try:
        kiosk = auth.add_device(ctx, "main", "crash-kiosk", "kiosk")
        for n in WINDOWS:
            auth.add_user(ctx, f"crash{n}", f"窗口{n}", "staff", PASSWORD, hall_code="main", windows=[n])
    finally:
        ctx.db.dispose()
    return kiosk


@pytest.mark.slow
def test_a_kill_in_the_middle_of_a_busy_morning_loses_nothing_acknowledged(any_db_url, tmp_path):
    sqlite_url = any_db_url  # SQLite file or a fresh PostgreSQL database
    var = tmp_path / "var"
    var.mkdir()
    srv = ServerProcess(sqlite_url, var, env={"HALLQ_ISSUE_PER_MIN": "100000"})
    if "postgresql" in sqlite_url:  # the server process creates the schema on SQLite; here first
        from server.services.halls import ensure_db
        from server.services.context import create_hallq
        c = create_hallq(sqlite_url, start_bus=False)
        ensure_db(c)
        c.db.dispose()
    srv.start()
    base = srv.url
    kiosk_token = _accounts(sqlite_url)
    acked_issues: list[dict] = []  # (key, id, number) the kiosks saw with a 2xx
    acked_calls: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def kiosk(i):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {kiosk_token}"
        n = 0
        while not stop.is_set():
            key = f"k{i}-{uuid.uuid4().hex[:12]}"
            svc = SERVICES[(i + n) % len(SERVICES)]
            while not stop.is_set():  # a kiosk retries the same key until it hears back
                r = _post(s, f"{base}/api/v1/halls/main/tickets", json={"service": svc},
                          headers={"Idempotency-Key": key})
                if r is not None and r.status_code in (200, 201):
                    with lock:
                        acked_issues.append({"key": key, **r.json()})
                    break
                if r is not None and r.status_code not in (503,):
                    errors.append(("issue", r.status_code, r.text))
                    break
                time.sleep(0.05)
            n += 1
            time.sleep(0.01)

    def window(n):
        s = requests.Session()
        while not stop.is_set():
            r = _post(s, f"{base}/api/v1/auth/login",
                      json={"username": f"crash{n}", "password": PASSWORD})
            if r is not None and r.ok:
                s.headers["Authorization"] = f"Bearer {r.json()['token']}"
                if (_post(s, f"{base}/api/v1/halls/main/windows/{n}/sign-in") or r).ok:
                    break
            time.sleep(0.1)
        while not stop.is_set():
            r = _post(s, f"{base}/api/v1/halls/main/windows/{n}/call-next")
            if r is None:
                time.sleep(0.05)
                continue
            if r.status_code == 200 and r.json().get("ticket"):
                with lock:
                    acked_calls.append({"window": n, **r.json()["ticket"]})
            elif r.status_code == 200:
                time.sleep(0.05)
                continue
            elif r.status_code != 409:  # 409: the window still holds a ticket (reply was lost)
                errors.append(("call", r.status_code, r.text))
            _post(s, f"{base}/api/v1/halls/main/windows/{n}/finish", json={"outcome": "immediate"})

    sub = Subscriber(srv.port)
    sub.start()
    threads = [threading.Thread(target=kiosk, args=(i,), daemon=True) for i in range(KIOSKS)]
    threads += [threading.Thread(target=window, args=(n,), daemon=True) for n in WINDOWS]
    for th in threads:
        th.start()
    try:
        deadline = time.monotonic() + 20
        while len(acked_issues) < 25 and time.monotonic() < deadline:
            time.sleep(0.05)
        before_kill = len(acked_issues)
        srv.kill()  # SIGKILL: no shutdown handler runs
        time.sleep(0.5)  # the hall keeps pressing buttons into the void
        srv.start()  # same port, same database
        deadline = time.monotonic() + 20
        while len(acked_issues) < before_kill + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for th in threads:
            th.join(10)

    assert not errors, errors[:5]
    assert len(acked_issues) >= before_kill + 20, "the hall did not recover after the restart"
    from server.store.db import make_engine
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        tickets = {r.id: r for r in conn.execute(select(t.tickets))}
        event_ids = conn.execute(select(t.events.c.id).order_by(t.events.c.id)).scalars().all()
    engine.dispose()

    # every acknowledged ticket is there, with the number the kiosk printed
    for a in acked_issues:
        row = tickets.get(a["id"])
        assert row is not None, f"acknowledged ticket {a['number']} lost"
        assert row.number == a["number"]
        assert row.idempotency_key == scoped_idempotency_key(row.issued_by, a["key"])
    assert len({a["key"] for a in acked_issues}) == len({a["id"] for a in acked_issues})
    # numbers: unique per (hall, day) and continuous per prefix (no gap, no duplicate)
    by_prefix: dict[tuple, list[int]] = {}
    for row in tickets.values():
        by_prefix.setdefault((row.hall_id, row.day, row.number[0]), []).append(int(row.number[1:]))
    for key, seqs in by_prefix.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), (key, sorted(seqs))
    # every acknowledged call stands
    for c in acked_calls:
        assert tickets[c["id"]].status in ("called", "serving", "done"), c
        assert tickets[c["id"]].window == c["window"]
    assert len(acked_calls) > 0

    # the display has every event of the table, in order, each once
    deadline = time.monotonic() + 15
    while (not sub.ids or sub.ids[-1] < event_ids[-1]) and time.monotonic() < deadline:
        time.sleep(0.05)
    sub.stop.set()
    srv.stop()
    assert sub.reconnects >= 1
    assert sub.ids == event_ids, (len(sub.ids), len(event_ids),
                                  sorted(set(event_ids) - set(sub.ids))[:10])


def test_sqlite_commits_survive_a_power_cut_by_default(tmp_path, monkeypatch):
    """A SIGKILL keeps every commit in WAL mode; a power cut only with synchronous=FULL (2)."""
    from server.store.db import make_engine
    monkeypatch.delenv("HALLQ_SQLITE_SYNCHRONOUS", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'power.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
    monkeypatch.setenv("HALLQ_SQLITE_SYNCHRONOUS", "normal")
    engine = make_engine(f"sqlite:///{tmp_path / 'fast.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
    engine.dispose()
