"""Python's cyclic garbage collector, its older generations run when the server is quiet.

Left to itself, the collector runs a full (generation 2) collection whenever enough objects
have survived the younger ones, which is inside whatever request allocated last. With a hall's
200 screens open that walk takes 13-28 ms (bench_events.py's busy hall, two a three-round run),
and every window calling then waits behind it.

Here the youngest generation is still collected by Python as it fills (under a millisecond
each), but generations 1 and 2 are collected by the server's loop at a quiet moment: no request
running in a worker thread, none started for `quiet_s`, no event waiting for the fan-out. A hall
is quiet between its windows' calls many times a second. A server that is never quiet still
collects each generation once it is `overdue` times later than Python would have, so memory
stays bounded.

HALLQ_GC_QUIET=0 leaves the collector to Python's own schedule.
"""
from __future__ import annotations

import gc
import os
import time

import gevent

# gc.set_threshold's second and third values: how many collections of the generation below come
# before a collection of generation 1 and 2 (Python's defaults: 10 and 10)
NEVER = 1 << 30


class QuietCollector:
    """Runs in the gevent loop. `busy()`: True while a request runs or events wait to go out."""

    def __init__(self, busy, *, quiet_s: float = 0.005, every: tuple[int, int] | None = None,
                 overdue: int = 20, tick_s: float = 1.0):
        self.busy = busy
        self.quiet_s = quiet_s
        self.overdue = overdue
        self.last_activity = time.perf_counter()
        self._waiting = None  # the greenlet that waits for a quiet moment
        self._ticker = None
        self.tick_s = tick_s
        self.collected = [0, 0, 0]  # collections made here, by generation
        self.forced = 0  # of them, made overdue while the server was not quiet
        self.running = False
        self.every = every  # Python's own thresholds 1 and 2, kept when started
        self._old = None

    # ---------------------------------------------------------- switching on and off
    def start(self) -> "QuietCollector":
        """Take generations 1 and 2 from Python's own schedule (their thresholds become NEVER)."""
        self._old = gc.get_threshold()
        if self._old[1] == NEVER:  # another collector of this process took them: Python's own
            self._old = (self._old[0], 10, 10)
        if self.every is None:
            self.every = (self._old[1], self._old[2])
        gc.set_threshold(self._old[0], NEVER, NEVER)
        self.running = True
        self._ticker = gevent.spawn(self._tick)
        return self

    def stop(self) -> None:
        if self._old is not None:
            gc.set_threshold(*self._old)
        self.running = False
        for g in (self._waiting, self._ticker):
            if g is not None:
                g.kill(block=False)
        self._waiting = self._ticker = None

    # ---------------------------------------------------------- what is due
    def due(self) -> int | None:
        """The generation due a collection, by Python's own counts (gc.get_count()): 1 once
        generation 0 was collected `every[0]` times since, 2 instead once generation 1 was
        collected `every[1]` times since; None while nothing is due."""
        _young, gen0_runs, gen1_runs = gc.get_count()
        if gen0_runs < self.every[0]:
            return None
        return 2 if gen1_runs >= self.every[1] else 1

    def _is_overdue(self) -> bool:
        _young, gen0_runs, gen1_runs = gc.get_count()
        return gen0_runs >= self.every[0] * self.overdue or gen1_runs >= self.every[1] * self.overdue

    # ---------------------------------------------------------- in the loop
    def activity(self) -> None:
        """A request started or ended (in the loop): look for a quiet moment soon if one is due."""
        self.last_activity = time.perf_counter()
        self._arm(self.quiet_s)

    def _arm(self, delay: float) -> None:
        if self.running and self._waiting is None and self.due() is not None:
            self._waiting = gevent.spawn_later(delay, self._check)

    def _check(self) -> None:
        """Collect what is due if the server is quiet (or it is overdue); else look again once
        it may be (a request's start or end looks again too)."""
        self._waiting = None
        gen = self.due()
        if gen is None or not self.running:
            return
        overdue = self._is_overdue()
        quiet_for = time.perf_counter() - self.last_activity
        if quiet_for >= self.quiet_s and not self.busy():
            self.collect(gen)
        elif overdue:
            self.collect(gen, forced=True)
        else:
            self._arm(self.quiet_s - quiet_for if quiet_for < self.quiet_s else self.quiet_s)

    def _tick(self) -> None:
        """Allocations outside requests (the maintenance thread's, at night) are collected too."""
        while self.running:
            gevent.sleep(self.tick_s)
            self._arm(0)

    def collect(self, gen: int, forced: bool = False) -> None:
        gc.collect(gen)
        self.collected[gen] += 1
        if forced:
            self.forced += 1


def from_env(busy) -> QuietCollector | None:
    if os.environ.get("HALLQ_GC_QUIET", "1") == "0":
        return None
    return QuietCollector(busy).start()
