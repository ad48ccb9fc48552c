"""The league table (擂台) of one hall over a quarter (or any range): teams of windows ranked by
cases, completion and good reviews (the rule is domain/league.py)."""
from __future__ import annotations

from ...domain import league as rules
from .periods import local_day, parse_quarter, parse_range, quarter_of
from .ranges import compute


def league_from(hall, st: dict) -> dict:
    """The table from a range's figures (the body of GET …/stats)."""
    wts = rules.weights(hall.config)
    teams: dict[str, rules.Team] = {}
    for w in st["windows"]:
        tm = teams.setdefault(w["team"], rules.Team(w["team"]))
        tm.add_window(w["number"], w["served"], w["completed"], w["ratings"]["levels"])
    rows = rules.standings(list(teams.values()), wts)
    for r in rows:
        r["name"], r["name_en"] = rules.team_name(hall.config, r["team"])
    return {"hall": hall.code, "from": st["from"], "to": st["to"], "weights": wts, "teams": rows}


def league(app, hall_code: str, quarter=None, date_from=None, date_to=None) -> dict:
    """A quarter (default: this one) or a from/to range."""
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = local_day(hall, now)
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
