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


def ticket(number, service, issued, wait):
    h, m = (int(x) for x in issued.split(":"))
    at = h * 3600 + m * 60
    return Played("2026-11-02", 0, number, service, None, at, 0, None, None, None,
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
