"""Issue 15, item 2: five wrong passwords for `s3` from one address locked `s3` everywhere for five
minutes, and five failures from one address locked every user of that address. Now guessing is
slowed per (username, address) with growing delays; only a much higher ceiling closes a username
for everyone; an admin can unlock (audited); a burst is logged once and shown on the dashboard."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from server.services.limits import Limiter
from server.store import tables as t
from tests.fixtures.pages import sign_in
from tests.support import PASSWORD

SHOTS = Path("/tmp/shots")


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def hall(api, app):
    clock = FakeTime()
    app.extensions["hallq"].limiter = Limiter(clock=clock)
    for name in ("s3", "s4"):
        api.add_staff(name, [3])
    api.add_staff("boss", [], role="admin")
    api.add_staff("mgr", [], role="manager")
    api.clock = clock
    return api


def login(app, username, password, addr):
    r = app.test_client().post("/api/v1/auth/login", json={"username": username, "password": password},
                               environ_base={"REMOTE_ADDR": addr})
    return r.status_code, r.get_json(), r.headers


def test_a_stranger_cannot_lock_staff_out(hall, app):
    got = [login(app, "s3", "wrong-guess-1", "10.0.0.9")[0] for _ in range(30)]
    assert got[:5] == [401] * 5 and 429 in got[5:]  # the guesser is slowed ...
    assert login(app, "s3", PASSWORD, "10.0.0.5")[0] == 200  # ... s3 at her own PC is not
    assert login(app, "s4", PASSWORD, "10.0.0.9")[0] == 200  # nor others at the guesser's address


def test_behind_a_trusted_proxy_the_real_address_counts(hall, app, monkeypatch):
    monkeypatch.setenv("HALLQ_TRUSTED_PROXIES", "127.0.0.1")

    def via_proxy(username, password, real_ip):
        return app.test_client().post("/api/v1/auth/login",
                                      json={"username": username, "password": password},
                                      environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                      headers={"X-Real-IP": real_ip}).status_code
    got = [via_proxy("s3", "wrong-guess-1", "10.0.0.9") for _ in range(8)]
    assert got[:5] == [401] * 5 and got[5:] == [429] * 3
    assert via_proxy("s3", PASSWORD, "10.0.0.5") == 200


def test_guessing_from_one_address_meets_growing_delays(hall, app):
    clock = hall.clock
    for _ in range(5):
        assert login(app, "s3", "nope-nope-1", "10.0.0.9")[0] == 401
    waits = []
    for _ in range(4):
        status, body, headers = login(app, "s3", "nope-nope-1", "10.0.0.9")
        assert status == 429 and body["error"] == "rate_limited", body
        wait = int(headers["Retry-After"])
        assert "秒" in body["message"] and "seconds" in body["message"]
        waits.append(wait)
        clock.now += wait - 0.5
        assert login(app, "s3", PASSWORD, "10.0.0.9")[0] == 429  # not yet, even with the password
        clock.now += 0.6
        assert login(app, "s3", "nope-nope-1", "10.0.0.9")[0] == 401  # the next try is allowed
    assert waits == sorted(waits) and waits[-1] >= 4 * waits[0]  # the delays grow
    status, _, headers = login(app, "s3", "nope-nope-1", "10.0.0.9")
    clock.now += int(headers["Retry-After"]) + 1
    assert login(app, "s3", PASSWORD, "10.0.0.9")[0] == 200  # the right password, after the wait
    assert login(app, "s3", "typo-typo-1", "10.0.0.9")[0] == 401  # and a success starts afresh
    assert login(app, "s3", PASSWORD, "10.0.0.9")[0] == 200


def test_a_spread_attack_meets_the_per_username_ceiling_and_an_admin_unlocks(hall, app, ctx, caplog):
    caplog.set_level(logging.WARNING, logger="hallq.auth")
    for i in range(60):
        login(app, "s3", f"guess-{i:04d}x", f"10.1.{i // 200}.{i % 200 + 1}")
    status, body, _ = login(app, "s3", PASSWORD, "10.0.0.5")
    assert status == 429 and body["error"] == "account_locked", body
    assert "管理员" in body["message"]
    assert login(app, "s4", PASSWORD, "10.0.0.5")[0] == 200  # other accounts go on
    # one log line for the burst, not one per failure
    burst = [r for r in caplog.records if "guessing" in r.getMessage()]
    assert len(burst) == 1 and "s3" in burst[0].getMessage(), [r.getMessage() for r in burst]
    # the dashboard says so
    boss = hall.tokens["boss"]
    alerts = hall.get(hall.hp("/stats/live"), "boss").body["alerts"]
    alert = next(a for a in alerts if a["kind"] == "sign_in_guessing")
    assert "s3" in alert["message"] and alert["level"] == "error"
    assert "50 failed sign-ins" in alert["message_en"] and "from 50 addresses" in alert["message_en"]
    # the admin list shows it; a manager may not unlock, an admin may
    users = {u["username"]: u for u in hall.get(hall.hp("/users"), "boss").body}
    assert users["s3"]["sign_in_locked"] and not users["s4"]["sign_in_locked"]
    assert hall.post(hall.hp("/users/s3/unlock"), "mgr").status == 403
    assert hall.post(hall.hp("/users/nobody/unlock"), "boss").status == 404
    r = hall.post(hall.hp("/users/s3/unlock"), "boss")
    assert r.status == 200 and r.body["sign_in_locked"] is False, r.body
    assert login(app, "s3", PASSWORD, "10.0.0.5")[0] == 200
    with ctx.db.read() as conn:
        ev = conn.execute(select(t.events).where(t.events.c.type == "admin.user_unlocked")).one()
    assert ev.actor.startswith("user:") and ev.data["user_id"] == users["s3"]["id"]
    assert "s3" not in repr(ev.data)  # events carry ids, never usernames
    assert boss


def test_an_address_spraying_many_usernames_is_slowed_for_itself_only(hall, app):
    for i in range(120):
        login(app, f"user{i}", "guess-guess-1", "10.0.0.66")
    status, body, _ = login(app, "s3", PASSWORD, "10.0.0.66")
    assert status == 429 and body["error"] == "rate_limited"
    assert login(app, "s3", PASSWORD, "10.0.0.5")[0] == 200


def test_the_admin_unlocks_from_the_admin_page(hall, app, ctx, chromium, live, tmp_path):
    api = live.api
    limiter = app.extensions["hallq"].limiter
    for i in range(60):
        login(app, "s3", f"guess-{i:04d}x", f"10.2.0.{i + 1}")
    assert login(app, "s3", PASSWORD, "10.0.0.5")[1]["error"] == "account_locked"
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(live.url + "/admin")
        sign_in(page, "boss")
        page.wait_for_selector("body[data-loaded]")
        row = page.locator('tr[data-username="s3"]')
        row.locator(".tag.locked").wait_for()
        assert page.locator('tr[data-username="s4"] .tag.locked').count() == 0
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(tmp_path / "admin-locked.png"), full_page=True)
        shutil.copy(tmp_path / "admin-locked.png", SHOTS / "admin-locked.png")
        page.click("#lang")
        tag = row.locator(".tag.locked")
        tag.filter(has_text="sign-in locked").wait_for()
        box = tag.bounding_box()
        assert box["height"] < 30, box  # one line
        page.screenshot(path=str(SHOTS / "admin-locked-en.png"), full_page=True)
        # the manager's dashboard shows the burst
        dash = context.new_page()
        dash.goto(live.url + "/dashboard")
        dash.locator('#alerts [data-kind="sign_in_guessing"]').wait_for(timeout=20000)
        assert "s3" in dash.locator('#alerts [data-kind="sign_in_guessing"]').inner_text()
        dash.screenshot(path=str(SHOTS / "dashboard-guessing-alert.png"))
        dash.close()
        row.locator('button[data-action="unlock"]').click()
        page.locator("#notice").wait_for(state="visible")
        assert "s3" in page.locator("#notice").inner_text()
        page.locator('tr[data-username="s3"] .tag.locked').wait_for(state="detached")
    finally:
        context.close()
    assert not limiter.sign_ins.account_locked("s3")
    assert api.post("/api/v1/auth/login", json={"username": "s3", "password": PASSWORD}).status == 200
