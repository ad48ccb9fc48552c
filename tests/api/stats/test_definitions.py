"""Small rules of docs/kpis.md on their own: percentiles, the A/B post hand-over, pauses, ranges."""
from __future__ import annotations

from datetime import date

import pytest

from server.domain.errors import Invalid
from server.services import stats
from tests.api.stats.seed import Clock


def test_median_and_nearest_rank_p90():
    assert stats.median([1, 2, 3]) == 2 and stats.median([1, 2, 3, 10]) == 2.5
    assert stats.percentile(list(range(1, 11)), 90) == 9  # rank ceil(9.0) = 9
    assert stats.percentile(list(range(1, 12)), 90) == 10  # rank ceil(9.9) = 10
    assert stats.percentile([7], 90) == 7 and stats.percentile([], 90) is None
    assert stats.median([]) is None


def test_quarters_and_ranges():
    assert stats.parse_quarter("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert stats.parse_quarter("2025Q1") == (date(2025, 1, 1), date(2025, 3, 31))
    assert stats.quarter_of(date(2026, 5, 2)) == "2026Q2"
    today = date(2026, 3, 5)
    assert stats.parse_range(None, None, today) == (today, today)
    assert stats.parse_range("2026-03-01", None, today) == (date(2026, 3, 1), date(2026, 3, 1))
    for bad in (("2026-03-02", "2026-03-01"), ("2024-01-01", "2026-01-01"), ("3/1/2026", None)):
        with pytest.raises(Invalid):
            stats.parse_range(*bad, today)


def test_the_b_post_taking_over_splits_on_duty_time_and_pauses_are_not_idle(api, ctx, monkeypatch):
    clock = Clock(ctx, monkeypatch)
    clock.at("09:00")
    a = api.add_staff("zhang", [1], name="张明")
    b = api.add_staff("li", [1], name="李华")
    api.add_staff("boss", [], role="manager")
    assert api.act(1, "sign-in", a).status == 200
    api.issue("social")
    clock.at("09:10")
    api.act(1, "call-next", a)
    clock.at("09:20")
    api.act(1, "finish", a, json={"outcome": "immediate"})  # busy 600 s
    clock.at("09:30")
    api.act(1, "pause", a, json={"reason": "取材料"})
    clock.at("09:45")
    api.act(1, "resume", a)  # 900 s paused: neither on duty nor idle
    clock.at("10:00")
    assert api.act(1, "sign-in", b).status == 200  # B takes the window over from A
    clock.at("11:00")
    api.act(1, "sign-out", b)
    clock.at("12:00")
    body = api.get(api.hp("/stats?from=2025-03-11&to=2025-03-11"), "boss").body
    w1 = next(w for w in body["windows"] if w["number"] == 1)
    assert (w1["available_s"], w1["busy_s"], w1["idle_s"]) == (2700 + 3600, 600, 5700)
    staff = {s["name"]: s for s in body["staff"]}
    assert (staff["张明"]["available_s"], staff["张明"]["busy_s"]) == (2700, 600)
    assert staff["张明"]["idle_share"] == pytest.approx(2100 / 2700, abs=1e-4)
    assert (staff["李华"]["available_s"], staff["李华"]["idle_share"]) == (3600, 1.0)
