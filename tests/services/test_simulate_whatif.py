"""模拟排班's comparison and staffing rules on hand-made days (no database): the figures per service
and hour worked out by hand, the longest waits paired by ticket, a replayed day's closed window
opened by a change, and changes that cannot be played refused."""
from __future__ import annotations

import pytest

from server.domain.errors import Invalid
from server.simulation import day as dayplan
from server.simulation import runner, whatif
from server.simulation.player import Played

SERVICES = [{"code": "hukou", "name": "户政", "name_en": "Household registration"},
            {"code": "public", "name": "公共服务综合", "name_en": "Public utilities"}]


def ticket(number, service, issued, wait, day="2026-11-02"):
    h, m = (int(x) for x in issued.split(":"))
    at = h * 3600 + m * 60
    return Played(day, 0, number, service, None, at, 0, None, None, None,
                  called_s=None if wait is None else at + wait * 60)


def test_waits_per_service_and_hour_as_staffed_and_with_the_change_worked_by_hand():
    before = [ticket("F001", "hukou", "08:40", 10), ticket("F002", "hukou", "08:50", 30),
              ticket("F003", "hukou", "09:10", 50), ticket("H001", "public", "09:20", 4)]
    after = [ticket("F001", "hukou", "08:40", 2), ticket("F002", "hukou", "08:50", 6),
             ticket("F003", "hukou", "09:10", 10), ticket("H001", "public", "09:20", 9)]
    res = whatif.compare(before, after, SERVICES)
    hukou = res["services"][0]
    assert (hukou["service"], hukou["name_en"], hukou["tickets"]) == ("hukou", "Household registration", 3)
    assert hukou["baseline"] == {"tickets": 3, "mean_wait_s": 1800.0, "p90_wait_s": 3000.0, "max_wait_s": 3000.0}
    assert hukou["what_if"]["mean_wait_s"] == 360.0 and hukou["change"]["mean_wait_s"] == -1440.0
    public = res["services"][1]
    assert public["change"] == {"mean_wait_s": 300.0, "p90_wait_s": 300.0, "max_wait_s": 300.0}
    assert [(h["hour"], h["tickets"], h["baseline"]["mean_wait_s"]) for h in res["hours"]] == [
        (8, 2, 1200.0), (9, 2, 1620.0)]
    assert res["hall"]["baseline"]["mean_wait_s"] == 1410.0 and res["hall"]["issued"] == 4
    assert {(r["service"], r["hour"]) for r in res["service_hours"]} == {("hukou", 8), ("hukou", 9), ("public", 9)}
    # the longest waits of either run, each resident's two waits side by side
    assert [(x["number"], x["baseline_wait_s"], x["what_if_wait_s"]) for x in res["longest"]] == [
        ("F003", 3000.0, 600.0), ("F002", 1800.0, 360.0), ("F001", 600.0, 120.0), ("H001", 240.0, 540.0)]
    sheets = whatif.sheets(res)
    cols, rows = sheets["调整对比 what-if by hour"]
    assert rows[0]["service"] == "户政" and rows[0]["change_mean_wait_min"] == -24.0


def test_a_resident_never_called_counts_apart_not_as_a_wait():
    before = [ticket("F001", "hukou", "16:50", 20)]
    after = [ticket("F001", "hukou", "16:50", None)]
    res = whatif.compare(before, after, SERVICES)
    assert res["hall"]["uncalled"] == {"baseline": 0, "what_if": 1}
    assert res["hall"]["what_if"]["mean_wait_s"] is None and res["hall"]["change"]["mean_wait_s"] is None
    assert res["longest"][0]["what_if_wait_s"] is None


