"""堵点 analysis: what residents complain about, counted by month, service, window and staff member.

A mention is one reason (态度, 效率, 流程, 环境, 其他) given with a rating or a complaint. Its 来源
(origin) follows what the record is: a complaint (投诉, no level) is 投诉, a rating is 评价 whichever channel
brought it (the evaluator, the 12345 hotline, the suggestion box, in person: all are 好差评 channels);
the channel (渠道) is kept beside it. The two words stay apart on every page and report: 渠道
(Channel) is how a record came in, 来源 (Origin) what it is. Only ratings of 基本满意 or worse carry reasons on the
evaluator, so every mention is a resident pointing at something; `bad` counts those of
不满意/非常不满意 and complaints."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..domain import ratings as rdomain
from ..domain.province import CHANNELS
from ..store import tables as t

ORIGIN = {"rating": ("评价", "Rating"), "complaint": ("投诉", "Complaint")}


def origin_of(level: int | None) -> str:
    """来源: a complaint (no level) is 投诉; a rating is 评价, whatever channel brought it."""
    return "complaint" if level is None else "rating"


def tally(mentions) -> list[dict]:
    """Pure: (month, service, window, staff_id, reason, origin, channel, bad) tuples -> rows, most
    first."""
    counts: Counter = Counter()
    bad: Counter = Counter()
    for month, service, window, staff_id, reason, origin, channel, is_bad in mentions:
        key = (month, service, window, staff_id, reason, origin, channel)
        counts[key] += 1
        bad[key] += 1 if is_bad else 0
    rows = [{"month": k[0], "service": k[1], "window": k[2], "staff_id": k[3], "reason": k[4],
             "origin": k[5], "channel": k[6], "count": n, "bad": bad[k]}
            for k, n in counts.items()]
    rows.sort(key=lambda r: (r["month"], -r["count"], r["service"] or "", r["window"] or 0,
                             r["reason"], r["origin"], r["channel"] or ""))
    return rows


def _mentions(conn, hall, d1: date, d2: date):
    lo = datetime.combine(d1 - timedelta(days=1), time())  # a day either side covers the time zone
    hi = datetime.combine(d2 + timedelta(days=2), time())
    r = t.ratings.c
    for row in conn.execute(select(r.service, r.window, r.staff_id, r.level, r.reasons, r.source,
                                   r.created_at).where(r.hall_id == hall.id,
                                                       r.created_at.between(lo, hi))):
        day = hall.local_day(row.created_at)
        if not d1 <= day <= d2:
            continue
        origin = origin_of(row.level)
        for reason in row.reasons or []:
            yield (day.strftime("%Y-%m"), row.service, row.window, row.staff_id, reason, origin,
                   row.source, rdomain.is_bad(row.level))


def rows(conn, hall, d1: date, d2: date) -> list[dict]:
    """The period's pain points with the names a reader needs."""
    names = {u.id: u for u in conn.execute(select(t.users.c.id, t.users.c.name, t.users.c.staff_no))}
    services = {s.code: s for s in hall.config.services}
    out = tally(_mentions(conn, hall, d1, d2))
    for row in out:
        svc = services.get(row["service"])
        user = names.get(row["staff_id"])
        reason = rdomain.REASONS.get(row["reason"], (row["reason"], row["reason"]))
        channel = CHANNELS.get(row["channel"] or "", (row["channel"], row["channel"]))
        row.update(service_name=svc.name if svc else row["service"],
                   service_name_en=(svc.name_en or svc.name) if svc else row["service"],
                   staff_name=user.name if user else None, reason_name=reason[0],
                   reason_name_en=reason[1], origin_name=ORIGIN[row["origin"]][0],
                   origin_name_en=ORIGIN[row["origin"]][1],
                   channel_name=channel[0], channel_name_en=channel[1])
    return out


def top(app, hall_code: str, month: str | None = None, n: int = 5) -> dict:
    """The month's top pain points (reason x service, all windows and staff together), for the
    manager's cases page; month YYYY-MM, default the current hall-local month."""
    from ..domain.errors import Invalid
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = hall.local_day(now)
        if month is None:
            first = today.replace(day=1)
        else:
            try:
                first = datetime.strptime(month, "%Y-%m").date()
            except (TypeError, ValueError):
                raise Invalid("month must be YYYY-MM", code="invalid") from None
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        found = rows(conn, hall, first, last)
    merged: dict = {}
    for r in found:
        key = (r["reason"], r["service"])
        m = merged.setdefault(key, {k: r[k] for k in ("reason", "reason_name", "reason_name_en",
                                                      "service", "service_name",
                                                      "service_name_en")}
                              | {"count": 0, "bad": 0, "complaints": 0, "windows": set()})
        m["count"] += r["count"]
        m["bad"] += r["bad"]
        m["complaints"] += r["count"] if r["origin"] == "complaint" else 0
        if r["window"] is not None:
            m["windows"].add(r["window"])
    items = sorted(merged.values(), key=lambda m: (-m["count"], -m["bad"], m["reason"]))[:n]
    for m in items:
        m["windows"] = sorted(m["windows"])
    return {"month": first.strftime("%Y-%m"), "items": items}


def report(app, hall_code: str, date_from=None, date_to=None) -> dict:
    """GET …/pain-points: the rows of a range (default: this month so far) and its top five."""
    from . import stats
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = hall.local_day(now)
        if date_from is None and date_to is None:
            d1, d2 = today.replace(day=1), today
        else:
            d1, d2 = stats.parse_range(date_from, date_to, today)
        found = rows(conn, hall, d1, d2)
    by_reason: Counter = Counter()
    for r in found:
        by_reason[r["reason"]] += r["count"]
    return {"from": d1.isoformat(), "to": d2.isoformat(), "rows": found,
            "by_reason": [{"reason": k, "reason_name": rdomain.REASONS.get(k, (k, k))[0],
                           "reason_name_en": rdomain.REASONS.get(k, (k, k))[1], "count": n}
                          for k, n in by_reason.most_common()]}
