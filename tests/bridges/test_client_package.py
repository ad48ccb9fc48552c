"""The shared device client (client/) against a real server: errors as fields, unreachable
servers, Idempotency-Key, and the event stream's resume, heartbeat timeout and backoff."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from client import ApiClient, ApiError, EventStream, ServerUnreachable, new_key
from client.events import backoff_delays
from tests.support import free_port


def wait_for(cond, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class CuttableProxy:
    """A TCP proxy in front of the live server whose connections the test can cut (a pulled
    cable, a switch rebooting), while the server itself keeps running."""

    def __init__(self, target_port: int, port: int | None = None):
        self.target = ("127.0.0.1", target_port)
        self.port = port or free_port()
        self.conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.plug_in()

    def plug_in(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def pull_out(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it
        except OSError:
            pass
        self.listener.close()
        self.cut()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                a, _ = self.listener.accept()
            except OSError:
                return
            b = socket.create_connection(self.target)
            with self._lock:
                self.conns += [a, b]
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self._lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self):
        self.pull_out()


def test_a_refusal_carries_each_language_as_a_field(live):
    api = ApiClient(live.url, "main", live.api.tokens["kiosk"])
    with pytest.raises(ApiError) as info:
        api.post("/tickets", {"service": "no-such-service"}, key=new_key("kiosk"))
    err = info.value
    assert (err.status, err.code) == (404, "unknown_service")
    assert err.message == "没有这项业务 (unknown service): no-such-service"
    assert err.message_zh == err.text("zh") == "没有这项业务：no-such-service"
    assert err.message_en == err.text("en") == "unknown service: no-such-service"
    # the server's JSON itself has the fields (pages use them too)
    r = live.api.post(live.api.hp("/tickets"), "kiosk", json={"service": "no-such-service"})
    assert r.body["message_en"] == err.message_en and r.body["message_zh"] == err.message_zh


def test_a_message_in_one_language_is_that_language_for_both(live):
    api = ApiClient(live.url, "main", live.api.tokens["kiosk"])
    with pytest.raises(ApiError) as info:
        api.post("/tickets", {"service": 7})  # the schema's own words (English only)
    assert info.value.code == "invalid"
    assert info.value.message_en == info.value.message_zh == info.value.message


def test_a_server_that_does_not_answer_is_unreachable_not_an_error():
    api = ApiClient(f"http://127.0.0.1:{free_port()}", timeout=1.0)
    with pytest.raises(ServerUnreachable):
        api.health()


def test_a_retried_issue_with_the_same_key_gives_one_ticket(live):
    api = ApiClient(live.url, "main", live.api.tokens["kiosk"])
    key = new_key("kiosk")
    first = api.post("/tickets", {"service": "social", "source": "kiosk"}, key=key)
    again = api.post("/tickets", {"service": "social", "source": "kiosk"}, key=key)
    assert first["id"] == again["id"] and first["number"] == again["number"]
    other = api.post("/tickets", {"service": "social", "source": "kiosk"}, key=new_key("kiosk"))
    assert other["id"] != first["id"]


def test_events_come_in_order_and_close_wakes_the_reader_at_once(live):
    stream = EventStream(live.url, "main")
    got = []

    def read():
        for ev in stream.events():
            got.append(ev)

    th = threading.Thread(target=read, daemon=True)
    th.start()
    wait_for(lambda: stream.connected, what="the stream to open")
    tickets = [live.api.issue().body for _ in range(3)]
    wait_for(lambda: len(got) >= 3, what="three events")
    assert [e.type for e in got] == ["ticket.issued"] * 3
    assert [e.get("ticket")["number"] for e in got] == [t["number"] for t in tickets]
    assert [e.id for e in got] == sorted(e.id for e in got)
    started = time.monotonic()
    stream.close()
    th.join(5)
    assert not th.is_alive() and time.monotonic() - started < 2.0


def test_a_cut_connection_resumes_with_exactly_what_was_missed(live):
    proxy = CuttableProxy(live.port)
    seen, states = [], []
    stream = EventStream(proxy.url, "main", backoff_min=0.05, backoff_max=0.2,
                         on_event=seen.append, on_status=states.append).start()
    try:
        wait_for(lambda: stream.connected, what="the stream to open")
        before = [live.api.issue().body["number"] for _ in range(2)]
        wait_for(lambda: len(seen) == 2, what="the first two events")
        proxy.pull_out()  # the cable is out: nothing reaches the server for a while
        wait_for(lambda: not stream.connected, what="the drop to be noticed")
        missed = [live.api.issue().body["number"] for _ in range(3)]  # issued while cut off
        proxy.plug_in()
        wait_for(lambda: len(seen) >= 5, timeout=15, what="the missed events after reconnecting")
        after = live.api.issue().body["number"]
        wait_for(lambda: len(seen) >= 6, what="a live event after the resume")
        numbers = [e.get("ticket")["number"] for e in seen]
        assert numbers == before + missed + [after]  # none lost, none twice
        assert stream.connects >= 2 and states[:3] == [True, False, True]
    finally:
        stream.close()
        proxy.close()


def test_a_silent_stream_is_taken_as_dead_and_reopened():
    """A server that answers and then says nothing (frozen, or a half-open connection):
    after heartbeat_timeout the client reconnects, sending the last id it saw."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    requests_seen: list[bytes] = []
    held = []

    def serve():
        n = 0
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            n += 1
            requests_seen.append(conn.recv(65536))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                         + f"id: {40 + n}\nevent: ticket.called\ndata: {{\"n\": {n}}}\n\n".encode())
            held.append(conn)  # and then silence

    threading.Thread(target=serve, daemon=True).start()
    stream = EventStream(f"http://127.0.0.1:{port}", "main", heartbeat_timeout=0.5,
                         backoff_min=0.05, backoff_max=0.1)
    got = []
    started = time.monotonic()
    for ev in stream.events():
        got.append(ev)
        if len(got) == 3:
            stream.close()
    assert [(e.id, e.type, e.get("n")) for e in got] == [(41, "ticket.called", 1), (42, "ticket.called", 2),
                                                        (43, "ticket.called", 3)]
    assert 1.0 <= time.monotonic() - started < 5.0  # two silences of 0.5 s each, not a hang
    assert b"Last-Event-ID: 41" in requests_seen[1] and b"Last-Event-ID: 42" in requests_seen[2]
    assert b"Last-Event-ID" not in requests_seen[0]
    listener.close()
    for c in held:
        c.close()


