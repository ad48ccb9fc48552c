"""擂台 honours of a month: the month's and its quarter's red and yellow flags (流动红旗/黄旗) from
the league table, and 每月之星 (the staff member of the month) by the hall's rule
(domain/league.py `star_rule`). Public: the wall shows them, as it shows staff and satisfaction."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..domain import league as rules
from ..domain.errors import Invalid
from . import stats


def _flags(lg: dict) -> dict:
    def pick(flag):
        for r in lg["teams"]:
            if r["flag"] == flag:
                return {"team": r["team"], "name": r["name"], "name_en": r["name_en"],
                        "score": r["score"], "windows": r["windows"]}
        return None
    return {"red": pick("red"), "yellow": pick("yellow")}


def honours(app, hall_code: str, month: str | None = None) -> dict:
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = stats.local_day(hall, now)
        if month is None:
            first = today.replace(day=1)
        else:
            try:
                first = datetime.strptime(month, "%Y-%m").date()
            except (TypeError, ValueError):
                raise Invalid("month 应为 2026-11 这样的格式 (month must look like 2026-11)",
                              code="invalid") from None
        last = min((first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1),
                   max(today, first))
        st = stats.compute(app, conn, hall, first, last, now)
        quarter = stats.quarter_of(first)
        q1, q2 = stats.parse_quarter(quarter)
        stq = stats.compute(app, conn, hall, q1, min(q2, max(today, q1)), now)
    min_ratings, by = rules.star_rule(hall.config)
    star = rules.star_of(st["staff"], min_ratings, by)
    return {"hall": hall.code, "month": first.strftime("%Y-%m"), "quarter": quarter,
            "month_flags": _flags(stats.league_from(hall, st)),
            "quarter_flags": _flags(stats.league_from(hall, stq)),
            "star": None if star is None else {
                "id": star["id"], "name": star["name"], "served": star.get("served"),
                "ratings": star["ratings"]["count"], by: star["ratings"][by]},
            "rule": {"star_min_ratings": min_ratings, "star_by": by}}
