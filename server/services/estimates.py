"""Wait estimates for residents: the forward play of domain/forecast.py on the hall's state.

What it learns, per hall (docs/queue.md, "Estimated wait"):
- call-to-free times (call -> the window is free again) per service and hall-local hour from the
  last PRIOR_DAYS days, shrunk toward the service's mean, and today's level per service on top,
  plus the staff's turnaround (finish -> next call); their shape, for the rest of a long service;
- arrivals per service and hour (and their priority share), scaled by how busy today is so far;
- the 80% range from how far past estimates given at issue were from the actual waits.
Earlier days are read once a day per hall; today's figures at most every TODAY_TTL_S of the app's
clock; a forecast is reused until the hall's next event (or FORECAST_TTL_S).
"""
from __future__ import annotations

import itertools
import statistics
import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import bindparam, func, select

from ..domain import forecast
from ..domain.accuracy import WITHIN_S
from ..domain import queue as qdomain
from ..domain.hall import parse_hours
from ..store import tables as t
from ..store.prepared import Prepared

PRIOR_DAYS = 28
PSEUDO = 5.0  # samples' worth of weight the prior keeps against today's (and an hour against its service)
PSEUDO_DEFAULT = 2.0  # ... and the hall's default_service_s against a service's own earlier days
MAX_HOLD_S = 3 * 3600  # longer call-to-free times are records left open, not service
RESIDUAL_SCALE_S = 300.0  # residuals are measured in units of (estimate + this)
DEFAULT_RANGE = (-0.45, 0.6)  # 10th/90th residual percentiles until MIN_RESIDUALS are known
MIN_RESIDUALS = 40
PAUSE_EXPECTED_S = 300.0  # a paused window is expected back this long after it paused ...
PAUSE_MIN_S = 60.0  # ... and not sooner than this from now
TODAY_TTL_S = 60.0
ARRIVALS_AHEAD_S = 3 * 3600  # expected arrivals are played this far ahead
ARRIVALS_WEIGHT = 1.0  # expected arrivals played at full weight, then the whole play scaled (below)
TURNAROUND_MAX_S = 120.0
PAST_MIN = 30  # earlier call-to-free times of a service before their shape is used for the rest of one
FORECAST_TTL_S = 20.0
ESTIMATE_SCALE = 0.9  # the play's time to the call is told times this: waits are skewed, the play's
# mean overshoots the typical wait (chosen with ARRIVALS_WEIGHT on seeds 101-105, bench/README.md)
SPREAD_SCALE = 0.5  # the play's spread times this shapes the told point (0: the scaled play itself);
# chosen with ESTIMATE_SCALE on seeds 101-105 of the issue day: the most "within 5 min" with |bias| <= 0.5


@dataclass
class Learned:
    times: forecast.CallToFree
    low_q: float
    high_q: float
    arrivals: dict  # (service, hall-local hour) -> tickets per hour expected today
    priority_share: dict  # service -> share of its tickets with priority


@dataclass
class _Prior:  # one hall's earlier days, read once a day
    by_hour: dict  # (service, hour) -> (n, mean)
    by_service: dict  # service -> (n, mean, cv)
    past: dict  # service -> (sorted seconds, suffix sums)
    residuals: list[float]
    turnarounds: list[float]
    arrivals: dict  # (service, hour) -> tickets per hour on an average earlier day
    priority_share: dict


_lock = threading.Lock()
_by_engine: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # one set of caches per database


class _Caches:
    def __init__(self):
        self.priors: dict[tuple[int, str], _Prior] = {}
        self.today: dict[int, tuple[datetime, str, Learned]] = {}
        self.forecasts: dict[tuple, tuple[datetime, int, tuple]] = {}


def _caches(conn) -> _Caches:
    got = _by_engine.get(conn.engine)
    if got is None:
        with _lock:
            got = _by_engine.setdefault(conn.engine, _Caches())
    return got


def forget(engine) -> None:
    """Drop the cached figures of a database (after its history was rewritten)."""
    with _lock:
        _by_engine.pop(engine, None)


