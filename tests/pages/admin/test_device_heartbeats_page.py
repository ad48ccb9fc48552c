"""Heartbeats seen in real Chromium: the display page (named by ?device=) and the evaluator page
(known by its device token) beat on their own; when they fall silent for more than two minutes
(the app clock moved, no sleeping) /admin shows them offline with their last-seen time and the
dashboard raises 设备离线, while a Python kiosk that keeps beating stays online."""
from __future__ import annotations

from tests.fixtures.admin import *  # noqa: F401,F403  (the admin fixtures)

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

from client import ApiClient, Heartbeat
from tests.pages.admin.test_admin_page import open_admin
from tests.pages.dashboard.test_dashboard_browser import open_dashboard

SHOTS = Path("/tmp/shots")
T0 = datetime(2026, 11, 30, 2, 0, 0)  # 10:00 in the hall


def wait_seen(api, names, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = {(p["name"], p["program"]): p for p in api.get(api.hp("/devices/presence"), "boss").body}
        if set(names) <= set(rows):
            return rows
        time.sleep(0.1)
    raise AssertionError(f"no heartbeat from {names}: {rows}")


def test_pages_beat_and_admin_and_the_dashboard_show_who_fell_silent(chromium, live, ctx, tmp_path):
    clock = [T0]
    ctx.clock = lambda: clock[0]
    api = live.api
    api.add_staff("boss", [], role="manager", name="主任")
    api.add_device("评价器1", "evaluator", [1])
    kiosk = Heartbeat(ApiClient(live.url, "main", api.tokens["kiosk"]), "kiosk", version="0.1.0")
    assert kiosk.beat()

    pages = chromium.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    errors: list[str] = []
    for url in ("/display?device=大厅1号屏", "/evaluator/1?token=" + api.tokens["评价器1"]):
        page = pages.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live.url + url)
    rows = wait_seen(api, [("大厅1号屏", "display-page"), ("评价器1", "evaluator-page")])
    assert (rows[("大厅1号屏", "display-page")]["registered"], rows[("大厅1号屏", "display-page")]["kind"]) == \
        (False, "display")
    assert (rows[("评价器1", "evaluator-page")]["registered"], rows[("评价器1", "evaluator-page")]["kind"]) == \
        (True, "evaluator")
    assert all(p["online"] for p in rows.values()) and errors == []
    pages.close()  # the TV and the tablet are switched off

    clock[0] = T0 + timedelta(minutes=3)
    assert kiosk.beat()  # the kiosk keeps beating

    context, page = open_admin(chromium, live.url, "boss", [])
    try:
        page.click("#tab-devices")
        table = page.locator("#presence-table")
        display_row = table.locator('tr[data-presence="大厅1号屏/display-page"]')
        assert "离线" in display_row.inner_text() and "叫号屏" in display_row.inner_text()
        assert "2026-11-30 10:00" in display_row.locator("td").nth(3).inner_text()
        assert "离线" in table.locator('tr[data-presence="评价器1/evaluator-page"]').inner_text()
        kiosk_row = table.locator('tr[data-presence="kiosk/kiosk"]')
        assert "在线" in kiosk_row.inner_text() and "2026-11-30 10:03" in kiosk_row.inner_text()
        table.scroll_into_view_if_needed()
        path = tmp_path / "admin-heartbeats.png"
        page.screenshot(path=str(path), full_page=True)
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SHOTS / path.name)
    finally:
        context.close()

    for lang in ("zh", "en"):
        context, page, errors = open_dashboard(chromium, live.url, lang=lang)
        try:
            alerts = page.locator(".alert[data-kind=device_offline]")
            alerts.first.wait_for()
            texts = sorted(alerts.all_inner_texts())
            if lang == "zh":
                assert texts == ["设备离线：大厅1号屏（叫号屏）已 3 分钟没有心跳",
                                 "设备离线：评价器1（评价器页面）已 3 分钟没有心跳"]
            else:
                assert texts == ["Device offline: 大厅1号屏 (display page), no heartbeat for 3 min",
                                 "Device offline: 评价器1 (evaluator page), no heartbeat for 3 min"]
            path = tmp_path / f"dashboard-device-offline-{lang}.png"
            page.screenshot(path=str(path))
            shutil.copy(path, SHOTS / path.name)
        finally:
            context.close()
