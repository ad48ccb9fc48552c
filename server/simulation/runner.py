"""`python server.py simulate`: play days on a scratch database and report waits and accuracy.

Each run gets its own temporary SQLite database (in /dev/shm when there is one), migrated and loaded
with the hall's config like `server.py init`; the live database is only read (for --replay).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from ..domain.errors import Invalid
from ..services import estimates, halls
from ..services.context import Hallq
from ..store.db import ROOT, Database
from . import day as dayplan
from . import results
from .player import Hall, Played

SAMPLE_DAY = ROOT / "assets" / "simulate" / "sandu_day.toml"  # calibrated to issue 16's measurements
BUSY_DAY = ROOT / "assets" / "simulate" / "sandu_busy_day.toml"  # a harder day (the first sample day)
FIRST_DAY = date(2026, 11, 2)  # a Monday; synthetic days are the working days from here


class Scratch:
    """A throwaway hall database for one simulation run."""

    def __init__(self, hall_data: dict | None = None, estimating: bool = True):
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.dir = Path(tempfile.mkdtemp(prefix="hallq-sim-", dir=base))
        self.ctx = Hallq(db=Database(f"sqlite:///{self.dir / 'sim.db'}"), secret=b"simulate",
                         var_dir=self.dir, always_open=True, simulated=True, estimating=estimating)
        from ..store import migrate
        migrate.upgrade(self.ctx.db.engine)
        halls.load_hall(self.ctx, hall_data or halls.read_config())
        self.code = (hall_data or halls.read_config())["hall"]["code"]
        self.hall = Hall(self.ctx, self.code)

    def close(self):
        estimates.forget(self.ctx.db.engine)
        self.ctx.db.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)


def working_days(first: date, count: int) -> list[date]:
    out, d = [], first
    while len(out) < count:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def play_days(schedule: list[tuple[date, dayplan.DayPlan, int, bool]], *, hall_data: dict | None = None,
              on_issue=None, progress=None) -> list[Played]:
    """Play (day, plan, seed, scored) in order on one scratch database; the scored days' tickets."""
    scratch = Scratch(hall_data)
    try:
        out: list[Played] = []
        for d, plan, seed, scored_day in schedule:
            played = scratch.hall.play(d, plan, dayplan.draw(plan, seed), seed,
                                       on_issue=on_issue if scored_day else None)
            if progress:
                progress(d, scored_day, played)
            if scored_day:
                out.extend(played)
        return out
    finally:
        scratch.close()


def play(plan: dayplan.DayPlan, seeds: list[int], *, warmup: int = 1, hall_data: dict | None = None,
         on_issue=None, first_day: date = FIRST_DAY, base_plan: dayplan.DayPlan | None = None,
         progress=None) -> list[Played]:
    """Play `warmup` days (so earlier days exist, as in a running hall) then one day per seed;
    returns the scored days' tickets. Warm-up days use `base_plan` (default: `plan`)."""
    days = working_days(first_day, warmup + len(seeds))
    schedule = [(d, base_plan or plan, 10_000 + i, False) for i, d in enumerate(days[:warmup])]
    schedule += [(d, plan, seed, True) for d, seed in zip(days[warmup:], seeds)]
    return play_days(schedule, hall_data=hall_data, on_issue=on_issue, progress=progress)


def _service_names(hall_data: dict) -> dict[str, str]:
    return {s["code"]: s["name"] for s in hall_data.get("services", [])}


def staffed_runs(plan: dayplan.DayPlan, changes: list[dayplan.StaffChange], *,
                 replay: bool) -> dict[str, dayplan.DayPlan]:
    """The day as staffed and, when anything changes, the day with the changes ("as staffed",
    "what if"). A replayed day keeps its windows that called nobody off; a change that gives such a
    window services staffs it for that span (the window is off around it)."""
    kept = [c for c in plan.staffing if replay and c.start_s == 0 and c.services is None]
    as_staffed = dayplan.DayPlan(**{**plan.__dict__, "staffing": kept})
    staffing = [c for c in plan.staffing if c not in kept]
    for off in kept:
        opened = sorted((c.start_s, c.end_s) for c in changes if c.window == off.window and c.services)
        at = off.start_s
        for a, b in opened:
            if a > at:
                staffing.append(dayplan.StaffChange(off.window, None, at, a))
            at = max(at, b)
        if at < off.end_s:
            staffing.append(dayplan.StaffChange(off.window, None, at, off.end_s))
    # the windows' off spans first: where a span ends as a change starts, staff sign in, then change
    what_if = dayplan.DayPlan(**{**plan.__dict__, "staffing": staffing + changes})
    runs = {"as staffed": as_staffed}
    if changes or len(what_if.staffing) != len(as_staffed.staffing):
        runs["what if"] = what_if
    return runs


