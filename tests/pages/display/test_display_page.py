"""The hall display in a real Chromium: live calls, a server restart, layouts, the wall."""
from __future__ import annotations

from tests.fixtures.display import *  # noqa: F401,F403  (the display fixtures)

import re
import time
from pathlib import Path

import pytest

from display.announcer import Announcer, Player
from tests.fixtures.display import call, staff_at
from tests.bridges.test_announcer import spoken, wait_for
from tests.support import ROOT, need_binary

STATIC = ROOT / "display" / "static"


def open_display(chromium, url, query="", size=(1920, 1080)):
    page = chromium.new_page(viewport={"width": size[0], "height": size[1]})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/display{query}")
    page.wait_for_function("() => window.hallqDisplay && window.hallqDisplay.connected", timeout=10000)
    page.wait_for_function("() => document.querySelectorAll('#windows .win').length > 0", timeout=10000)
    page.errors = errors
    return page


def shown(page) -> list[dict]:
    return page.evaluate("window.hallqDisplay.shown")


def test_a_call_appears_on_the_display_within_one_second(live, chromium):
    api = live.api
    staff_at(api, [3])
    api.issue("public")
    page = open_display(chromium, live.url)
    try:
        t0 = time.time() * 1000
        ticket = call(api, 3)
        page.wait_for_function("(n) => document.getElementById('hero-number').textContent === n",
                               arg=ticket["number"], timeout=3000)
        seen = [s for s in shown(page) if s["number"] == ticket["number"]]
        assert seen and seen[0]["window"] == 3
        assert seen[0]["at"] - t0 < 1000, f"call took {seen[0]['at'] - t0:.0f} ms to reach the screen"
        assert "flash" in page.get_attribute("#hero", "class")
        card = page.locator("#windows .win[data-window='3']")
        assert ticket["number"] in card.inner_text()
        assert "called" in card.get_attribute("class")
        assert page.errors == []
    finally:
        page.close()


def test_display_and_announcer_get_every_call_made_while_the_server_was_down(restartable, chromium,
                                                                           tmp_path):
    """The server is killed and started again on the same address; calls are made before the
    page and the announcer are back. Both catch up: every call shown and spoken, in order."""
    need_binary("espeak-ng")
    api = restartable.api
    staff_at(api, [1, 2])
    for service in ("social", "social", "social"):
        api.issue(service)
    page = open_display(chromium, restartable.url)
    out = tmp_path / "spoken"
    ann = Announcer(restartable.url, out_dir=out, player=Player("none"), fetch_retry_s=20).start()
    ann.stream.retry_max = 1.0
    try:
        wait_for(lambda: ann.stream.connects >= 1, 15, "the announcer's event stream")
        first = call(api, 1)
        page.wait_for_function("(n) => window.hallqDisplay.shown.some(s => s.number === n)",
                               arg=first["number"], timeout=3000)
        wait_for(lambda: len(spoken(out)) >= 1, 30, "the first announcement")
        restartable.kill()
        page.wait_for_function("() => !window.hallqDisplay.connected", timeout=10000)
        restartable.start()
        second = call(api, 2)  # before the page and the announcer are back
        assert api.act(1, "finish", "clerk1", {"outcome": "immediate"}).status == 200
        third = call(api, 1)
        meanwhile = [second, third]
        for t in meanwhile:
            page.wait_for_function(
                "(t) => window.hallqDisplay.shown.some(s => s.number === t.number && s.window === t.window)",
                arg={"number": t["number"], "window": t["window"]}, timeout=20000)
        order = [s["number"] for s in shown(page)]
        assert order == [first["number"]] + [t["number"] for t in meanwhile]
        for t in meanwhile:
            assert t["number"] in page.locator(f"#windows .win[data-window='{t['window']}']").inner_text()
        assert page.text_content("#hero-number") == third["number"]
        assert first["number"] in page.locator("#recent").inner_text()
        assert second["number"] in page.locator("#recent").inner_text()
        wait_for(lambda: len(spoken(out)) >= 3, 40, "the calls made across the restart")
        recs = spoken(out)
        assert [r["number"] for r in recs] == order
        assert all(r["error"] is None for r in recs) and ann.stream.connects >= 2
        assert page.errors == []
    finally:
        ann.stop()
        page.close()


