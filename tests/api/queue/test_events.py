"""The event stream over real HTTP (waitress): live delivery, resume with Last-Event-ID, many
subscribers, and several PostgreSQL server processes delivering every event."""
from __future__ import annotations

import json
import socket
import time

import pytest
import requests

from tests.fixtures.server import two_pg_servers  # noqa: F401  (fixture)
from tests.support import HallClient, ServerProcess


class SSE:
    """A minimal SSE reader over requests (what a display or announcer does)."""

    def __init__(self, url, last_event_id=None, timeout=10):
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.resp = requests.get(url, headers=headers, stream=True, timeout=timeout)
        assert self.resp.status_code == 200
        assert self.resp.headers["Content-Type"].startswith("text/event-stream")
        self.lines = self.resp.iter_lines(decode_unicode=True)

    def next(self, types=None, timeout=10):
        deadline = time.monotonic() + timeout
        ev = {}
        for line in self.lines:
            if time.monotonic() > deadline:
                break
            if line == "":
                if "data" in ev and (types is None or ev.get("event") in types):
                    data = json.loads(ev["data"])
                    data["_sse_id"] = int(ev["id"])
                    return data
                ev = {}
                continue
            if line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            ev[key] = value
        raise AssertionError("no event arrived")

    def close(self):
        self.resp.close()


def sign_in(api, n):
    tok = api.add_staff(f"ev_staff{n}", [n])
    assert api.act(n, "sign-in", tok).status == 200
    return tok


def test_a_call_reaches_a_subscriber_with_its_id(live):
    api = live.api
    tok = sign_in(api, 1)
    sse = SSE(live.url + api.hp("/events"))
    try:
        api.issue("social")
        issued = sse.next({"ticket.issued"})
        assert issued["ticket"]["number"] == "A001" and issued["waiting"]["social"] == 1
        api.act(1, "call-next", tok)
        called = sse.next({"ticket.called"})
        assert called["_sse_id"] == called["id"] > issued["id"]
        assert called["window"] == 1 and called["ticket"]["number"] == "A001"
        assert "token" not in called["ticket"] and "id_masked" not in called["ticket"]
    finally:
        sse.close()


def test_a_subscriber_that_was_away_gets_exactly_what_it_missed(live):
    api = live.api
    tok = sign_in(api, 1)
    sse = SSE(live.url + api.hp("/events"))
    api.issue("social")
    first = sse.next({"ticket.issued"})
    sse.close()
    # away: three more tickets, a call and a pause
    for _ in range(3):
        api.issue("social")
    api.act(1, "call-next", tok)
    api.act(1, "finish", tok, {"outcome": "immediate"})
    api.act(1, "pause", tok, {"reason": "会议"})
    back = SSE(live.url + api.hp("/events"), last_event_id=first["id"])
    got = [back.next() for _ in range(6)]
    back.close()
    assert [e["type"] for e in got] == ["ticket.issued"] * 3 + ["ticket.called", "ticket.finished",
                                                                 "window.paused"]
    ids = [e["id"] for e in got]
    assert ids == sorted(ids) and ids[0] > first["id"] and len(set(ids)) == 6
    # the query parameter works too (EventSource cannot set headers when it reopens)
    via_query = SSE(live.url + api.hp(f"/events?last_event_id={ids[-2]}"))
    assert via_query.next()["id"] == ids[-1]
    via_query.close()


def test_resume_from_far_back_reads_the_table(live, ctx):
    api = live.api
    for _ in range(5):
        api.issue("agri")
    ctx.bus.halls.clear()  # as after a restart: nothing in memory
    ctx.bus.first_id = ctx.bus.last_id + 1
    sse = SSE(live.url + api.hp("/events"), last_event_id=0)
    got = [sse.next()["ticket"]["number"] for _ in range(5)]
    sse.close()
    assert got == ["B001", "B002", "B003", "B004", "B005"]


def test_other_halls_events_do_not_leak(live, ctx):
    from server.services.halls import load_hall, read_config
    data = read_config()
    data["hall"] = dict(data["hall"], code="east", name="东区便民服务中心")
    load_hall(ctx, data)
    east = HallClient(ctx, base_url=live.url, hall="east")
    east.add_device("east-kiosk", "kiosk")
    sse = SSE(live.url + live.api.hp("/events"))
    assert east.issue("social", token="east-kiosk").body["number"] == "A001"
    live.api.issue("land")
    ev = sse.next({"ticket.issued"})
    sse.close()
    assert ev["hall"] == "main" and ev["ticket"]["number"] == "C001"
    assert east.issue("social", token="east-kiosk").body["number"] == "A002"  # per hall
    assert live.api.issue("social").body["number"] == "A001"


def test_bad_last_event_id_is_a_clear_error(live):
    r = requests.get(live.url + live.api.hp("/events"), headers={"Last-Event-ID": "abc"}, timeout=5)
    assert r.status_code == 400 and r.json()["error"] == "invalid"
    assert requests.get(live.url + "/api/v1/halls/nope/events", timeout=5).status_code == 404


@pytest.fixture
def big_server(sqlite_url, tmp_path):
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    proc = ServerProcess(sqlite_url, var).start()
    yield proc
    proc.stop()


def test_one_server_process_holds_500_subscribers(big_server):
    """500 open streams (from 20 addresses: one address may hold 60 anonymous streams), and the
    server still answers POSTs and delivers to every one."""
    server_process = big_server
    base = server_process.url
    api = HallClient(None, base_url=base)
    socks = []
    try:
        for i in range(500):
            s = socket.create_connection(("127.0.0.1", server_process.port), timeout=20,
                                         source_address=(f"127.0.1.{1 + i % 20}", 0))
            s.sendall(b"GET /api/v1/halls/main/events HTTP/1.1\r\nHost: x\r\n\r\n")
            socks.append(s)
        for s in socks:  # each stream has started (the opening comment)
            buf = b""
            while b"retry: 2000" not in buf:
                chunk = s.recv(4096)
                assert chunk, "stream closed"
                buf += chunk
        token = _device_token(server_process, "kiosk-500", "kiosk")
        r = requests.post(base + "/api/v1/halls/main/tickets", json={"service": "finance"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=20)
        assert r.status_code == 201
        number = r.json()["number"].encode()
        got = 0
        for s in socks:
            buf = b""
            deadline = time.monotonic() + 20
            while number not in buf and time.monotonic() < deadline:
                buf += s.recv(65536)
            got += number in buf
        assert got == 500
    finally:
        for s in socks:
            s.close()


def _device_token(proc: ServerProcess, name, kind):
    import subprocess
    import sys
    from tests.support import ROOT
    out = subprocess.run([sys.executable, str(ROOT / "server.py"), "device", "add", name, "--kind", kind],
                         env=proc.env, cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.postgres
def test_several_server_processes_deliver_every_event(two_pg_servers):
    """PostgreSQL: a subscriber on process A sees calls made through process B (LISTEN/NOTIFY)."""
    _, a, b = two_pg_servers
    token = _device_token(a, "kiosk-pg", "kiosk")
    sse = SSE(a.url + "/api/v1/halls/main/events")
    numbers = []
    for i in range(6):
        target = b if i % 2 else a
        r = requests.post(target.url + "/api/v1/halls/main/tickets", json={"service": "hukou"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 201
        numbers.append(r.json()["number"])
    got = [sse.next({"ticket.issued"}, timeout=10)["ticket"]["number"] for _ in range(6)]
    sse.close()
    assert got == numbers == [f"F00{i}" for i in range(1, 7)]
