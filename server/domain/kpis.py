"""The manager's figures (docs/kpis.md) worked out from plain values: a day's summary of tickets,
ratings and on-duty time per service, window and staff member; the figures of a group; the states
of promised cases and review cases. No database: services/stats reads the rows and stores summaries.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from . import accuracy, ratings
from .tickets import Outcome, Status

OUTCOMES = tuple(o.value for o in Outcome)
_DONE, _NO_SHOW, _CANCELLED = Status.DONE.value, Status.NO_SHOW.value, Status.CANCELLED.value
# outcomes that complete a case at the window; a promised case (承诺件) completes when delivered
COMPLETED_AT_WINDOW = (Outcome.IMMEDIATE.value,)  # the rest of TRACKED complete when delivered
WAIT_BUCKETS_MIN = [0, 5, 10, 15, 20, 30, 45, 60]  # wait-distribution chart: [0,5) [5,10) … [60,∞)


def duration_s(a: datetime | None, b: datetime | None) -> int | None:
    """Whole seconds from a to b (fractions dropped, never negative); None if either is missing."""
    if a is None or b is None:
        return None
    return max(0, int((b - a).total_seconds()))


# ---------------------------------------------------------------- tallies


def _hours() -> list[int]:
    return [0] * 24


@dataclass
class Tally:
    """What a service, a window or a staff member did over a day (or a period, once days are added)."""
    served: int = 0
    no_show: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # served tickets by outcome
    waits: list[int] = field(default_factory=list)  # seconds from issue to first call
    service_count: int = 0  # served tickets that were started (have a service time)
    service_total_s: int = 0
    ratings: dict[int, int] = field(default_factory=dict)  # level -> count

    LIST_FIELDS = ("waits",)

    def count_served(self, outcome: str | None, service_s: int | None) -> None:
        self.served += 1
        key = outcome or Outcome.IMMEDIATE.value
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        if service_s is not None:
            self.service_count += 1
            self.service_total_s += service_s

    def count_rating(self, level: int) -> None:
        self.ratings[level] = self.ratings.get(level, 0) + 1

    def add(self, other: Tally) -> None:
        """Add another day's tally of the same group into this running total."""
        self.served += other.served
        self.no_show += other.no_show
        _add_counts(self.outcomes, other.outcomes)
        self.waits.extend(other.waits)
        self.service_count += other.service_count
        self.service_total_s += other.service_total_s
        _add_counts(self.ratings, other.ratings)

    def sort(self) -> None:
        for name in self.LIST_FIELDS:
            getattr(self, name).sort()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ratings"] = {str(k): v for k, v in self.ratings.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Tally:
        out = cls(**d)
        out.ratings = {int(k): v for k, v in out.ratings.items()}
        return out


@dataclass
class ServiceTally(Tally):
    """A service's tally. Issue, wait and arrivals count for the service a ticket started in; served,
    no-show, cancelled, open, outcomes, service time and ratings for the one it ended in."""
    issued: int = 0
    transferred: int = 0  # tickets transferred away at least once
    cancelled: int = 0
    open: int = 0  # waiting, called or serving
    arrivals_by_hour: list[int] = field(default_factory=_hours)  # hall-local hours
    calls_by_hour: list[int] = field(default_factory=_hours)  # first calls
    service_times: list[int] = field(default_factory=list)  # seconds from start to finish
    # the wait estimates given at issue against the waits had (domain/accuracy.py), as sums
    estimated: int = 0
    estimate_abs_s: int = 0
    estimate_error_s: int = 0
    estimate_within: int = 0
    estimate_ranged: int = 0
    estimate_held: int = 0

    LIST_FIELDS = ("waits", "service_times")

    def count_estimate(self, estimate_s: int, wait_s: int, low_s: int | None, high_s: int | None) -> None:
        sums = accuracy.Sums()
        sums.count(estimate_s, wait_s, low_s, high_s)
        self.estimated += sums.n
        self.estimate_abs_s += sums.abs_s
        self.estimate_error_s += sums.error_s
        self.estimate_within += sums.within
        self.estimate_ranged += sums.ranged
        self.estimate_held += sums.held

    def estimate_figures(self) -> accuracy.Accuracy:
        return accuracy.from_sums(self.estimated, self.estimate_abs_s, self.estimate_error_s,
                                  self.estimate_within, self.estimate_ranged, self.estimate_held)

    def add(self, other: ServiceTally) -> None:
        super().add(other)
        self.issued += other.issued
        self.transferred += other.transferred
        self.cancelled += other.cancelled
        self.open += other.open
        self.arrivals_by_hour = [a + b for a, b in zip(self.arrivals_by_hour, other.arrivals_by_hour)]
        self.calls_by_hour = [a + b for a, b in zip(self.calls_by_hour, other.calls_by_hour)]
        self.service_times.extend(other.service_times)
        self.add_estimates(other)

    def add_estimates(self, other: ServiceTally) -> None:
        self.estimated += other.estimated
        self.estimate_abs_s += other.estimate_abs_s
        self.estimate_error_s += other.estimate_error_s
        self.estimate_within += other.estimate_within
        self.estimate_ranged += other.estimate_ranged
        self.estimate_held += other.estimate_held


