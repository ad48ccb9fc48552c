"""The quarterly league table (擂台): windows grouped into teams, ranked by a weighted score; the
first gets the red flag (红旗), the last the yellow one (黄旗)."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import ratings
from .hall import HallConfig
from .kpis import share

DEFAULT_WEIGHTS = {"cases": 40, "completion": 30, "good": 30}


def team_of(config: HallConfig, number: int) -> str:
    """A window's team: `team` in its config, else its first service (its department)."""
    for w in config.windows:
        if w.number == number:
            return str(w.extra.get("team") or w.services[0])
    return "other"


def team_name(config: HallConfig, team: str) -> tuple[str, str]:
    """(Chinese, English) name: the hall's `team_names` rule, else the service of that code."""
    names = config.rule("team_names", {}) or {}
    if team in names:
        return names[team], names[team]
    for s in config.services:
        if s.code == team:
            return s.name, s.name_en or s.code
    return team, team


def weights(config: HallConfig) -> dict:
    return {**DEFAULT_WEIGHTS, **(config.rule("league_weights", {}) or {})}


@dataclass
class Team:
    team: str
    windows: list[int] = field(default_factory=list)
    cases: int = 0  # served
    completed: int = 0
    ratings: int = 0
    good: int = 0  # 好评

    def add_window(self, number: int, served: int, completed: int, levels: dict[str, int]) -> None:
        """A window's figures: served, completed, rating counts per level ("5" … "1")."""
        self.windows.append(number)
        self.cases += served
        self.completed += completed
        self.ratings += sum(levels.values())
        self.good += sum(n for lv, n in levels.items() if ratings.is_good(int(lv)))


def standings(teams: list[Team], wts: dict) -> list[dict]:
    """Teams ranked by score = w_cases·cases/most cases + w_completion·completion rate +
    w_good·good-review rate; ties by cases, then name. Red to the first once any team worked (of two or
    more); yellow to the last of those that worked, once two did, unless it ties with the one before."""
    most = max([tm.cases for tm in teams] or [0])
    rows = []
    for tm in teams:
        comp = tm.completed / tm.cases if tm.cases else 0.0
        good = tm.good / tm.ratings if tm.ratings else 0.0
        score = (wts["cases"] * (tm.cases / most if most else 0) + wts["completion"] * comp
                 + wts["good"] * good)
        rows.append({"team": tm.team, "windows": tm.windows, "cases": tm.cases, "completed": tm.completed,
                     "ratings": tm.ratings, "good": tm.good,
                     "completion_rate": share(tm.completed, tm.cases), "good_rate": share(tm.good, tm.ratings),
                     "score": round(score, 2), "flag": None})
    rows.sort(key=lambda r: (-r["score"], -r["cases"], r["team"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    # flags only among teams that served someone: a team with no visits (closed, or no staff that
    # month) is not the hall's worst team. The yellow flag stays empty when the bottom is a tie.
    worked = [r for r in rows if r["cases"]]
    if len(rows) >= 2 and worked:
        worked[0]["flag"] = "red"
    if len(worked) >= 2:
        last, before = worked[-1], worked[-2]
        if (last["score"], last["cases"]) != (before["score"], before["cases"]):
            last["flag"] = "yellow"
    return rows


STAR_BY = ("satisfaction", "good_rate")


def star_rule(config: HallConfig) -> tuple[int, str]:
    """每月之星's rule from the hall config: `[rules] star_min_ratings` (default 10) and
    `star_by` (satisfaction | good_rate, default satisfaction)."""
    n = config.rule("star_min_ratings", 10)
    by = config.rule("star_by", "satisfaction")
    n = n if isinstance(n, int) and not isinstance(n, bool) and n >= 1 else 10
    return n, by if by in STAR_BY else "satisfaction"


def star_of(staff: list[dict], min_ratings: int, by: str) -> dict | None:
    """The month's star (每月之星): among staff rated at least `min_ratings` times, the best `by`
    rate; ties go to more ratings, then more served. None when nobody qualifies."""
    fit = [s for s in staff if (s.get("ratings") or {}).get("count", 0) >= min_ratings
           and (s["ratings"].get(by) is not None)]
    if not fit:
        return None
    fit.sort(key=lambda s: (-s["ratings"][by], -s["ratings"]["count"], -(s.get("served") or 0),
                            str(s.get("name"))))
    return fit[0]
