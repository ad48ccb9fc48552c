"""After a fan-out pass the next waits as long as the pass took of the loop's own CPU (serving/
streams.py), not its wall time: in a burst of calls a pass of 2-3 ms of work took 8-16 ms of wall
time while worker threads had the interpreter, and the next pass (the burst's other calls) then
waited that long too. A pass that waits without working stands in for that here, on a real gevent
loop (the bus is a stand-in: only the loop's timing is under test)."""
from __future__ import annotations

import time

import gevent

from server.serving.streams import StreamHub


class QuietBus:
    last_id = 0

    def __init__(self):
        self.listeners = []

    def items_after(self, hall_id, after_id, limit=1000):
        return []


def test_the_next_pass_waits_for_the_cpu_a_pass_took_not_its_wall_time():
    hub = StreamHub(QuietBus(), gap_s=0.2, gap_min_s=0.005, later_s=0)
    passes = []

    def pass_that_waits():
        passes.append([time.perf_counter()])
        if len(passes) == 1:
            hub.wake()  # a new event came during the pass
        time.sleep(0.1)  # 100 ms of wall time, next to no CPU
        passes[-1].append(time.perf_counter())

    hub.fan_out = pass_that_waits
    try:
        hub.wake()
        deadline = time.perf_counter() + 5
        while len(passes) < 2 and time.perf_counter() < deadline:
            gevent.sleep(0.005)
        assert len(passes) >= 2
        gap = passes[1][0] - passes[0][1]
        assert gap < 0.06, gap  # by wall time it would have been the pass's 100 ms
    finally:
        hub.stop()
