"""How accurate the wait estimates given at issue were, per day and service (docs/kpis.md).

The sums are kept in the statistics' day summaries (domain/kpis.py ServiceTally, rolled up for
closed days); the figures are domain/accuracy.py's.
"""
from __future__ import annotations

from .stats import day_summaries, local_day, parse_range


def estimate_accuracy(app, hall_code: str, date_from=None, date_to=None) -> dict:
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        d1, d2 = parse_range(date_from, date_to, local_day(hall, now))
        days = day_summaries(app, conn, hall, d1, d2, now)
    names = {s.code: s.name for s in hall.config.services}
    names_en = {s.code: s.name_en or s.code for s in hall.config.services}
    order = list(names) + sorted({code for d in days for code in d.services} - set(names))

    def figures(tally) -> dict:
        return tally.estimate_figures().as_dict()

    def service(code: str, fig: dict) -> dict:
        return {"service": code, "service_name": names.get(code, code),
                "service_name_en": names_en.get(code, code), **fig}

    by_service = {}
    by_day, by_day_service = [], []
    from ..domain.kpis import ServiceTally
    total = ServiceTally()
    for d in days:
        day_total = ServiceTally()
        for code in order:
            g = d.services.get(code)
            if g is None or not g.estimated:
                continue
            by_service.setdefault(code, ServiceTally()).add(g)
            day_total.add(g)
            by_day_service.append({"day": d.day, **service(code, figures(g))})
        if day_total.estimated:
            total.add(day_total)
            by_day.append({"day": d.day, **figures(day_total)})
    return {"from": d1.isoformat(), "to": d2.isoformat(), "hall": hall.code, "definitions": "docs/kpis.md",
            "total": figures(total),
            "by_service": [service(code, figures(by_service[code])) for code in order if code in by_service],
            "by_day": by_day, "by_day_service": by_day_service}