@dataclass
class DutyTally(Tally):
    """A window's or a staff member's tally, with the time on duty (signed in, not paused) and the
    part of it spent with a ticket."""
    available_s: int = 0
    busy_s: int = 0

    def add(self, other: DutyTally) -> None:
        super().add(other)
        self.available_s += other.available_s
        self.busy_s += other.busy_s


def _add_counts(dst: dict, src: dict) -> None:
    for k, n in src.items():
        dst[k] = dst.get(k, 0) + n


# ---------------------------------------------------------------- summaries


@dataclass
class Summary:
    """Tallies per service (code), window (number) and staff member (user id)."""
    services: dict[str, ServiceTally] = field(default_factory=dict)
    windows: dict[int, DutyTally] = field(default_factory=dict)
    staff: dict[int, DutyTally] = field(default_factory=dict)

    def service(self, code: str) -> ServiceTally:
        got = self.services.get(code)
        if got is None:
            got = self.services[code] = ServiceTally()
        return got

    def window(self, number: int) -> DutyTally:
        got = self.windows.get(number)
        if got is None:
            got = self.windows[number] = DutyTally()
        return got

    def staff_member(self, user_id: int) -> DutyTally:
        got = self.staff.get(user_id)
        if got is None:
            got = self.staff[user_id] = DutyTally()
        return got

    def add(self, other: Summary) -> None:
        for code, g in other.services.items():
            self.service(code).add(g)
        for n, g in other.windows.items():
            self.window(n).add(g)
        for sid, g in other.staff.items():
            self.staff_member(sid).add(g)

    def hall(self) -> ServiceTally:
        """The whole hall: every service's tally added up."""
        total = ServiceTally()
        for g in self.services.values():
            total.add(g)
        return total


