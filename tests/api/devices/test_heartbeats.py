"""Device heartbeats through the real server and the real client: last seen per device program,
the dashboard's "设备离线" after two minutes of silence (on the app clock, no sleeping), /admin's
list, and what the endpoint refuses."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
import requests

from client import ApiClient, Heartbeat
from server.services import presence

T0 = datetime(2026, 11, 30, 2, 0, 0)  # 10:00 in the hall


def offline(api) -> list[dict]:
    alerts = api.get(api.hp("/stats/live"), "boss").body["alerts"]
    return [a for a in alerts if a["kind"] == "device_offline"]


def seen(api) -> dict[tuple[str, str], dict]:
    return {(p["name"], p["program"]): p for p in api.get(api.hp("/devices/presence"), "boss").body}


def test_a_device_silent_for_two_minutes_is_offline_on_the_dashboard_until_it_beats_again(live, ctx):
    clock = [T0]
    ctx.clock = lambda: clock[0]
    api = live.api
    api.add_staff("boss", [], role="manager")
    kiosk = Heartbeat(ApiClient(live.url, "main", api.tokens["kiosk"]), "kiosk", version="0.1.0")
    speaker = Heartbeat(ApiClient(live.url, "main"), "announcer", name="大厅音箱")
    assert kiosk.beat() and speaker.beat()
    rows = seen(api)
    k, s = rows[("kiosk", "kiosk")], rows[("大厅音箱", "announcer")]
    assert (k["kind"], k["registered"], k["version"], k["online"]) == ("kiosk", True, "0.1.0", True)
    assert (s["kind"], s["registered"], s["online"]) == ("display", False, True)
    assert k["last_seen_at"] == "2026-11-30T02:00:00Z" and k["address"] == "127.0.0.1"
    assert offline(api) == []

    clock[0] = T0 + timedelta(seconds=90)
    assert speaker.beat()  # the announcer keeps beating, the kiosk has gone quiet
    clock[0] = T0 + timedelta(seconds=120)
    assert offline(api) == []  # two minutes exactly: not yet
    clock[0] = T0 + timedelta(seconds=121)
    alerts = offline(api)
    assert [(a["device"], a["program"], a["level"]) for a in alerts] == [("kiosk", "kiosk", "error")]
    assert alerts[0]["message"].startswith("设备离线：kiosk（取号机）")
    assert alerts[0]["message_en"] == "Device offline: kiosk (kiosk), no heartbeat for 2 min"
    assert alerts[0]["last_seen_at"] == "2026-11-30T02:00:00Z" and alerts[0]["silent_s"] == 121
    rows = seen(api)
    assert rows[("kiosk", "kiosk")]["online"] is False and rows[("kiosk", "kiosk")]["silent_s"] == 121
    assert rows[("大厅音箱", "announcer")]["online"] is True

    clock[0] = T0 + timedelta(minutes=10)
    assert {a["device"] for a in offline(api)} == {"kiosk", "大厅音箱"}
    assert kiosk.beat()  # the kiosk was restarted by its supervisor
    assert {a["device"] for a in offline(api)} == {"大厅音箱"}
    assert seen(api)[("kiosk", "kiosk")]["beats"] == 2


def test_a_device_retired_in_admin_or_forgotten_is_no_longer_watched(live, ctx):
    clock = [T0]
    ctx.clock = lambda: clock[0]
    api = live.api
    api.add_staff("boss", [], role="manager")
    api.add_staff("root", [], role="admin")
    old = ApiClient(live.url, "main")
    assert Heartbeat(old, "display-page", name="旧屏").beat()
    assert Heartbeat(ApiClient(live.url, "main", api.add_device("kiosk-2", "kiosk")), "kiosk").beat()
    clock[0] = T0 + timedelta(minutes=5)
    assert {a["device"] for a in offline(api)} == {"旧屏", "kiosk-2"}
    pid = seen(api)[("旧屏", "display-page")]["id"]
    assert api.post(api.hp(f"/devices/presence/{pid}/forget"), "boss").status == 200
    assert api.post(api.hp(f"/devices/presence/{pid}/forget"), "boss").status == 404
    r = api.post(api.hp("/devices/kiosk-2/revoke"), "root")  # retired: its tokens revoked
    assert r.status == 200, r.body
    assert offline(api) == [] and seen(api) == {}


def test_the_heartbeat_endpoint_refuses_what_is_not_a_device(live):
    api = live.api
    api.add_staff("boss", [], role="manager")
    api.add_staff("clerk", [1])
    url = api.hp("/devices/heartbeat")
    r = api.post(url, "clerk", json={"program": "kiosk"})  # a staff sign-in is not a device
    assert r.status == 403 and r.body["error"] == "forbidden"
    r = api.post(url, None, json={"program": "display-page"})  # no token and no name
    assert r.status == 400 and r.body["message_en"] == "a device without a token gives its name"
    for bad in ({"program": "Display Page", "name": "x"}, {"program": "x" * 40, "name": "x"},
                {"program": "led", "name": ""}, {"program": "led", "name": "x", "status": "fine"},
                {"program": "led", "name": "x", "extra": 1}, {"name": "x"}):
        r = api.post(url, None, json=bad)
        assert r.status == 400, (bad, r)
    r = requests.post(live.url + url, data="{", headers={"Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"
    assert api.get(api.hp("/devices/presence"), "clerk").status == 403
    assert api.get(api.hp("/devices/presence"), None).status == 401
    assert api.get(api.hp("/devices/presence"), "boss").body == []  # nothing refused was recorded


def test_unregistered_devices_cannot_fill_the_table(live, monkeypatch):
    monkeypatch.setattr(presence, "MAX_UNREGISTERED", 5)
    api = live.api
    api.add_staff("boss", [], role="manager")
    url = api.hp("/devices/heartbeat")
    for i in range(5):
        assert api.post(url, None, json={"program": "display-page", "name": f"屏{i}"}).status == 200
    r = api.post(url, None, json={"program": "display-page", "name": "屏5"})
    assert r.status == 429 and r.body["error"] == "too_many_devices"
    assert api.post(url, None, json={"program": "display-page", "name": "屏0"}).status == 200  # known ones go on
    assert api.post(url, "kiosk", json={"program": "kiosk"}).status == 200  # registered ones too
    assert len(api.get(api.hp("/devices/presence"), "boss").body) == 6


def test_a_heartbeat_that_cannot_reach_the_server_is_reported_and_tried_again(live):
    from tests.support import free_port
    hb = Heartbeat(ApiClient(f"http://127.0.0.1:{free_port()}", timeout=1.0), "led", name="x")
    assert hb.beat() is False and hb.failing and hb.sent == 0
    hb.api = ApiClient(live.url, "main")
    assert hb.beat() is True and not hb.failing and hb.sent == 1


def test_beats_without_a_token_are_rate_limited_per_address(live):
    api = live.api
    url = api.hp("/devices/heartbeat")
    codes = [api.post(url, None, json={"program": "display-page", "name": "屏"}).status for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429
    assert api.post(url, "kiosk", json={"program": "kiosk"}).status == 200  # a device's token is not limited


def test_last_seen_and_offline_on_both_databases(any_api, any_ctx):
    clock = [T0]
    any_ctx.clock = lambda: clock[0]
    api = any_api
    api.add_staff("boss", [], role="manager")
    url = api.hp("/devices/heartbeat")
    assert api.post(url, "kiosk", json={"program": "kiosk", "version": "1"}).status == 200
    assert api.post(url, None, json={"program": "led", "name": "窗口屏"}).status == 200
    clock[0] = T0 + timedelta(seconds=100)
    assert api.post(url, None, json={"program": "led", "name": "窗口屏", "status": "degraded",
                                     "detail": "serial down: /dev/ttyUSB0"}).status == 200
    clock[0] = T0 + timedelta(seconds=150)
    rows = seen(api)
    assert rows[("kiosk", "kiosk")]["online"] is False and rows[("窗口屏", "led")]["online"] is True
    assert rows[("窗口屏", "led")]["beats"] == 2 and rows[("窗口屏", "led")]["status"] == "degraded"
    assert [a["device"] for a in offline(api)] == ["kiosk"]

@pytest.mark.postgres
def test_a_first_beat_racing_another_makes_one_row_on_postgresql(pg_cluster, tmp_path):
    """PostgreSQL lets two writers in at once (SQLite serializes them): the other writer inserts the
    device's row first and commits while this beat waits on the unique key; the beat then counts
    on that row instead of failing."""
    from sqlalchemy import create_engine

    from server.services import auth
    from server.store import tables as t
    from tests.conftest import _make_ctx
    ctx = _make_ctx(pg_cluster.new_database(), tmp_path / "var")
    try:
        token = auth.add_device(ctx, "main", "kiosk-9", "kiosk", [])
        p = auth.principal_for(ctx, token)
        other = create_engine(str(ctx.db.engine.url.render_as_string(hide_password=False))).connect()
        tx = other.begin()
        hall_id = other.execute(t.halls.select()).first().id
        other.execute(t.device_presence.insert().values(
            hall_id=hall_id, key=f"device:{p.id}:kiosk", device_id=p.id, name="kiosk-9", kind="kiosk",
            program="kiosk", status="ok", first_seen_at=T0, last_seen_at=T0, beats=1))
        result = {}
        th = threading.Thread(target=lambda: result.update(presence.beat(ctx, "main", p, program="kiosk")))
        th.start()
        time.sleep(1.0)  # the beat's INSERT now waits for the other transaction
        assert th.is_alive()
        tx.commit()
        th.join(10)
        other.close()
        assert result["beats"] == 2 and result["name"] == "kiosk-9"
        assert [(r["program"], r["beats"]) for r in presence.list_presence(ctx, "main")] == [("kiosk", 2)]
    finally:
        ctx.bus.stop()
        ctx.db.dispose()
