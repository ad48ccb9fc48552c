"""A day to simulate: who arrives when for what, how long each visit takes, who staffs which window.

A synthetic day is described in a small TOML file (assets/simulate/sandu_day.toml): arrival rates by
hour (and service), service-time distributions, and staffing changes; `draw` turns it into visits
with a seeded random generator, so two runs with the same seed meet the same residents.
"""
from __future__ import annotations

import math
import random
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.errors import Invalid

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_STAFF = re.compile(r"^(\d+):([a-z0-9_,-]+)@(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


def clock_s(text: str) -> float:
    m = _CLOCK.match(str(text).strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise Invalid(f"a time of day looks like 09:30, got {text!r}")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60


@dataclass
class Visit:
    """One resident: arrives, takes a ticket, and (if called) walks up and is served."""

    at_s: float  # hall-local seconds from midnight
    service: str
    priority: str | None = None
    walk_s: float = 40.0
    service_s: float = 300.0  # start -> finish
    no_show: bool = False
    hold_s: float = 120.0  # a no-show: call -> marked no-show


@dataclass
class StaffChange:
    """From `start_s` to `end_s` window `window` serves `services` (None: nobody staffs it)."""

    window: int
    services: list[str] | None
    start_s: float
    end_s: float


@dataclass
class ServiceMix:
    share: float = 0.0
    service_min: float = 5.0
    cv: float = 0.6
    rate: dict[float, float] | None = None  # tickets per hour from each time on (overrides share)


@dataclass
class DayPlan:
    name: str = "day"
    rate: dict[float, float] = field(default_factory=dict)  # the hall's tickets per hour from each time
    services: dict[str, ServiceMix] = field(default_factory=dict)
    elderly_share: float = 0.08
    no_show_share: float = 0.05
    walk_s: tuple[float, float] = (20.0, 60.0)
    no_show_hold_s: tuple[float, float] = (90.0, 180.0)
    next_call_s: tuple[float, float] = (3.0, 15.0)
    staffing: list[StaffChange] = field(default_factory=list)
    visits: list[Visit] | None = None  # a replayed day brings its own residents


def _pair(value, name) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value)
            and 0 <= value[0] <= value[1]):
        raise Invalid(f"simulate: {name} must be [low, high] seconds")
    return float(value[0]), float(value[1])


def _rates(table, name) -> dict[float, float]:
    if not isinstance(table, dict) or not table:
        raise Invalid(f"simulate: {name} must map times to tickets per hour")
    out = {}
    for at, per_hour in table.items():
        if not isinstance(per_hour, (int, float)) or per_hour < 0:
            raise Invalid(f"simulate: {name} {at}: tickets per hour must be a number >= 0")
        out[clock_s(at)] = float(per_hour)
    return dict(sorted(out.items()))


def parse_staff(text: str, known: set[str] | None = None) -> StaffChange:
    """`11:hukou@09:00-11:00` (window 11 serves hukou 9-11), `5:off@14:00-17:30`, `3:social,public@...`."""
    m = _STAFF.match(text.strip())
    if not m:
        raise Invalid(f"--staff looks like 11:hukou@09:00-11:00 or 5:off@14:00-17:30, got {text!r}")
    services = None if m.group(2) == "off" else m.group(2).split(",")
    if services and known is not None and set(services) - known:
        raise Invalid(f"--staff: unknown service {', '.join(sorted(set(services) - known))}")
    change = StaffChange(int(m.group(1)), services, clock_s(m.group(3)), clock_s(m.group(4)))
    if change.end_s <= change.start_s:
        raise Invalid(f"--staff: {text!r} ends before it starts")
    return change


def read(path: Path | str, known_services: set[str]) -> DayPlan:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    day = data.get("day") or {}
    plan = DayPlan(name=str(day.get("name", Path(path).stem)),
                   rate=_rates((data.get("arrivals") or {}).get("rate"), "arrivals.rate"),
                   elderly_share=float(day.get("elderly_share", 0.08)),
                   no_show_share=float(day.get("no_show_share", 0.05)),
                   walk_s=_pair(day.get("walk_s", [20, 60]), "walk_s"),
                   no_show_hold_s=_pair(day.get("no_show_hold_s", [90, 180]), "no_show_hold_s"),
                   next_call_s=_pair(day.get("next_call_s", [3, 15]), "next_call_s"))
    for code, s in (data.get("services") or {}).items():
        if code not in known_services:
            raise Invalid(f"simulate: the hall has no service {code!r}")
        mix = ServiceMix(share=float(s.get("share", 0)), service_min=float(s.get("service_min", 5)),
                         cv=float(s.get("cv", 0.6)))
        if "rate" in s:
            mix.rate = _rates(s["rate"], f"services.{code}.rate")
        if mix.service_min <= 0 or mix.cv < 0:
            raise Invalid(f"simulate: services.{code}: service_min > 0 and cv >= 0")
        plan.services[code] = mix
    if not plan.services:
        raise Invalid("simulate: the day names no services")
    for st in data.get("staffing") or []:
        services = None if st.get("off") else list(st.get("services") or [])
        text = f"{st.get('window')}:{'off' if services is None else ','.join(services)}" \
               f"@{st.get('from')}-{st.get('to')}"
        plan.staffing.append(parse_staff(text, known_services))
    return plan


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    if cv <= 0:
        return mean
    s2 = math.log1p(cv * cv)
    return rng.lognormvariate(math.log(mean) - s2 / 2, math.sqrt(s2))


def _arrival_times(rng: random.Random, rate: dict[float, float]) -> list[float]:
    """A Poisson process with a piecewise-constant rate (tickets per hour)."""
    points = list(rate.items())
    out = []
    for (start, per_hour), nxt in zip(points, points[1:] + [(24 * 3600, 0.0)]):
        t = start
        while per_hour > 0:
            t += rng.expovariate(per_hour / 3600)
            if t >= nxt[0]:
                break
            out.append(t)
    return out


def draw(plan: DayPlan, seed: int) -> list[Visit]:
    """The day's residents, the same for the same plan and seed."""
    if plan.visits is not None:
        return list(plan.visits)
    rng = random.Random(seed)
    codes = list(plan.services)
    weights = [plan.services[c].share for c in codes]
    arrivals: list[tuple[float, str]] = []
    if sum(weights) > 0:
        for at in _arrival_times(rng, plan.rate):
            arrivals.append((at, rng.choices(codes, weights)[0]))
    for code, mix in plan.services.items():
        if mix.rate:
            arrivals = [a for a in arrivals if a[1] != code] + [(at, code) for at in _arrival_times(rng, mix.rate)]
    visits = []
    for at, code in sorted(arrivals):
        mix = plan.services[code]
        visits.append(Visit(
            at_s=at, service=code,
            priority="elderly" if rng.random() < plan.elderly_share else None,
            walk_s=rng.uniform(*plan.walk_s), service_s=_lognormal(rng, mix.service_min * 60, mix.cv),
            no_show=rng.random() < plan.no_show_share, hold_s=rng.uniform(*plan.no_show_hold_s)))
    return visits