def _utc_bounds(hall, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=hall.config.tz)
    to_utc = lambda d: d.astimezone(timezone.utc).replace(tzinfo=None)  # noqa: E731
    return to_utc(start), to_utc(start + timedelta(days=1))


def _holds(conn, hall, first_day: str, last_day: str):
    """(service, local hour, seconds) of each call-to-free on those days (untransferred tickets)."""
    tk = t.tickets.c
    rows = conn.execute(select(tk.service, tk.called_at, tk.finished_at).where(
        tk.hall_id == hall.id, tk.day >= first_day, tk.day <= last_day, tk.transfers == 0,
        tk.status.in_(("done", "no_show")), tk.called_at.is_not(None),
        tk.finished_at.is_not(None))).all()
    tz = hall.config.tz
    out = []
    for r in rows:
        s = (r.finished_at - r.called_at).total_seconds()
        if 0 < s <= MAX_HOLD_S:
            hour = r.called_at.replace(tzinfo=timezone.utc).astimezone(tz).hour
            out.append((r.service, hour, s))
    return out


def _turnarounds(conn, hall, first_day: str, last_day: str) -> list[float]:
    """Seconds from a window's finish to its next call, when it called again within TURNAROUND_MAX_S
    (staff pressing 叫号 again: time the window is not free for the next resident)."""
    tk = t.tickets.c
    rows = conn.execute(select(tk.day, tk.window, tk.called_at, tk.finished_at).where(
        tk.hall_id == hall.id, tk.day >= first_day, tk.day <= last_day, tk.transfers == 0,
        tk.window.is_not(None), tk.called_at.is_not(None)).order_by(tk.day, tk.window, tk.called_at)).all()
    out = []
    for a, b in zip(rows, rows[1:]):
        if a.day == b.day and a.window == b.window and a.finished_at is not None:
            gap = (b.called_at - a.finished_at).total_seconds()
            if 0 <= gap <= TURNAROUND_MAX_S:
                out.append(gap)
    return out


def _residuals(conn, hall, first_day: str, last_day: str) -> list[float]:
    tk = t.tickets.c
    rows = conn.execute(select(tk.estimated_wait_s, tk.issued_at, tk.called_at).where(
        tk.hall_id == hall.id, tk.day >= first_day, tk.day <= last_day,
        tk.estimated_wait_s.is_not(None), tk.called_at.is_not(None))).all()
    return [((r.called_at - r.issued_at).total_seconds() - r.estimated_wait_s)
            / (r.estimated_wait_s + RESIDUAL_SCALE_S) for r in rows]


def _issued(conn, hall, first_day: str, last_day: str):
    """(day, service it started in, local hour, has priority) of each ticket taken on those days."""
    tk = t.tickets.c
    rows = conn.execute(select(tk.day, tk.first_service, tk.issued_at, tk.priority).where(
        tk.hall_id == hall.id, tk.day >= first_day, tk.day <= last_day)).all()
    tz = hall.config.tz
    return [(r.day, r.first_service, r.issued_at.replace(tzinfo=timezone.utc).astimezone(tz).hour,
             r.priority is not None) for r in rows]


def _arrivals(conn, hall, first_day: str, last_day: str) -> tuple[dict, dict]:
    issued = _issued(conn, hall, first_day, last_day)
    days = len({d for d, _, _, _ in issued}) or 1
    counts, priority, per_service = {}, {}, {}
    for _, service, hour, prio in issued:
        counts[(service, hour)] = counts.get((service, hour), 0) + 1
        per_service[service] = per_service.get(service, 0) + 1
        priority[service] = priority.get(service, 0) + prio
    return ({k: v / days for k, v in counts.items()},
            {k: priority[k] / n for k, n in per_service.items() if n >= 20})