def test_several_sampled_days_are_averaged_with_their_spread_worked_by_hand():
    """Three days; each counts once. 户政 is shorter every day; 公共服务 is the same on day 1 (under
    half a minute), longer on day 2, and has nobody on day 3."""
    d1, d2, d3 = "2026-11-02", "2026-11-03", "2026-11-04"
    before = [ticket("F001", "hukou", "08:40", 10, d1), ticket("F002", "hukou", "09:10", 30, d1),
              ticket("H001", "public", "09:20", 4, d1),
              ticket("F001", "hukou", "08:45", 40, d2), ticket("H001", "public", "08:50", 2, d2),
              ticket("F001", "hukou", "09:05", 6, d3)]
    after = [ticket("F001", "hukou", "08:40", 2, d1), ticket("F002", "hukou", "09:10", 6, d1),
             ticket("H001", "public", "09:20", 4.25, d1),
             ticket("F001", "hukou", "08:45", 8, d2), ticket("H001", "public", "08:50", 12, d2),
             ticket("F001", "hukou", "09:05", 5, d3)]
    res = whatif.compare_days(before, after, SERVICES, seeds={d1: 7, d2: 8, d3: 9})
    hukou, public = res["services"]
    # 户政's mean wait a day: 20, 40, 6 min as staffed; 4, 8, 5 with the change
    assert hukou["tickets"] == round(4 / 3, 1) and hukou["baseline"]["tickets"] == round(4 / 3, 1)
    assert hukou["baseline"]["mean_wait_s"] == round(22 * 60, 1)
    assert hukou["what_if"]["mean_wait_s"] == round(17 / 3 * 60, 1)
    assert hukou["change"]["mean_wait_s"] == round(round(17 / 3 * 60, 1) - 22 * 60, 1)
    assert hukou["baseline"]["max_wait_s"] == round((30 + 40 + 6) / 3 * 60, 1)
    assert hukou["spread"] == {"days": 3, "mean_wait_s": {"baseline": [360.0, 2400.0], "what_if": [240.0, 480.0],
                                                          "change": [-1920.0, -60.0]},
                               "shorter_days": 3, "longer_days": 0}
    # 公共服务 on the two days it had anyone: +15 s (the same) and +10 min
    assert public["tickets"] == round(2 / 3, 1) and public["baseline"]["mean_wait_s"] == 180.0
    assert public["spread"]["mean_wait_s"]["change"] == [15.0, 600.0]
    assert (public["spread"]["days"], public["spread"]["shorter_days"], public["spread"]["longer_days"]) == (2, 0, 1)
    # the hall: a day's mean 44/3, 21, 6 min as staffed
    hall = res["hall"]
    assert hall["tickets"] == 2.0 and hall["issued"] == 2.0
    assert hall["baseline"]["mean_wait_s"] == round((44 / 3 + 21 + 6) / 3 * 60, 1)
    assert hall["spread"]["mean_wait_s"]["baseline"] == [360.0, 1260.0]
    assert [(d["day"], d["index"], d["seed"], d["tickets"]) for d in res["days"]] == [
        (d1, 1, 7, 3), (d2, 2, 8, 2), (d3, 3, 9, 1)]
    assert res["days"][1]["services"][1]["change"]["mean_wait_s"] == 600.0
    # hours: 8 o'clock had tickets on days 1 and 2 (2 tickets over 3 days), 9 o'clock on all three
    assert [(h["hour"], h["tickets"]) for h in res["hours"]] == [(8, round(3 / 3, 1)), (9, 1.0)]
    # the longest waits of all the days, with their day
    assert [(x["day_index"], x["number"], x["baseline_wait_s"]) for x in res["longest"][:3]] == [
        (2, "F001", 2400.0), (1, "F002", 1800.0), (2, "H001", 120.0)]  # H001 waited 12 min with the change
    sheets = whatif.sheets(res)
    assert list(sheets) == ["调整对比 what-if by hour", "最长等候 longest waits", "波动 spread over the days", "逐日 by day"]
    cols, rows = sheets["调整对比 what-if by hour"]
    assert cols[2] == "tickets_per_day" and rows[0]["mean_wait_min"] == 22.0
    _, spread = sheets["波动 spread over the days"]
    assert spread[1] == {"service": "户政", "days": 3, "mean_wait_min": 22.0, "lowest_day_min": 6.0,
                         "highest_day_min": 40.0, "what_if_mean_wait_min": 17 / 3, "what_if_lowest_day_min": 4.0,
                         "what_if_highest_day_min": 8.0, "change_mean_wait_min": hukou["change"]["mean_wait_s"] / 60,
                         "change_lowest_day_min": -32.0, "change_highest_day_min": -1.0,
                         "shorter_days": 3, "longer_days": 0}
    _, by_day = sheets["逐日 by day"]
    assert [(r["day"], r["seed"], r["service"], r["tickets"]) for r in by_day] == [
        (d1, 7, "全部 (all)", 3), (d1, 7, "户政", 2), (d1, 7, "公共服务综合", 1),
        (d2, 8, "全部 (all)", 2), (d2, 8, "户政", 1), (d2, 8, "公共服务综合", 1),
        (d3, 9, "全部 (all)", 1), (d3, 9, "户政", 1)]


