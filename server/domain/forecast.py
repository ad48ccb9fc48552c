"""The forward wait estimate (预计等候): play the hall forward from the state at hand.

Each window frees when the ticket it holds is expected to leave it, then calls the next ticket in
the order the real queue uses (`queue.order`, priority cap included), holding it for the service's
expected call-to-free time (call -> window free again: the walk to the window, the service, and the
time a no-show holds the window). Windows call inside the hall's hours; when a span ends (lunch, the
evening) staff still serve everyone who took a ticket before it ended, then stop until the next
span. Tickets expected to be taken later can be played too. The time a ticket is reached is its
estimate.

Pure Python: the service layer (`services/estimates.py`) reads the state and the learned times.
"""
from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from statistics import NormalDist

from . import queue as qdomain

HYPOTHETICAL_ID = 1 << 60  # ids of "a ticket taken now" per service; they sort after every real one
NEW_TICKET_ID = 1 << 59  # the ticket being issued (not yet stored): after every stored one
ARRIVAL_ID = 1 << 58  # tickets expected to be taken later (they queue by their time anyway)
PAST_TAIL_MIN = 8  # past tickets that ran at least as long, for their conditional mean to count


@dataclass
class WindowState:
    """A window as the forecast sees it."""

    number: int
    services: list[str]
    policy: str = "ordered"
    priority_streak: int = 0
    holding: str | None = None  # service of the ticket it holds (called or serving), if any
    held_for_s: float = 0.0  # how long that ticket has held it
    available_in_s: float = 0.0  # paused (or not yet staffed): when it is expected to call again
    hours: Hours | None = None  # when it calls today (its services' hours); None: the hall's


@dataclass
class CallToFree:
    """Expected call-to-free seconds per service and hall-local hour, with the spread per service."""

    by_hour: dict[tuple[str, int], float] = field(default_factory=dict)
    by_service: dict[str, float] = field(default_factory=dict)
    cv_by_service: dict[str, float] = field(default_factory=dict)
    default_s: float = 300.0
    default_cv: float = 0.6
    # earlier days' call-to-free seconds per service, sorted, with their suffix sums (the rest of a
    # ticket that has already held a window so long is read from these rather than assumed)
    past: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)

    def mean_s(self, service: str, hour: int) -> float:
        got = self.by_hour.get((service, hour))
        if got is None:
            got = self.by_service.get(service, self.default_s)
        return got

    def cv(self, service: str) -> float:
        return self.cv_by_service.get(service, self.default_cv)

    def remaining_s(self, service: str, hour: int, held_for_s: float) -> float:
        """Expected time left of a ticket of `service` that has held a window `held_for_s`."""
        mean = self.mean_s(service, hour)
        got = self.past.get(service)
        if got is not None and held_for_s > 0:
            values, suffix = got
            i = bisect_right(values, held_for_s)
            if len(values) - i >= PAST_TAIL_MIN:
                # the past's conditional mean, scaled to today's level and this hour
                ratio = mean / (suffix[0] / len(values))
                return max(15.0, (suffix[i] / (len(values) - i) - held_for_s) * ratio)
        return remaining_s(mean, self.cv(service), held_for_s)


def remaining_s(mean_s: float, cv: float, held_for_s: float) -> float:
    """Expected time left of a ticket that has held a window `held_for_s` (lognormal durations)."""
    if held_for_s <= 0:
        return mean_s
    floor = max(15.0, 0.1 * mean_s)
    s2 = math.log1p(cv * cv)
    s = math.sqrt(s2)
    mu = math.log(mean_s) - s2 / 2
    z = (math.log(held_for_s) - mu) / s
    tail = 0.5 * math.erfc(z / math.sqrt(2))  # P(T > held)
    if tail < 1e-9:
        return floor
    partial = 0.5 * math.erfc((z - s) / math.sqrt(2))  # E[T; T > held] / mean
    return max(floor, mean_s * partial / tail - held_for_s)