def _prior(conn, hall, today: date) -> _Prior:
    key = (hall.id, today.isoformat())
    priors = _caches(conn).priors
    got = priors.get(key)
    if got is not None:
        return got
    first = (today - timedelta(days=PRIOR_DAYS)).isoformat()
    last = (today - timedelta(days=1)).isoformat()
    holds = _holds(conn, hall, first, last)
    per_service: dict[str, list[float]] = {}
    per_hour: dict[tuple[str, int], list[float]] = {}
    for service, hour, s in holds:
        per_service.setdefault(service, []).append(s)
        per_hour.setdefault((service, hour), []).append(s)
    by_service = {}
    for service, values in per_service.items():
        mean = statistics.fmean(values)
        cv = statistics.pstdev(values) / mean if len(values) > 1 and mean > 0 else None
        by_service[service] = (len(values), mean, cv)
    by_hour = {k: (len(v), statistics.fmean(v)) for k, v in per_hour.items()}
    past = {}
    for service, values in per_service.items():
        if len(values) >= PAST_MIN:
            values = sorted(values)
            suffix = list(itertools.accumulate(reversed(values)))[::-1]
            past[service] = (values, suffix)
    arrivals, priority_share = _arrivals(conn, hall, first, last)
    got = _Prior(by_hour, by_service, past, _residuals(conn, hall, first, last),
                 _turnarounds(conn, hall, first, last), arrivals, priority_share)
    with _lock:
        for k in [k for k in priors if k[0] == hall.id]:
            del priors[k]
        priors[key] = got
    return got


def learned(conn, hall, now: datetime) -> Learned:
    """The call-to-free times and the range's residual percentiles for the hall, now."""
    today = hall.local_day(now)
    cached = _caches(conn).today.get(hall.id)
    if cached is not None and cached[1] == today.isoformat() and \
            0 <= (now - cached[0]).total_seconds() < TODAY_TTL_S:
        return cached[2]
    prior = _prior(conn, hall, today)
    default_s = float(hall.config.rule("default_service_s", 300))
    # The prior per service and hour: earlier days, shrunk toward the service, then the default.
    service_mean, service_cv, hour_mean = {}, {}, {}
    for s in hall.config.services:
        n, mean, cv = prior.by_service.get(s.code, (0, default_s, None))
        service_mean[s.code] = (n * mean + PSEUDO_DEFAULT * default_s) / (n + PSEUDO_DEFAULT)
        if cv is not None and n >= 10:
            service_cv[s.code] = cv
        for hour in range(24):
            hn, hmean = prior.by_hour.get((s.code, hour), (0, 0.0))
            hour_mean[(s.code, hour)] = (hn * hmean + PSEUDO * service_mean[s.code]) / (hn + PSEUDO)
    # Today's level per service: what today's holds took against what the prior expected of them.
    day = today.isoformat()
    seen, expected = {}, {}
    for service, hour, s in _holds(conn, hall, day, day):
        seen[service] = seen.get(service, 0.0) + s
        expected[service] = expected.get(service, 0.0) + hour_mean.get((service, hour), default_s)
    level = {code: (seen.get(code, 0.0) + PSEUDO * m) / (expected.get(code, 0.0) + PSEUDO * m)
             for code, m in service_mean.items()}
    gaps = prior.turnarounds + _turnarounds(conn, hall, day, day)
    gap = statistics.median(gaps) if len(gaps) >= 10 else 0.0
    times = forecast.CallToFree(
        by_hour={k: v * level[k[0]] + gap for k, v in hour_mean.items()},
        by_service={k: v * level[k] + gap for k, v in service_mean.items()},
        cv_by_service=service_cv, default_s=default_s, past=prior.past)
    residuals = prior.residuals + _residuals(conn, hall, day, day)
    low_q, high_q = DEFAULT_RANGE
    if len(residuals) >= MIN_RESIDUALS:
        deciles = statistics.quantiles(residuals, n=10)
        low_q, high_q = deciles[0], deciles[-1]
    # Today's arrivals against an average earlier day so far: busier days stay busier.
    local_now = hall.local_now(now)
    so_far = sum(v for (_, hour), v in prior.arrivals.items() if hour < local_now.hour) + \
        sum(v * local_now.minute / 60 for (_, hour), v in prior.arrivals.items() if hour == local_now.hour)
    taken = len(_issued(conn, hall, day, day))
    busier = min(2.0, max(0.5, (taken + 10) / (so_far + 10)))
    got = Learned(times, low_q, high_q, {k: v * busier for k, v in prior.arrivals.items()},
                  prior.priority_share)
    with _lock:
        _caches(conn).today[hall.id] = (now, today.isoformat(), got)
    return got