def test_one_day_is_compared_as_before_with_its_day():
    before = [ticket("F001", "hukou", "08:40", 10)]
    after = [ticket("F001", "hukou", "08:40", 4)]
    res = whatif.compare_days(before, after, SERVICES, seeds={"2026-11-02": 1})
    assert res["hall"]["tickets"] == 1 and "spread" not in res["hall"] and "spread" not in res["services"][0]
    assert res["days"] == [{"day": "2026-11-02", "index": 1, "seed": 1, "tickets": 1,
                            "baseline": res["hall"]["baseline"], "what_if": res["hall"]["what_if"],
                            "change": res["hall"]["change"], "services": [
                                {k: res["services"][0][k] for k in ("service", "name", "name_en", "tickets",
                                                                     "baseline", "what_if", "change")}]}]
    assert res["longest"][0]["day"] == "2026-11-02" and res["longest"][0]["day_index"] == 1
    assert list(whatif.sheets(res)) == ["调整对比 what-if by hour", "最长等候 longest waits"]


def test_a_change_staffs_a_window_that_called_nobody_on_the_replayed_day():
    off_all_day = dayplan.StaffChange(1, None, 0.0, 24 * 3600.0)
    plan = dayplan.DayPlan(name="replayed", staffing=[off_all_day], visits=[])
    change = dayplan.parse_staff("1:hukou@09:00-11:00")
    runs = runner.staffed_runs(plan, [change], replay=True)
    assert runs["as staffed"].staffing == [off_all_day]
    # off until 9, serving 户政 9-11, off again after; the off spans come first
    assert runs["what if"].staffing == [dayplan.StaffChange(1, None, 0.0, 9 * 3600.0),
                                        dayplan.StaffChange(1, None, 11 * 3600.0, 24 * 3600.0), change]
    closing = dayplan.parse_staff("1:off@09:00-11:00")  # closing a closed window changes nothing more
    assert runs_of(plan, closing)["what if"].staffing == [off_all_day, closing]


def runs_of(plan, change):
    return runner.staffed_runs(plan, [change], replay=True)


@pytest.mark.parametrize("texts, code", [
    (["12:hukou@09:00-10:00"], "unknown_window"),
    (["1:hukou@09:00-10:00", "1:off@09:30-11:00"], "overlapping_changes"),
    (["1:off@23:00-24:30"], "invalid_time"),
])
def test_changes_that_cannot_be_played_are_refused(texts, code):
    changes = [dayplan.parse_staff(x) for x in texts]
    with pytest.raises(Invalid) as err:
        runner.check_changes(changes, set(range(1, 12)))
    assert err.value.code == code
    runner.check_changes([dayplan.parse_staff("1:hukou@09:00-10:00"), dayplan.parse_staff("1:off@10:00-11:00")],
                         set(range(1, 12)))  # one after the other is fine
