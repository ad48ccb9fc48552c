"""All figures of one hall over a range of days (the body of GET …/stats): the days' summaries
added up, plus what still changes after a day closes, read live: deliveries of promised cases
(承诺件) and bad-review cases."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import and_, case, func, select

from ...domain.tickets import TRACKED
from ...domain import kpis
from ...domain.kpis import OUTCOMES, DaySummary, ServiceTally, Summary, group_figures, share
from ...domain.league import team_of
from ...store import tables as t
from .days import ticket_days
from .periods import after_day_sql, day_bounds, local_date, local_day, parse_range
from .rollups import day_summaries


def promised_state(hall, row, today: date) -> str:
    """A promised case's state (kpis.promised_state) from a row with due_date and delivered_at."""
    delivered_on = local_date(hall, row.delivered_at) if row.delivered_at is not None else None
    return kpis.promised_state(row.due_date, delivered_on, today)


def review_state(hall, row, today: date) -> str:
    """A review case's state (kpis.review_state) from a row with status, due_date and closed_at."""
    closed_on = local_date(hall, row.closed_at) if row.closed_at is not None else None
    return kpis.review_state(row.status, row.due_date, closed_on, today)


def staff_names(conn) -> dict:
    """{user id: row with name and staff_no} of every account."""
    return {r.id: r for r in conn.execute(select(t.users.c.id, t.users.c.name, t.users.c.staff_no))}


def review_rows(conn, hall, d1: date, d2: date, ids: tuple[int, int] | None = None):
    """Review cases of tickets issued d1..d2 with their rating and ticket; `ids` (the period's lowest
    and highest ticket id) narrows the read to the period's tickets by index."""
    rv, rc, tk = t.review_cases.c, t.ratings.c, t.tickets.c
    extra = (rv.ticket_id >= ids[0], rv.ticket_id <= ids[1]) if ids else ()
    rows = conn.execute(select(rv.id, rv.status, rv.opened_at, rv.due_date, rv.closed_at, rc.level,
                               rc.window, rc.staff_id, rc.source, tk.number, tk.service, tk.day)
                        .select_from(t.review_cases.join(t.ratings, rc.id == rv.rating_id)
                                     .join(t.tickets, tk.id == rv.ticket_id))
                        .where(*extra, rv.hall_id == hall.id, tk.day >= d1.isoformat(),
                               tk.day <= d2.isoformat())).all()
    return list(rows) + _visitless_reviews(conn, hall, d1, d2)


def _visitless_reviews(conn, hall, d1: date, d2: date) -> list:
    """Review cases of recorded complaints that named no visit, in the period they were opened
    (number None; day: the visit's day when the resident named it, else None)."""
    rv, rc = t.review_cases.c, t.ratings.c
    lo, hi = day_bounds(hall, d1)[0], day_bounds(hall, d2)[1]
    rows = conn.execute(select(rv.id, rv.status, rv.opened_at, rv.due_date, rv.closed_at, rc.level,
                               rc.window, rc.staff_id, rc.source, rc.service, rc.visit_day)
                        .select_from(t.review_cases.join(t.ratings, rc.id == rv.rating_id))
                        .where(rv.hall_id == hall.id, rv.ticket_id.is_(None), rv.opened_at >= lo,
                               rv.opened_at < hi)).all()
    return [SimpleNamespace(**r._mapping, number=None,
                            day=r.visit_day.isoformat() if r.visit_day else None) for r in rows]