@dataclass
class Hours:
    """The hall's opening spans today, in seconds from local midnight."""

    spans: list[tuple[float, float]]

    @classmethod
    def joined(cls, spans) -> Hours:
        """The union of possibly overlapping spans (a window serving services with different hours)."""
        out: list[list[float]] = []
        for a, b in sorted(spans):
            if out and a <= out[-1][1]:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        return cls([(a, b) for a, b in out])

    def covers_hour(self, hour: int) -> bool:
        """Whether any span overlaps the local hour starting at `hour`:00."""
        return any(a < (hour + 1) * 3600 and b > hour * 3600 for a, b in self.spans)

    def closed_since(self, t: float) -> float | None:
        """None inside a span; else when the last span before `t` ended (-inf before the first)."""
        i = bisect_right([a for a, _ in self.spans], t) - 1
        if i >= 0 and t < self.spans[i][1]:
            return None
        return self.spans[i][1] if i >= 0 else float("-inf")

    def next_open(self, t: float) -> float | None:
        """The start of the next span after `t` (None: none today)."""
        for a, _ in self.spans:
            if a > t:
                return a
        return None


@dataclass
class Forecast:
    """Seconds from now until each ticket is expected to be called, and the spread of that time
    (standard deviation: the call-to-free times' own spread accumulated along the play)."""

    call_in_s: dict[int, float]  # ticket id -> seconds (real tickets)
    new_ticket_in_s: dict[str, float]  # service -> seconds, for a ticket taken now
    call_sd_s: dict[int, float] = field(default_factory=dict)
    new_ticket_sd_s: dict[str, float] = field(default_factory=dict)


