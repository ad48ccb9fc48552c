"""Calibrate a synthetic day so that TODAY'S FORMULA measures what issue 16 published for it.

    .venv/bin/python bench/calibrate_day.py --day assets/simulate/sandu_day.toml --seed 201
    .venv/bin/python bench/calibrate_day.py --day D --peak 70 --cv-scale 0.8   # one candidate

Issue 16 measured the formula hallq used before it (bench_estimate.formula_wait_s) on "a simulated
busy day at the Sandu hall" but did not give every parameter of that day: the lognormal spread of
the service times and the exact hourly rates are unstated. This plays candidate days through the
real queue code (only the formula is asked at each issue; the forward estimate is not computed, so
a day takes seconds), and prints the formula's figures next to the published ones with a distance.
Fit on the baseline only and on seeds other than the scored ones (bench_estimate.py scores 1-5 and
tunes on 101-105): this script defaults to seeds 201-205.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench_estimate as be  # noqa: E402

from sqlalchemy import select  # noqa: E402

from server.services import estimates, halls, queue  # noqa: E402
from server.simulation import day as dayplan  # noqa: E402
from server.simulation import results, runner  # noqa: E402
from server.store import tables as t  # noqa: E402

# What issue 16 published for today's formula on its day (minutes, percent).
PUBLISHED = {"mae": 3.5, "bias": -2.9, "within": 79.0, "peak_mae": 5.7, "peak_bias": -5.2, "peak_within": 68.0,
             "ahead_mae": 10.3, "ahead_bias": -7.9, "zero_waited": 27.0, "zero_mean": 4.5, "per_day": 312.0}
# How much a miss of each counts in the distance (roughly one over the noise of 5 days).
WEIGHT = {"mae": 1 / 0.2, "bias": 1 / 0.2, "within": 1 / 2.0, "peak_mae": 1 / 0.5, "peak_bias": 1 / 0.5,
          "peak_within": 1 / 3.0, "ahead_mae": 1 / 0.8, "ahead_bias": 1 / 0.8, "zero_waited": 1 / 3.0,
          "zero_mean": 1 / 0.6, "per_day": 1 / 10.0}
WAITED_S = 60  # a ticket told "0" "waited" when it was called more than a minute after it was taken


def formula_figures(played) -> dict:
    """The formula's figures as the issue gives them, from scored tickets with others[FORMULA]."""
    called = [p for p in played if p.wait_s is not None and be.FORMULA in p.others]
    out = {}
    for key, only in (("", None), ("peak_", results.SLICES["peak 9:00-10:30"]),
                      ("ahead_", results.SLICES["someone ahead"])):
        a = results.scored(called, be.FORMULA, only)
        out[key + "mae"], out[key + "bias"] = a.mae_s / 60, a.bias_s / 60
        out[key + "within"] = 100 * a.within_5min
    out.update(told_zero(called, be.FORMULA))
    out["per_day"] = len(played) / max(1, len({p.day for p in played}))
    out["ahead_share"] = 100 * sum(p.ahead > 0 for p in called) / len(called)
    return out


def told_zero(played, estimator=None) -> dict:
    """Of the tickets told "0" (estimate under a minute), the share that waited over a minute and
    their mean wait (minutes), as the issue reports them."""
    def told(p):
        return p.estimate_s if estimator is None else p.others.get(estimator)
    zero = [p for p in played if p.wait_s is not None and told(p) is not None and told(p) < 60]
    waited = [p.wait_s for p in zero if p.wait_s > WAITED_S]
    return {"zero_n": len(zero), "zero_waited": 100 * len(waited) / len(zero) if zero else 0.0,
            "zero_mean": statistics.fmean(waited) / 60 if waited else 0.0}


def distance(fig: dict) -> float:
    return sum(((fig[k] - v) * WEIGHT[k]) ** 2 for k, v in PUBLISHED.items()) ** 0.5


def formula_only(ctx, hall, ticket) -> dict:
    with ctx.db.read() as conn:
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == ticket["id"])).first()
        return {be.FORMULA: be.formula_wait_s(conn, hall, row)}


def without_forward_estimate():
    """Issue tickets without playing the forward estimate (the formula alone is measured here)."""
    queue._estimate_before_writing = lambda *a, **k: None
    estimates.at_issue = lambda *a, **k: {"estimated_wait_s": 0, "estimated_wait_low_s": 0,
                                          "estimated_wait_high_s": 0}


def candidate(plan: dayplan.DayPlan, peak: float | None, cv_scale: float, total: float | None) -> dayplan.DayPlan:
    """`plan` with the 9:00-10:30 rate set to `peak`, every cv times `cv_scale`, and the other hours
    scaled so that a day expects `total` tickets (None: as they are)."""
    p = copy.deepcopy(plan)
    for mix in p.services.values():
        mix.cv = round(mix.cv * cv_scale, 3)
    nine = 9 * 3600
    if peak is not None:
        p.rate[nine] = float(peak)
    if total is not None:
        points = list(p.rate.items()) + [(24 * 3600, 0.0)]
        expect = {a: r * (b[0] - a) / 3600 for (a, r), b in zip(points, points[1:])}
        rest = sum(v for a, v in expect.items() if a != nine)
        k = (total - expect.get(nine, 0.0)) / rest
        p.rate = {a: (r if a == nine else round(r * k, 1)) for a, r in p.rate.items()}
    return p


def evaluate(plan, seeds) -> dict:
    played = runner.play(plan, seeds, warmup=0, on_issue=formula_only)  # the formula needs no history
    return formula_figures(played)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--day", default=str(runner.SAMPLE_DAY))
    ap.add_argument("--seed", type=int, default=201)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--peak", type=float, nargs="*", default=[None], help="9:00-10:30 rates to try")
    ap.add_argument("--cv-scale", type=float, nargs="*", default=[1.0], help="cv multipliers to try")
    ap.add_argument("--total", type=float, default=None, help="expected tickets a day (rescales other hours)")
    ap.add_argument("--check", action="store_true", help="allow the scored/tuning seeds (to report, not to fit)")
    args = ap.parse_args()
    if not args.check and (args.seed <= 5 or 101 <= args.seed <= 105):
        sys.exit("calibrate on seeds other than the scored (1-5) and tuning (101-105) ones")
    without_forward_estimate()
    known = {s["code"] for s in halls.read_config()["services"]}
    base = dayplan.read(args.day, known)
    seeds = list(range(args.seed, args.seed + args.days))
    cols = ["peak", "cv_x", "per_day", "ahead_share", "mae", "bias", "within", "peak_mae", "peak_bias",
            "peak_within", "ahead_mae", "ahead_bias", "zero_waited", "zero_mean", "distance"]
    rows = [{"peak": "issue", **PUBLISHED, "distance": 0.0}]
    for peak, cvx in itertools.product(args.peak, args.cv_scale):
        started = time.time()
        fig = evaluate(candidate(base, peak, cvx, args.total), seeds)
        rows.append({"peak": peak if peak is not None else "as file", "cv_x": cvx, **fig,
                     "distance": distance(fig)})
        print(f"  peak {peak} cv x{cvx}: distance {rows[-1]['distance']:.2f} ({time.time() - started:.0f} s) "
              + " ".join(f"{k} {fig[k]:.2f}" for k in cols[2:-1]), flush=True)
    results.print_table(f"Today's formula on {base.name}, seeds {seeds[0]}-{seeds[-1]} "
                        "(minutes, %; 'issue' = published)", rows, cols)


if __name__ == "__main__":
    main()