def _promised(conn, hall, d1: date, d2: date, today: date) -> tuple[dict, dict]:
    """Counts of the period's promised cases by state, and deliveries per service, window and staff
    member. Counted in SQL from a covering index; only deliveries made on or after the due date are
    fetched, to tell late from on time in the hall's time zone."""
    prom = {"total": 0, "delivered": 0, "delivered_late": 0, "pending": 0, "overdue": 0}
    delivered_by: dict[str, dict] = {"services": {}, "windows": {}, "staff": {}}
    tk = t.tickets.c
    where = (tk.hall_id == hall.id, tk.outcome.in_(TRACKED),  # only finished tickets have one
             tk.day >= d1.isoformat(), tk.day <= min(d2, today).isoformat())
    overdue = func.sum(case((and_(tk.delivered_at.is_(None), tk.due_date < today), 1), else_=0))
    for r in conn.execute(select(tk.service, tk.window, tk.staff_id, func.count().label("n"),
                                 func.count(tk.delivered_at).label("delivered"), overdue.label("overdue"))
                          .where(*where).group_by(tk.service, tk.window, tk.staff_id)):
        prom["total"] += r.n
        prom["delivered"] += r.delivered
        prom["overdue"] += int(r.overdue or 0)
        prom["pending"] += r.n - r.delivered - int(r.overdue or 0)
        for table, key in (("services", r.service), ("windows", r.window), ("staff", r.staff_id)):
            if key is not None and r.delivered:
                delivered_by[table][key] = delivered_by[table].get(key, 0) + r.delivered
    for r in conn.execute(select(tk.due_date, tk.delivered_at).where(
            *where, tk.delivered_at.is_not(None), tk.due_date.is_not(None),
            tk.delivered_at >= after_day_sql(conn, hall, tk.due_date, d1))):
        if promised_state(hall, r, today) == "delivered_late":
            prom["delivered"] -= 1
            prom["delivered_late"] += 1
    prom["due"] = prom["pending"]
    return prom, delivered_by


def _reviews(conn, hall, d1: date, d2: date, today: date, ids: tuple[int, int]) -> dict:
    """Counts of the review cases of the period's tickets by state."""
    rev = {"total": 0, "open": 0, "overdue": 0, "closed": 0, "closed_late": 0, "voided": 0}
    rv = t.review_cases.c
    rows = conn.execute(select(rv.ticket_id, rv.status, rv.due_date, rv.closed_at).where(
        rv.ticket_id >= ids[0], rv.ticket_id <= ids[1], rv.hall_id == hall.id)).all()
    tdays = ticket_days(conn, hall, [r.ticket_id for r in rows])
    lo_day, hi_day = d1.isoformat(), min(d2, today).isoformat()
    for r in rows:
        if not lo_day <= tdays.get(r.ticket_id, "") <= hi_day:
            continue
        rev["total"] += 1
        rev[review_state(hall, r, today)] += 1
    for r in _visitless_reviews(conn, hall, d1, min(d2, today)):
        rev["total"] += 1
        rev[review_state(hall, r, today)] += 1
    return rev


def _by_day(day: DaySummary) -> dict:
    """The hall's line for one day (summed here rather than with day.hall(): no lists copied)."""
    row = {"day": day.day, "issued": 0, "served": 0, "no_show": 0, "cancelled": 0}
    wait_sum = wait_n = 0
    levels: dict[int, int] = {}
    told = ServiceTally()  # only the wait-estimate sums are added into it
    for g in day.services.values():
        row["issued"] += g.issued
        row["served"] += g.served
        row["no_show"] += g.no_show
        row["cancelled"] += g.cancelled
        wait_sum += sum(g.waits)
        wait_n += len(g.waits)
        for level, n in g.ratings.items():
            levels[level] = levels.get(level, 0) + n
        told.add_estimates(g)
    return {**row, "mean_wait_s": kpis.mean(wait_sum, wait_n),
            "estimates": told.estimate_figures().as_dict(),
            "estimates_by_service": {code: g.estimate_figures().as_dict()
                                     for code, g in day.services.items() if g.estimated},
            "ratings": kpis.rating_figures(levels).as_dict()}


def assist_figures(conn, hall, d1: date, d2: date, today: date) -> dict:
    from ..assist import figures  # 帮办代办 (services/assist.py)
    return figures(conn, hall, d1, d2, today)


def notice_count(conn, hall, d1: date, d2: date) -> int:
    from ..notices import count  # 一次性告知单 (services/notices.py)
    return count(conn, hall, d1, d2)


