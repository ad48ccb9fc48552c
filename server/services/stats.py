"""Statistics for the hall manager: KPIs over a date range, the live hall with alerts, the quarterly
league table (擂台) and the multi-hall overview. Every figure is defined in docs/kpis.md.

How a range is computed: each hall-local day is summarised once into a "day summary" (counts, sums
and the lists of wait/service seconds, per service, window and staff member). Closed days (before
today, no ticket still open) are stored in `stats_daily` the first time they are read and read back
from there afterwards; today is always computed live. Things that may still change after a day
closes (late ratings, delivery of 承诺件, review cases) are read live from their tables.
"""
from __future__ import annotations

import base64
import math
from array import array
from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, select, text

from ..domain.errors import Invalid
from ..domain.hall import parse_hours
from ..store import tables as t

VERSION = 4
MAX_DAYS = 400
BAD_LEVELS = (1, 2)
SATISFIED_LEVELS = (3, 4, 5)
GOOD_LEVELS = (4, 5)
WAIT_BUCKETS_MIN = [0, 5, 10, 15, 20, 30, 45, 60]  # wait-distribution chart: [0,5) [5,10) … [60,∞)
TICKET_EVENTS = ("ticket.called", "ticket.finished", "ticket.no_show", "ticket.transferred")
WINDOW_EVENTS = ("window.signed_in", "window.signed_out", "window.paused", "window.resumed")
OUTCOMES = ("immediate", "promised", "escalated", "returned", "proxy")


# ---------------------------------------------------------------- dates


def parse_day(value, name: str) -> date:
    if not isinstance(value, str):
        raise Invalid(f"{name} 应为 YYYY-MM-DD ({name} must be YYYY-MM-DD)", code="invalid_date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{name} 应为 YYYY-MM-DD ({name} must be YYYY-MM-DD)", code="invalid_date") from None


def parse_range(date_from, date_to, today: date) -> tuple[date, date]:
    """?from&to (inclusive hall-local days; each defaults to today)."""
    d1 = parse_day(date_from, "from") if date_from else today
    d2 = parse_day(date_to, "to") if date_to else (today if not date_from else d1)
    if d2 < d1:
        raise Invalid("结束日期早于开始日期 (to is before from)", code="invalid_range")
    if (d2 - d1).days + 1 > MAX_DAYS:
        raise Invalid(f"日期范围最多 {MAX_DAYS} 天 (at most {MAX_DAYS} days)", code="invalid_range")
    return d1, d2


def parse_quarter(value) -> tuple[date, date]:
    """'2026Q4' -> (2026-10-01, 2026-12-31)."""
    if not isinstance(value, str) or len(value) != 6 or value[4] not in "Qq" \
            or not value[:4].isdigit() or value[5] not in "1234":
        raise Invalid("quarter 应为 2026Q4 这样的格式 (quarter must look like 2026Q4)", code="invalid_quarter")
    y, q = int(value[:4]), int(value[5])
    if not 1900 <= y <= 9998:  # date() has no year 0 or 10000 (was a 500)
        raise Invalid("quarter 的年份无效 (quarter: year out of range)", code="invalid_quarter")
    start = date(y, 3 * q - 2, 1)
    end = date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def _days(d1: date, d2: date):
    d = d1
    while d <= d2:
        yield d
        d += timedelta(days=1)


def _utc_at(hall, day: date, at: time) -> datetime:
    local = datetime.combine(day, at, tzinfo=hall.config.tz)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _day_bounds(hall, day: date) -> tuple[datetime, datetime]:
    return _utc_at(hall, day, time(0)), _utc_at(hall, day + timedelta(days=1), time(0))


def _dur(a: datetime | None, b: datetime | None) -> int | None:
    """Whole seconds from a to b (fractions dropped, never negative); None if either is missing."""
    if a is None or b is None:
        return None
    return max(0, int((b - a).total_seconds()))


# ---------------------------------------------------------------- a day's summary


def _group(kind: str) -> dict:
    g = {"served": 0, "no_show": 0, "cancelled": 0, "open": 0, "out": {}, "wait": [], "svc_n": 0,
         "svc_sum": 0, "r": {}}
    if kind == "s":
        g.update({"issued": 0, "transferred": 0, "arr": [0] * 24, "calls": [0] * 24, "svc": [],
                  "first_wait": []})
    else:
        g.update({"busy": 0, "avail": 0})
    return g


def _get(groups: dict, key, kind: str) -> dict:
    k = str(key)
    g = groups.get(k)
    if g is None:
        g = groups[k] = _group(kind)
    return g


def _add_rating(day_sum: dict, level: int, window, staff_id, service) -> None:
    lv = str(level)
    for groups, key, kind in ((day_sum["s"], service, "s"), (day_sum["w"], window, "w"),
                              (day_sum["p"], staff_id, "p")):
        if key is None:
            continue
        r = _get(groups, key, kind)["r"]
        r[lv] = r.get(lv, 0) + 1


