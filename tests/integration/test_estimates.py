"""Wait estimates through the API: a range with every estimate, stored at issue, measured for managers."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from server.domain.identity import make_id_number
from server.store import tables as t


def staff_at(api, windows):
    tokens = {}
    for n in windows:
        tokens[n] = api.add_staff(f"staff{n}", [n])
        assert api.act(n, "sign-in", tokens[n]).status == 200
    return tokens


def test_the_estimate_given_at_issue_is_stored_with_its_range_and_answered(api, ctx):
    tok = staff_at(api, [9])[9]
    first = api.issue("hukou").body
    api.act(9, "call-next", tok)
    second = api.issue("hukou").body
    low, high = second["estimated_wait_range_s"]
    assert 0 < low <= second["estimated_wait_s"] <= high  # the window is busy: not "0"
    with ctx.db.read() as conn:
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == second["id"])).first()
    assert (row.estimated_wait_s, row.estimated_wait_low_s, row.estimated_wait_high_s) == \
        (second["estimated_wait_s"], low, high)
    tracked = api.get(f"/api/v1/track/{second['token']}").body
    assert tracked["estimated_wait_range_s"][0] <= tracked["estimated_wait_s"] <= tracked["estimated_wait_range_s"][1]
    assert api.get(f"/api/v1/track/{first['token']}").body["estimated_wait_range_s"] is None  # called


def test_a_priority_resident_is_told_a_shorter_wait_than_the_ordinary_one_before_them(api):
    tok = staff_at(api, [9])[9]
    for _ in range(4):
        api.issue("hukou")
    api.act(9, "call-next", tok)
    ordinary = api.issue("hukou").body
    elderly = api.issue("hukou", id_number=make_id_number("11010119400101001")).body
    assert elderly["priority"] == "elderly"
    assert elderly["estimated_wait_s"] < ordinary["estimated_wait_s"]
    again = api.get(f"/api/v1/track/{ordinary['token']}").body  # the ordinary one now waits longer
    assert again["estimated_wait_s"] >= ordinary["estimated_wait_s"] + 200


def test_services_carry_the_wait_for_a_ticket_taken_now_with_its_range(api):
    tok = staff_at(api, [7])[7]
    for _ in range(3):
        api.issue("market")
    api.act(7, "call-next", tok)
    services = {s["code"]: s for s in api.get(api.hp("/services")).body}
    market = services["market"]
    assert market["waiting"] == 2
    low, high = market["estimated_wait_range_s"]
    assert low <= market["estimated_wait_s"] <= high and market["estimated_wait_s"] > 0


def test_managers_read_how_accurate_the_estimates_were(api, ctx):
    tok = staff_at(api, [9])[9]
    tickets = [api.issue("hukou").body for _ in range(3)]
    start = datetime.utcnow()
    ctx.clock = lambda: start + timedelta(minutes=30)  # the next calls come half an hour on
    with ctx.uow() as uow:  # the first ticket was told 10 minutes, range 5-20
        uow.execute(update(t.tickets).where(t.tickets.c.id == tickets[0]["id"]).values(
            estimated_wait_s=600, estimated_wait_low_s=300, estimated_wait_high_s=1200,
            issued_at=start))
        uow.commit()
    api.act(9, "call-next", tok)
    mgr = api.add_staff("boss", [], role="manager")
    got = api.get(api.hp("/stats/estimates"), mgr).body
    assert got["total"]["n"] == 1
    assert got["total"]["bias_s"] == 600 - 1800 and got["total"]["mae_s"] == 1200
    assert got["total"]["within_5min"] == 0 and got["total"]["range_held"] == 0
    assert got["by_service"][0]["service"] == "hukou" and got["by_day_service"][0]["n"] == 1
    assert api.get(api.hp("/stats/estimates"), tok).status == 403
    assert api.get(api.hp("/stats/estimates") + "?from=2026-13-01", mgr).status == 400
