"""The day as staffed against the day with the manager's changes (模拟排班), as the dashboard shows
it: waits per service, per hour of issue and per service and hour (mean, p90, max, and the change),
the longest waits with both figures, and the xlsx sheets that go with them.

Both runs meet the same residents (same seed, same visits), so a ticket number names the same
resident in each and the longest waits can be set side by side.
"""
from __future__ import annotations

import statistics
from collections import defaultdict

from .player import Played
from .results import p90

LONGEST = 10  # tickets listed under 最长等候


def _figures(values: list[float]) -> dict:
    if not values:
        return {"tickets": 0, "mean_wait_s": None, "p90_wait_s": None, "max_wait_s": None}
    return {"tickets": len(values), "mean_wait_s": round(statistics.fmean(values), 1),
            "p90_wait_s": round(p90(values), 1), "max_wait_s": round(max(values), 1)}


def _groups(played: list[Played]) -> dict[tuple, list[float]]:
    """Waits by (service or None, hall-local hour of issue or None)."""
    out: dict[tuple, list[float]] = defaultdict(list)
    for p in played:
        if p.wait_s is None:
            continue
        hour = int(p.issued_s // 3600)
        for key in ((p.service, hour), (p.service, None), (None, hour), (None, None)):
            out[key].append(p.wait_s)
    return out


def _diff(a, b):
    return None if a is None or b is None else round(b - a, 1)


def _row(key_fields: dict, before: list[float], after: list[float]) -> dict:
    b, a = _figures(before), _figures(after)
    return {**key_fields, "tickets": b["tickets"], "baseline": b, "what_if": a,
            "change": {"mean_wait_s": _diff(b["mean_wait_s"], a["mean_wait_s"]),
                       "p90_wait_s": _diff(b["p90_wait_s"], a["p90_wait_s"]),
                       "max_wait_s": _diff(b["max_wait_s"], a["max_wait_s"])}}


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def compare(before: list[Played], after: list[Played], services: list[dict]) -> dict:
    """`services`: the hall's [{code, name, name_en}] in its order. Seconds throughout."""
    gb, ga = _groups(before), _groups(after)
    order = [s["code"] for s in services]
    info = {s["code"]: s for s in services}
    seen = sorted({k[0] for k in list(gb) + list(ga) if k[0] is not None},
                  key=lambda c: order.index(c) if c in order else len(order))
    hours = sorted({k[1] for k in list(gb) + list(ga) if k[1] is not None})

    def named(code):
        s = info.get(code, {})
        return {"service": code, "name": s.get("name", code), "name_en": s.get("name_en") or s.get("name", code)}

    uncalled = {"baseline": sum(p.wait_s is None for p in before), "what_if": sum(p.wait_s is None for p in after)}
    return {
        "hall": {**_row({}, gb.get((None, None), []), ga.get((None, None), [])), "issued": len(before),
                 "uncalled": uncalled},
        "services": [_row(named(c), gb.get((c, None), []), ga.get((c, None), [])) for c in seen],
        "hours": [_row({"hour": h}, gb.get((None, h), []), ga.get((None, h), [])) for h in hours],
        "service_hours": [_row({**named(c), "hour": h}, gb.get((c, h), []), ga.get((c, h), []))
                          for c in seen for h in hours if (c, h) in gb or (c, h) in ga],
        "longest": longest(before, after, info),
    }


SAME_S = 30.0  # a day's change of the mean wait under half a minute counts as none (as the panel shows it)
FIGURES = ("mean_wait_s", "p90_wait_s", "max_wait_s")


def compare_days(before: list[Played], after: list[Played], services: list[dict],
                 seeds: dict[str, int] | None = None) -> dict:
    """Several sampled days, both runs on the same days with the same residents: each day compared
    as `compare` does, then each row's figures averaged over the days it has tickets on (each day
    counts once; `tickets` is per day), with the hall's and each service's spread over the days (the
    mean wait's lowest and highest day as staffed, with the changes and its change; how many days
    the change shortened or lengthened it), a row per day, and the longest waits of all the days
    (with their day). One day: `compare`'s result with its day."""
    days = sorted({p.day for p in before})
    one = {d: ([p for p in before if p.day == d], [p for p in after if p.day == d]) for d in days}
    per_day = [compare(*one[d], services) for d in days]
    seeds = seeds or {}
    day_rows = [{"day": d, "index": i + 1, "seed": seeds.get(d), **{k: r["hall"][k] for k in (
                 "tickets", "baseline", "what_if", "change")},
                 "services": [{k: x[k] for k in ("service", "name", "name_en", "tickets", "baseline", "what_if",
                                                 "change")}
                              for x in r["services"]]} for i, (d, r) in enumerate(zip(days, per_day))]
    if len(per_day) <= 1:
        out = per_day[0] if per_day else compare([], [], services)
        for x in out["longest"]:
            x["day_index"] = 1
        return {**out, "days": day_rows}
    n = len(per_day)

    def merged(rows: list[dict], spread: bool) -> dict:
        first = rows[0]
        out = {k: v for k, v in first.items() if k not in ("tickets", "baseline", "what_if", "change")}
        out["tickets"] = round(sum(r["tickets"] for r in rows) / n, 1)
        for part in ("baseline", "what_if"):
            figs = {"tickets": round(sum(r[part]["tickets"] for r in rows) / n, 1)}
            for f in FIGURES:
                vals = [r[part][f] for r in rows if r[part][f] is not None]
                figs[f] = round(statistics.fmean(vals), 1) if vals else None
            out[part] = figs
        out["change"] = {f: _diff(out["baseline"][f], out["what_if"][f]) for f in FIGURES}
        if spread:
            def span(values):
                values = [v for v in values if v is not None]
                return [min(values), max(values)] if values else None
            changes = [r["change"]["mean_wait_s"] for r in rows if r["change"]["mean_wait_s"] is not None]
            out["spread"] = {
                "days": len(rows),
                "mean_wait_s": {"baseline": span(r["baseline"]["mean_wait_s"] for r in rows),
                                "what_if": span(r["what_if"]["mean_wait_s"] for r in rows),
                                "change": span(changes)},
                "shorter_days": sum(c <= -SAME_S for c in changes),
                "longer_days": sum(c >= SAME_S for c in changes)}
        return out

    def by(key, part: str, spread: bool = False) -> list[dict]:
        groups: dict = {}
        for r in per_day:
            for row in r[part]:
                groups.setdefault(key(row), []).append(row)
        return [merged(rows, spread) for rows in groups.values()]

    order = [s["code"] for s in services]
    hall = merged([r["hall"] for r in per_day], True)
    hall["issued"] = round(sum(r["hall"]["issued"] for r in per_day) / n, 1)
    hall["uncalled"] = {k: round(sum(r["hall"]["uncalled"][k] for r in per_day) / n, 1)
                        for k in ("baseline", "what_if")}
    rank = {c: i for i, c in enumerate(order)}
    info = {s["code"]: s for s in services}
    index = {d: i + 1 for i, d in enumerate(days)}
    top = longest(before, after, info)
    for x in top:
        x["day_index"] = index.get(x["day"])
    return {
        "hall": hall,
        "services": sorted(by(lambda r: r["service"], "services", True),
                           key=lambda r: rank.get(r["service"], len(order))),
        "hours": sorted(by(lambda r: r["hour"], "hours"), key=lambda r: r["hour"]),
        "service_hours": sorted(by(lambda r: (r["service"], r["hour"]), "service_hours"),
                                key=lambda r: (rank.get(r["service"], len(order)), r["hour"])),
        "longest": top,
        "days": day_rows,
    }


def longest(before: list[Played], after: list[Played], info: dict[str, dict], count: int = LONGEST) -> list[dict]:
    """The residents who waited longest in either run, with their wait in both."""
    other = {(p.day, p.number): p for p in after}
    pairs = [(p, other.get((p.day, p.number))) for p in before]

    def worst(pair):
        return max((x.wait_s for x in pair if x is not None and x.wait_s is not None), default=-1)

    out = []
    for b, a in sorted(pairs, key=worst, reverse=True)[:count]:
        if worst((b, a)) < 0:
            break
        s = info.get(b.service, {})
        out.append({"day": b.day, "number": b.number, "service": b.service, "name": s.get("name", b.service),
                    "name_en": s.get("name_en") or s.get("name", b.service), "issued": _clock(b.issued_s),
                    "baseline_wait_s": None if b.wait_s is None else round(b.wait_s, 1),
                    "what_if_wait_s": None if a is None or a.wait_s is None else round(a.wait_s, 1),
                    "change_s": _diff(b.wait_s, a.wait_s if a else None)})
    return out


def _min(s):
    return None if s is None else s / 60


# the wait columns of a sheet, in minutes: (column, part of the figures, figure)
_BY_HOUR_WAITS = (("mean_wait_min", "baseline", "mean_wait_s"), ("what_if_mean_wait_min", "what_if", "mean_wait_s"),
                  ("change_mean_wait_min", "change", "mean_wait_s"), ("p90_wait_min", "baseline", "p90_wait_s"),
                  ("what_if_p90_wait_min", "what_if", "p90_wait_s"), ("change_p90_wait_min", "change", "p90_wait_s"))
_BY_DAY_WAITS = _BY_HOUR_WAITS[:5] + (("max_wait_min", "baseline", "max_wait_s"),
                                      ("what_if_max_wait_min", "what_if", "max_wait_s"))


def _waits(r: dict, columns) -> dict:
    return {col: _min(r[part][figure]) for col, part, figure in columns}


def sheets(result: dict) -> dict[str, tuple[list[str], list[dict]]]:
    """The comparison as xlsx sheets (minutes), next to the CLI's (runner.sheets_of). Several
    sampled days: the figures are the days' averages (tickets per day), and two more sheets give
    each day and the spread over the days."""
    days = result.get("days") or []
    multi = len(days) > 1
    count = "tickets_per_day" if multi else "tickets"
    cols = ["service", "hour", count] + [c for c, _, _ in _BY_HOUR_WAITS]

    def line(service, hour, r):
        return {"service": service, "hour": hour, count: r["tickets"], **_waits(r, _BY_HOUR_WAITS)}

    rows = [line(r["name"], "全天 (day)", r) for r in result["services"]]
    rows.append(line("全部 (all)", "全天 (day)", result["hall"]))
    rows += [line("全部 (all)", f"{r['hour']:02d}:00", r) for r in result["hours"]]
    rows += [line(r["name"], f"{r['hour']:02d}:00", r) for r in result["service_hours"]]
    lcols = ["day", "number", "service", "issued", "wait_min", "what_if_wait_min", "change_min"]
    lrows = [{"day": r.get("day"), "number": r["number"], "service": r["name"], "issued": r["issued"],
              "wait_min": _min(r["baseline_wait_s"]), "what_if_wait_min": _min(r["what_if_wait_s"]),
              "change_min": _min(r["change_s"])} for r in result["longest"]]
    out = {"调整对比 what-if by hour": (cols, rows), "最长等候 longest waits": (lcols, lrows)}
    if multi:
        dcols = ["day", "seed", "service", "tickets"] + [c for c, _, _ in _BY_DAY_WAITS]

        def day_line(d, name, r):
            return {"day": d["day"], "seed": d["seed"], "service": name, "tickets": r["tickets"],
                    **_waits(r, _BY_DAY_WAITS)}
        drows = []
        for d in days:
            drows.append(day_line(d, "全部 (all)", d))
            drows += [day_line(d, x["name"], x) for x in d["services"]]
        scols = ["service", "days", "mean_wait_min", "lowest_day_min", "highest_day_min", "what_if_mean_wait_min",
                 "what_if_lowest_day_min", "what_if_highest_day_min", "change_mean_wait_min",
                 "change_lowest_day_min", "change_highest_day_min", "shorter_days", "longer_days"]

        def spread_line(name, r):
            sp = r["spread"]["mean_wait_s"]

            def ends(part):
                return (None, None) if sp[part] is None else (_min(sp[part][0]), _min(sp[part][1]))
            (b0, b1), (a0, a1), (c0, c1) = ends("baseline"), ends("what_if"), ends("change")
            return {"service": name, "days": r["spread"]["days"], "mean_wait_min": _min(r["baseline"]["mean_wait_s"]),
                    "lowest_day_min": b0, "highest_day_min": b1,
                    "what_if_mean_wait_min": _min(r["what_if"]["mean_wait_s"]),
                    "what_if_lowest_day_min": a0, "what_if_highest_day_min": a1,
                    "change_mean_wait_min": _min(r["change"]["mean_wait_s"]),
                    "change_lowest_day_min": c0, "change_highest_day_min": c1,
                    "shorter_days": r["spread"]["shorter_days"], "longer_days": r["spread"]["longer_days"]}
        srows = [spread_line("全部 (all)", result["hall"])] + [spread_line(r["name"], r) for r in result["services"]]
        out["波动 spread over the days"] = (scols, srows)
        out["逐日 by day"] = (dcols, drows)
    return out