# ---------------------------------------------------------------- the state at hand


# the statements of every play, built once (building one costs about as much as running it)
_wc, _tk = t.windows.c, t.tickets.c
_WINDOWS = Prepared(select(_wc.number, _wc.services, _wc.policy, _wc.status, _wc.priority_streak, _wc.paused_at,
                   _tk.service, _tk.status.label("ticket_status"), _tk.called_at, _tk.last_called_at,
                   _tk.transfers)
            .select_from(t.windows.outerjoin(t.tickets, _tk.id == _wc.current_ticket_id))
            .where(_wc.hall_id == bindparam("hall_id"), _wc.active.is_(True))
            .order_by(_wc.number))
_WAITING = Prepared(select(_tk.id, _tk.service, _tk.queued_at, _tk.priority, _tk.appointment_id,
                           _tk.source).where(_tk.hall_id == bindparam("hall_id"), _tk.day == bindparam("day"),
                                             _tk.status == "waiting"))
_LAST_EVENT_ID = Prepared(select(func.max(t.events.c.id)).where(t.events.c.hall_id == bindparam("hall_id")))


def _windows(conn, hall, now: datetime, waiting_services: set[str]) -> list[forecast.WindowState]:
    rows = _WINDOWS.named(conn, {"hall_id": hall.id})
    out, staffed = [], set()
    for r in rows:
        if r.status == "closed":
            continue
        w = forecast.WindowState(r.number, list(r.services or []), r.policy or "ordered",
                                 r.priority_streak or 0)
        if r.ticket_status in ("called", "serving"):
            since = r.called_at if not r.transfers else (r.last_called_at or r.called_at)
            w.holding, w.held_for_s = r.service, max(0.0, (now - since).total_seconds())
        if r.status == "paused":
            paused_for = (now - r.paused_at).total_seconds() if r.paused_at else 0.0
            w.available_in_s = max(PAUSE_MIN_S, PAUSE_EXPECTED_S - paused_for)
        staffed.update(w.services)
        out.append(w)
    # A service nobody staffs yet (morning, before sign-in): its windows are expected to open.
    for r in rows:
        if r.status == "closed" and (waiting_services - staffed) & set(r.services or []):
            out.append(forecast.WindowState(r.number, list(r.services or []), r.policy or "ordered",
                                            r.priority_streak or 0))
    return out


def _waiting(conn, hall, day: str) -> list[qdomain.Candidate]:
    return qdomain.from_rows(_WAITING.all(conn, {"hall_id": hall.id, "day": day}))


def _seconds(spans: list[str]) -> list[tuple[float, float]]:
    return [(a.hour * 3600 + a.minute * 60, b.hour * 3600 + b.minute * 60) for a, b in parse_hours(spans)]


def _hall_hours(hall) -> forecast.Hours:
    """The hall's general hours (what the estimate read before per-day hours; the bench's baseline)."""
    return forecast.Hours.joined(_seconds(hall.config.hours or ["08:30-17:30"]))


def _service_hours(hall, day: date) -> dict[str, forecast.Hours]:
    """Each service's spans on `day` under the hall's calendar (weekends, extended service days)."""
    return {s.code: forecast.Hours.joined(_seconds(hall.config.hours_on(s, day, hall.calendar)))
            for s in hall.config.services}


def _window_hours(windows: list[forecast.WindowState], by_service: dict[str, forecast.Hours]) -> None:
    """A window calls in its services' hours today (their union); none today: the hall's."""
    for w in windows:
        spans = [span for code in w.services for span in by_service.get(code, forecast.Hours([])).spans]
        w.hours = forecast.Hours.joined(spans) if spans else None


@dataclass
class State:
    """What a play starts from: the hall's windows and waiting tickets now, and what was learned."""

    windows: list[forecast.WindowState]
    waiting: list[qdomain.Candidate]
    learned: Learned
    now: datetime
    local_s: float
    hours: forecast.Hours
    priority_cap: int
    arrivals: list[qdomain.Candidate]
    arrival_share: dict[int, float]


