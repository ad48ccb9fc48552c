"""How accurate the wait estimates given at issue were, per day and service (docs/kpis.md).

Reads the estimate stored with each ticket when it was issued and the wait it really had (first
call - issue); the arithmetic is domain/accuracy.py.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from ..domain.accuracy import accuracy
from ..store import tables as t


def estimate_accuracy(app, hall_code: str, date_from=None, date_to=None) -> dict:
    from .stats import parse_range  # the one rule for ?from&to
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        d1, d2 = parse_range(date_from, date_to, hall.local_day(now))
        tk = t.tickets.c
        rows = conn.execute(select(tk.day, tk.first_service, tk.issued_at, tk.called_at, tk.estimated_wait_s,
                                   tk.estimated_wait_low_s, tk.estimated_wait_high_s).where(
            tk.hall_id == hall.id, tk.day >= d1.isoformat(), tk.day <= d2.isoformat(),
            tk.estimated_wait_s.is_not(None), tk.called_at.is_not(None))).all()
    groups: dict[tuple, list] = defaultdict(list)
    for r in rows:
        pair = (r.estimated_wait_s, max(0, int((r.called_at - r.issued_at).total_seconds())),
                r.estimated_wait_low_s, r.estimated_wait_high_s)
        for key in ((r.day, r.first_service), (r.day, None), (None, r.first_service), (None, None)):
            groups[key].append(pair)
    names = {s.code: s.name for s in hall.config.services}
    order = list(names)

    def row(day, service):
        out = {"day": day} if day else {}
        if service:
            out.update({"service": service, "service_name": names.get(service, service)})
        out.update(accuracy(groups[(day, service)]).as_dict())
        return out

    def service_key(code):
        return order.index(code) if code in order else len(order)

    keys = sorted((k for k in groups if k[0] and k[1]), key=lambda k: (k[0], service_key(k[1])))
    return {
        "from": d1.isoformat(), "to": d2.isoformat(), "hall": hall.code,
        "total": row(None, None),
        "by_service": [row(None, s) for s in sorted({k[1] for k in groups if k[1]}, key=service_key)],
        "by_day": [row(d, None) for d in sorted({k[0] for k in groups if k[0]})],
        "by_day_service": [row(d, s) for d, s in keys],
    }
