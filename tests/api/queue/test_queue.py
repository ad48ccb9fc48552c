"""The queue through the API on SQLite and PostgreSQL: issue, call, serve, numbering, concurrency."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import select

from server.domain.identity import make_id_number
from server.store import tables as t
from tests.support import HallClient, LiveServer


@pytest.fixture
def any_live(any_ctx):
    from server.api import create_app
    server = LiveServer(create_app(any_ctx), threads=40).start()
    server.api = HallClient(any_ctx, base_url=server.url)
    server.api.add_device("kiosk", "kiosk")
    yield server
    any_ctx.bus.stop()
    server.stop()


def staff_at(api, windows):
    tokens = {}
    for n in windows:
        tok = api.add_staff(f"staff{n}", [n])
        r = api.act(n, "sign-in", tok)
        assert r.status == 200, r.body
        tokens[n] = tok
    return tokens


def test_a_resident_is_issued_called_served_and_finished(any_api):
    api = any_api
    tok = staff_at(api, [1])[1]
    r = api.issue("social")
    assert r.status == 201
    assert r.body["number"] == "A001" and r.body["status"] == "waiting" and r.body["ahead"] == 0
    assert set(r.body) >= {"id", "number", "service", "status", "ahead", "estimated_wait_s", "token",
                           "issued_at"}
    second = api.issue("A").body  # by prefix too
    assert second["number"] == "A002" and second["ahead"] == 1 and second["estimated_wait_s"] > 0

    called = api.act(1, "call-next", tok)
    assert called.status == 200 and called.body["ticket"]["number"] == "A001"
    assert called.body["ticket"]["status"] == "called" and called.body["ticket"]["window"] == 1
    busy = api.act(1, "call-next", tok)
    assert busy.status == 409 and busy.body["error"] == "window_busy"
    assert api.act(1, "recall", tok).body["ticket"]["recalls"] == 1
    assert api.act(1, "start", tok).body["ticket"]["status"] == "serving"
    done = api.act(1, "finish", tok, {"outcome": "immediate"})
    assert done.status == 200 and done.body["ticket"]["status"] == "done"

    windows = {w["number"]: w for w in api.get(api.hp("/windows")).body}
    assert windows[1]["current"] is None and windows[1]["staff"]["name"] == "staff1"
    assert windows[1]["last_finished"]["number"] == "A001"
    services = {s["code"]: s for s in api.get(api.hp("/services")).body}
    assert services["social"]["waiting"] == 1

    history = api.get(api.hp(f"/tickets/{r.body['id']}"), tok).body["history"]
    assert [h["type"] for h in history] == ["ticket.issued", "ticket.called", "ticket.recalled",
                                            "ticket.started", "ticket.finished"]
    assert all(h["at"] for h in history) and history[1]["window"] == 1
    assert history[1]["actor"].startswith("user:")

    track = api.get(f"/api/v1/track/{second['token']}").body
    assert track["number"] == "A002" and track["ahead"] == 0 and "id_masked" not in track


def test_nobody_waiting_gives_null_ticket(any_api):
    tok = staff_at(any_api, [7])[7]
    r = any_api.act(7, "call-next", tok)
    assert r.status == 200 and r.body["ticket"] is None


def test_no_show_transfer_pause_and_resume(any_api):
    api = any_api
    toks = staff_at(api, [1, 9])
    first, second = api.issue("social").body, api.issue("social").body
    api.act(1, "call-next", toks[1])
    assert api.act(1, "no-show", toks[1]).body["ticket"]["status"] == "no_show"
    api.act(1, "call-next", toks[1])
    moved = api.act(1, "transfer", toks[1], {"service": "hukou"}).body["ticket"]
    assert moved["status"] == "waiting" and moved["service"] == "hukou" and moved["number"] == second["number"]
    hukou_new = api.issue("hukou").body  # issued later: stands behind the transferred ticket
    called = api.act(9, "call-next", toks[9]).body["ticket"]
    assert called["number"] == second["number"], "a transfer keeps its place by issue time"
    assert called["window"] == 9 and called["first_window"] == 1  # 首问负责: window 1 stays responsible
    history = api.get(api.hp(f"/tickets/{called['id']}"), toks[9]).body
    assert history["first_window"] == 1
    api.act(9, "finish", toks[9], {"outcome": "returned"})
    assert api.act(9, "pause", toks[9], {"reason": "午休"}).status == 200
    paused = api.act(9, "call-next", toks[9])
    assert paused.status == 409 and paused.body["error"] == "window_paused"
    w = api.get(api.hp("/windows/9")).body
    assert w["status"] == "paused" and w["pause_reason"] == "午休"
    assert api.act(9, "resume", toks[9]).body["status"] == "open"
    assert api.act(9, "call-next", toks[9]).body["ticket"]["number"] == hukou_new["number"]
    assert first["number"] == "A001"


def test_promised_cases_get_a_due_date(any_api):
    tok = staff_at(any_api, [2])[2]
    any_api.issue("social")
    any_api.act(2, "call-next", tok)
    missing = any_api.act(2, "finish", tok, {"outcome": "promised"})
    assert missing.status == 400 and missing.body["error"] == "due_date_required"
    r = any_api.act(2, "finish", tok, {"outcome": "promised", "due_date": "2099-01-05"})
    assert r.status == 200 and r.body["ticket"]["due_date"] == "2099-01-05"


def test_elderly_residents_are_called_first_but_not_forever(any_api):
    api = any_api
    tok = staff_at(api, [10])[10]
    old = make_id_number("11010519400101002")  # born 1940
    young = make_id_number("11010520000101002")
    plain = [api.issue("justice").body for _ in range(2)]
    elders = [api.issue("justice", id_number=old).body for _ in range(4)]
    assert elders[0]["priority"] == "elderly" and elders[0]["id_masked"].startswith("1101")
    assert api.issue("justice", id_number=young).body["priority"] is None
    order = []
    for _ in range(5):
        order.append(api.act(10, "call-next", tok).body["ticket"]["number"])
        api.act(10, "finish", tok, {"outcome": "immediate"})
    # priority_cap = 3: three elders, then the longest-waiting ordinary resident, then an elder
    assert order == [elders[0]["number"], elders[1]["number"], elders[2]["number"],
                     plain[0]["number"], elders[3]["number"]]


def test_issue_with_the_same_idempotency_key_returns_the_same_ticket(any_api):
    a = any_api.issue("social", key="tap-42")
    b = any_api.issue("social", key="tap-42")
    assert a.status == 201 and b.status == 200
    assert a.body["id"] == b.body["id"] and a.body["number"] == b.body["number"]
    assert any_api.issue("social", key="tap-43").body["number"] == "A002"
    clash = any_api.issue("agri", key="tap-42")
    assert clash.status == 409 and clash.body["error"] == "idempotency_conflict"


def test_concurrent_retries_with_one_key_make_one_ticket(any_live):
    api = any_live.api
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: api.issue("social", key="same-tap"), range(16)))
    assert {r.status for r in results} <= {200, 201}
    assert len({r.body["id"] for r in results}) == 1
    with any_live.api.ctx.db.read() as conn:
        assert conn.execute(select(t.tickets)).all().__len__() == 1


@pytest.mark.parametrize("n_windows", [2, 5, 11])
def test_windows_calling_at_once_get_different_tickets(any_live, n_windows):
    api = any_live.api
    windows = list(range(1, 12))[:n_windows] if n_windows < 11 else list(range(1, 12))
    toks = staff_at(api, windows)
    from server.services.halls import read_config
    served_by = {w["number"]: w["services"] for w in read_config()["windows"]}
    services = sorted({s for n in windows for s in served_by[n]})
    per_service = 60 // len(services) + 1
    with ThreadPoolExecutor(4) as pool:  # two kiosks keep issuing meanwhile
        issued = list(pool.map(lambda i: api.issue(services[i % len(services)]).body,
                               range(per_service * len(services))))
    calls: list[tuple[int, int]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(windows))

    def work(n):
        start.wait()
        while True:
            r = api.act(n, "call-next", toks[n])
            assert r.status == 200, r.body
            tk = r.body["ticket"]
            if tk is None:
                return
            with lock:
                calls.append((n, tk["id"]))
            assert api.act(n, "finish", toks[n], {"outcome": "immediate"}).status == 200

    threads = [threading.Thread(target=work, args=(n,)) for n in windows]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    ids = [tid for _, tid in calls]
    assert len(ids) == len(set(ids)), "a ticket was called twice"
    assert sorted(ids) == sorted(tk["id"] for tk in issued), "every ticket is called exactly once"
    numbers = [tk["number"] for tk in issued]
    assert len(numbers) == len(set(numbers))
    with api.ctx.db.read() as conn:
        called_events = Counter(r.ticket_id for r in conn.execute(
            select(t.events.c.ticket_id).where(t.events.c.type == "ticket.called")))
    assert set(called_events.values()) == {1}


def test_numbers_stay_unique_and_gapless_under_parallel_kiosks(any_live):
    api = any_live.api
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: api.issue("social" if i % 2 else "agri"), range(80)))
    assert all(r.status == 201 for r in got)
    a = sorted(int(r.body["number"][1:]) for r in got if r.body["number"].startswith("A"))
    b = sorted(int(r.body["number"][1:]) for r in got if r.body["number"].startswith("B"))
    assert a == list(range(1, 41)) and b == list(range(1, 41))


def test_numbers_restart_at_the_hall_s_local_midnight(api, ctx):
    tok = staff_at(api, [1])[1]
    ctx.clock = lambda: datetime(2026, 11, 25, 15, 59, 58)  # 23:59:58 in Shanghai
    assert api.issue("social").body["number"] == "A001"
    late = api.issue("social").body
    assert late["number"] == "A002"
    ctx.clock = lambda: datetime(2026, 11, 25, 16, 0, 1)  # 00:00:01 the next day
    fresh = api.issue("social").body
    assert fresh["number"] == "A001" and fresh["id"] != late["id"]
    # Yesterday's leftovers are not called today and are closed by the maintenance job.
    assert api.act(1, "call-next", tok).body["ticket"]["id"] == fresh["id"]
    from server.services.queue import close_stale_days
    assert close_stale_days(ctx) == 2
    assert api.get(api.hp(f"/tickets/{late['id']}"), tok).body["status"] == "cancelled"


def test_kiosk_cannot_issue_outside_opening_hours(api, ctx):
    ctx.always_open = False
    ctx.clock = lambda: datetime(2026, 11, 25, 20, 0)  # 04:00 in Shanghai
    r = api.issue("social")
    assert r.status == 409 and r.body["error"] == "service_closed"
    ctx.clock = lambda: datetime(2026, 11, 25, 2, 0)  # Wednesday 10:00
    assert api.issue("social").status == 201
    ctx.clock = lambda: datetime(2026, 10, 2, 2, 0)  # National Day holiday
    assert api.issue("social").status == 409
    assert {s["code"]: s["open"] for s in api.get(api.hp("/services")).body}["social"] is False


def test_staff_only_sign_in_where_assigned_and_act_only_there(api):
    a = api.add_staff("a_post", [1, 2])
    b = api.add_staff("b_post", [2])
    assert api.act(3, "sign-in", a).status == 403
    assert api.act(1, "sign-in", a).status == 200
    assert api.act(1, "call-next", b).status == 403
    # B takes over window 2 while A works window 1; A signing in at 2 moves A there.
    assert api.act(2, "sign-in", b).status == 200
    api.issue("social")
    api.act(2, "call-next", b)
    taken = api.act(2, "sign-in", a)
    assert taken.status == 409 and taken.body["error"] == "window_busy"
    api.act(2, "finish", b, {"outcome": "proxy"})
    assert api.act(2, "sign-in", a).status == 200
    windows = {w["number"]: w for w in api.get(api.hp("/windows")).body}
    assert windows[2]["staff"]["name"] == "a_post" and windows[1]["staff"] is None
    assert api.act(2, "call-next", b).status == 403


def test_a_keypad_acts_for_the_staff_signed_in_at_its_window(api):
    staff = api.add_staff("kp_staff", [4])
    api.add_device("keypad4", "keypad", [4])
    assert api.act(4, "call-next", "keypad4").status == 409  # nobody signed in yet
    api.act(4, "sign-in", staff)
    api.issue("agri")
    r = api.act(4, "call-next", "keypad4")
    assert r.status == 200 and r.body["ticket"]["number"] == "B001"
    assert api.act(5, "call-next", "keypad4").status == 403


def test_every_rating_closes_one_visit_and_a_bad_one_opens_a_case(api):
    tok = staff_at(api, [1])[1]
    api.add_device("eval1", "evaluator", [1])
    api.add_device("eval2", "evaluator", [2])
    tk = api.issue("social").body
    early = api.post(api.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 5})
    assert early.status == 409 and early.body["error"] == "not_finished"
    api.act(1, "call-next", tok)
    api.act(1, "finish", tok, {"outcome": "immediate"})
    assert api.post(api.hp(f"/tickets/{tk['id']}/rating"), "eval2", json={"level": 5}).status == 403
    r = api.post(api.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 2, "reasons": ["efficiency"]})
    assert r.status == 201 and r.body["bad"] and r.body["review_case"]["status"] == "open"
    again = api.post(api.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 5})
    assert again.status == 409 and again.body["error"] == "already_rated"


def test_health_reports_the_database(any_api, any_ctx):
    r = any_api.get("/api/v1/health")
    assert r.status == 200 and r.body["status"] == "ok"
    assert r.body["database"] == any_ctx.db.kind
