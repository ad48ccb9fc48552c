"""模拟排班 through the API on a real server: a past day of the hall (played into its database through
the real queue code) replayed as staffed and with a manager's change, managers only, bad input
refused with a JSON error, one run per hall, a time limit, the xlsx, and the gevent server answering
other requests while a run plays."""
from __future__ import annotations

import io
import os
import time

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.api import create_app
from server.services import auth, halls
from server.services import simulations as sims
from server.simulation import day as dayplan
from server.simulation.player import Hall
from server.simulation.runner import FIRST_DAY
from server.store import tables as t
from tests.support import PASSWORD, HallClient

KNOWN = {s["code"] for s in halls.read_config()["services"]}
# A morning at the hall: 户政 crowds window 9; public utilities go to windows 3 and 11.
MORNING = """
[day]
name = "a busy 户政 morning"
elderly_share = 0.1
no_show_share = 0.05
[arrivals]
rate = { "08:30" = 30, "10:00" = 0 }
[services.hukou]
share = 0.7
service_min = 8
[services.public]
share = 0.3
service_min = 3
"""
DAY = FIRST_DAY.isoformat()


@pytest.fixture
def past_day(live, ctx, tmp_path):
    """The morning of DAY played into the hall's own database; the clock back to now."""
    path = tmp_path / "morning.toml"
    path.write_text(MORNING, encoding="utf-8")
    plan = dayplan.read(path, KNOWN)
    played = Hall(ctx, "main").play(FIRST_DAY, plan, dayplan.draw(plan, 7), 7)
    ctx.clock = None
    api = live.api
    api.add_staff("boss", [], role="manager", name="主任")
    return api, played


@pytest.fixture
def second_process(sqlite_url):
    """Another server process's hallq on the same database."""
    from server.services.context import create_hallq
    app = create_hallq(sqlite_url, start_bus=False)
    yield app
    app.db.dispose()


def wait_done(api, job_id, limit_s=150.0):
    seen, deadline = [], time.monotonic() + limit_s
    while time.monotonic() < deadline:
        r = api.get(api.hp(f"/simulations/{job_id}"), "boss")
        assert r.status == 200, r
        seen.append(r.body["progress"])
        if r.body["status"] != "running":
            return r.body, seen
        time.sleep(0.3)
    raise AssertionError(f"still running after {limit_s} s: {seen[-3:]}")


def mean_wait(played, service):
    waits = [p.wait_s for p in played if p.service == service and p.wait_s is not None]
    return sum(waits) / len(waits)