def compute_day(conn, hall, day: date, now: datetime) -> dict:
    """The summary of one hall-local day from tickets, ratings and events (see docs/kpis.md)."""
    iso_day = day.isoformat()
    offset = hall.config.tz.utcoffset(datetime.combine(day, time(12)))
    tk = t.tickets.c
    rows = conn.execute(select(tk.id, tk.service, tk.first_service, tk.status, tk.window, tk.staff_id,
                               tk.issued_at, tk.called_at, tk.started_at, tk.finished_at,
                               tk.transfers, tk.outcome)
                        .where(tk.hall_id == hall.id, tk.day == iso_day)).all()
    # the day's ticket ids (a pre-filter that lets later queries use the ticket_id indexes)
    out = {"day": iso_day, "s": {}, "w": {}, "p": {},
           "ids": [min(r.id for r in rows), max(r.id for r in rows)] if rows else None}
    S, W, P = out["s"], out["w"], out["p"]
    for r in rows:
        first = _get(S, r.first_service, "s")
        final = first if r.service == r.first_service else _get(S, r.service, "s")
        first["issued"] += 1
        first["arr"][(r.issued_at + offset).hour] += 1
        if r.transfers:
            first["transferred"] += 1
        w = _get(W, r.window, "w") if r.window is not None else None
        p = _get(P, r.staff_id, "p") if r.staff_id is not None else None
        wait = _dur(r.issued_at, r.called_at)
        if wait is not None:
            first["first_wait"].append(wait)
            first["calls"][(r.called_at + offset).hour] += 1
            for g in (w, p):
                if g is not None:
                    g["wait"].append(wait)
        status = r.status
        if status == "done":
            svc = _dur(r.started_at, r.finished_at) if r.started_at is not None else None
            for g in (final, w, p):
                if g is None:
                    continue
                g["served"] += 1
                g["out"][r.outcome or "immediate"] = g["out"].get(r.outcome or "immediate", 0) + 1
                if svc is not None:
                    g["svc_n"] += 1
                    g["svc_sum"] += svc
            if svc is not None:
                final["svc"].append(svc)
        elif status == "no_show":
            for g in (final, w, p):
                if g is not None:
                    g["no_show"] += 1
        elif status == "cancelled":
            final["cancelled"] += 1
        else:
            final["open"] += 1
    rc = t.ratings.c
    for r in conn.execute(select(rc.level, rc.window, rc.staff_id, rc.service)
                          .select_from(t.ratings.join(t.tickets, tk.id == rc.ticket_id))
                          .where(tk.hall_id == hall.id, tk.day == iso_day)):
        _add_rating(out, r.level, r.window, r.staff_id, r.service)
    _idle(conn, hall, day, now, out)
    for groups in (S, W, P):
        for g in groups.values():
            for key in ("wait", "first_wait", "svc"):
                if key in g:
                    g[key].sort()
    return out


def _day_close_utc(hall, day: date) -> tuple[datetime, datetime]:
    spans = parse_hours(hall.config.hours or ["08:30-17:30"])
    return _utc_at(hall, day, spans[0][0]), _utc_at(hall, day, spans[-1][1])


def _merge(iv: list) -> list:
    out = []
    for s, e in sorted(x for x in iv if x[1] > x[0]):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def _subtract(base: list, cut: list) -> list:
    res = []
    for s, e in base:
        pieces = [[s, e]]
        for cs, ce in cut:
            nxt = []
            for ps, pe in pieces:
                if ce <= ps or cs >= pe:
                    nxt.append([ps, pe])
                    continue
                if cs > ps:
                    nxt.append([ps, cs])
                if ce < pe:
                    nxt.append([ce, pe])
            pieces = nxt
        res.extend(pieces)
    return res


def _overlap(a: list, b: list) -> float:
    total = 0.0
    for s1, e1 in a:
        for s2, e2 in b:
            lo, hi = max(s1, s2), min(e1, e2)
            if hi > lo:
                total += (hi - lo).total_seconds()
    return total


