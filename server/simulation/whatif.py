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
        out.append({"number": b.number, "service": b.service, "name": s.get("name", b.service),
                    "name_en": s.get("name_en") or s.get("name", b.service), "issued": _clock(b.issued_s),
                    "baseline_wait_s": None if b.wait_s is None else round(b.wait_s, 1),
                    "what_if_wait_s": None if a is None or a.wait_s is None else round(a.wait_s, 1),
                    "change_s": _diff(b.wait_s, a.wait_s if a else None)})
    return out


def _min(s):
    return None if s is None else s / 60


def sheets(result: dict) -> dict[str, tuple[list[str], list[dict]]]:
    """The comparison as xlsx sheets (minutes), next to the CLI's (runner.sheets_of)."""
    cols = ["service", "hour", "tickets", "mean_wait_min", "what_if_mean_wait_min", "change_mean_wait_min",
            "p90_wait_min", "what_if_p90_wait_min", "change_p90_wait_min"]

    def line(service, hour, r):
        return {"service": service, "hour": hour, "tickets": r["tickets"],
                "mean_wait_min": _min(r["baseline"]["mean_wait_s"]),
                "what_if_mean_wait_min": _min(r["what_if"]["mean_wait_s"]),
                "change_mean_wait_min": _min(r["change"]["mean_wait_s"]),
                "p90_wait_min": _min(r["baseline"]["p90_wait_s"]),
                "what_if_p90_wait_min": _min(r["what_if"]["p90_wait_s"]),
                "change_p90_wait_min": _min(r["change"]["p90_wait_s"])}

    rows = [line(r["name"], "全天 (day)", r) for r in result["services"]]
    rows.append(line("全部 (all)", "全天 (day)", result["hall"]))
    rows += [line("全部 (all)", f"{r['hour']:02d}:00", r) for r in result["hours"]]
    rows += [line(r["name"], f"{r['hour']:02d}:00", r) for r in result["service_hours"]]
    lcols = ["number", "service", "issued", "wait_min", "what_if_wait_min", "change_min"]
    lrows = [{"number": r["number"], "service": r["name"], "issued": r["issued"],
              "wait_min": _min(r["baseline_wait_s"]), "what_if_wait_min": _min(r["what_if_wait_s"]),
              "change_min": _min(r["change_s"])} for r in result["longest"]]
    return {"调整对比 what-if by hour": (cols, rows), "最长等候 longest waits": (lcols, lrows)}
