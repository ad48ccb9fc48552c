"""Python's garbage collector in the server (serving/collector.py): the youngest generation as
Python wants it, the older ones only at a quiet moment in the loop (or once overdue), so a full
collection (13-23 ms with a hall's screens open) does not land inside a window's call. Real gc,
real gevent loop, real garbage (reference cycles)."""
from __future__ import annotations

import gc
import time

import gevent
import pytest

from server.serving.collector import NEVER, QuietCollector


class Cycle:
    def __init__(self):
        self.me = self


def make_garbage(young_runs: int) -> None:
    """Enough cycles for `young_runs` collections of generation 0 (each after ~700 objects)."""
    threshold0 = gc.get_threshold()[0]
    for _ in range(young_runs * threshold0 + 10):
        Cycle()


@pytest.fixture
def seen():
    """The generations Python's collector ran, in order (gc.callbacks)."""
    got = []

    def cb(phase, info):
        if phase == "start":
            got.append(info["generation"])

    gc.collect()
    gc.callbacks.append(cb)
    yield got
    gc.callbacks.remove(cb)


@pytest.fixture
def state():
    old = gc.get_threshold()
    yield
    gc.set_threshold(*old)


def test_older_generations_wait_while_the_server_is_busy(seen, state):
    busy = [True]
    before = gc.get_threshold()
    col = QuietCollector(lambda: busy[0], quiet_s=0.005, every=(10, 10), overdue=50).start()
    try:
        assert gc.get_threshold()[1:] == (NEVER, NEVER)
        make_garbage(30)  # Python alone would have run generation 1 twice by now
        col.activity()
        gevent.sleep(0.05)
        assert 0 in seen and max(seen) == 0, seen  # only the youngest, inside the "requests"
        assert col.due() == 1
        busy[0] = False
        col.activity()
        deadline = time.perf_counter() + 2
        while col.collected[1] == 0 and time.perf_counter() < deadline:
            gevent.sleep(0.005)
        assert col.collected[1] == 1 and col.forced == 0
        assert seen[-1] == 1 and col.due() is None
    finally:
        col.stop()
    assert gc.get_threshold() == before


def test_quiet_means_no_activity_for_quiet_s(seen, state):
    col = QuietCollector(lambda: False, quiet_s=0.2, every=(1, 10), overdue=1000).start()
    try:
        make_garbage(2)
        started = time.perf_counter()
        col.activity()
        gevent.sleep(0.1)
        col.activity()  # a request 0.1 s in: the quiet moment starts again
        while col.collected[1] == 0 and time.perf_counter() - started < 3:
            gevent.sleep(0.01)
        assert col.collected[1] == 1
        assert time.perf_counter() - started >= 0.3 - 0.01
    finally:
        col.stop()


def test_a_full_collection_comes_after_enough_of_generation_1(seen, state):
    col = QuietCollector(lambda: False, quiet_s=0.001, every=(1, 3), overdue=1000).start()
    try:
        for _ in range(4):
            make_garbage(1)
            col.activity()
            gevent.sleep(0.02)
        assert col.collected[1] == 3 and col.collected[2] == 1, col.collected
        assert seen.count(2) == 1
    finally:
        col.stop()


def test_a_server_never_quiet_still_collects_once_overdue(seen, state):
    col = QuietCollector(lambda: True, quiet_s=0.005, every=(2, 10), overdue=5).start()
    try:
        make_garbage(4)
        col.activity()
        gevent.sleep(0.05)
        assert col.collected == [0, 0, 0]  # due, not overdue: it waits for quiet
        make_garbage(8)  # 12 runs of generation 0: 2 x 5 is overdue
        col.activity()
        deadline = time.perf_counter() + 2
        while not col.collected[1] and time.perf_counter() < deadline:
            gevent.sleep(0.005)
        assert col.collected[1] == 1 and col.forced == 1
    finally:
        col.stop()


def test_the_server_takes_the_older_generations_unless_told_not_to(monkeypatch, state):
    from server.serving import collector
    col = collector.from_env(lambda: False)
    try:
        assert col is not None and gc.get_threshold()[1:] == (NEVER, NEVER)
    finally:
        col.stop()
    assert gc.get_threshold()[1] != NEVER
    monkeypatch.setenv("HALLQ_GC_QUIET", "0")
    assert collector.from_env(lambda: False) is None
    assert gc.get_threshold()[1] != NEVER


def test_the_running_server_collects_only_between_requests(app, ctx, seen, state):
    """gevent's WSGI server of serving/http.py in this process, asked by real HTTP clients in
    threads: the older generations are collected when no request runs, soon after the last."""
    import threading

    import requests

    from server.serving.http import HallServer
    from server.serving.limits import Limits
    from server.serving.streams import StreamHub

    hub = StreamHub(ctx.bus)
    server = HallServer(("127.0.0.1", 0), app, limits=Limits(), hub=hub, threads=4)
    col = server.collector
    assert col is not None and col.running
    in_flight_at = []
    collect = col.collect

    def spy(gen, forced=False):
        in_flight_at.append((server.in_flight, forced))
        collect(gen, forced)

    col.collect = spy
    server.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/v1/health"
        done = threading.Event()
        answers = []

        def client():
            with requests.Session() as s:
                while not done.is_set():
                    answers.append(s.get(url, timeout=10).status_code)

        threads = [threading.Thread(target=client) for _ in range(2)]
        for t in threads:
            t.start()
        for _ in range(5):  # garbage made while requests run: each time, generation 1 is due
            make_garbage(col.every[0] + 1)
            gevent.sleep(0.1)
        done.set()
        while any(t.is_alive() for t in threads):
            gevent.sleep(0.01)
        make_garbage(col.every[0] + 1)
        assert col.due() == 1
        last = threading.Thread(target=lambda: answers.append(requests.get(url, timeout=10).status_code))
        last.start()
        while last.is_alive():
            gevent.sleep(0.01)
        gevent.sleep(0.3)  # after the last request, well before the once-a-second look
        assert col.due() is None
        assert answers and set(answers) == {200}
        assert in_flight_at and all(n == 0 for n, forced in in_flight_at if not forced), in_flight_at
        assert col.collected[1] >= 1 and 1 in seen
    finally:
        server.stop()
    assert gc.get_threshold()[1] != NEVER