def state(conn, hall, now: datetime, *, extra: list[qdomain.Candidate] = (), ask_for: list[str] = (),
          expect_arrivals: bool = True, arrivals_weight: float | None = None, keeps_hours: bool = True,
          hall_hours: bool = False) -> State:
    """The hall's state now (plus `extra` tickets not yet stored). `keeps_hours` False: windows call
    at any hour (a hall run always open, as the demo and tests do). Windows call in their services'
    hours today (`hours_on`: the working-day calendar, weekend and extended service days) and tickets
    are expected only while their service takes them; `hall_hours` True: the hall's general hours
    for every window instead (the estimator before per-day hours, kept for the bench)."""
    day = hall.local_day(now)
    waiting = _waiting(conn, hall, day.isoformat()) + list(extra)
    windows = _windows(conn, hall, now, {c.service for c in waiting} | set(ask_for))
    got = learned(conn, hall, now)
    local_s = forecast.local_seconds(hall.local_now(now))
    rates = got.arrivals
    if not keeps_hours:
        hours = forecast.Hours([])
    elif hall_hours:
        hours = _hall_hours(hall)
    else:
        by_service = _service_hours(hall, day)
        hours = forecast.Hours.joined([span for h in by_service.values() for span in h.spans])
        if not hours.spans:  # nothing open today (a holiday): the hall's hours, not "always open"
            hours = _hall_hours(hall)
        _window_hours(windows, by_service)
        rates = {k: v for k, v in rates.items() if k[0] in by_service and by_service[k[0]].covers_hour(k[1])}
    closing = hours.spans[-1][1] if hours.spans else 24 * 3600.0
    weight = ARRIVALS_WEIGHT if arrivals_weight is None else arrivals_weight
    later, share = forecast.expected_arrivals(
        {k: v * weight for k, v in rates.items()}, got.priority_share, now=now, now_local_s=local_s,
        horizon_s=min(ARRIVALS_AHEAD_S, max(0.0, closing - local_s))) if expect_arrivals else ([], {})
    return State(windows, waiting, got, now, local_s, hours, int(hall.config.rule("priority_cap", 3)),
                 later, share)


def play_state(st: State, ask_for: list[str] = (), trace: list | None = None, sample=None,
               until_called: frozenset[int] = frozenset()) -> forecast.Forecast:
    return forecast.play(st.windows, st.waiting, st.learned.times, now=st.now, now_local_s=st.local_s,
                         hours=st.hours, priority_cap=st.priority_cap, ask_for=list(ask_for),
                         arrivals=st.arrivals, arrival_share=st.arrival_share, trace=trace, sample=sample,
                         until_called=until_called)


def keeps_hours(app) -> bool:
    """Whether windows follow the hall's hours: yes, unless the hall runs always open (demo, tests);
    a simulated hall keeps them."""
    return not app.always_open or app.simulated


def play(conn, hall, now: datetime, *, extra: list[qdomain.Candidate] = (), ask_for: list[str] = (),
         expect_arrivals: bool = True, trace: list | None = None, hours: bool = True,
         until_called: frozenset[int] = frozenset()) -> tuple[forecast.Forecast, Learned]:
    """The forward play from the hall's state now."""
    st = state(conn, hall, now, extra=extra, ask_for=ask_for, expect_arrivals=expect_arrivals,
               keeps_hours=hours)
    return play_state(st, ask_for, trace, until_called=until_called), st.learned


def forget_forecasts(conn) -> None:
    """Drop the cached plays (the bench times them cold)."""
    _caches(conn).forecasts.clear()


def _last_event_id(conn, hall) -> int:
    return _LAST_EVENT_ID.scalar(conn, {"hall_id": hall.id}) or 0