def test_reconnect_delays_double_up_to_the_cap_with_jitter_below():
    assert [round(d, 3) for d, _ in zip(backoff_delays(0.5, 4.0, 0.5, rng=lambda: 0.0), range(6))] == \
        [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [round(d, 3) for d, _ in zip(backoff_delays(0.5, 4.0, 0.5, rng=lambda: 1.0), range(5))] == \
        [0.25, 0.5, 1.0, 2.0, 2.0]
    drawn = [d for d, _ in zip(backoff_delays(1.0, 1.0, 0.5), range(200))]
    assert all(0.5 <= d <= 1.0 for d in drawn) and len({round(d, 6) for d in drawn}) > 150


def test_a_server_down_at_start_is_retried_until_it_comes(live):
    """The device starts before the server (a power cut, everything boots at once)."""
    port = free_port()
    stream = EventStream(f"http://127.0.0.1:{port}", "main", backoff_min=0.05, backoff_max=0.2)
    seen = []
    th = threading.Thread(target=lambda: seen.extend(stream.events()), daemon=True)
    th.start()
    time.sleep(0.5)
    assert stream.connects == 0
    proxy = CuttableProxy(live.port, port)  # the server appears on the address the device was given
    try:
        wait_for(lambda: stream.connected, what="the stream to open once the server is there")
        live.api.issue()
        wait_for(lambda: seen, what="an event")
        assert seen[0].type == "ticket.issued"
    finally:
        stream.close()
        proxy.close()


def test_after_a_restore_the_reset_is_handed_on_and_lower_ids_are_read_again(live):
    """The device saw ids the database no longer has (it was swapped for an older copy while the
    server was down): the server answers stream.reset at its own last id; the events after it,
    lower than the device's old last id, still reach the device."""
    before = live.api.issue().body
    stream = EventStream(live.url, "main", last_event_id=10 ** 6)
    got = []

    def read():
        for ev in stream.events():
            got.append(ev)

    th = threading.Thread(target=read, daemon=True)
    th.start()
    wait_for(lambda: got, what="the reset")
    assert got[0].type == "stream.reset" and got[0].id < 10 ** 6
    assert stream.last_event_id == got[0].id
    after = live.api.issue().body
    wait_for(lambda: len(got) >= 2, what="the next event")
    assert got[1].type == "ticket.issued" and got[1].get("ticket")["number"] == after["number"]
    assert got[1].id > got[0].id and before["number"] != after["number"]
    stream.close()
    th.join(5)