def _idle(conn, hall, day: date, now: datetime, out: dict) -> None:
    """Available and busy seconds per window and staff member, from the day's events.

    Available: signed in and not paused. Busy: from a ticket's call at the window until it leaves
    the window (finished, no-show, transferred). Sessions left open end at closing time (or the
    last activity after it; now, for today)."""
    start, end = _day_bounds(hall, day)
    opening, closing = _day_close_utc(hall, day)
    ev = t.events.c
    wrows = conn.execute(select(ev.type, ev.window, ev.data, ev.actor, ev.created_at).where(
        ev.hall_id == hall.id, ev.created_at >= start, ev.created_at < end,
        ev.type.in_(WINDOW_EVENTS)).order_by(ev.id)).all()
    trows = conn.execute(select(ev.type, ev.window, ev.ticket_id, ev.created_at).where(
        ev.hall_id == hall.id, ev.created_at >= start, ev.created_at < end,
        ev.type.in_(TICKET_EVENTS)).order_by(ev.id)).all()
    if not wrows and not trows:
        return
    busy: dict[int, list] = {}
    holding: dict[int, tuple] = {}
    last_activity: dict[int, datetime] = {}
    for r in trows:
        if r.window is None:
            continue
        last_activity[r.window] = max(last_activity.get(r.window, r.created_at), r.created_at)
        if r.type == "ticket.called":
            if r.window not in holding:
                holding[r.window] = (r.ticket_id, r.created_at)
        elif r.window in holding and holding[r.window][0] == r.ticket_id:
            busy.setdefault(r.window, []).append([holding.pop(r.window)[1], r.created_at])

    def day_end(w) -> datetime:
        e = max(closing, last_activity.get(w, closing))
        return min(e, now) if day == _local_day(hall, now) else e

    for w, (_tid, s) in holding.items():
        busy.setdefault(w, []).append([s, max(s, day_end(w))])
    sessions: dict[int, list] = {}  # window -> [[staff, start, end]]
    pauses: dict[int, list] = {}
    open_s: dict[int, list] = {}
    open_p: dict[int, list] = {}

    def staff_of(r):
        data = r.data or {}
        if data.get("staff_id") is not None:
            return data["staff_id"]
        if r.actor and r.actor.startswith("user:"):
            return int(r.actor[5:])
        return None

    def close_session(w, at):
        s = open_s.pop(w, None)
        if s is not None:
            s[2] = at
            sessions.setdefault(w, []).append(s)

    def ensure_session(w, staff, at):
        if w not in open_s:  # signed in before this day began (carried over)
            open_s[w] = [staff, min(opening, at), None]

    for r in wrows:
        w, at = r.window, r.created_at
        if w is None:
            continue
        if r.type == "window.signed_in":
            staff = staff_of(r)
            for other, s in list(open_s.items()):
                if other != w and s[0] == staff:
                    close_session(other, at)
            close_session(w, at)
            open_s[w] = [staff, at, None]
        elif r.type == "window.signed_out":
            ensure_session(w, staff_of(r), at)
            close_session(w, at)
            p = open_p.pop(w, None)
            if p is not None:
                pauses.setdefault(w, []).append([p[0], at])
        elif r.type == "window.paused":
            ensure_session(w, staff_of(r), at)
            open_p.setdefault(w, [at])
        elif r.type == "window.resumed":
            ensure_session(w, staff_of(r), at)
            p = open_p.pop(w, None) or [open_s[w][1]]
            pauses.setdefault(w, []).append([p[0], at])
    for w in list(open_s):
        close_session(w, max(open_s[w][1], day_end(w)))
    for w, p in open_p.items():
        pauses.setdefault(w, []).append([p[0], max(p[0], day_end(w))])
    for w, iv in busy.items():  # work seen at a window nobody signed in at: count it as available
        if w not in sessions:
            merged = _merge(iv)
            sessions[w] = [[None, merged[0][0], merged[-1][1]]]
    for w, sess in sessions.items():
        b = _merge(busy.get(w, []))
        for staff, s, e in sess:
            avail = _subtract([[s, e]], _merge(pauses.get(w, [])))
            a_s = sum((y - x).total_seconds() for x, y in avail)
            b_s = _overlap(avail, b)
            for groups, key, kind in ((out["w"], w, "w"), (out["p"], staff, "p")):
                if key is None:
                    continue
                g = _get(groups, key, kind)
                g["avail"] += int(a_s)
                g["busy"] += int(b_s)


def _local_day(hall, now: datetime) -> date:
    return now.replace(tzinfo=timezone.utc).astimezone(hall.config.tz).date()


_offsets: dict = {}


def _local_date_fast(hall, dt: datetime) -> date:
    """The hall-local date of a naive UTC time, with the zone's offset cached per UTC date."""
    key = (hall.config.timezone, dt.date())
    off = _offsets.get(key)
    if off is None:
        off = _offsets[key] = hall.config.tz.utcoffset(datetime.combine(dt.date(), time(12)))
        if len(_offsets) > 5000:
            _offsets.clear()
    return (dt + off).date()


def _is_closed(day_sum: dict) -> bool:
    return all(g["open"] == 0 for g in day_sum["s"].values())


def _max_rating_id(conn, hall) -> int:
    return conn.execute(select(func.max(t.ratings.c.id)).where(t.ratings.c.hall_id == hall.id)
                        ).scalar() or 0


def day_summaries(app, conn, hall, d1: date, d2: date, now: datetime) -> list[dict]:
    """The summaries of d1..d2 (days after today are left out): roll-ups for closed days, stored the
    first time; today live; ratings made after a roll-up added from the ratings table."""
    today = _local_day(hall, now)
    last = min(d2, today)
    if last < d1:
        return []
    sd = t.stats_daily.c
    rolled = {r.day: r for r in conn.execute(select(sd.day, sd.rating_watermark, sd.data).where(
        sd.hall_id == hall.id, sd.day >= d1.isoformat(), sd.day <= last.isoformat(),
        sd.version == VERSION))}
    out, fresh, marks = [], [], {}
    mark = None
    for d in _days(d1, last):
        iso_day = d.isoformat()
        if iso_day in rolled:
            s = _unpack(rolled[iso_day].data)
            marks[iso_day] = rolled[iso_day].rating_watermark
        else:
            if mark is None:
                mark = _max_rating_id(conn, hall)
            s = compute_day(conn, hall, d, now)
            if d < today and _is_closed(s):
                fresh.append((iso_day, mark, s))
        out.append(s)
    if marks:  # ratings made after a roll-up: few, because the roll-ups are brought up to date
        by_day = {s["day"]: s for s in out}
        rc = t.ratings.c
        late = conn.execute(select(rc.id, rc.ticket_id, rc.level, rc.window, rc.staff_id, rc.service)
                            .where(rc.id > min(marks.values())).order_by(rc.id)).all()
        days = _ticket_days(conn, hall, [r.ticket_id for r in late])
        touched = set()
        for r in late:
            day = days.get(r.ticket_id)
            if day in marks and r.id > marks[day]:
                _add_rating(by_day[day], r.level, r.window, r.staff_id, r.service)
                touched.add(day)
        if len(late) >= REFRESH_AFTER:
            top = late[-1].id
            fresh.extend((d, top, by_day[d]) for d in marks if d not in touched and marks[d] < top)
            fresh.extend((d, top, by_day[d]) for d in touched)
    if fresh:
        _store(app, hall, fresh)
    return out


