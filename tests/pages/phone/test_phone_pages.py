"""Real Chromium at phone size: booking on /book end to end, and /t/{token} following the ticket
live until it is called. Screenshots go to /tmp/shots/."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking fixtures)

from pathlib import Path

import pytest

from tests.fixtures.booking import WEDNESDAY, choose_on_book, resident

SHOTS = Path("/tmp/shots")
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}


@pytest.fixture
def phone(chromium):
    SHOTS.mkdir(exist_ok=True)
    context = chromium.new_context(**PHONE)
    problems = []

    def new_page():
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page
    yield new_page, problems
    context.close()


def test_a_resident_books_on_the_phone_and_follows_the_ticket_until_called(live, clock, phone):
    new_page, problems = phone
    api = live.api
    page = new_page()
    choose_on_book(page, live.url)
    page.locator('#slots [data-slot="10:00-10:30"]').wait_for()
    assert page.locator('#days [data-date="2026-11-29"]').is_disabled()  # Sunday (Saturday mornings: weekend service)
    page.locator('#slots [data-slot="18:00-18:30"]').wait_for()  # 延时服务 on Wednesday
    page.screenshot(path=str(SHOTS / "book-1-slots.png"), full_page=True)
    page.locator('#slots [data-slot="10:00-10:30"]').click()
    who = resident(4)
    page.fill("#name", who["name"])
    page.fill("#phone", who["phone"])
    page.fill("#idnum", who["id_number"][:-1] + ("0" if who["id_number"][-1] != "0" else "1"))
    page.click("#submit")
    assert "身份证号码有误" in page.locator("#form-error").inner_text()
    page.screenshot(path=str(SHOTS / "book-2-form-error.png"), full_page=True)
    page.fill("#idnum", who["id_number"])
    assert page.locator("#form-error").is_hidden()
    page.click("#submit")
    page.locator("#confirm").wait_for(state="visible")
    code = page.locator("#code").inner_text().strip()
    text = page.locator("#confirm").inner_text()
    assert "预约成功" in text and "10:00-10:30" in text and "张*" in text
    assert who["id_number"] not in page.content() and who["phone"] not in page.content()
    assert page.locator("#qr").evaluate("img => img.complete && img.naturalWidth > 0")
    page.screenshot(path=str(SHOTS / "book-3-confirmation.png"), full_page=True)

    # The slot had two seats; the page now shows one left.
    slots = api.get(api.hp(f"/appointments/slots?service=social&date={WEDNESDAY}")).body["slots"]
    assert {s["slot"]: s["left"] for s in slots}["10:00-10:30"] == 1

    # Wednesday 09:45: the resident scans the QR at the kiosk; two walk-ins come after.
    clock.set(WEDNESDAY, "09:45")
    mine = api.post(api.hp("/appointments/check-in"), "kiosk", json={"code": code})
    assert mine.status == 201, mine.body
    walk_in = [api.issue("social").body for _ in range(2)][1]
    assert walk_in["ahead"] == 2

    track = new_page()
    track.goto(live.url + mine.body["track_url"])
    track.locator("#number").filter(has_text=mine.body["number"]).wait_for()
    track.locator("#conn.on").wait_for()
    assert track.locator("#ahead").inner_text() == "0"
    other = new_page()
    other.goto(live.url + walk_in["track_url"])
    other.locator("#ahead").filter(has_text="2").wait_for()
    other.locator("#conn.on").wait_for()
    track.screenshot(path=str(SHOTS / "track-1-waiting.png"), full_page=True)
    other.screenshot(path=str(SHOTS / "track-2-walk-in-waiting.png"), full_page=True)
    body = track.locator("body").inner_text()
    assert walk_in["number"] not in body and "3301" not in body

    staff = api.add_staff("clerk3", [3])
    assert api.act(3, "sign-in", staff).status == 200
    called = api.act(3, "call-next", staff).body["ticket"]
    assert called["number"] == mine.body["number"]

    track.locator("#called").wait_for(state="visible", timeout=30000)
    assert "3 号窗口" in track.locator("#called-window").inner_text()
    assert "请到 3 号窗口办理" in track.locator("#status").inner_text()
    assert track.locator("body").get_attribute("data-alerts") == "1"
    track.locator('body[data-beeped="yes"]').wait_for(state="attached")
    other.locator("#ahead").filter(has_text="1").wait_for(timeout=30000)  # the queue moved
    track.screenshot(path=str(SHOTS / "track-3-called.png"), full_page=True)

    clock.set(WEDNESDAY, "09:47")
    assert api.act(3, "recall", staff).status == 200  # called again: alerted again
    track.locator('body[data-alerts="2"]').wait_for(state="attached", timeout=30000)

    track.click("#lang")
    track.locator("#status").filter(has_text="Please go to window 3").wait_for()
    track.screenshot(path=str(SHOTS / "track-4-called-en.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


def test_a_booking_can_be_found_and_cancelled_from_the_phone(live, clock, phone):
    new_page, problems = phone
    api = live.api
    body = {"service": "hukou", "date": WEDNESDAY, "slot": "14:00-14:30", **resident(6)}
    code = api.post(api.hp("/appointments"), json=body).body["code"]
    page = new_page()
    page.goto(live.url + "/book")
    page.fill("#lookup-code", code)
    page.locator("#lookup-form button").click()
    page.locator("#confirm").wait_for(state="visible")
    page.click("#cancel")
    assert "再次点击" in page.locator("#cancel").inner_text()
    page.click("#cancel")
    page.locator("#confirm-title").filter(has_text="预约已取消").wait_for()
    page.screenshot(path=str(SHOTS / "book-4-cancelled.png"), full_page=True)
    slots = api.get(api.hp(f"/appointments/slots?service=hukou&date={WEDNESDAY}")).body["slots"]
    assert {s["slot"]: s["left"] for s in slots}["14:00-14:30"] == 1
    other = code[:-1] + ("A" if code[-1] != "A" else "C")  # one character off: no such booking
    page.goto(live.url + "/book#code=" + other)
    page.locator("#error").filter(has_text="没有这个预约").wait_for()


    assert not problems or all("400" in p or "Failed to load" in p for p in problems), problems