def play_runs(runs: dict[str, dayplan.DayPlan], warmups: list[tuple[date, dayplan.DayPlan]], first: date,
              seeds: list[int], *, replay: bool, hall_data: dict | None = None,
              on_issue=None) -> dict[str, list[Played]]:
    """Each run on its own scratch database: the same warm-up days, then the scored days with the
    same seeds (the same residents)."""
    out = {}
    for label, p in runs.items():
        schedule = [(d, w, 10_000 + i, False) for i, (d, w) in enumerate(warmups)]
        if replay:
            schedule.append((first, p, seeds[0], True))
        else:
            schedule += [(d, p, seed, True) for d, seed in zip(working_days(first, len(seeds)), seeds)]
        out[label] = play_days(schedule, hall_data=hall_data,
                               on_issue=(lambda c, h, tk, _l=label: on_issue(_l, tk)) if on_issue else None)
    return out


def play_sampled(runs: dict[str, dayplan.DayPlan], first: date, seeds: list[int], *, replay: bool,
                 hall_data: dict | None = None, on_issue=None, budget_s: float | None = None,
                 estimating: bool = False, clock=time.monotonic
                 ) -> tuple[dict[str, list[Played]], list[tuple[date, int]]]:
    """The dashboard's what-if: each run on its own scratch database, played day by day (a sampled
    day as staffed, then with the changes: the same residents), one working day per seed; a
    replayed day is one day (what happened). With `budget_s`, a next day starts only if it should
    end within the budget (the slowest day so far, x1.25), so a run keeps to its time limit on a
    busy machine; the first day is always played. No wait estimates unless `estimating` (the
    waits do not depend on them). Returns ({label: tickets of the days played}, [(day, seed)])."""
    days = [(first, seeds[0])] if replay else list(zip(working_days(first, len(seeds)), seeds))
    start = clock()
    scratches = {label: Scratch(hall_data, estimating=estimating) for label in runs}
    try:
        out: dict[str, list[Played]] = {label: [] for label in runs}
        done: list[tuple[date, int]] = []
        slowest = 0.0
        for d, seed in days:
            began = clock()
            if done and budget_s is not None and began - start + 1.25 * slowest > budget_s:
                break
            for label, plan in runs.items():
                s = scratches[label]
                out[label] += s.hall.play(d, plan, dayplan.draw(plan, seed), seed, on_issue=(
                    (lambda c, h, tk, _l=label: on_issue(_l, tk)) if on_issue else None))
            slowest = max(slowest, clock() - began)
            done.append((d, seed))
        return out, done
    finally:
        for s in scratches.values():
            s.close()


WAIT_COLS = ["service", "hour", "tickets", "mean_wait_min", "p90_wait_min", "max_wait_min"]
ACCURACY_COLS = ["slice", "estimator", "tickets", "mae_min", "bias_min", "within_5min_pct", "range_held_pct"]
COMPARE_COLS = ["service", "tickets", "mean_wait_min", "what_if_mean_wait_min", "p90_wait_min",
                "what_if_p90_wait_min"]


def sheets_of(played_by_run: dict[str, list[Played]], names: dict[str, str], echo: bool = False,
              accuracy: bool = True) -> dict[str, tuple[list[str], list[dict]]]:
    """The xlsx's sheets (waits and, with `accuracy`, the estimate's accuracy per run; the
    comparison), printed too with `echo`."""
    sheets = {}
    for label, played in played_by_run.items():
        rows = results.waits(played, names)
        if echo:
            results.print_table(f"Waits ({label}), minutes, by hour of issue", rows, WAIT_COLS)
        sheets[f"等候 waits ({label})"] = (WAIT_COLS, rows)
        if accuracy:
            acc = results.accuracy_rows(played, [None])
            if echo:
                results.print_table(f"Estimate accuracy ({label})", acc, ACCURACY_COLS)
            sheets[f"准确度 accuracy ({label})"] = (ACCURACY_COLS, acc)
    if "what if" in played_by_run:
        rows = compare(played_by_run["as staffed"], played_by_run["what if"], names)
        if echo:
            results.print_table("As staffed vs what if (whole day, minutes)", rows, COMPARE_COLS)
        sheets["对比 compare"] = (COMPARE_COLS, rows)
    return sheets