def test_a_second_hukou_window_on_a_replayed_day_shortens_its_waits(past_day, second_process):
    api, played = past_day
    opts = api.get(api.hp("/simulations/options"), "boss").body
    latest = opts["days"][0]
    assert (latest["day"], latest["called"]) == (DAY, sum(p.called_s is not None for p in played))
    assert 9 in latest["windows"] and 1 not in latest["windows"]  # 户政's window called; window 1 nobody
    assert "sandu_day" in {s["sample"] for s in opts["samples"]} and opts["running"] is None
    assert {"number": 1, "name": "社会事务综合窗口", "services": ["social"]} in opts["windows"]
    assert {s["code"] for s in opts["services"]} == KNOWN and opts["assumes"] and opts["assumes_en"]
    # window 1 called nobody that morning (off in the replay): the change opens it for 户政
    r = api.post(api.hp("/simulations"), "boss", json={
        "day": DAY, "changes": [{"window": 1, "services": ["hukou"], "from": "08:30", "to": "12:00"}]})
    assert r.status == 202, r
    assert r.body["status"] == "running" and r.body["day"]["kind"] == "replay"
    job = r.body["id"]
    again = api.post(api.hp("/simulations"), "boss", json={
        "sample": "sandu_day", "changes": [{"window": 5, "off": True, "from": "14:00", "to": "17:30"}]})
    assert again.status == 429 and again.body["error"] == "simulation_running", again
    assert again.headers["Retry-After"]
    assert api.get(api.hp("/simulations/options"), "boss").body["running"]["id"] == job
    early = api.get(api.hp(f"/simulations/{job}/xlsx"), "boss")
    assert early.status in (200, 400)  # 400 not_finished unless it already ended
    # behind nginx the next poll may reach another server process: it answers from the database
    other = HallClient(second_process, flask_client=create_app(second_process).test_client())
    other.tokens = api.tokens
    body, progress = wait_done(other, job)
    assert body["status"] == "done", body
    assert progress == sorted(progress) and progress[-1] == 1.0
    res = body["result"]
    hukou = next(s for s in res["services"] if s["service"] == "hukou")
    assert hukou["name"] == "户政" and hukou["name_en"] == "Household registration"
    assert hukou["tickets"] == sum(1 for p in played if p.service == "hukou" and p.called_s is not None)
    # the replay as staffed is the day itself again; with window 1 helping, 户政 waits far less
    assert abs(hukou["baseline"]["mean_wait_s"] - mean_wait(played, "hukou")) < 180
    assert hukou["what_if"]["mean_wait_s"] < 0.6 * hukou["baseline"]["mean_wait_s"]
    assert hukou["change"]["mean_wait_s"] == pytest.approx(
        hukou["what_if"]["mean_wait_s"] - hukou["baseline"]["mean_wait_s"], abs=0.2)
    assert res["hall"]["issued"] == len([p for p in played if p.called_s is not None])
    assert [h["hour"] for h in res["hours"]] == [8, 9]
    assert sum(h["tickets"] for h in res["hours"]) == res["hall"]["tickets"]
    assert {(r["service"], r["hour"]) for r in res["service_hours"]} >= {("hukou", 8), ("hukou", 9)}
    longest = res["longest"]
    assert len(longest) == 10 and longest[0]["baseline_wait_s"] >= longest[-1]["baseline_wait_s"]
    assert all(x["what_if_wait_s"] is not None for x in longest)
    x = api.get(api.hp(f"/simulations/{job}/xlsx"), "boss")
    assert x.status == 200 and "simulate-" + DAY in x.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(x.raw))
    assert wb.sheetnames[:3] == ["设置 settings", "调整对比 what-if by hour", "最长等候 longest waits"]
    assert "等候 waits (what if)" in wb.sheetnames and "对比 compare" in wb.sheetnames
    settings = [[c.value for c in row] for row in wb["设置 settings"].iter_rows()]
    assert ["1 号窗口 window 1", "08:30-12:00 户政"] in settings


def test_only_the_halls_managers_may_simulate(past_day, ctx):
    api, _ = past_day
    data = halls.read_config()
    data["hall"]["code"], data["hall"]["name"] = "other", "另一大厅"
    halls.load_hall(ctx, data)
    auth.add_user(ctx, "elsewhere", "别处主任", "manager", PASSWORD, hall_code="other")
    api.sign_in("elsewhere")
    api.add_staff("clerk", [1])
    api.add_staff("root", [], role="admin")
    body = {"sample": "sandu_day", "changes": [{"window": 11, "services": ["hukou"], "from": "09:00", "to": "11:00"}]}
    for who, status in ((None, 401), ("clerk", 403), ("kiosk", 403), ("elsewhere", 403)):
        for r in (api.get(api.hp("/simulations/options"), who), api.post(api.hp("/simulations"), who, json=body),
                  api.get(api.hp("/simulations/abc"), who), api.get(api.hp("/simulations/abc/xlsx"), who)):
            assert r.status == status and r.body["error"] and r.body["message"], (who, r)
    assert api.get(api.hp("/simulations/options"), "root").status == 200
    assert api.get("/api/v1/halls/nowhere/simulations/options", "boss").status == 404
    r = api.get(api.hp("/simulations/abc"), "boss")
    assert r.status == 404 and r.body["error"] == "unknown_simulation"