@dataclass
class DaySummary(Summary):
    """One hall-local day. `ticket_ids` is the day's lowest and highest ticket id (a query pre-filter)."""
    day: str = ""  # YYYY-MM-DD
    ticket_ids: tuple[int, int] | None = None

    def count_ticket(self, t, utc_offset: timedelta) -> None:
        """Count one ticket of the day. `t` has the ticket's columns (service, first_service, status,
        window, staff_id, issued_at, called_at, started_at, finished_at, transfers, outcome); times
        are naive UTC, `utc_offset` turns them into hall-local hours."""
        first = self.service(t.first_service)
        final = first if t.service == t.first_service else self.service(t.service)
        first.issued += 1
        first.arrivals_by_hour[(t.issued_at + utc_offset).hour] += 1
        if t.transfers:
            first.transferred += 1
        w = self.window(t.window) if t.window is not None else None
        p = self.staff_member(t.staff_id) if t.staff_id is not None else None
        wait = duration_s(t.issued_at, t.called_at)
        if wait is not None:
            first.waits.append(wait)
            estimate = getattr(t, "estimated_wait_s", None)  # given at issue (for the queue it was taken for)
            if estimate is not None:
                first.count_estimate(estimate, wait, t.estimated_wait_low_s, t.estimated_wait_high_s)
            first.calls_by_hour[(t.called_at + utc_offset).hour] += 1
            for g in (w, p):
                if g is not None:
                    g.waits.append(wait)
        status = t.status
        if status == _DONE:
            svc = duration_s(t.started_at, t.finished_at) if t.started_at is not None else None
            for g in (final, w, p):
                if g is not None:
                    g.count_served(t.outcome, svc)
            if svc is not None:
                final.service_times.append(svc)
        elif status == _NO_SHOW:
            for g in (final, w, p):
                if g is not None:
                    g.no_show += 1
        elif status == _CANCELLED:
            final.cancelled += 1
        else:
            final.open += 1

    def count_rating(self, level: int, window: int | None, staff_id: int | None,
                     service: str | None) -> None:
        """A rating counts for the window, staff member and service stored with it."""
        if service is not None:
            self.service(service).count_rating(level)
        if window is not None:
            self.window(window).count_rating(level)
        if staff_id is not None:
            self.staff_member(staff_id).count_rating(level)

    def count_duty(self, by_window: dict, by_staff: dict) -> None:
        """On-duty and busy seconds (duty_time.DutyTime) per window and staff member."""
        for table, get in ((by_window, self.window), (by_staff, self.staff_member)):
            for key, d in table.items():
                g = get(key)
                g.available_s += d.available_s
                g.busy_s += d.busy_s

    @property
    def closed(self) -> bool:
        """No ticket of the day still open: the day's figures can no longer change (but for ratings)."""
        return all(g.open == 0 for g in self.services.values())

    def sort(self) -> None:
        for table in (self.services, self.windows, self.staff):
            for g in table.values():
                g.sort()

    def to_dict(self) -> dict:
        return {"day": self.day, "ticket_ids": list(self.ticket_ids) if self.ticket_ids else None,
                "services": {k: g.to_dict() for k, g in self.services.items()},
                "windows": {str(k): g.to_dict() for k, g in self.windows.items()},
                "staff": {str(k): g.to_dict() for k, g in self.staff.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> DaySummary:
        ids = d.get("ticket_ids")
        return cls(day=d["day"], ticket_ids=tuple(ids) if ids else None,
                   services={k: ServiceTally.from_dict(g) for k, g in d["services"].items()},
                   windows={int(k): DutyTally.from_dict(g) for k, g in d["windows"].items()},
                   staff={int(k): DutyTally.from_dict(g) for k, g in d["staff"].items()})


def ticket_id_range(days: list[DaySummary]) -> tuple[int, int]:
    """The lowest and highest ticket id of the days ((0, -1) when they have none)."""
    ranges = [s.ticket_ids for s in days if s.ticket_ids]
    if not ranges:
        return 0, -1
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


# ---------------------------------------------------------------- figures


def median(values: list) -> float | None:
    """Sorted values: the middle one, or the mean of the two middle ones."""
    n = len(values)
    if not n:
        return None
    return float(values[n // 2]) if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def percentile(values: list, p: float) -> float | None:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    return float(values[max(1, math.ceil(p / 100 * len(values))) - 1])


def mean(total, n) -> float | None:
    return round(total / n, 1) if n else None


def share(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def within(waits: list, target_s: int) -> int:
    """How many of the sorted waits are at most target_s (exactly at the target is within)."""
    return bisect_right(waits, target_s)


def wait_histogram(waits: list) -> list[dict]:
    """Counts of the sorted waits per bucket of WAIT_BUCKETS_MIN."""
    edges = WAIT_BUCKETS_MIN
    out = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        n = (bisect_left(waits, hi * 60) if hi is not None else len(waits)) - bisect_left(waits, lo * 60)
        out.append({"from_min": lo, "to_min": hi, "count": n})
    return out


@dataclass
class RatingFigures:
    count: int
    levels: dict[str, int]  # "5" … "1" -> count
    satisfaction: float | None  # share of 非常满意 + 满意 + 基本满意
    good_rate: float | None  # share of 非常满意 + 满意 (好评率)
    bad: int  # 差评

    def as_dict(self) -> dict:
        return {**self.__dict__, "levels": dict(self.levels)}


def rating_figures(levels: dict[int, int]) -> RatingFigures:
    """From counts per level."""
    counts = {lv: int(levels.get(lv, 0)) for lv in sorted(ratings.LEVELS, reverse=True)}
    n = sum(counts.values())
    return RatingFigures(
        count=n, levels={str(lv): c for lv, c in counts.items()},
        satisfaction=share(sum(c for lv, c in counts.items() if ratings.is_satisfied(lv)), n),
        good_rate=share(sum(c for lv, c in counts.items() if ratings.is_good(lv)), n),
        bad=sum(c for lv, c in counts.items() if ratings.is_bad(lv)))


def completed(outcomes: dict, delivered: int) -> int:
    """Completed cases: done at the window, plus time-limited cases (承诺件, 上报件, 代办件) delivered."""
    return sum(outcomes.get(o, 0) for o in COMPLETED_AT_WINDOW) + delivered


@dataclass
class GroupFigures:
    """The figures of a service, a window or a staff member over a period."""
    served: int
    no_show: int
    completed: int
    completion_rate: float | None
    outcomes: dict[str, int]
    wait_count: int
    mean_wait_s: float | None
    median_wait_s: float | None
    p90_wait_s: float | None
    service_count: int
    mean_service_s: float | None
    ratings: RatingFigures

    def as_dict(self) -> dict:
        # by hand: dataclasses.asdict deep-copies field by field, a measurable part of a warm report
        return {**self.__dict__, "outcomes": dict(self.outcomes), "ratings": self.ratings.as_dict()}


@dataclass
class DutyFigures(GroupFigures):
    """A window's or staff member's figures with their on-duty time."""
    available_s: int
    busy_s: int
    idle_s: int
    idle_share: float | None


def group_figures(g: Tally, delivered: int = 0) -> GroupFigures:
    """`delivered`: the group's promised cases delivered so far (read live, they change after the day)."""
    waits = sorted(g.waits)
    done = completed(g.outcomes, delivered)
    base = dict(served=g.served, no_show=g.no_show, completed=done, completion_rate=share(done, g.served),
                outcomes={o: g.outcomes.get(o, 0) for o in OUTCOMES},
                wait_count=len(waits), mean_wait_s=mean(sum(waits), len(waits)),
                median_wait_s=median(waits), p90_wait_s=percentile(waits, 90),
                service_count=g.service_count, mean_service_s=mean(g.service_total_s, g.service_count),
                ratings=rating_figures(g.ratings))
    if isinstance(g, DutyTally):
        idle = max(0, g.available_s - g.busy_s)
        return DutyFigures(**base, available_s=g.available_s, busy_s=g.busy_s, idle_s=idle,
                           idle_share=share(idle, g.available_s))
    return GroupFigures(**base)


# ---------------------------------------------------------------- cases that outlive their day


PROMISED_STATES = ("delivered", "delivered_late", "overdue", "pending")
REVIEW_STATES = ("open", "overdue", "closed", "closed_late", "voided")


def promised_state(due_date: date | None, delivered_on: date | None, today: date) -> str:
    """A promised case (承诺件): delivered | delivered_late | overdue | pending. `delivered_on` is the
    hall-local day it was delivered (None while not delivered)."""
    if delivered_on is not None:
        return "delivered_late" if due_date is not None and delivered_on > due_date else "delivered"
    if due_date is not None and due_date < today:
        return "overdue"
    return "pending"


def review_state(status: str, due_date: date, closed_on: date | None, today: date) -> str:
    """A bad-review case: open | overdue | closed | closed_late | voided."""
    if status == "voided":
        return "voided"
    if status == "closed":
        return "closed_late" if closed_on is not None and closed_on > due_date else "closed"
    return "overdue" if due_date < today else "open"
