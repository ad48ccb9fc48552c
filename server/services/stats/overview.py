"""Several halls side by side: one line of figures per hall the principal may see."""
from __future__ import annotations

from sqlalchemy import func, select

from ...store import tables as t
from .periods import local_day, parse_range
from .ranges import compute


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
            today = local_day(hall, now)
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