@pytest.mark.parametrize("body, code", [
    ({"day": DAY, "changes": [{"window": 99, "services": ["hukou"], "from": "09:00", "to": "11:00"}]}, "unknown_window"),
    ({"day": DAY, "changes": [{"window": 1, "services": ["nosuch"], "from": "09:00", "to": "11:00"}]}, "unknown_service"),
    ({"day": DAY, "changes": [{"window": 1, "services": [], "from": "09:00", "to": "11:00"}]}, "invalid_change"),
    ({"day": DAY, "changes": [{"window": 1, "services": ["hukou"], "from": "11:00", "to": "09:00"}]}, "invalid_time"),
    ({"day": DAY, "changes": [{"window": 1, "services": ["hukou"], "from": "9:75", "to": "11:00"}]}, "invalid_time"),
    ({"day": DAY, "changes": [{"window": 1, "services": ["hukou"], "from": "9am", "to": "11:00"}]}, "invalid"),
    ({"day": DAY, "changes": [{"window": 1, "off": True, "from": "09:00", "to": "25:00"}]}, "invalid_time"),
    ({"day": DAY, "changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00"},
                              {"window": 1, "services": ["hukou"], "from": "10:00", "to": "12:00"}]}, "overlapping_changes"),
    ({"day": DAY, "changes": [{"window": 1 + i % 11, "off": True, "from": f"{8 + i // 11}:00", "to": f"{8 + i // 11}:30"}
                              for i in range(13)]}, "invalid"),
    ({"day": DAY, "changes": []}, "invalid"),
    ({"day": DAY}, "invalid"),
    ({"changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00"}]}, "invalid_day"),
    ({"day": DAY, "sample": "sandu_day", "changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00"}]}, "invalid_day"),
    ({"day": "2026-02-30", "changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00"}]}, "invalid_day"),
    ({"day": "2099-01-01", "changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00"}]}, "invalid_day"),
    ({"day": "2020-01-06", "changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00"}]}, "empty_day"),
    ({"sample": "nosuch", "changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00"}]}, "unknown_day"),
    ({"sample": "../../etc", "changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00"}]}, "invalid"),
    ({"day": DAY, "changes": [{"window": 1, "off": True, "from": "09:00", "to": "11:00", "x": 1}]}, "invalid"),
])
def test_bad_requests_are_refused_with_a_json_error_and_start_nothing(past_day, body, code):
    api, _ = past_day
    r = api.post(api.hp("/simulations"), "boss", json=body)
    assert r.status == 400 and r.body["error"] == code and r.body["message_zh"] and r.body["message_en"], r
    with api.ctx.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.simulation_runs)).scalar() == 0


def test_a_run_past_the_time_limit_is_stopped(past_day, monkeypatch):
    api, _ = past_day
    monkeypatch.setattr(sims, "TIME_LIMIT_S", 0.5)
    r = api.post(api.hp("/simulations"), "boss", json={
        "day": DAY, "changes": [{"window": 1, "services": ["hukou"], "from": "08:30", "to": "12:00"}]})
    assert r.status == 202
    body, _ = wait_done(api, r.body["id"], limit_s=30)
    assert body["status"] == "failed" and body["error"]["error"] == "time_limit", body
    assert "longer than 0.5 s" in body["error"]["message_en"] and "0.5 秒" in body["error"]["message_zh"]
    assert api.get(api.hp(f"/simulations/{r.body['id']}/xlsx"), "boss").status == 400