def current(app, conn, hall) -> tuple[forecast.Forecast, Learned]:
    """The play for every waiting ticket and every service, reused until the hall changes."""
    now = app.now()
    key = (hall.id, tuple(s.code for s in hall.config.services))
    mark = _last_event_id(conn, hall)
    cached = _caches(conn).forecasts.get(key)
    if cached is not None and cached[1] == mark and 0 <= (now - cached[0]).total_seconds() < FORECAST_TTL_S:
        return cached[2]
    got = play(conn, hall, now, ask_for=list(key[1]), hours=keeps_hours(app))
    with _lock:
        _caches(conn).forecasts[key] = (now, mark, got)
    return got


def told_s(seconds: float, sd_s: float, *, scale: float | None = None, spread: float | None = None) -> float:
    """The figure told for a play's time to the call and its spread: the point most likely to be
    within 5 minutes of the wait (forecast.likeliest_point), from the play scaled by ESTIMATE_SCALE
    and its spread by SPREAD_SCALE (both chosen on tuning seeds, bench/README.md)."""
    scale = ESTIMATE_SCALE if scale is None else scale
    spread = SPREAD_SCALE if spread is None else spread
    return forecast.likeliest_point(seconds * scale, sd_s * spread, WITHIN_S)


def _answer(seconds: float, sd_s: float, got: Learned) -> tuple[int, list[int]]:
    seconds = told_s(seconds, sd_s)
    low, high = forecast.spread(seconds, got.low_q, got.high_q, RESIDUAL_SCALE_S)
    return int(round(seconds)), [low, high]


def for_ticket(app, conn, hall, row) -> tuple[int, list[int] | None]:
    """(estimated_wait_s, [low, high]) of a waiting ticket from now; (0, None) otherwise (and
    (None, None) in a hall that does not estimate)."""
    if not app.estimating:
        return None, None
    if row.status != "waiting":
        return 0, None
    result, got = current(app, conn, hall)
    seconds = result.call_in_s.get(row.id)
    if seconds is None:  # issued after the cached play: play again
        result, got = play(conn, hall, app.now(), hours=keeps_hours(app))
        seconds = result.call_in_s.get(row.id, 0.0)
    return _answer(seconds, result.call_sd_s.get(row.id, 0.0), got)


def for_services(app, conn, hall) -> dict[str, tuple[int, list[int]]]:
    """service -> (estimated_wait_s, [low, high]) for a ticket taken now."""
    result, got = current(app, conn, hall)
    return {code: _answer(s, result.new_ticket_sd_s.get(code, 0.0), got)
            for code, s in result.new_ticket_in_s.items()}


def _issue_key(values: dict) -> tuple:
    return (values["service"], values["queued_at"], values.get("priority"), values.get("appointment_id"),
            values.get("source"))


NO_ESTIMATE = {"estimated_wait_s": None, "estimated_wait_low_s": None, "estimated_wait_high_s": None}


def before_issue(app, conn, hall, values: dict) -> tuple:
    """The estimate for a ticket about to be issued, read before the write transaction (a read
    transaction of its own), with what it holds for: `at_issue(..., early=)` uses it only if the
    ticket is the same and the hall has not changed since (no new event)."""
    if not app.estimating:
        return None
    return _issue_key(values), _last_event_id(conn, hall), at_issue(app, conn, hall, values)


def at_issue(app, conn, hall, values: dict, early: tuple | None = None) -> dict:
    """The estimate given to a ticket being issued, as the columns stored with it: `early` (from
    `before_issue`) if it still holds, else played here; none in a hall that does not estimate."""
    if not app.estimating:
        return dict(NO_ESTIMATE)
    if early is not None and early[0] == _issue_key(values) and early[1] == _last_event_id(conn, hall):
        return early[2]
    new = qdomain.Candidate.of(SimpleNamespace(**{**values, "id": forecast.NEW_TICKET_ID}))
    result, got = play(conn, hall, app.now(), extra=[new], hours=keeps_hours(app),
                       until_called=frozenset([new.id]))
    seconds, (low, high) = _answer(result.call_in_s[new.id], result.call_sd_s.get(new.id, 0.0), got)
    return {"estimated_wait_s": seconds, "estimated_wait_low_s": low, "estimated_wait_high_s": high}
