"""The fan-out's burst rule (server/serving/streams.py), on real sockets in a real gevent loop: an
event woken while other API requests run waits for them (at most burst_s) and then goes out in
one pass with the burst's other events; a lone event goes at once. The bus is a stand-in holding
formatted items (this is a unit test of the hub's timing rule; the whole server is tested in
test_event_server.py and test_event_delivery.py)."""
from __future__ import annotations

import socket
import time

import gevent
import pytest

from server.serving.streams import Stream, StreamHub


class Bus:
    """The part of services/bus.py EventBus the hub reads: last_id, listeners, items_after."""

    def __init__(self):
        self.last_id = 0
        self.listeners = []
        self.items = []

    def add(self, n: int):
        for _ in range(n):
            self.last_id += 1
            text = f"id: {self.last_id}\nevent: ticket.called\ndata: {{}}\n\n"
            self.items.append(({"id": self.last_id}, text, None, text))

    def items_after(self, hall_id, after, limit=1000):
        return [i for i in self.items if i[0]["id"] > after][:limit]


@pytest.fixture
def hub():
    bus, busy = Bus(), {"n": 0}
    h = StreamHub(bus, running=lambda: busy["n"] > 0, burst_s=0.05, gap_min_s=0.001)
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    theirs.setblocking(False)
    h.add(Stream(ours, 1, "public", 0, chunked=False))
    yield h, bus, busy, theirs
    h.stop()
    ours.close()
    theirs.close()


def arrivals(sock, want_ids: int, limit_s: float = 1.0) -> tuple[float, int]:
    """(seconds until the client had `want_ids` events, how many reads it took)."""
    t0, got, reads = time.perf_counter(), b"", 0
    while got.count(b"id: ") < want_ids and time.perf_counter() - t0 < limit_s:
        try:
            got += sock.recv(65536)
            reads += 1
        except BlockingIOError:
            gevent.sleep(0.0005)
    assert got.count(b"id: ") == want_ids, got
    return time.perf_counter() - t0, reads


def test_a_lone_event_goes_at_once(hub):
    h, bus, busy, client = hub
    bus.add(1)
    h.wake()
    took, _ = arrivals(client, 1)
    assert took < 0.03


def test_events_of_a_burst_wait_for_its_calls_then_go_together(hub):
    h, bus, busy, client = hub
    busy["n"] = 3  # three other windows' calls still running
    bus.add(1)
    h.wake()
    gevent.sleep(0.02)
    with pytest.raises(BlockingIOError):  # held while the calls run
        client.recv(65536)
    bus.add(2)  # the other calls commit and are answered
    h.wake()
    busy["n"] = 0
    took, reads = arrivals(client, 3)
    assert took < 0.03 and reads == 1  # then at once, all three in one write


def test_a_burst_never_holds_an_event_past_its_limit(hub):
    h, bus, busy, client = hub
    busy["n"] = 1  # requests keep running (a hall that never goes quiet)
    t0 = time.perf_counter()
    bus.add(1)
    h.wake()
    arrivals(client, 1)
    took = time.perf_counter() - t0
    assert 0.045 <= took < 0.1  # burst_s (50 ms), not longer