def check_changes(changes: list[dayplan.StaffChange], windows: set[int]) -> None:
    """Changes name windows of the hall, lie within the day, and never overlap on one window."""
    for c in changes:
        if c.window not in windows:
            raise Invalid(f"没有 {c.window} 号窗口 (the hall has no window {c.window})", code="unknown_window")
        if c.end_s > 24 * 3600:
            raise Invalid("时间应在 00:00 至 24:00 之间 (times lie between 00:00 and 24:00)", code="invalid_time")
    for a in changes:
        for b in changes:
            if a is not b and a.window == b.window and a.start_s < b.end_s and b.start_s < a.end_s:
                raise Invalid(f"{a.window} 号窗口的调整时间重叠 (changes to window {a.window} overlap)",
                              code="overlapping_changes")


def cli(args) -> None:
    check_args(args)
    hall_data = halls.read_config(args.hall_file) if args.hall_file else None
    warmups: list[tuple[date, dayplan.DayPlan]] = []
    if args.replay:
        from ..services.context import create_hallq
        from .replay import days_before, plan_from_database
        live = create_hallq(start_bus=False)
        try:
            plan, hall_data = plan_from_database(live, args.replay, args.hall)
            warmups = days_before(live, args.replay, args.hall, args.warmup)
        finally:
            live.db.dispose()
        first = date.fromisoformat(args.replay)
        seeds = [args.seed]
    else:
        known = {s["code"] for s in (hall_data or halls.read_config())["services"]}
        plan = dayplan.read(args.day or SAMPLE_DAY, known)
        days = working_days(FIRST_DAY, args.warmup + args.days)
        warmups = [(d, plan) for d in days[:args.warmup]]
        first = days[args.warmup]
        seeds = list(range(args.seed, args.seed + args.days))
    config = hall_data or halls.read_config()
    known = {s["code"] for s in config["services"]}
    changes = [dayplan.parse_staff(s, known) for s in (args.staff or [])]
    check_changes(changes, {w["number"] for w in config.get("windows", [])})
    names = _service_names(config)
    runs = staffed_runs(plan, changes, replay=bool(args.replay))
    print(f"hallq simulate: {plan.name}; {len(seeds)} day(s), {len(warmups)} earlier day(s) played first")
    played_by_run = play_runs(runs, warmups, first, seeds, replay=bool(args.replay), hall_data=hall_data)
    sheets = sheets_of(played_by_run, names, echo=True)
    if "what if" in played_by_run:  # the dashboard's comparison by hour and its longest waits too
        from . import whatif
        services = [{"code": s["code"], "name": s["name"], "name_en": s.get("name_en") or s["name"]}
                    for s in config["services"]]
        sheets.update(whatif.sheets(whatif.compare(played_by_run["as staffed"], played_by_run["what if"],
                                                   services)))
    out = Path(args.out or f"simulate-{first.isoformat()}.xlsx")
    results.write_xlsx(out, sheets)
    print(f"\nhallq simulate: written {out}")


def compare(before: list[Played], after: list[Played], names: dict[str, str]) -> list[dict]:
    day = {r["service"]: r for r in results.waits(before, names) if r["hour"] == "全天 (day)"}
    other = {r["service"]: r for r in results.waits(after, names) if r["hour"] == "全天 (day)"}
    return [{"service": k, "tickets": v["tickets"], "mean_wait_min": v["mean_wait_min"],
             "what_if_mean_wait_min": other.get(k, {}).get("mean_wait_min"),
             "p90_wait_min": v["p90_wait_min"], "what_if_p90_wait_min": other.get(k, {}).get("p90_wait_min")}
            for k, v in day.items()]


def check_args(args) -> None:
    if args.days < 1 or args.days > 60 or args.warmup < 0 or args.warmup > 20:
        raise Invalid("--days 1..60, --warmup 0..20")
