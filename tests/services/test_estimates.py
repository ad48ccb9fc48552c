"""Wait estimates through the API: a range with every estimate, stored at issue, measured for managers."""
from __future__ import annotations

import time
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
    # 10:00 in the hall (UTC+8) today: the half hour below stays within the hall's day whenever
    # the test runs (at 23:40 in the hall it used to cross midnight and find nothing)
    start = datetime.utcnow().replace(hour=2, minute=0, second=0, microsecond=0)
    ctx.clock = lambda: start
    tok = staff_at(api, [9])[9]
    tickets = [api.issue("hukou").body for _ in range(3)]
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


def test_on_a_saturday_only_the_services_open_that_day_are_played_in_their_hours(ctx):
    from server.services import estimates
    saturday_8am = datetime(2026, 11, 28, 0, 0)  # 08:00 in the hall: social and hukou open 09:00-12:00
    with ctx.db.read() as conn:
        hall = ctx.hall(conn, "main")
        st = estimates.state(conn, hall, saturday_8am, ask_for=["social"])
    assert st.hours.spans == [(9 * 3600, 12 * 3600)]
    assert all(w.hours is None or w.hours.spans == [(9 * 3600, 12 * 3600)] for w in st.windows
               if set(w.services) & {"social", "hukou"})
    assert {c.service for c in st.arrivals} <= {"social", "hukou"}
    assert all(9 * 3600 <= forecast_local(c.queued_at) < 12 * 3600 for c in st.arrivals)
    with ctx.db.read() as conn:  # Sunday: nothing open; windows keep the hall's hours, not "any time"
        st = estimates.state(conn, hall, saturday_8am + timedelta(days=1), ask_for=["social"])
    assert st.hours.spans == [(8.5 * 3600, 12 * 3600), (14 * 3600, 17.5 * 3600)] and not st.arrivals


def forecast_local(utc):
    return ((utc.hour + 8) % 24) * 3600 + utc.minute * 60 + utc.second


def test_the_estimate_played_before_the_write_is_kept_only_if_the_hall_did_not_change(api, ctx):
    from server.services import estimates
    tok = staff_at(api, [9])[9]
    api.issue("hukou")
    api.act(9, "call-next", tok)
    later = ctx.now() + timedelta(minutes=1)  # taken after the three below: they are ahead of it
    values = {"service": "hukou", "queued_at": later, "priority": None, "appointment_id": None, "source": "kiosk"}
    with ctx.db.read() as conn:
        hall = ctx.hall(conn, "main")
        early = estimates.before_issue(ctx, conn, hall, values)
    with ctx.db.read() as conn:  # nothing happened since: the early figure is the one stored
        assert estimates.at_issue(ctx, conn, hall, values, early) is early[2]
    for _ in range(3):  # three residents take hukou numbers in between
        api.issue("hukou")
    with ctx.db.read() as conn:
        again = estimates.at_issue(ctx, conn, hall, values, early)
        assert again == estimates.at_issue(ctx, conn, hall, values)
    assert again["estimated_wait_s"] > early[2]["estimated_wait_s"]
    other = dict(values, priority="elderly")  # another ticket than the one played early: played again
    with ctx.db.read() as conn:
        assert estimates.at_issue(ctx, conn, hall, other, early) is not early[2]


def counted_plays(api, monkeypatch) -> list:
    """Window 9 serving a hukou ticket; then each estimate's play appends to the list returned."""
    from server.services import estimates
    tok = staff_at(api, [9])[9]
    api.issue("hukou")
    api.act(9, "call-next", tok)
    plays = []
    real = estimates.play_state
    monkeypatch.setattr(estimates, "play_state", lambda *a, **k: plays.append(1) or real(*a, **k))
    return plays


def test_a_kiosk_ticket_is_estimated_once_before_the_write_not_again_inside(api, monkeypatch):
    plays = counted_plays(api, monkeypatch)
    got = api.issue("hukou").body
    assert got["estimated_wait_s"] > 0 and len(plays) == 1


def test_with_writers_in_line_a_ticket_is_estimated_once_inside_the_write_not_guessed_before(
        api, ctx, monkeypatch):
    """A busy hall: the writers' lock is taken when the kiosk asks, so the hall will have changed
    by its turn; the early play would be thrown away, and is not made (one play, not two)."""
    import threading

    plays = counted_plays(api, monkeypatch)
    holding, let_go, got = threading.Event(), threading.Event(), {}

    def writer_in_line():
        with ctx.db.uow():
            holding.set()
            assert let_go.wait(10)

    def kiosk():
        got["ticket"] = api.issue("hukou").body
    w = threading.Thread(target=writer_in_line)
    w.start()
    assert holding.wait(10) and ctx.db.writers_busy
    k = threading.Thread(target=kiosk)
    k.start()
    time.sleep(0.3)  # the kiosk's request waits for the lock, with no play made meanwhile
    assert plays == [] and "ticket" not in got
    let_go.set()
    w.join(10)
    k.join(10)
    assert got["ticket"]["estimated_wait_s"] > 0 and len(plays) == 1
    assert not ctx.db.writers_busy


def test_the_told_figure_is_the_scaled_play_unless_its_spread_makes_a_shorter_one_likelier():
    from server.services import estimates
    assert estimates.told_s(600, 0) == 600 * estimates.ESTIMATE_SCALE  # a certain wait: the scaled play
    assert estimates.told_s(600, 60) == 600 * estimates.ESTIMATE_SCALE  # a tight one too
    wide = estimates.told_s(1800, 2400)  # one long service behind a single window
    assert 300 <= wide < 1800 * estimates.ESTIMATE_SCALE - 60
    assert estimates.told_s(1800, 2400, spread=0) == 1800 * estimates.ESTIMATE_SCALE
    assert estimates.told_s(0, 0) == 0
