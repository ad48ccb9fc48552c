"""The estimate on the resident's phone (a range, kept live) and its accuracy on the dashboard,
in real Chromium. Screenshots go to /tmp/shots/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures.pages import sign_in

SHOTS = Path("/tmp/shots")
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}
pytestmark = pytest.mark.browser


def fits(page, selector) -> bool:
    return page.evaluate("s => { const e = document.querySelector(s); return e.scrollWidth <= e.clientWidth + 1; }",
                         selector)


def test_the_phone_shows_a_range_that_follows_the_queue(live, chromium):
    SHOTS.mkdir(exist_ok=True)
    api = live.api
    clerk = api.add_staff("clerk9", [9])
    assert api.act(9, "sign-in", clerk).status == 200
    for _ in range(3):
        api.issue("hukou")
    mine = api.issue("hukou").body
    api.act(9, "call-next", clerk)
    context = chromium.new_context(**PHONE)
    problems = []
    page = context.new_page()
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(live.url + mine["track_url"])
    page.locator("#conn.on").wait_for()
    page.locator("#ahead").filter(has_text="2").wait_for()
    first = page.locator("#wait").inner_text()
    assert re.fullmatch(r"\d+–\d+ 分钟", first), first
    assert "最可能" in page.locator("#wait-point").inner_text()
    assert fits(page, "#wait")
    page.screenshot(path=str(SHOTS / "estimate-phone-zh.png"), full_page=True)

    before = int(page.locator("#wait").get_attribute("data-seconds"))
    api.act(9, "finish", clerk, {"outcome": "immediate"})
    api.act(9, "call-next", clerk)  # the queue moves: the page refetches on the event
    page.locator("#ahead").filter(has_text="1").wait_for(timeout=30000)
    after = int(page.locator("#wait").get_attribute("data-seconds"))
    assert after < before

    page.click("#lang")
    page.locator("#wait").filter(has_text="min").wait_for()
    assert re.fullmatch(r"\d+–\d+ min", page.locator("#wait").inner_text())
    assert fits(page, "#wait")
    page.screenshot(path=str(SHOTS / "estimate-phone-en.png"), full_page=True)
    assert not problems, problems
    context.close()


def test_the_dashboard_shows_how_accurate_the_estimates_were(live, chromium):
    SHOTS.mkdir(exist_ok=True)
    api = live.api
    clerk = api.add_staff("clerk9", [9])
    api.act(9, "sign-in", clerk)
    for _ in range(2):
        api.issue("hukou")
        api.issue("market")
    api.act(9, "call-next", clerk)
    api.add_staff("boss", [], role="manager")
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live.url + "/dashboard")
    sign_in(page, "boss", enter=True)
    table = page.locator("#estimates-table")
    table.locator("td", has_text="户政").wait_for(timeout=30000)
    text = table.inner_text()
    assert "平均绝对误差" in text and "区间命中" in text and "全部" in table.locator("tr.total").inner_text()
    page.locator("#estimates-panel").screenshot(path=str(SHOTS / "estimate-dashboard.png"))
    context.close()
