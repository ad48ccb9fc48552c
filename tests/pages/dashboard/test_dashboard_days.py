"""The dashboard's from/to days in real Chromium: a manager types them the ways people write days
(2026/11/2, 2026年11月5日, full-width digits); each is rewritten as 2026-11-02 and the figures are
loaded for that range from the real server; a month-first day (11/05/2026) is refused, its field
marked, the message given in the page's language, the figures left as they were. At 1366x768 in
Chinese and 1920x1080 in English. Also: no page script keeps a day pattern of its own."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.layout import TV, WINDOW_PC, assert_fits
from tests.fixtures.pages import open_signed_in

ROOT = Path(__file__).resolve().parents[3]


def open_dashboard(chromium, url, size, english=False):
    context, page, errors = open_signed_in(chromium, url, "/dashboard?from=2026-11-01&to=2026-11-01", "boss",
                                           size, "en-US" if english else "zh-CN", english)
    expect(page.locator("body")).to_have_attribute("data-loaded", "2026-11-01..2026-11-01")
    return context, page, errors


def type_day(page, which, text):
    page.fill(f"#{which}", text)
    page.press(f"#{which}", "Tab")


def assert_said_near(page, which):
    """The message is the first thing under the header that holds the field, starts under the
    field (not at the page's far left edge), sized to its words and inside the page."""
    err, field, head = (page.locator(s).bounding_box() for s in ("#error", f"label:has(#{which})", ".dash-head"))
    assert 0 <= err["y"] - (head["y"] + head["height"]) <= 32, (err, head)
    assert err["x"] < field["x"] + field["width"] and err["x"] + err["width"] > field["x"], (err, field)
    assert err["width"] < head["width"] / 2 and err["x"] + err["width"] <= head["width"], (err, head)


def test_a_manager_types_days_the_ways_people_write_them_and_a_month_first_one_is_refused(live, chromium):
    live.api.add_staff("boss", [], role="manager", name="主任")
    context, page, errors = open_dashboard(chromium, live.url, WINDOW_PC)
    body = page.locator("body")
    try:
        type_day(page, "to", "2026年11月5日")
        expect(page.locator("#to")).to_have_value("2026-11-05")
        expect(body).to_have_attribute("data-loaded", "2026-11-01..2026-11-05")
        type_day(page, "from", "2026/11/2")
        expect(page.locator("#from")).to_have_value("2026-11-02")
        expect(body).to_have_attribute("data-loaded", "2026-11-02..2026-11-05")
        type_day(page, "from", "２０２６．１１．０３")  # full-width, from a Chinese input method
        expect(body).to_have_attribute("data-loaded", "2026-11-03..2026-11-05")
        assert "from=2026-11-03&to=2026-11-05" in page.url
        type_day(page, "to", "11/05/2026")
        expect(page.locator("#error")).to_have_text("日期请写成 2026-11-05（年-月-日）")
        expect(page.locator("#to")).to_have_class("day bad")
        expect(page.locator("#from")).to_have_class("day")
        assert_said_near(page, "to")
        assert_fits(page, "dashboard-day-error-1366-zh")
        assert "from=2026-11-03&to=2026-11-05" in page.url
        assert body.get_attribute("data-loaded") == "2026-11-03..2026-11-05"
        type_day(page, "to", "20261104")
        expect(body).to_have_attribute("data-loaded", "2026-11-03..2026-11-04")
        expect(page.locator("#error")).to_be_hidden()
        expect(page.locator("#to")).to_have_class("day")
        assert errors == []
    finally:
        context.close()


def test_in_english_a_wrong_first_day_is_said_in_english_and_nothing_reloads(live, chromium):
    live.api.add_staff("boss", [], role="manager", name="主任")
    context, page, errors = open_dashboard(chromium, live.url, TV, english=True)
    try:
        type_day(page, "from", "2026-2-30")  # no such day
        expect(page.locator("#error")).to_have_text("Write the day as 2026-11-05 (year-month-day)")
        expect(page.locator("#from")).to_have_class("day bad")
        assert_said_near(page, "from")
        assert_fits(page, "dashboard-day-error-1920-en")
        page.click("#lang")  # the message follows the language, where it is
        expect(page.locator("#error")).to_have_text("日期请写成 2026-11-05（年-月-日）")
        assert_said_near(page, "from")
        assert_fits(page, "dashboard-day-error-1920-zh")
        page.click("#lang")
        # drawn again in English: the figures still say their own range, not the wrong typing
        expect(page.locator("#kpi-range")).to_have_text("2026-11-01")
        assert page.locator("body").get_attribute("data-loaded") == "2026-11-01..2026-11-01"
        type_day(page, "from", "2026.10.30")
        expect(page.locator("body")).to_have_attribute("data-loaded", "2026-10-30..2026-11-01")
        assert_fits(page, "dashboard-days-1920-en")
        assert errors == []
    finally:
        context.close()


def test_no_page_script_keeps_a_day_pattern_of_its_own():
    """The day rule lives in hallq.parseDay (js/hallq.js) only: a page script with its own
    \\d{4}-\\d{2}-\\d{2} check drifts from it (the dashboard's took 2026-11-30 but not 2026/11/30)."""
    scripts = [p for d in (ROOT / "server" / "web" / "static" / "js", ROOT / "caller" / "static", ROOT / "display")
               for p in d.rglob("*.js")]
    assert len(scripts) > 10
    own = [str(p.relative_to(ROOT)) for p in scripts
           if p.name != "hallq.js" and "\\d{4}" in p.read_text(encoding="utf-8")]
    assert own == []