LIST_KEYS = ("wait", "first_wait", "svc")
REFRESH_AFTER = 2000  # late ratings read on the way before the roll-ups are rewritten with them


def _ticket_days(conn, hall, ids: list[int]) -> dict[int, str]:
    """{ticket id: day} for those of `ids` that belong to the hall."""
    out = {}
    tk = t.tickets.c
    uniq = sorted(set(ids))
    for i in range(0, len(uniq), 500):
        # hall checked here, not in SQL: SQLite would then scan by the hall index instead of the key
        for r in conn.execute(select(tk.id, tk.day, tk.hall_id).where(tk.id.in_(uniq[i:i + 500]))):
            if r.hall_id == hall.id:
                out[r.id] = r.day
    return out


def _pack(day_sum: dict) -> dict:
    """Int lists as base64 of 32-bit arrays: a month's roll-ups parse ~5x faster than JSON lists."""
    out = {"day": day_sum["day"], "ids": day_sum.get("ids")}
    for kind in ("s", "w", "p"):
        out[kind] = {k: {f: (_b64(v) if f in LIST_KEYS else v) for f, v in g.items()}
                     for k, g in day_sum[kind].items()}
    return out


def _unpack(data: dict) -> dict:
    for kind in ("s", "w", "p"):
        for g in data[kind].values():
            for f in LIST_KEYS:
                if isinstance(g.get(f), str):
                    a = array("i")
                    a.frombytes(base64.b64decode(g[f]))
                    g[f] = a.tolist()
    return data


def _b64(values: list) -> str:
    return base64.b64encode(array("i", values).tobytes()).decode("ascii")


def _store(app, hall, fresh) -> None:
    """Keep new roll-ups (a concurrent request may have stored the same day: keep either)."""
    now = app.now()
    db = app.db
    if db.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    with db.uow() as uow:
        for iso_day, mark, s in fresh:
            uow.execute(dialect_insert(t.stats_daily).values(
                hall_id=hall.id, day=iso_day, version=VERSION, rating_watermark=mark, data=_pack(s),
                computed_at=now).on_conflict_do_update(
                index_elements=["hall_id", "day"],
                set_={"version": VERSION, "rating_watermark": mark, "data": _pack(s), "computed_at": now},
                where=(t.stats_daily.c.version != VERSION) | (t.stats_daily.c.rating_watermark < mark)))
        uow.commit()


def rollup(app, hall_code: str, d1: date, d2: date) -> int:
    """Fill the roll-ups of closed days in d1..d2 (bench, nightly); returns the days now stored."""
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        day_summaries(app, conn, hall, d1, d2, now)
        return conn.execute(select(func.count()).select_from(t.stats_daily).where(
            t.stats_daily.c.hall_id == hall.id, t.stats_daily.c.day >= d1.isoformat(),
            t.stats_daily.c.day <= d2.isoformat())).scalar()


# ---------------------------------------------------------------- figures from summaries


_LISTS = frozenset(LIST_KEYS)
_HOURLY = frozenset(("arr", "calls"))
_COUNTS = frozenset(("out", "r"))


def _merge_groups(dst: dict, src: dict) -> None:
    """Add a group of one day's summary into a running total (lists joined, counts added)."""
    for k, v in src.items():
        if k in _LISTS:
            dst[k].extend(v)
        elif k in _COUNTS:
            d = dst[k]
            for kk, n in v.items():
                d[kk] = d.get(kk, 0) + n
        elif k in _HOURLY:
            dst[k] = [a + b for a, b in zip(dst[k], v)]
        else:
            dst[k] += v


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


def _mean(total, n) -> float | None:
    return round(total / n, 1) if n else None


