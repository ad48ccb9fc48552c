"""Issue 14, beyond one machine: two server processes on one PostgreSQL behind Debian's nginx,
with the configuration docs/operations.md gives (read from there, so the two cannot drift)."""
from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from server.services import auth
from server.services.context import create_hallq
from tests.system.test_event_server import many_files  # noqa: F401 (fixture)
from tests.support import PASSWORD, ROOT, ServerProcess, free_port, need_binary, wait_http

pytestmark = [pytest.mark.postgres, pytest.mark.alone]  # a 100 ms goal: measured alone

DOC = ROOT / "docs" / "operations.md"


def nginx_config(tmp: Path, port: int, upstreams: list[int]) -> Path:
    """The `http { … }` block of docs/operations.md, pointed at these ports, in a runnable file."""
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- nginx -->\n```nginx\n(.*?)```", text, re.S).group(1)
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstreams)
    block = re.sub(r"( *server 127\.0\.0\.1:808\d[^\n]*\n)+", servers + "\n", block)
    block = block.replace("listen 80;", f"listen 127.0.0.1:{port};")
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / d).mkdir(exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"user root;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        f"    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;\n"
        f"    fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;\n"
        "    access_log off;\n" + block + "}\n", encoding="utf-8")
    return conf


class Follower(threading.Thread):
    """A display-like client through the proxy: reconnects on any end of its stream, resuming
    with Last-Event-ID, and records every event id and type it gets."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.events, self.last, self.stop, self.reconnects = url, [], None, False, 0
        self.resp = None

    def run(self):
        while not self.stop:
            headers = {"Accept": "text/event-stream"}
            if self.last is not None:
                headers["Last-Event-ID"] = str(self.last)
            try:
                self.resp = requests.get(self.url, headers=headers, stream=True, timeout=(3, 30))
                if self.resp.status_code != 200:
                    raise requests.ConnectionError(self.resp.status_code)
                ev = {}
                for line in self.resp.iter_lines(decode_unicode=True):
                    if self.stop:
                        return
                    if line == "":
                        if "id" in ev and "data" in ev:
                            self.last = int(ev["id"])
                            self.events.append((self.last, ev.get("event"), time.monotonic(),
                                                json.loads(ev["data"])))
                        ev = {}
                    elif not line.startswith(":"):
                        k, _, v = line.partition(": ")
                        ev[k] = v
            except (requests.RequestException, ValueError, AttributeError):  # AttributeError: closed
                pass
            if not self.stop:
                self.reconnects += 1
                time.sleep(0.3)

    def close(self):
        self.stop = True
        if self.resp is not None:
            self.resp.close()


@pytest.fixture
def two_behind_nginx(pg_cluster, tmp_path):
    nginx = need_binary("nginx", "apt-get install nginx")
    url = pg_cluster.new_database()
    var = tmp_path / "var"
    var.mkdir()
    # a kiosk may issue 120 tickets a minute; the call test issues 160 in about 30 s
    env = {"HALLQ_TRUSTED_PROXIES": "127.0.0.1", "HALLQ_SSE_HEARTBEAT_S": "2", "HALLQ_ISSUE_PER_MIN": "1000"}
    a = ServerProcess(url, var, env=env).start()
    b = ServerProcess(url, var, env=env).start()
    port = free_port()
    conf = nginx_config(tmp_path, port, [a.port, b.port])
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                            stderr=subprocess.PIPE)
    proxy = f"http://127.0.0.1:{port}"
    wait_http(proxy + "/api/v1/health", 10)
    ctx = create_hallq(url, start_bus=False)
    kiosk = auth.add_device(ctx, "main", "kiosk", "kiosk")
    auth.add_user(ctx, "clerk1", "职员1", "staff", PASSWORD, hall_code="main", windows=[1])
    ctx.db.dispose()
    yield a, b, proxy, kiosk
    proc.send_signal(signal.SIGQUIT)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    a.stop()
    b.stop()


def _staff(base):
    tok = requests.post(base + "/api/v1/auth/login", json={"username": "clerk1", "password": PASSWORD},
                        timeout=5).json()["token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert requests.post(base + "/api/v1/halls/main/windows/1/sign-in", headers=h, timeout=5).ok
    return h


class RawReaders(threading.Thread):
    """n raw event streams read on one selector; records when each ticket.called arrives."""

    CALLED = re.compile(rb'event: ticket\.called\ndata: \{[^\n]*?"ticket_id": (\d+)')

    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.sel, self.arrivals, self.stop = selectors.DefaultSelector(), {}, False
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /api/v1/halls/main/events HTTP/1.1\r\nHost: hall\r\n\r\n")
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, [b""])

    def run(self):
        while not self.stop:
            for key, _ in self.sel.select(0.05):
                now = time.monotonic()
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                buf = key.data[0] + data
                end = 0
                for m in self.CALLED.finditer(buf):
                    self.arrivals.setdefault(int(m.group(1)), []).append(now)
                    end = m.end()
                key.data[0] = buf[end:]
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()


WARM_UP, CALLS, STREAMS = 10, 150, 20


def test_a_call_through_process_a_reaches_streams_held_by_b_within_100_ms(two_behind_nginx):
    """Issue 14's goal: p99 under 100 ms from a window's call-next sent to process A until each of
    20 streams held by B has the call. A call reaches all 20 at about the same moment, so one slow
    call is 20 slow deliveries: 150 calls (3,000 deliveries) let the p99 be a p99, not the slowest
    call. Measured after 10 calls that warm both processes up (connections, B's listener, the
    streams' first writes), from the moment the request leaves on a kept-alive connection (no TCP
    connect or request building in the interval) to the moment a reader has the event."""
    a, b, proxy, kiosk = two_behind_nginx
    readers = RawReaders(b.port, STREAMS)
    readers.start()
    time.sleep(1.0)
    staff, kiosk_s = requests.Session(), requests.Session()
    staff.headers.update(_staff(a.url))
    kiosk_s.headers["Authorization"] = f"Bearer {kiosk}"
    call = staff.prepare_request(requests.Request("POST", a.url + "/api/v1/halls/main/windows/1/call-next"))
    sent, answered = {}, {}
    try:
        for i in range(WARM_UP + CALLS):
            assert kiosk_s.post(a.url + "/api/v1/halls/main/tickets", json={"service": "social"},
                                timeout=5).status_code == 201
            t0 = time.monotonic()
            r = staff.send(call, timeout=5)
            at = time.monotonic()
            tk = r.json()["ticket"]
            if i >= WARM_UP:
                sent[tk["id"]], answered[tk["id"]] = t0, at
            time.sleep(0.05)
            assert staff.post(a.url + "/api/v1/halls/main/windows/1/finish", json={"outcome": "immediate"},
                              timeout=5).ok
        time.sleep(1.0)
    finally:
        readers.stop = True
        readers.join(5)
    delays = []
    for tid, t0 in sent.items():
        got = readers.arrivals.get(tid, [])
        assert len(got) == STREAMS, (tid, len(got))
        delays += [at - t0 for at in got]
    delays.sort()
    assert len(delays) == CALLS * STREAMS
    p50, p99 = delays[len(delays) // 2], delays[int(len(delays) * 0.99) - 1]
    answer = sorted(answered[t] - sent[t] for t in sent)
    slow = sum(1 for t in sent if max(readers.arrivals[t]) - sent[t] >= 0.100)
    assert p99 < 0.100, (f"call -> B's streams p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
                         f"max {delays[-1] * 1000:.0f} ms; {slow} of {CALLS} calls reached a stream "
                         f"after 100 ms (call-next's own answer p50 {answer[len(answer) // 2] * 1000:.0f} ms, "
                         f"max {answer[-1] * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f})")


def test_killed_process_clients_reconnect_through_nginx_and_resume_exactly(two_behind_nginx):
    a, b, proxy, kiosk = two_behind_nginx
    events = "/api/v1/halls/main/events"
    followers = [Follower(proxy + events) for _ in range(12)]  # nginx spreads them over A and B
    for f in followers:
        f.start()
    time.sleep(1.0)
    kh = {"Authorization": f"Bearer {kiosk}"}
    numbers = []

    def issue(n):
        for _ in range(n):
            r = requests.post(proxy + "/api/v1/halls/main/tickets", json={"service": "social"},
                              headers=kh, timeout=5)
            assert r.status_code == 201, r.text
            numbers.append(r.json()["number"])
            time.sleep(0.05)

    try:
        issue(5)
        time.sleep(0.5)
        a.kill()  # SIGKILL: its clients' streams break mid-flight
        issue(10)  # nginx sends these to B; clients of A reconnect meanwhile
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(
                len([e for e in f.events if e[1] == "ticket.issued"]) >= 15 for f in followers):
            time.sleep(0.2)
    finally:
        for f in followers:
            f.close()
    assert any(f.reconnects for f in followers), "no client was on the killed process"
    for f in followers:
        got = [d["ticket"]["number"] for _, typ, _, d in f.events if typ == "ticket.issued"]
        ids = [i for i, *_ in f.events]
        assert got == numbers, (f.reconnects, got)  # every one, once, in order
        assert ids == sorted(set(ids))
