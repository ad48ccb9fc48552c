"""擂台 honours of a month: the month's and its quarter's red and yellow flags (流动红旗/黄旗) from
the league table, and 每月之星 (the staff member of the month) by the hall's rule
(domain/league.py `star_rule`). Public: the wall shows them, as it shows staff and satisfaction.
The report lists the same honours for every month and quarter its period covers (`report_rows`)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ..domain import league as rules
from ..domain.errors import Invalid
from . import stats


def _flags(lg: dict) -> dict:
    def pick(flag):
        for r in lg["teams"]:
            if r["flag"] == flag:
                return {"team": r["team"], "name": r["name"], "name_en": r["name_en"],
                        "score": r["score"], "windows": r["windows"], "cases": r["cases"],
                        "completion_rate": r["completion_rate"], "ratings": r["ratings"],
                        "good_rate": r["good_rate"]}
        return None
    return {"red": pick("red"), "yellow": pick("yellow")}


def _star(hall, st: dict) -> dict | None:
    min_ratings, by = rules.star_rule(hall.config)
    star = rules.star_of(st["staff"], min_ratings, by)
    if star is None:
        return None
    r = star["ratings"]
    return {"id": star["id"], "name": star["name"], "staff_no": star.get("staff_no"),
            "served": star.get("served"), "completion_rate": star.get("completion_rate"),
            "ratings": r["count"], by: r[by], "satisfaction": r.get("satisfaction"),
            "good_rate": r.get("good_rate")}


def month_span(first: date, today: date) -> tuple[date, date]:
    """The month of `first`, up to today while it runs."""
    end = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, min(end, max(today, first))


def quarter_span(quarter: str, today: date) -> tuple[date, date]:
    """The quarter, up to today while it runs."""
    q1, q2 = stats.parse_quarter(quarter)
    return q1, min(q2, max(today, q1))


class _Figures:
    """stats.compute of each span asked for, once (a report for one month reuses its own)."""

    def __init__(self, app, conn, hall, now, known: dict | None = None):
        self.app, self.conn, self.hall, self.now = app, conn, hall, now
        self.known = dict(known or {})

    def of(self, span: tuple[date, date]) -> dict:
        if span not in self.known:
            self.known[span] = stats.compute(self.app, self.conn, self.hall, span[0], span[1], self.now)
        return self.known[span]


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
        figures = _Figures(app, conn, hall, now)
        st = figures.of(month_span(first, today))
        quarter = stats.quarter_of(first)
        stq = figures.of(quarter_span(quarter, today))
    min_ratings, by = rules.star_rule(hall.config)
    star = _star(hall, st)
    return {"hall": hall.code, "month": first.strftime("%Y-%m"), "quarter": quarter,
            "month_flags": _flags(stats.league_from(hall, st)),
            "quarter_flags": _flags(stats.league_from(hall, stq)),
            "star": None if star is None else {
                "id": star["id"], "name": star["name"], "served": star["served"],
                "ratings": star["ratings"], by: star[by]},
            "rule": {"star_min_ratings": min_ratings, "star_by": by}}


# ---------------------------------------------------------------- the report's sheet

def covered(d1: date, d2: date, today: date) -> tuple[list[date], list[str]]:
    """The months (their first days) and quarters the period d1..d2 covers whole, a running one
    counting as covered up to today."""
    months, quarters = [], []
    first = d1.replace(day=1)
    while first <= min(d2, today):
        a, b = month_span(first, today)
        if a >= d1 and b <= d2:
            months.append(first)
        q = stats.quarter_of(first)
        a, b = quarter_span(q, today)
        if a >= d1 and b <= d2 and q not in quarters:
            quarters.append(q)
        first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months, quarters


BY_TEXT = {"satisfaction": ("满意度", "satisfaction"), "good_rate": ("好评率", "good-review rate")}
HONOUR_TEXT = {"red": ("流动红旗", "Red flag"), "yellow": ("流动黄旗", "Yellow flag"),
               "star": ("每月之星", "Staff of the month")}
VACANT = ("空缺", "none")


def rule_texts(config) -> dict[str, tuple[str, str]]:
    """The hall's rules in words (Chinese, English), from its config."""
    w = rules.weights(config)
    n, by = rules.star_rule(config)
    score = (f"综合得分 = {w['cases']}×办件数/最多办件数 + {w['completion']}×办结率 + "
             f"{w['good']}×好评率", f"score = {w['cases']}×cases/most cases + {w['completion']}×"
             f"completion rate + {w['good']}×good-review rate")
    return {
        "red": (score[0] + "；得分第一的团队", score[1] + "; the top team"),
        "yellow": (score[0] + "；有办件的团队中得分最后的（并列则空缺）",
                   score[1] + "; the bottom team of those that served anyone (none if tied)"),
        "star": (f"本月评价不少于 {n} 次的人员中{BY_TEXT[by][0]}最高；相同时评价多者、办结多者优先",
                 f"among staff rated at least {n} times in the month, the best {BY_TEXT[by][1]}; "
                 "ties go to more ratings, then more served"),
    }