def _share(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def ratings_figures(levels: dict) -> dict:
    counts = {str(lv): int(levels.get(str(lv), 0)) for lv in (5, 4, 3, 2, 1)}
    n = sum(counts.values())
    return {"count": n, "levels": counts,
            "satisfaction": _share(sum(counts[str(x)] for x in SATISFIED_LEVELS), n),
            "good_rate": _share(sum(counts[str(x)] for x in GOOD_LEVELS), n),
            "bad": sum(counts[str(x)] for x in BAD_LEVELS)}


def _completed(g: dict, delivered: int) -> int:
    return g["out"].get("immediate", 0) + g["out"].get("proxy", 0) + delivered


def _group_figures(g: dict, delivered: int = 0) -> dict:
    waits = sorted(g["wait"])
    fig = {"served": g["served"], "no_show": g["no_show"],
           "completed": _completed(g, delivered), "completion_rate": _share(_completed(g, delivered), g["served"]),
           "outcomes": {o: g["out"].get(o, 0) for o in OUTCOMES},
           "wait_count": len(waits), "mean_wait_s": _mean(sum(waits), len(waits)),
           "median_wait_s": median(waits), "p90_wait_s": percentile(waits, 90),
           "service_count": g["svc_n"], "mean_service_s": _mean(g["svc_sum"], g["svc_n"])}
    if "busy" in g:
        idle = max(0, g["avail"] - g["busy"])
        fig.update({"available_s": g["avail"], "busy_s": g["busy"], "idle_s": idle,
                    "idle_share": _share(idle, g["avail"])})
    fig["ratings"] = ratings_figures(g["r"])
    return fig


def _within(waits: list, target_s: int) -> int:
    """How many of the sorted waits are at most target_s."""
    return bisect_right(waits, target_s)


def _hist(waits: list) -> list[dict]:
    """Counts of the sorted waits per bucket of WAIT_BUCKETS_MIN."""
    edges = WAIT_BUCKETS_MIN
    out = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        n = (bisect_left(waits, hi * 60) if hi is not None else len(waits)) - bisect_left(waits, lo * 60)
        out.append({"from_min": lo, "to_min": hi, "count": n})
    return out


def _names(conn, hall) -> dict:
    return {r.id: r for r in conn.execute(select(t.users.c.id, t.users.c.name, t.users.c.staff_no))}


def _after_day_sql(conn, hall, date_col, near: date):
    """SQL for a UTC time a little before the end of `date_col` in the hall's time zone: rows at or
    after it are the only ones that can fall on a later local day (checked exactly in Python)."""
    off = hall.config.tz.utcoffset(datetime.combine(near, time(12)))
    hours = max(0, 23 - int(off.total_seconds() // 3600))  # an hour's margin for DST changes
    if conn.dialect.name == "postgresql":
        return date_col + text(f"interval '{hours} hours'")
    return func.datetime(date_col, f"+{hours} hours")


def promised_state(hall, row, today: date) -> str:
    """delivered | delivered_late | overdue | pending (docs/kpis.md)."""
    if row.delivered_at is not None:
        late = row.due_date is not None and _local_date_fast(hall, row.delivered_at) > row.due_date
        return "delivered_late" if late else "delivered"
    if row.due_date is not None and row.due_date < today:
        return "overdue"
    return "pending"


def _id_range(days: list[dict]) -> tuple[int, int]:
    """The lowest and highest ticket id of the days' summaries ((0, -1) when none)."""
    ranges = [s["ids"] for s in days if s.get("ids")]
    if not ranges:
        return 0, -1
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _review_rows(conn, hall, d1: date, d2: date, ids: tuple[int, int] | None = None):
    rv, rc, tk = t.review_cases.c, t.ratings.c, t.tickets.c
    extra = (rv.ticket_id >= ids[0], rv.ticket_id <= ids[1]) if ids else ()
    return conn.execute(select(rv.id, rv.status, rv.opened_at, rv.due_date, rv.closed_at, rc.level,
                               rc.window, rc.staff_id, tk.number, tk.service, tk.day)
                        .select_from(t.review_cases.join(t.ratings, rc.id == rv.rating_id)
                                     .join(t.tickets, tk.id == rv.ticket_id))
                        .where(*extra, rv.hall_id == hall.id, tk.day >= d1.isoformat(),
                               tk.day <= d2.isoformat())).all()


def review_state(hall, row, today: date) -> str:
    """open | overdue | closed | closed_late | voided (docs/kpis.md)."""
    if row.status == "voided":
        return "voided"
    if row.status == "closed":
        late = row.closed_at is not None and _local_date_fast(hall, row.closed_at) > row.due_date
        return "closed_late" if late else "closed"
    return "overdue" if row.due_date < today else "open"


def compute(app, conn, hall, d1: date, d2: date, now: datetime) -> dict:
    """All figures of one hall for d1..d2 (the body of GET …/stats)."""
    today = _local_day(hall, now)
    days = day_summaries(app, conn, hall, d1, d2, now)
    S, W, P = {}, {}, {}
    by_day = []
    for s in days:
        day = {"issued": 0, "served": 0, "no_show": 0, "cancelled": 0}
        wait_sum = wait_n = 0
        levels: dict = {}
        for code, g in s["s"].items():
            _merge_groups(_get(S, code, "s"), g)
            for k in day:
                day[k] += g[k]
            wait_sum += sum(g["first_wait"])
            wait_n += len(g["first_wait"])
            for lv, n in g["r"].items():
                levels[lv] = levels.get(lv, 0) + n
        for n, g in s["w"].items():
            _merge_groups(_get(W, n, "w"), g)
        for sid, g in s["p"].items():
            _merge_groups(_get(P, sid, "p"), g)
        by_day.append({"day": s["day"], **day, "mean_wait_s": _mean(wait_sum, wait_n),
                       "ratings": ratings_figures(levels)})
    hallG = _group("s")
    for g in S.values():
        _merge_groups(hallG, g)

    # 承诺件: delivery happens after the day, so read live (counted in SQL; only deliveries made on
    # or after the due date are fetched to tell late from on time in the hall's time zone)
    prom = {"total": 0, "delivered": 0, "delivered_late": 0, "pending": 0, "overdue": 0}
    delivered_by = {"s": {}, "w": {}, "p": {}}
    tk = t.tickets.c
    where = (tk.hall_id == hall.id, tk.outcome == "promised",  # only finished tickets have one
             tk.day >= d1.isoformat(), tk.day <= min(d2, today).isoformat())
    overdue = func.sum(case((and_(tk.delivered_at.is_(None), tk.due_date < today), 1), else_=0))
    for r in conn.execute(select(tk.service, tk.window, tk.staff_id, func.count().label("n"),
                                 func.count(tk.delivered_at).label("delivered"), overdue.label("overdue"))
                          .where(*where).group_by(tk.service, tk.window, tk.staff_id)):
        prom["total"] += r.n
        prom["delivered"] += r.delivered
        prom["overdue"] += int(r.overdue or 0)
        prom["pending"] += r.n - r.delivered - int(r.overdue or 0)
        for k, key in (("s", r.service), ("w", r.window), ("p", r.staff_id)):
            if key is not None and r.delivered:
                delivered_by[k][str(key)] = delivered_by[k].get(str(key), 0) + r.delivered
    for r in conn.execute(select(tk.due_date, tk.delivered_at).where(
            *where, tk.delivered_at.is_not(None), tk.due_date.is_not(None),
            tk.delivered_at >= _after_day_sql(conn, hall, tk.due_date, d1))):
        if _local_date_fast(hall, r.delivered_at) > r.due_date:
            prom["delivered"] -= 1
            prom["delivered_late"] += 1
    prom["due"] = prom["pending"]
    rev = {"total": 0, "open": 0, "overdue": 0, "closed": 0, "closed_late": 0, "voided": 0}
    rv = t.review_cases.c
    lo_hi = _id_range(days)
    rows = conn.execute(select(rv.ticket_id, rv.status, rv.due_date, rv.closed_at).where(
        rv.ticket_id >= lo_hi[0], rv.ticket_id <= lo_hi[1], rv.hall_id == hall.id)).all()
    tdays = _ticket_days(conn, hall, [r.ticket_id for r in rows])
    lo_day, hi_day = d1.isoformat(), min(d2, today).isoformat()
    for r in rows:
        if not lo_day <= tdays.get(r.ticket_id, "") <= hi_day:
            continue
        rev["total"] += 1
        rev[review_state(hall, r, today)] += 1
    users = _names(conn, hall)
    svc_cfg = {s.code: s for s in hall.config.services}
    services = []
    within_total = 0
    for code in [s.code for s in hall.config.services] + sorted(set(S) - set(svc_cfg)):
        g = S.get(code) or _group("s")
        cfg = svc_cfg.get(code)
        target = (cfg.target_wait_min if cfg else 15) * 60
        first = sorted(g["first_wait"])
        within = _within(first, target)
        within_total += within
        # waits belong to the service a ticket started in; results to the one it ended in
        fig = _group_figures({**g, "wait": first}, delivered_by["s"].get(code, 0))
        fig.update({"code": code, "name": cfg.name if cfg else code,
                    "name_en": cfg.name_en if cfg else code, "issued": g["issued"],
                    "cancelled": g["cancelled"], "open": g["open"], "transferred": g["transferred"],
                    "target_wait_min": target // 60,
                    "within_target": within, "within_target_share": _share(within, len(first)),
                    "median_service_s": median(sorted(g["svc"])),
                    "arrivals_by_hour": g["arr"], "calls_by_hour": g["calls"]})
        services.append(fig)
    win_cfg = {w.number: w for w in hall.config.windows}
    windows = []
    for n in sorted(set(win_cfg) | {int(k) for k in W}):
        g = W.get(str(n)) or _group("w")
        fig = _group_figures(g, delivered_by["w"].get(str(n), 0))
        fig.update({"number": n, "name": win_cfg[n].name if n in win_cfg else f"{n}号窗口",
                    "team": team_of(hall, n)})
        windows.append(fig)
    staff = []
    for sid in sorted(P, key=lambda x: int(x)):
        fig = _group_figures(P[sid], delivered_by["p"].get(sid, 0))
        u = users.get(int(sid))
        fig.update({"id": int(sid), "name": u.name if u else f"#{sid}",
                    "staff_no": u.staff_no if u else None})
        staff.append(fig)

    waits = sorted(hallG["first_wait"])
    svcs = sorted(hallG["svc"])
    idle_w = [w for w in windows if w.get("available_s")]
    avail = sum(w["available_s"] for w in idle_w)
    idle = sum(w["idle_s"] for w in idle_w)
    rfig = ratings_figures(hallG["r"])
    return {
        "hall": hall.code, "hall_name": hall.config.name, "hall_name_en": hall.config.name_en,
        "from": d1.isoformat(), "to": d2.isoformat(), "today": today.isoformat(),
        "generated_at": now.isoformat(timespec="seconds") + "Z", "definitions": "docs/kpis.md",
        "tickets": {"issued": hallG["issued"], "served": hallG["served"], "no_show": hallG["no_show"],
                    "cancelled": hallG["cancelled"], "open": hallG["open"],
                    "transferred": hallG["transferred"]},
        "wait_s": {"count": len(waits), "mean": _mean(sum(waits), len(waits)), "median": median(waits),
                   "p90": percentile(waits, 90)},
        "service_s": {"count": len(svcs), "mean": _mean(sum(svcs), len(svcs)), "median": median(svcs)},
        "within_target": {"count": within_total, "of": len(waits), "share": _share(within_total, len(waits))},
        "completion": {"cases": hallG["served"],
                       "completed": _completed(hallG, prom["delivered"] + prom["delivered_late"]),
                       "rate": _share(_completed(hallG, prom["delivered"] + prom["delivered_late"]),
                                      hallG["served"])},
        "outcomes": {o: hallG["out"].get(o, 0) for o in OUTCOMES},
        "idle": {"available_s": avail, "idle_s": idle, "share": _share(idle, avail)},
        "ratings": rfig,
        "promised": prom,
        "review_cases": rev,
        "arrivals_by_hour": hallG["arr"], "calls_by_hour": hallG["calls"],
        "wait_histogram": _hist(waits),
        "services": services, "windows": windows, "staff": staff, "by_day": by_day,
        "ticket_ids": list(lo_hi),  # the period's lowest and highest ticket id (a query pre-filter)
    }


def hall_stats(app, hall_code: str, date_from=None, date_to=None) -> dict:
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        d1, d2 = parse_range(date_from, date_to, _local_day(hall, now))
        return compute(app, conn, hall, d1, d2, now)


# ---------------------------------------------------------------- league table (擂台)


def team_of(hall, number: int) -> str:
    """A window's team: `team` in its config, else its first service (its department)."""
    for w in hall.config.windows:
        if w.number == number:
            return str(w.extra.get("team") or w.services[0])
    return "other"


def _team_name(hall, team: str) -> tuple[str, str]:
    names = hall.config.rule("team_names", {}) or {}
    if team in names:
        return names[team], names[team]
    for s in hall.config.services:
        if s.code == team:
            return s.name, s.name_en or s.code
    return team, team


def league_from(hall, st: dict) -> dict:
    """Teams ranked by score = w_cases·cases/max cases + w_completion·completion rate +
    w_good·good-review rate (weights 40/30/30 unless the hall's `league_weights` says otherwise)."""
    wts = {"cases": 40, "completion": 30, "good": 30, **(hall.config.rule("league_weights", {}) or {})}
    teams: dict[str, dict] = {}
    for w in st["windows"]:
        tm = teams.setdefault(w["team"], {"team": w["team"], "windows": [], "cases": 0,
                                          "completed": 0, "ratings": 0, "good": 0})
        tm["windows"].append(w["number"])
        tm["cases"] += w["served"]
        tm["completed"] += w["completed"]
        tm["ratings"] += w["ratings"]["count"]
        tm["good"] += sum(w["ratings"]["levels"][str(x)] for x in GOOD_LEVELS)
    most = max([tm["cases"] for tm in teams.values()] or [0])
    rows = []
    for tm in teams.values():
        comp = tm["completed"] / tm["cases"] if tm["cases"] else 0.0
        good = tm["good"] / tm["ratings"] if tm["ratings"] else 0.0
        score = (wts["cases"] * (tm["cases"] / most if most else 0) + wts["completion"] * comp
                 + wts["good"] * good)
        zh, en = _team_name(hall, tm["team"])
        rows.append({**tm, "name": zh, "name_en": en,
                     "completion_rate": _share(tm["completed"], tm["cases"]),
                     "good_rate": _share(tm["good"], tm["ratings"]), "score": round(score, 2),
                     "flag": None})
    rows.sort(key=lambda r: (-r["score"], -r["cases"], r["team"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    if len(rows) >= 2 and any(r["cases"] for r in rows):
        rows[0]["flag"] = "red"
        rows[-1]["flag"] = "yellow"
    return {"hall": hall.code, "from": st["from"], "to": st["to"], "weights": wts, "teams": rows}


def league(app, hall_code: str, quarter=None, date_from=None, date_to=None) -> dict:
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = _local_day(hall, now)
        if quarter:
            d1, d2 = parse_quarter(quarter)
        elif date_from or date_to:
            d1, d2 = parse_range(date_from, date_to, today)
        else:
            d1, d2 = parse_quarter(quarter_of(today))
        st = compute(app, conn, hall, d1, d2, now)
    out = league_from(hall, st)
    out["quarter"] = quarter or (quarter_of(d1) if parse_quarter(quarter_of(d1)) == (d1, d2) else None)
    return out


# ---------------------------------------------------------------- the live hall


def _parse_iso(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s.rstrip("Z")) if s else None


def live(app, hall_code: str) -> dict:
    """Windows, queues and alerts now (the dashboard's live panel)."""
    from . import queue
    now = app.now()
    windows = queue.list_windows(app, hall_code)
    services = queue.list_services(app, hall_code)
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = _local_day(hall, now).isoformat()
        tk = t.tickets.c
        waiting = conn.execute(select(tk.service, tk.queued_at, tk.issued_at).where(
            tk.hall_id == hall.id, tk.day == today, tk.status == "waiting")).all()
        df = t.device_faults.c
        faults = conn.execute(select(t.device_faults).where(
            df.hall_id == hall.id, df.cleared_at.is_(None)).order_by(df.created_at)).all()
    pause_limit = int(hall.config.rule("pause_alert_min", 15)) * 60
    alerts = []
    for s in services:
        mine = [r for r in waiting if r.service == s["code"]]
        longest = max((_dur(r.queued_at, now) for r in mine), default=0)
        over = sum(1 for r in mine if _dur(r.queued_at, now) > s["target_wait_s"])
        s.update({"longest_wait_s": longest, "over_target": over})
        if over:
            alerts.append({"kind": "wait_over_target", "level": "warning", "service": s["code"],
                           "count": over, "longest_wait_s": longest, "target_wait_s": s["target_wait_s"],
                           "message": f"{s['name']}:{over} 人等候超过 {s['target_wait_s'] // 60} 分钟"
                                      f"(最长 {longest // 60} 分钟)",
                           "message_en": f"{s['name_en'] or s['code']}: {over} waiting longer than "
                                         f"{s['target_wait_s'] // 60} min (longest {longest // 60} min)"})
    for w in windows:
        cur = w.get("current")
        since = _parse_iso(cur.get("started_at") or cur.get("called_at")) if cur else None
        w["serving_s"] = _dur(since, now) if since else None
        w["paused_s"] = _dur(_parse_iso(w.get("paused_at")), now) if w.get("paused_at") else None
        if w["status"] == "paused" and w["paused_s"] is not None and w["paused_s"] > pause_limit:
            alerts.append({"kind": "window_paused_long", "level": "warning", "window": w["number"],
                           "paused_s": w["paused_s"], "reason": w.get("pause_reason"),
                           "message": f"{w['number']} 号窗口暂停已 {w['paused_s'] // 60} 分钟"
                                      f"({w.get('pause_reason') or ''})",
                           "message_en": f"Window {w['number']} paused for {w['paused_s'] // 60} min"
                                         f" ({w.get('pause_reason') or ''})"})
    kinds = {"paper_out": ("缺纸", "out of paper"), "cover_open": ("纸仓盖打开", "cover open"),
             "offline": ("离线", "offline")}
    for f in faults:
        zh, en = kinds.get(f.kind, (f.kind, f.kind))
        alerts.append({"kind": "device_fault", "level": "error", "device": f.device_name,
                       "fault": f.kind, "since": f.created_at.isoformat(timespec="seconds") + "Z",
                       "message": f"设备故障:{f.device_name or ''} {zh}",
                       "message_en": f"Device fault: {f.device_name or ''} {en}"})
    limiter = getattr(app, "limiter", None)
    if limiter is not None:  # password guessing against the server's accounts (sign_in_guard.py)
        alerts.extend(limiter.sign_ins.alerts())
    return {"hall": hall.code, "now": now.isoformat(timespec="seconds") + "Z", "day": today,
            "local_time": hall.local_now(now).isoformat(timespec="seconds"),
            "windows": windows, "services": services, "alerts": alerts}


# ---------------------------------------------------------------- several halls


def overview(app, principal, date_from=None, date_to=None) -> dict:
    """One line per hall the principal may see, for comparing halls."""
    now = app.now()
    rows = []
    with app.db.read() as conn:
        codes = conn.execute(select(t.halls.c.code, t.halls.c.id).order_by(t.halls.c.id)).all()
        rng = None
        for code, hall_id in codes:
            if not principal.in_hall(hall_id):
                continue
            hall = app.hall(conn, code)
            today = _local_day(hall, now)
            d1, d2 = parse_range(date_from, date_to, today)
            rng = (d1, d2)
            st = compute(app, conn, hall, d1, d2, now)
            tk = t.tickets.c
            waiting = conn.execute(select(func.count()).where(
                tk.hall_id == hall.id, tk.day == today.isoformat(), tk.status == "waiting")).scalar()
            open_w = conn.execute(select(func.count()).where(
                t.windows.c.hall_id == hall.id, t.windows.c.status != "closed",
                t.windows.c.active.is_(True))).scalar()
            rows.append({"hall": code, "name": hall.config.name, "name_en": hall.config.name_en,
                         "issued": st["tickets"]["issued"], "served": st["tickets"]["served"],
                         "no_show": st["tickets"]["no_show"], "cancelled": st["tickets"]["cancelled"],
                         "mean_wait_s": st["wait_s"]["mean"], "p90_wait_s": st["wait_s"]["p90"],
                         "mean_service_s": st["service_s"]["mean"],
                         "within_target_share": st["within_target"]["share"],
                         "completion_rate": st["completion"]["rate"],
                         "satisfaction": st["ratings"]["satisfaction"],
                         "good_rate": st["ratings"]["good_rate"], "bad_reviews": st["ratings"]["bad"],
                         "promised_overdue": st["promised"]["overdue"],
                         "reviews_overdue": st["review_cases"]["overdue"],
                         "waiting_now": waiting, "open_windows": open_w})
    return {"from": rng[0].isoformat() if rng else date_from, "to": rng[1].isoformat() if rng else date_to,
            "halls": rows}



# ---------------------------------------------------------------- nightly roll-ups

ROLLUP_DAYS = 40  # closed days kept rolled up ahead of the first report that reads them


def daily_rollup(app) -> int:
    """The maintenance loop's job: roll up the closed days of the last ROLLUP_DAYS of every hall,
    so the first report of the morning reads roll-ups instead of computing them (days already
    stored are skipped, so this is cheap after the first run)."""
    with app.db.read() as conn:
        codes = list(conn.execute(select(t.halls.c.code)).scalars())
    done = app.__dict__.setdefault("_rollups_done", {})  # hall -> the local day last rolled up
    stored = 0
    for code in codes:
        with app.db.read() as conn:
            today = app.hall(conn, code).local_day(app.now())
        if done.get(code) == today:
            continue
        stored += rollup(app, code, today - timedelta(days=ROLLUP_DAYS), today - timedelta(days=1))
        done[code] = today
    return stored


def register(ctx) -> None:
    jobs = ctx.__dict__.setdefault("daily_jobs", [])
    if daily_rollup not in jobs:
        jobs.append(daily_rollup)