def play(windows: list[WindowState], waiting: list[qdomain.Candidate], times: CallToFree, *,
         now: datetime, now_local_s: float, hours: Hours, priority_cap: int = 3,
         ask_for: list[str] = (), arrivals: list[qdomain.Candidate] = (),
         arrival_share: dict[int, float] | None = None, trace: list | None = None,
         sample: random.Random | None = None, until_called: frozenset[int] = frozenset()) -> Forecast:
    """Play the queue forward. `ask_for`: services to estimate a ticket taken now for (they take no
    window time); `arrivals`: expected future tickets (queued_at after now), which do, each for its
    `arrival_share` of a ticket's time (default a whole one). `sample`: one random play instead of
    the expected one (each ticket's time drawn from its lognormal, each expected arrival present with
    its share's probability), for measuring the spread of the waits (bench/bench_estimate.py).
    `until_called`: stop once these waiting tickets are called (an issue needs only its own
    ticket's call: what comes after cannot change it); the Forecast then holds only the calls
    played up to then."""
    arrival_share = arrival_share or {}
    hypothetical = [qdomain.Candidate(id=HYPOTHETICAL_ID + i, service=code, queued_at=now)
                    for i, code in enumerate(ask_for)]
    arrive_at = {c.id: (c.queued_at - now).total_seconds() for c in arrivals}
    pool = list(waiting) + hypothetical + list(arrivals)
    open_ids = {c.id for c in waiting} | {c.id for c in hypothetical}
    by_id = {c.id: c for c in pool}
    taken: set[int] = set()
    call_at: dict[int, float] = {}
    call_var: dict[int, float] = {}

    lists: dict[tuple, tuple[list, list]] = {}  # (services, policy) -> (usual order, capped order)
    starts: dict[int, int] = {}  # id(list) -> first index that may still be free

    def orders_for(w: WindowState):
        key = (tuple(w.services), w.policy)
        got = lists.get(key)
        if got is None:
            usual = qdomain.order(pool, list(w.services), w.policy, 0, priority_cap)
            capped = (qdomain.order(pool, list(w.services), w.policy, priority_cap, priority_cap)
                      if priority_cap > 0 else usual)
            got = lists[key] = (usual, capped)
        return got

    def pick(w: WindowState, t: float, queued_by: float | None):
        usual, capped = orders_for(w)
        ranked = capped if priority_cap > 0 and w.priority_streak >= priority_cap else usual
        i = starts.get(id(ranked), 0)
        while i < len(ranked) and ranked[i].id in taken:
            i += 1
        starts[id(ranked)] = i
        for c in ranked[i:]:
            if c.id in taken or arrive_at.get(c.id, 0.0) > t:
                continue
            if queued_by is not None and queued_s(c) > queued_by:
                continue  # taken after closing: waits for the next span
            return c
        return None

    def queued_s(c) -> float:
        got = arrive_at.get(c.id)
        return got if got is not None else (c.queued_at - now).total_seconds()

    def next_arrival(w: WindowState, t: float) -> float | None:
        served = set(w.services)
        later = [s for i, s in arrive_at.items() if s > t and i not in taken and by_id[i].service in served]
        return min(later) if later else None

    states = {w.number: replace(w) for w in windows}  # the play changes streaks: not the caller's
    # The spread: each window's free time has a variance, which grows by each ticket's variance as
    # the window holds it (a waiting ticket: (cv x mean)^2; an expected arrival stands for a Poisson
    # count of tickets, compound: share x E[T^2]). A ticket called by a window gets the window's
    # variance over the number of windows serving its service: windows pooling one queue share
    # out the noise (a single window passes on all of it).
    pooled: dict[str, int] = {}
    for w in windows:
        for code in w.services:
            pooled[code] = pooled.get(code, 0) + 1
    var_free: dict[int, float] = {}
    heap = []
    for w in windows:
        t = w.available_in_s
        var_free[w.number] = 0.0
        if w.holding is not None:
            hour = int((now_local_s + t) // 3600) % 24
            rest = times.remaining_s(w.holding, hour, w.held_for_s) if sample is None else \
                _draw_rest(sample, times.mean_s(w.holding, hour), times.cv(w.holding), w.held_for_s)
            t += rest
            var_free[w.number] = (times.cv(w.holding) * rest) ** 2
        heap.append((t, w.number))
    heapq.heapify(heap)
    left = len(open_ids)
    awaited = len(until_called)
    while heap and left:
        t, number = heapq.heappop(heap)
        w = states[number]
        open_hours = w.hours if w.hours is not None else hours
        closed = open_hours.closed_since(now_local_s + t) if open_hours.spans else None
        c = pick(w, t, None if closed is None else closed - now_local_s)
        if c is None:
            wake = next_arrival(w, t)
            if closed is not None:  # closed and nobody left from before: back at the next span
                opened = open_hours.next_open(now_local_s + t)
                wake = None if opened is None else opened - now_local_s
            if wake is not None:
                heapq.heappush(heap, (wake, number))
                var_free[number] = 0.0  # idle until then: what it held no longer matters
            continue
        taken.add(c.id)
        if trace is not None:
            trace.append((t, number, c))
        if c.id in open_ids:
            call_at[c.id] = t
            call_var[c.id] = var_free[number] / pooled.get(c.service, 1)
            left -= 1
            if c.id in until_called:
                awaited -= 1
                if not awaited:
                    left = 0  # the rest is not asked for
                    break
        if c.id >= HYPOTHETICAL_ID:
            heapq.heappush(heap, (t, number))  # asking takes no window time
            continue
        w.priority_streak = qdomain.streak_after(c, w.priority_streak)
        hour = int((now_local_s + t) // 3600) % 24
        mean, cv = times.mean_s(c.service, hour), times.cv(c.service)
        share = arrival_share.get(c.id)
        if sample is not None:
            mean = _draw_rest(sample, mean, cv, 0.0) if share is None or sample.random() < share else 0.0
            share = None
        var_free[number] += (cv * mean) ** 2 if share is None else share * mean * mean * (1 + cv * cv)
        heapq.heappush(heap, (t + mean * (1.0 if share is None else share), number))

    # Tickets no window serves today: after everything else, one service time apart per service.
    if left:
        end = max(call_at.values(), default=0.0)
        behind: dict[str, int] = {}
        for c in qdomain.order([c for c in pool if c.id in open_ids and c.id not in call_at],
                               sorted({c.service for c in pool}), "longest_waiting", 0, 0):
            behind[c.service] = behind.get(c.service, 0) + 1
            call_at[c.id] = end + behind[c.service] * times.mean_s(c.service, 12)
            call_var[c.id] = call_at[c.id] ** 2  # a guess: as uncertain as it is long
    new = {c.service: call_at[c.id] for c in hypothetical}
    new_sd = {c.service: math.sqrt(call_var[c.id]) for c in hypothetical}
    return Forecast({i: s for i, s in call_at.items() if i < HYPOTHETICAL_ID}, new,
                    {i: math.sqrt(v) for i, v in call_var.items() if i < HYPOTHETICAL_ID}, new_sd)


def _draw_rest(rng: random.Random, mean_s: float, cv: float, held_for_s: float) -> float:
    """A random rest of a lognormal time that has already run `held_for_s`."""
    s2 = math.log1p(cv * cv)
    dist = NormalDist(math.log(mean_s) - s2 / 2, math.sqrt(s2))
    low = dist.cdf(math.log(held_for_s)) if held_for_s > 0 else 0.0
    u = min(1 - 1e-9, max(1e-9, low + rng.random() * (1 - low)))
    return max(0.0, math.exp(dist.inv_cdf(u)) - held_for_s)


def likeliest_point(mean_s: float, sd_s: float, half_s: float = 300.0) -> float:
    """The figure most likely to be within `half_s` of the actual wait, when the wait has this mean
    and spread (taken as lognormal: waits are skewed, a few run far longer): the centre of the
    densest window of width 2 x half_s, which lies below the mean when the spread is wide. A tight
    spread (or none) gives the mean back."""
    if mean_s <= 0 or sd_s <= 0:
        return max(0.0, mean_s)
    s2 = math.log1p((sd_s / mean_s) ** 2)
    s, mu = math.sqrt(s2), math.log(mean_s) - s2 / 2

    def cdf(x: float) -> float:
        return 0.0 if x <= 0 else 0.5 * math.erfc(-(math.log(x) - mu) / (s * math.sqrt(2)))

    def held(x: float) -> float:
        return cdf(x + half_s) - cdf(x - half_s)

    # held(x) rises then falls (a unimodal density): golden-section search over [0, mean]
    a, b = 0.0, mean_s
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    hc, hd = held(c), held(d)
    while b - a > 5.0:
        if hc >= hd:
            b, d, hd = d, c, hc
            c = b - g * (b - a)
            hc = held(c)
        else:
            a, c, hc = c, d, hd
            d = a + g * (b - a)
            hd = held(d)
    best = (a + b) / 2
    return best if held(best) > held(mean_s) else mean_s


def expected_arrivals(rates: dict[tuple[str, int], float], priority_share: dict[str, float], *,
                      now: datetime, now_local_s: float, horizon_s: float,
                      first_id: int = ARRIVAL_ID) -> tuple[list[qdomain.Candidate], dict[int, float]]:
    """The tickets expected to be taken after now, evenly spread by each service's hourly rate
    (tickets per hour by hall-local hour), and the share of a ticket each stands for: every expected
    arrival is a priority part (the service's priority share) and an ordinary part, so a rare
    priority resident delays the queue by their expected share instead of not at all."""
    out, weight = [], {}
    for service in sorted({k[0] for k in rates}):
        count = due = 0.0
        priority_due = 0.0
        t = 0.0
        while t < horizon_s:
            local = now_local_s + t
            hour = int(local // 3600) % 24
            step = min(3600 - local % 3600, horizon_s - t)
            per_s = rates.get((service, hour), 0.0) / 3600
            while per_s > 0 and count + per_s * step >= due + 0.5:
                at = now + timedelta(seconds=t + (due + 0.5 - count) / per_s)
                share = priority_share.get(service, 0.0)
                for priority, part in (("elderly", share), (None, 1.0 - share)):
                    if part > 0:
                        weight[first_id + len(out)] = part
                        out.append(qdomain.Candidate(id=first_id + len(out), service=service,
                                                     queued_at=at, priority=priority))
                due += 1
            count += per_s * step
            t += step
    return out, weight


def spread(estimate_s: float, low_q: float, high_q: float, scale_s: float) -> tuple[int, int]:
    """The 80% range around an estimate: residuals (actual - estimate) / (estimate + scale) have
    their 10th and 90th percentiles at `low_q` and `high_q` (learned from past estimates)."""
    unit = estimate_s + scale_s
    low = max(0.0, min(estimate_s, estimate_s + low_q * unit))  # the estimate is always inside its range
    high = max(estimate_s, estimate_s + high_q * unit)
    return int(low), int(math.ceil(high))


def local_seconds(local: datetime) -> float:
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def seconds_between(a: datetime, b: datetime) -> float:
    return (b - a) / timedelta(seconds=1)
