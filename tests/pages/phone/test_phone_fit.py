"""The phone pages at 390x844 in Chinese and English, in a phone whose clock runs in UTC: today's
open times come first (past ones are not listed), the booking code is short and large, times are
the hall's, a priority resident sees the priority, and an unknown ticket says what to do next."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking fixtures)

import re

from playwright.sync_api import expect

from server.domain import booking as bk
from tests.fixtures.booking import WEDNESDAY, choose_on_book, resident
from tests.layout import PHONE, assert_fits


def test_booking_and_ticket_pages_fit_a_phone_and_read_in_hall_time(live, clock, chromium):
    api = live.api
    clock.set(WEDNESDAY, "15:10")  # the morning's slots have passed
    bctx = chromium.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, is_mobile=True,
                                has_touch=True, locale="zh-CN", timezone_id="UTC")
    page = bctx.new_page()
    choose_on_book(page, live.url)
    page.locator("#slots .bk-slot").first.wait_for()
    first = page.locator("#slots .bk-slot").first.get_attribute("data-slot")
    assert first >= "15:00", first  # no greyed past slot pushes today's open ones down
    assert all(not b.is_disabled() or "约满" in b.inner_text() for b in page.locator("#slots .bk-slot").all())
    expect(page.locator("#day-note")).to_contain_text("已过时段")
    assert page.get_attribute("#lookup-code", "placeholder") == "预约码或查询码"  # one language
    assert_fits(page, "book-slots-390x844-zh")
    page.locator("#slots .bk-slot:not([disabled])").first.click()
    who = resident(4)
    page.fill("#name", who["name"])
    page.fill("#phone", who["phone"])
    page.fill("#idnum", who["id_number"])
    page.click("#submit")
    expect(page.locator("#confirm")).to_be_visible()
    code = page.inner_text("#code").replace(" ", "")
    assert len(code) == bk.CODE_LEN and set(code) <= set(bk.CODE_ALPHABET), code
    assert page.eval_on_selector("#code", "e => parseFloat(getComputedStyle(e).fontSize)") >= 32  # shown large
    assert_fits(page, "book-confirm-390x844-zh", keep=True)
    page.click("#lang")
    assert page.get_attribute("#lookup-code", "placeholder") == "Booking code or ticket code"
    assert_fits(page, "book-confirm-390x844-en")
    # the code read out and typed in (lower case, with its space) finds the booking
    page2 = bctx.new_page()
    page2.goto(live.url + "/book")
    page2.fill("#lookup-code", code[:3].lower() + " " + code[3:].lower())
    page2.locator("#lookup-form button").click()
    expect(page2.locator("#code")).to_have_text(code[:3] + " " + code[3:])

    # the ticket page of an elderly resident given priority at the front desk
    api.add_staff("desk", [], name="导办员")
    tk = api.issue("social", token="desk", priority="elderly").body
    page2.evaluate("localStorage.setItem('hallq.lang', 'zh')")
    track = bctx.new_page()
    track.goto(live.url + tk["track_url"])
    expect(track.locator("#priority")).to_have_text("老年人优先")
    from datetime import datetime
    from zoneinfo import ZoneInfo
    # the phone's clock (real time) shown in the hall's zone (UTC+8), not the phone's own (UTC)
    hall_now = datetime.now(ZoneInfo(api.get(api.hp("")).body["timezone"])).strftime("%H:%M")
    updated = track.inner_text("#updated")
    assert re.search(r"\d\d:\d\d:\d\d", updated) and updated.split()[-1][:5] in (hall_now, _next_minute(hall_now)), (updated, hall_now)
    assert_fits(track, "track-priority-390x844-zh", keep=True)
    track.click("#lang")
    expect(track.locator("#priority")).to_have_text("Elderly")
    assert_fits(track, "track-priority-390x844-en")
    # an unknown ticket: a header and a next step, not a blank page
    track.goto(live.url + "/t/no-such-ticket")
    expect(track.locator("#unknown")).to_be_visible()
    expect(track.locator("#hall-name")).to_have_text("My ticket")
    expect(track.locator("#unknown .tr-next")).to_contain_text("kiosk")
    assert_fits(track, "track-unknown-390x844-en")
    bctx.close()


def _next_minute(hhmm: str) -> str:
    h, m = (int(x) for x in hhmm.split(":"))
    m += 1
    return f"{(h + m // 60) % 24:02d}:{m % 60:02d}"


def test_phone_pages_small_print_after_hours_and_the_landing_page(live, clock, chromium):
    """Today after the last slot reads 已过 (not 约满); notes at least 14 px; the landing page's
    language button stays on one line, links every public page and shows no developer path."""
    clock.set(WEDNESDAY, "23:00")  # every slot of today has passed
    bctx = chromium.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, is_mobile=True,
                                has_touch=True, locale="zh-CN", timezone_id="UTC")
    page = bctx.new_page()
    page.goto(live.url + "/book")
    page.locator('#services [data-code="social"]').click()
    expect(page.locator(f'#days [data-date="{WEDNESDAY}"] .tag')).to_have_text("已过")
    small = page.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e =>
        e.offsetParent !== null && !e.closest('.bk-day') &&
        Array.from(e.childNodes).some(c => c.nodeType === 3 && c.textContent.trim()) &&
        parseFloat(getComputedStyle(e).fontSize) < 14).map(e => e.className + ':' + e.textContent.trim())""")
    assert small == [], small
    for lang in ("zh", "en"):
        page.goto(live.url + "/")
        page.evaluate("(l) => localStorage.setItem('hallq.lang', l)", lang)
        page.reload()
        hrefs = page.eval_on_selector_all(".pages a", "as => as.map(a => a.getAttribute('href'))")
        for h in ("/guide", "/assist", "/book", "/manager/assist", "/admin"):
            assert h in hrefs, (h, hrefs)
        assert "token=" not in page.inner_text("main")
        assert_fits(page, f"index-390x844-{lang}", one_line=("#lang",))
    bctx.close()