def _vacancy(kind: str, n: int) -> tuple[str, str]:
    if kind == "star":
        return (f"空缺：本月无人评价满 {n} 次", f"none: nobody was rated {n} times in the month")
    if kind == "yellow":
        return ("空缺：办件的团队不足两个，或得分最后的团队并列",
                "none: fewer than two teams served anyone, or the bottom teams tie")
    return ("空缺：不足两个团队或没有办件", "none: fewer than two teams, or no cases")


def report_rows(app, conn, hall, d1: date, d2: date, now, known: dict | None = None
                ) -> tuple[list[dict], dict[str, str]]:
    """One row per honour of every month (red, yellow, star) and quarter (red, yellow) the period
    covers, with the figures that earned it and the rule; and the English of the rows' text."""
    today = stats.local_day(hall, now)
    months, quarters = covered(d1, d2, today)
    figures = _Figures(app, conn, hall, now, known)
    texts = rule_texts(hall.config)
    n, _by = rules.star_rule(hall.config)
    en: dict[str, str] = {}

    def span_text(span):
        return text((f"{span[0].isoformat()} 至 {span[1].isoformat()}",
                     f"{span[0].isoformat()} to {span[1].isoformat()}"))

    def text(pair):
        en[pair[0]] = pair[1]
        return pair[0]

    def flag_rows(period, span):
        flags = _flags(stats.league_from(hall, figures.of(span)))
        out = []
        for kind in ("red", "yellow"):
            f = flags[kind]
            row = {"period": period, "span": span_text(span),
                   "honour": text(HONOUR_TEXT[kind]), "rule": text(texts[kind])}
            if f is None:
                row.update(winner=text(VACANT), note=text(_vacancy(kind, n)))
            else:
                en[f["name"]] = f["name_en"]
                row.update(winner=f["name"], windows=",".join(str(x) for x in f["windows"]),
                           cases=f["cases"], completion_rate=f["completion_rate"],
                           ratings=f["ratings"], good_rate=f["good_rate"], score=f["score"])
            out.append(row)
        return out

    rows = []
    for first in months:
        span = month_span(first, today)
        period = first.strftime("%Y-%m")
        rows += flag_rows(period, span)
        star = _star(hall, figures.of(span))
        row = {"period": period, "span": span_text(span),
               "honour": text(HONOUR_TEXT["star"]), "rule": text(texts["star"])}
        if star is None:
            row.update(winner=text(VACANT), note=text(_vacancy("star", n)))
        else:
            row.update(winner=star["name"], staff_no=star["staff_no"], cases=star["served"],
                       completion_rate=star["completion_rate"], ratings=star["ratings"],
                       good_rate=star["good_rate"], satisfaction=star["satisfaction"])
        rows.append(row)
    for q in quarters:
        rows += flag_rows(q, quarter_span(q, today))
    return rows, en