@pytest.mark.alone  # the hall's answers' median while a run plays: measured alone
def test_the_server_answers_the_hall_while_a_run_plays(server_process, sqlite_url):
    """The real `server.py run` (gevent): a sample day plays in its child process while the hall's
    requests keep their pace: the median answer to GET /halls/main while the run plays is under
    250 ms. Measured as the server's answer on a kept-alive connection (no TCP connect, no request
    building in the interval), after warming that connection and the server's first answers up,
    with a sample every 50 ms (dozens over the run, so a median says something) and the run's own
    status asked twice a second beside them."""
    from server.services.context import create_hallq
    app = create_hallq(sqlite_url, start_bus=False)
    try:
        auth.add_user(app, "boss", "主任", "manager", PASSWORD, hall_code="main")
    finally:
        app.db.dispose()
    url = server_process.url
    hall = requests.Session()
    token = hall.post(url + "/api/v1/auth/login", json={"username": "boss", "password": PASSWORD},
                      timeout=30).json()["token"]
    head = {"Authorization": f"Bearer {token}"}
    ask = hall.prepare_request(requests.Request("GET", url + "/api/v1/halls/main"))

    def answer() -> float:
        t0 = time.perf_counter()
        r = hall.send(ask, timeout=10)
        took = time.perf_counter() - t0
        assert r.status_code == 200
        return took

    idle = sorted(answer() for _ in range(20))[10:]  # the first answers warm up; the rest: no run
    r = hall.post(url + "/api/v1/halls/main/simulations", headers=head, timeout=30, json={
        "sample": "sandu_day", "changes": [{"window": 11, "services": ["hukou"], "from": "09:00", "to": "11:00"}]})
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    answers, status = [], "running"
    deadline, asked = time.monotonic() + 200, 0.0
    while status == "running" and time.monotonic() < deadline:
        answers.append(answer())
        if time.monotonic() - asked >= 0.5:
            asked = time.monotonic()
            status = hall.get(url + f"/api/v1/halls/main/simulations/{job}", headers=head,
                              timeout=10).json()["status"]
        time.sleep(0.05)
    assert status == "done", status
    answers.sort()
    median = answers[len(answers) // 2]
    assert len(answers) >= 20 and median < 0.25, (
        f"{len(answers)} answers while the run played: median {median * 1000:.0f} ms, "
        f"p90 {answers[len(answers) * 9 // 10] * 1000:.0f} ms (idle median {idle[5] * 1000:.0f} ms; "
        f"load average {os.getloadavg()[0]:.1f})")
    got = hall.get(url + f"/api/v1/halls/main/simulations/{job}", headers=head, timeout=10).json()
    hukou = next(s for s in got["result"]["services"] if s["service"] == "hukou")
    assert hukou["what_if"]["mean_wait_s"] < hukou["baseline"]["mean_wait_s"]


def test_a_run_whose_server_stopped_is_over_and_frees_the_hall(past_day, ctx):
    api, _ = past_day
    from server.store.db import utcnow
    from datetime import timedelta
    with ctx.uow() as uow:  # a run a restarted server left "running" ten minutes ago
        uow.execute(t.simulation_runs.insert().values(
            id="lost", hall_id=1, started_by="user:1", status="running", progress=0.4,
            request={"day": {"kind": "replay", "date": DAY, "name": "x"}, "changes": [], "seed": 1},
            created_at=utcnow() - timedelta(minutes=10), updated_at=utcnow() - timedelta(minutes=10)))
        uow.commit()
    lost = api.get(api.hp("/simulations/lost"), "boss").body
    assert lost["status"] == "failed" and lost["error"]["error"] == "stopped", lost
    assert api.get(api.hp("/simulations/options"), "boss").body["running"] is None
    r = api.post(api.hp("/simulations"), "boss", json={
        "day": DAY, "changes": [{"window": 9, "off": True, "from": "09:00", "to": "09:30"}]})
    assert r.status == 202, r
    body, _ = wait_done(api, r.body["id"])
    assert body["status"] == "done"
    hukou = next(s for s in body["result"]["services"] if s["service"] == "hukou")
    assert hukou["what_if"]["mean_wait_s"] > hukou["baseline"]["mean_wait_s"]  # 户政's only window closed
    last = api.get(api.hp("/simulations/options"), "boss").body["last"]
    assert last["id"] == r.body["id"] and last["result"] == body["result"]


def test_a_run_is_stored_and_read_back_on_sqlite_and_postgresql(any_api, any_ctx, tmp_path):
    path = tmp_path / "morning.toml"
    path.write_text(MORNING, encoding="utf-8")
    plan = dayplan.read(path, KNOWN)
    Hall(any_ctx, "main").play(FIRST_DAY, plan, dayplan.draw(plan, 7), 7)
    any_ctx.clock = None
    any_api.add_staff("boss", [], role="manager")
    r = any_api.post(any_api.hp("/simulations"), "boss", json={
        "day": DAY, "changes": [{"window": 1, "services": ["hukou", "public"], "from": "08:30", "to": "10:00"}]})
    assert r.status == 202, r
    body, _ = wait_done(any_api, r.body["id"])
    assert body["status"] == "done" and body["changes"][0]["services"] == ["hukou", "public"]
    assert {s["service"] for s in body["result"]["services"]} == {"hukou", "public"}
    wb = load_workbook(io.BytesIO(any_api.get(any_api.hp(f"/simulations/{r.body['id']}/xlsx"), "boss").raw))
    assert ["1 号窗口 window 1", "08:30-10:00 户政、公共服务综合"] in [
        [c.value for c in row] for row in wb["设置 settings"].iter_rows()]


def test_a_sample_day_plays_five_sampled_days_and_gives_their_average_and_spread(past_day, monkeypatch):
    api, _ = past_day
    # all five days whatever the machine's load (fewer days in the time limit: the test below)
    monkeypatch.setattr(sims, "TIME_LIMIT_S", 900.0)
    r = api.post(api.hp("/simulations"), "boss", json={
        "sample": "sandu_day", "changes": [{"window": 11, "services": ["hukou"], "from": "09:00", "to": "11:00"}]})
    assert r.status == 202 and r.body["days_asked"] == sims.DAYS == 5, r
    body, _ = wait_done(api, r.body["id"], limit_s=600)
    assert body["status"] == "done", body
    res = body["result"]
    assert res["days_asked"] == 5 and [(d["index"], d["seed"]) for d in res["days"]] == [(i, i) for i in range(1, 6)]
    assert len({d["day"] for d in res["days"]}) == 5 and all(250 < d["tickets"] < 370 for d in res["days"])
    hall = res["hall"]
    assert hall["spread"]["days"] == 5
    assert hall["tickets"] == pytest.approx(sum(d["tickets"] for d in res["days"]) / 5, abs=0.05)
    low, high = hall["spread"]["mean_wait_s"]["baseline"]
    assert low < high and low <= hall["baseline"]["mean_wait_s"] <= high
    assert [low, high] == [min(d["baseline"]["mean_wait_s"] for d in res["days"]),
                           max(d["baseline"]["mean_wait_s"] for d in res["days"])]
    hukou = next(s for s in res["services"] if s["service"] == "hukou")
    assert hukou["what_if"]["mean_wait_s"] < hukou["baseline"]["mean_wait_s"]  # a second 户政 window
    assert hukou["spread"]["shorter_days"] + hukou["spread"]["longer_days"] <= hukou["spread"]["days"] == 5
    assert {x["day_index"] for x in res["longest"]} <= {1, 2, 3, 4, 5}
    wb = load_workbook(io.BytesIO(api.get(api.hp(f"/simulations/{body['id']}/xlsx"), "boss").raw))
    assert {"波动 spread over the days", "逐日 by day"} <= set(wb.sheetnames)
    settings = dict((row[0].value, row[1].value) for row in wb["设置 settings"].iter_rows(min_row=2))
    assert settings["抽样天数 days played"].startswith("5（随机种子 1–5")
    assert len(list(wb["逐日 by day"].iter_rows(min_row=2))) == 5 * (1 + len(res["services"]))


def test_a_busy_server_plays_fewer_days_and_says_so_and_a_replay_stays_one_day(past_day, monkeypatch):
    api, _ = past_day
    monkeypatch.setattr(sims, "BUDGET_SHARE", 0.0)  # no time for a second day
    r = api.post(api.hp("/simulations"), "boss", json={
        "sample": "sandu_day", "days": 3, "seed": 20,
        "changes": [{"window": 5, "off": True, "from": "14:00", "to": "17:30"}]})
    assert r.status == 202 and r.body["days_asked"] == 3, r
    body, _ = wait_done(api, r.body["id"])
    assert body["status"] == "done" and body["result"]["days_asked"] == 3, body
    assert [d["seed"] for d in body["result"]["days"]] == [20]
    wb = load_workbook(io.BytesIO(api.get(api.hp(f"/simulations/{body['id']}/xlsx"), "boss").raw))
    settings = dict((row[0].value, row[1].value) for row in wb["设置 settings"].iter_rows(min_row=2))
    assert "原定 3 天" in settings["抽样天数 days played"] and "of 3 asked" in settings["抽样天数 days played"]
    monkeypatch.setattr(sims, "BUDGET_SHARE", 0.7)
    r = api.post(api.hp("/simulations"), "boss", json={
        "day": DAY, "days": 5, "changes": [{"window": 9, "off": True, "from": "09:00", "to": "09:30"}]})
    assert r.status == 202 and r.body["days_asked"] == 1, r  # a replayed day is what happened: one day
    body, _ = wait_done(api, r.body["id"])
    assert [d["day"] for d in body["result"]["days"]] == [DAY] and "spread" not in body["result"]["hall"]
    assert api.post(api.hp("/simulations"), "boss", json={
        "sample": "sandu_day", "days": 11, "changes": [{"window": 5, "off": True, "from": "14:00", "to": "17:30"}]
    }).body["error"] == "invalid"