def test_portrait_layout_english_switch_waiting_and_notice(live, chromium):
    api = live.api
    staff_at(api, [1])
    api.issue("social")
    api.issue("hukou")
    page = open_display(chromium, live.url, "?layout=portrait", size=(1080, 1920))
    try:
        assert "portrait" in page.get_attribute("html", "class")
        assert page.text_content("#hall-name") == "三都镇便民服务中心"
        assert "请携带本人身份证件" in page.text_content("#notice")
        page.wait_for_function("() => { const c = document.querySelector('#waiting [data-service=hukou] .count');"
                               " return c && c.textContent.startsWith('1'); }", timeout=3000)
        page.keyboard.press("L")  # no button on a TV; the key L (or ?lang=en) switches
        assert page.text_content("#hall-name") == "Sandu Town Service Centre"
        assert "Please bring your ID card" in page.text_content("#notice")
        t = call(api, 1)
        page.wait_for_function("() => document.getElementById('hero-window').textContent.includes('window 1')",
                               timeout=3000)
        assert page.text_content("#hero-number") == t["number"]
        hero = page.locator("#hero-number").bounding_box()
        # readable from 10 m: the called number is at least 200 px tall on a 1080-wide screen
        size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('hero-number')).fontSize)")
        assert size >= 200 and hero["width"] > 0
        assert page.errors == []
    finally:
        page.close()


def test_pages_follow_the_content_security_policy():
    for name in ("display.html", "wall.html"):
        html = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", html), name
        assert "http://" not in html and "https://" not in html, name
    for name in ("display.js", "wall.js"):
        js = (STATIC / name).read_text(encoding="utf-8")
        assert "innerHTML" not in js and "http" not in js, name


def test_the_wall_shows_staff_duties_windows_and_satisfaction(live, chromium, ctx):
    from server.services.halls import load_hall, read_config
    data = read_config()
    data["wall"] = {"min_ratings": 1}  # this hall shows a share from the first rating
    load_hall(ctx, data)
    api = live.api
    staff_at(api, [1])
    api.add_device("eval1", "evaluator", [1])
    api.issue("social")
    t = call(api, 1)
    assert api.act(1, "finish", "clerk1", {"outcome": "immediate"}).status == 200
    assert api.post(api.hp(f"/tickets/{t['id']}/rating"), "eval1", json={"level": 4}).status == 201
    page = chromium.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(f"{live.url}/wall")
        page.wait_for_selector(".card", timeout=10000)
        card = page.locator(".card", has_text="职员1")
        text = card.inner_text()
        assert "100%" in text and "100.0%" not in text and "1 次评价" in text and "1 号窗口" in text and "综合受理" in text
        assert "在岗" in text
        assert page.locator(".card img").first.get_attribute("src").startswith("/api/v1/staff/")
    finally:
        page.close()


def test_a_display_with_speakers_plays_the_servers_announcement(live, chromium):
    need_binary("espeak-ng")
    api = live.api
    staff_at(api, [1])
    api.issue("social")
    page = open_display(chromium, live.url, "?voice=1")
    try:
        t = call(api, 1)
        page.wait_for_function("() => (window.hallqDisplay.audio || []).length >= 1", timeout=30000)
        played = page.evaluate("window.hallqDisplay.audio")
        assert [a["event_id"] for a in played] == [s["event_id"] for s in shown(page)]
        assert shown(page)[0]["number"] == t["number"]
        assert page.is_hidden("#sound")  # autoplay allowed: no click needed
    finally:
        page.close()