def compute(app, conn, hall, d1: date, d2: date, now: datetime) -> dict:
    """All figures of one hall for d1..d2 (the body of GET …/stats)."""
    today = local_day(hall, now)
    days = day_summaries(app, conn, hall, d1, d2, now)
    period = Summary()
    for s in days:
        period.add(s)
    prom, delivered_by = _promised(conn, hall, d1, d2, today)
    ids = kpis.ticket_id_range(days)
    rev = _reviews(conn, hall, d1, d2, today, ids)
    users = staff_names(conn)

    svc_cfg = {s.code: s for s in hall.config.services}
    services = []
    within_total = 0
    for code in [s.code for s in hall.config.services] + sorted(set(period.services) - set(svc_cfg)):
        g = period.services.get(code) or ServiceTally()
        cfg = svc_cfg.get(code)
        target = (cfg.target_wait_min if cfg else 15) * 60
        g.sort()
        within = kpis.within(g.waits, target)
        within_total += within
        fig = group_figures(g, delivered_by["services"].get(code, 0)).as_dict()
        fig.update({"code": code, "name": cfg.name if cfg else code,
                    "name_en": cfg.name_en if cfg else code, "issued": g.issued,
                    "cancelled": g.cancelled, "open": g.open, "transferred": g.transferred,
                    "target_wait_min": target // 60,
                    "within_target": within, "within_target_share": share(within, len(g.waits)),
                    "median_service_s": kpis.median(g.service_times),
                    "arrivals_by_hour": g.arrivals_by_hour, "calls_by_hour": g.calls_by_hour,
                    "estimates": g.estimate_figures().as_dict()})
        services.append(fig)
    win_cfg = {w.number: w for w in hall.config.windows}
    windows = []
    for n in sorted(set(win_cfg) | set(period.windows)):
        g = period.windows.get(n) or kpis.DutyTally()
        fig = group_figures(g, delivered_by["windows"].get(n, 0)).as_dict()
        fig.update({"number": n, "name": win_cfg[n].name if n in win_cfg else f"{n}号窗口",
                    "team": team_of(hall.config, n)})
        windows.append(fig)
    staff = []
    for sid in sorted(period.staff):
        fig = group_figures(period.staff[sid], delivered_by["staff"].get(sid, 0)).as_dict()
        u = users.get(sid)
        fig.update({"id": sid, "name": u.name if u else f"#{sid}", "staff_no": u.staff_no if u else None})
        staff.append(fig)

    total = period.hall()  # after the services' lists are sorted: a merge of a few sorted runs
    total.sort()
    waits, svcs = total.waits, total.service_times
    on_duty = [w for w in windows if w.get("available_s")]
    avail = sum(w["available_s"] for w in on_duty)
    idle = sum(w["idle_s"] for w in on_duty)
    done = kpis.completed(total.outcomes, prom["delivered"] + prom["delivered_late"])
    return {
        "hall": hall.code, "hall_name": hall.config.name, "hall_name_en": hall.config.name_en,
        "from": d1.isoformat(), "to": d2.isoformat(), "today": today.isoformat(),
        "generated_at": now.isoformat(timespec="seconds") + "Z", "definitions": "docs/kpis.md",
        "tickets": {"issued": total.issued, "served": total.served, "no_show": total.no_show,
                    "cancelled": total.cancelled, "open": total.open, "transferred": total.transferred},
        "wait_s": {"count": len(waits), "mean": kpis.mean(sum(waits), len(waits)),
                   "median": kpis.median(waits), "p90": kpis.percentile(waits, 90)},
        "service_s": {"count": len(svcs), "mean": kpis.mean(sum(svcs), len(svcs)),
                      "median": kpis.median(svcs)},
        "within_target": {"count": within_total, "of": len(waits), "share": share(within_total, len(waits))},
        "completion": {"cases": total.served, "completed": done, "rate": share(done, total.served)},
        "outcomes": {o: total.outcomes.get(o, 0) for o in OUTCOMES},
        "idle": {"available_s": avail, "idle_s": idle, "share": share(idle, avail)},
        "ratings": kpis.rating_figures(total.ratings).as_dict(),
        "promised": prom,
        "review_cases": rev,
        "assist": assist_figures(conn, hall, d1, d2, today),
        "notices": notice_count(conn, hall, d1, d2),
        "arrivals_by_hour": total.arrivals_by_hour, "calls_by_hour": total.calls_by_hour,
        "wait_histogram": kpis.wait_histogram(waits),
        "estimates": total.estimate_figures().as_dict(),  # accuracy of the waits told at issue
        "services": services, "windows": windows, "staff": staff, "by_day": [_by_day(s) for s in days],
        "ticket_ids": list(ids),  # the period's lowest and highest ticket id (a query pre-filter)
    }


def hall_stats(app, hall_code: str, date_from=None, date_to=None) -> dict:
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        d1, d2 = parse_range(date_from, date_to, local_day(hall, now))
        return compute(app, conn, hall, d1, d2, now)
