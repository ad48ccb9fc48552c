"""`server.py simulate`: a day played through the real queue code with a simulated clock."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.domain.errors import Invalid
from server.services import halls
from server.simulation import day as dayplan
from server.simulation import results, runner

ROOT = Path(__file__).resolve().parents[2]
KNOWN = {s["code"] for s in halls.read_config()["services"]}

SMALL_DAY = """
[day]
name = "a small morning"
elderly_share = 0.2
no_show_share = 0.1
[arrivals]
rate = { "08:30" = 30, "10:00" = 0 }
[services.hukou]
share = 0.7
service_min = 8
[services.public]
share = 0.3
service_min = 3
"""


@pytest.fixture
def small_day(tmp_path):
    path = tmp_path / "day.toml"
    path.write_text(SMALL_DAY, encoding="utf-8")
    return dayplan.read(path, KNOWN)


def test_the_sample_sandu_day_draws_about_310_residents_with_a_morning_peak():
    plan = dayplan.read(runner.SAMPLE_DAY, KNOWN)
    visits = dayplan.draw(plan, 7)
    assert visits == dayplan.draw(plan, 7)  # seeded: the same residents again
    assert 260 <= len(visits) <= 360
    peak = [v for v in visits if 9 * 3600 <= v.at_s < 10.5 * 3600]
    assert len(peak) / 1.5 > 1.5 * len(visits) / 7  # the peak's hourly rate: well over the day's
    assert 0.04 <= sum(v.priority is not None for v in visits) / len(visits) <= 0.12
    assert all(20 <= v.walk_s <= 60 for v in visits)


@pytest.mark.parametrize("path", [runner.SAMPLE_DAY, runner.BUSY_DAY], ids=["issue day", "busy day"])
def test_both_shipped_days_are_the_issues_sandu_day_in_what_it_states(path):
    plan = dayplan.read(path, KNOWN)
    per_day = sum(len(dayplan.draw(plan, seed)) for seed in range(300, 320)) / 20
    assert 290 <= per_day <= 330  # "about 310 tickets a day"
    assert {m.service_min for m in plan.services.values()} <= set(range(4, 16))  # means 4-15 min
    assert min(m.service_min for m in plan.services.values()) == 4
    assert max(m.service_min for m in plan.services.values()) == 15
    assert abs(sum(m.share for m in plan.services.values()) - 1) < 1e-9
    assert plan.walk_s == (20, 60) and plan.no_show_share == 0.05 and plan.elderly_share == 0.08
    rates = sorted(plan.rate.items())
    peak = max(r for _, r in rates)
    assert [t for t, r in rates if r == peak] == [9 * 3600]  # the busiest rate starts at 9:00 ...
    assert dict(rates)[10.5 * 3600] < peak  # ... and ends at 10:30


def test_the_issue_day_is_calmer_in_the_peak_than_the_busy_day():
    issue, busy = dayplan.read(runner.SAMPLE_DAY, KNOWN), dayplan.read(runner.BUSY_DAY, KNOWN)
    assert issue.rate[9 * 3600] < busy.rate[9 * 3600]


@pytest.mark.slow
def test_the_command_plays_the_busy_day_file_with_the_estimate_and_its_accuracy(tmp_path):
    out = tmp_path / "busy.xlsx"
    run = subprocess.run([sys.executable, str(ROOT / "server.py"), "simulate", "--day", str(runner.BUSY_DAY),
                          "--warmup", "0", "--seed", "7", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "HALLQ_SECRET": "t", "HALLQ_VAR": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert dayplan.read(runner.BUSY_DAY, KNOWN).name in run.stdout
    wb = load_workbook(out)
    acc = wb["准确度 accuracy (as staffed)"]
    names = {v: k for k, v in results.HEADERS.items()}
    first = {names[h.value]: v.value for h, v in zip(acc[1], acc[2])}
    assert first["slice"] == "all" and first["tickets"] == len(dayplan.draw(
        dayplan.read(runner.BUSY_DAY, KNOWN), 7))  # every resident of the day was called and scored
    assert 0 < first["range_held_pct"] <= 100 and first["mae_min"] > 0


def test_staffing_changes_are_read_from_the_command_line_and_bad_ones_refused():
    ch = dayplan.parse_staff("11:hukou@09:00-11:00", KNOWN)
    assert (ch.window, ch.services, ch.start_s, ch.end_s) == (11, ["hukou"], 9 * 3600, 11 * 3600)
    assert dayplan.parse_staff("5:off@14:00-17:30", KNOWN).services is None
    for bad in ("11:hukou", "11:nosuch@09:00-11:00", "11:hukou@11:00-09:00", "x:hukou@09:00-10:00"):
        with pytest.raises(Invalid):
            dayplan.parse_staff(bad, KNOWN)


@pytest.mark.slow
def test_a_played_day_calls_everyone_and_stores_the_estimate_given_at_issue(small_day):
    played = runner.play(small_day, [3], warmup=1)
    assert len(played) > 20 and all(p.called_s is not None for p in played)
    assert all(p.estimate_s is not None and p.low_s <= p.estimate_s <= p.high_s for p in played)
    assert any(p.no_show for p in played) and any(p.priority for p in played)
    hukou = [p for p in played if p.service == "hukou"]
    assert max(p.wait_s for p in hukou) > 15 * 60  # one window, 8-minute cases: a queue builds
    acc = results.scored(played)
    assert acc.n == len(played) and acc.mae_s is not None and 0 <= acc.range_held <= 1


@pytest.mark.slow
def test_a_second_window_for_hukou_shortens_its_waits_with_the_same_residents(small_day):
    as_staffed = runner.play(small_day, [3], warmup=0)
    helped = dayplan.DayPlan(**{**small_day.__dict__,
                                "staffing": [dayplan.parse_staff("11:hukou@08:30-12:00", KNOWN)]})
    what_if = runner.play(helped, [3], warmup=0)
    assert [p.service for p in as_staffed] == [p.service for p in what_if]

    def mean_wait(played):
        waits = [p.wait_s for p in played if p.service == "hukou"]
        return sum(waits) / len(waits)
    assert mean_wait(what_if) < 0.6 * mean_wait(as_staffed)


@pytest.mark.slow
def test_the_command_prints_waits_and_accuracy_and_writes_an_xlsx(tmp_path):
    day = tmp_path / "day.toml"
    day.write_text(SMALL_DAY, encoding="utf-8")
    out = tmp_path / "sim.xlsx"
    run = subprocess.run([sys.executable, str(ROOT / "server.py"), "simulate", "--day", str(day),
                          "--warmup", "0", "--staff", "11:hukou@08:30-10:00", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=240,
                         env={"PATH": "/usr/bin:/bin", "HALLQ_SECRET": "t", "HALLQ_VAR": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert "Waits (as staffed)" in run.stdout and "Estimate accuracy" in run.stdout
    assert "As staffed vs what if" in run.stdout and "户政" in run.stdout
    wb = load_workbook(out)
    assert "对比 compare" in wb.sheetnames
    assert {"调整对比 what-if by hour", "最长等候 longest waits"} <= set(wb.sheetnames)  # as the dashboard's
    sheet = wb["等候 waits (as staffed)"]
    assert [c.value for c in sheet[1]][:3] == ["业务\nservice", "取号时段\nhour", "人次\ntickets"]
    assert sheet.max_row > 3


def test_a_bad_day_file_is_a_clear_error_not_a_traceback(tmp_path):
    day = tmp_path / "bad.toml"
    day.write_text('[arrivals]\nrate = { "8:3" = 10 }\n[services.hukou]\nshare = 1\n', encoding="utf-8")
    run = subprocess.run([sys.executable, str(ROOT / "server.py"), "simulate", "--day", str(day)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "HALLQ_SECRET": "t", "HALLQ_VAR": str(tmp_path)})
    assert run.returncode != 0 and "09:30" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow
def test_a_past_day_is_replayed_from_the_database_with_its_own_residents(small_day):
    from server.simulation.replay import plan_from_database
    scratch = runner.Scratch()
    try:
        day = runner.FIRST_DAY
        played = scratch.hall.play(day, small_day, dayplan.draw(small_day, 5), 5)
        plan, hall_data = plan_from_database(scratch.ctx, day.isoformat(), "main")
        out = scratch.dir / "replay.xlsx"
        run = subprocess.run([sys.executable, str(ROOT / "server.py"), "simulate", "--replay", day.isoformat(),
                              "--staff", "11:hukou@08:30-12:00", "--out", str(out)],
                             cwd=ROOT, capture_output=True, text=True, timeout=240,
                             env={"PATH": "/usr/bin:/bin", "HALLQ_SECRET": "t", "HALLQ_VAR": str(scratch.dir),
                                  "HALLQ_DATABASE_URL": f"sqlite:///{scratch.dir / 'sim.db'}"})
        assert run.returncode == 0, run.stderr
        assert "(replayed)" in run.stdout and "As staffed vs what if" in run.stdout and out.exists()
    finally:
        scratch.close()
    assert hall_data["hall"]["code"] == "main"
    assert len(plan.visits) == len(played)
    assert sorted(v.service for v in plan.visits) == sorted(p.service for p in played)
    assert sum(v.no_show for v in plan.visits) == sum(p.no_show for p in played)
    staffed_off = {c.window for c in plan.staffing}
    assert 9 not in staffed_off and 1 in staffed_off  # only windows that called anyone are staffed
    again = runner.play_days([(day, plan, 1, True)], hall_data=hall_data)
    waits = sorted(p.wait_s for p in played if p.service == "hukou")
    replayed = sorted(p.wait_s for p in again if p.service == "hukou")
    assert abs(sum(waits) / len(waits) - sum(replayed) / len(replayed)) < 120  # the same day again


@pytest.mark.slow
def test_the_dashboards_what_if_plays_sampled_days_within_its_budget(small_day):
    """runner.play_sampled: one working day per seed, both runs meeting the same residents each day
    and other residents on other days; no estimate computed, and the waits the same as with it; a
    next day only while it should end within the budget; a replayed day is one day."""
    change = dayplan.parse_staff("11:hukou@08:30-12:00", KNOWN)
    runs = runner.staffed_runs(small_day, [change], replay=False)
    played, days = runner.play_sampled(runs, runner.FIRST_DAY, [3, 4, 5], replay=False)
    assert days == list(zip(runner.working_days(runner.FIRST_DAY, 3), [3, 4, 5]))

    def residents(label, day):
        return [(p.number, p.service, round(p.issued_s, 3)) for p in played[label] if p.day == day.isoformat()]
    for d, _ in days:
        assert residents("as staffed", d) == residents("what if", d) and len(residents("what if", d)) > 20
    assert residents("as staffed", days[0][0]) != residents("as staffed", days[1][0])
    assert all(p.estimate_s is None and p.called_s is not None for p in played["what if"])
    estimated, _ = runner.play_sampled(runs, runner.FIRST_DAY, [3], replay=False, estimating=True)
    assert all(p.estimate_s is not None for p in estimated["what if"])
    first = days[0][0].isoformat()
    for label in runs:
        assert [p.wait_s for p in estimated[label]] == [p.wait_s for p in played[label] if p.day == first]

    # a day takes 10 s on this clock: with 25 s, a third day (from 20 s, x1.25) would end too late
    ticks = iter([0, 0, 10, 10, 20, 20, 30, 30, 40])
    _, days = runner.play_sampled(runs, runner.FIRST_DAY, [3, 4, 5], replay=False, budget_s=25,
                                  clock=lambda: next(ticks))
    assert [s for _, s in days] == [3, 4]
    _, days = runner.play_sampled(runs, runner.FIRST_DAY, [3, 4, 5], replay=False, budget_s=0)
    assert [s for _, s in days] == [3]  # the first day is always played

    replayed = dayplan.DayPlan(**{**small_day.__dict__, "visits": dayplan.draw(small_day, 3)})
    runs = runner.staffed_runs(replayed, [change], replay=True)
    played, days = runner.play_sampled(runs, runner.FIRST_DAY, [3, 4, 5], replay=True)
    assert days == [(runner.FIRST_DAY, 3)] and len(played["what if"]) == len(replayed.visits)
