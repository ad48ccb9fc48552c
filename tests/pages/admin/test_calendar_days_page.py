"""The admin page's working-day calendar in real Chromium: an administrator types the first and last
day of a holiday the ways people write them (2027/2/6, 2027年2月12日, full-width digits, 2027.4.5),
sees each rewritten as 2027-02-06 and saved through the real server; a month-first day (10/01/2027),
a last day before the first and a holiday without a name are said right under their field and
nothing is saved. At the window PC's 1366x768 in Chinese and the 1920x1080 screen in English."""
from __future__ import annotations

from tests.fixtures.admin import *  # noqa: F401,F403  (the admin fixtures)

from playwright.sync_api import expect
from sqlalchemy import select

from server.store import tables as t
from tests.layout import TV, WINDOW_PC, assert_fits
from tests.fixtures.pages import open_signed_in

DAY_WRONG_ZH = "日期请写成 2026-11-05（年-月-日）"
DAY_WRONG_EN = "Write the day as 2026-11-05 (year-month-day)"


def entered(ctx):
    with ctx.db.read() as conn:
        return [(str(r.day), r.kind, r.name) for r in conn.execute(
            select(t.calendar_days).order_by(t.calendar_days.c.day)).all()]


def open_calendar(chromium, url, size, locale, english=False):
    context, page, errors = open_signed_in(chromium, url, "/admin", "root", size, locale, english)
    page.wait_for_selector("body[data-loaded]")
    page.click("#tab-calendar")
    expect(page.locator("#calendar-form")).to_be_visible()
    return context, page, errors


def assert_under(page, field_id):
    """The message starts under its field (not at the form's left edge), just below the row of
    fields, sized to its words and inside the form."""
    err, field, row = (page.locator(sel).bounding_box()
                       for sel in ("#calendar-form-error", f"#{field_id}", "#calendar-form .fields"))
    assert err["x"] < field["x"] + field["width"] and err["x"] + err["width"] > field["x"], (err, field)
    assert err["x"] >= min(field["x"], row["x"] + row["width"] - err["width"]) - 1, (err, field, row)
    assert err["x"] >= row["x"] - 1 and err["x"] + err["width"] <= row["x"] + row["width"] + 1, (err, row)
    assert err["width"] < row["width"] / 2, (err, row)
    assert 0 <= err["y"] - (row["y"] + row["height"]) <= 16, (err, row)
    assert page.locator(f"#calendar-form label:has(#{field_id})").get_attribute("class") == "invalid"


def test_an_admin_types_a_holiday_the_ways_people_write_days_and_a_wrong_one_is_said_at_its_field(
        live, ctx, hall, chromium):
    context, page, errors = open_calendar(chromium, live.url, WINDOW_PC, "zh-CN")
    try:
        first, last, err = page.locator("#c-from"), page.locator("#c-to"), page.locator("#calendar-form-error")
        assert first.get_attribute("type") == "text" and first.get_attribute("placeholder") == "例：2026-11-05"
        # a month-first day is refused when the field is left, right under it; nothing is sent
        first.fill("10/01/2027")
        first.press("Tab")
        expect(err).to_have_text(DAY_WRONG_ZH)
        assert_under(page, "c-from")
        assert_fits(page, "admin-calendar-day-error-1366-zh")
        page.fill("#c-name", "国庆节")
        page.click("#calendar-form button[type=submit]")
        expect(err).to_have_text(DAY_WRONG_ZH)
        assert page.evaluate("document.activeElement.id") == "c-from"
        assert entered(ctx) == []
        # typing again settles the message
        first.fill("2027/2/6")
        expect(err).to_be_hidden()
        assert page.locator("#calendar-form .invalid").count() == 0
        first.press("Tab")
        expect(first).to_have_value("2027-02-06")
        last.fill("2027年2月12日")
        last.press("Tab")
        expect(last).to_have_value("2027-02-12")
        page.fill("#c-name", "春节")
        page.click("#calendar-form button[type=submit]")
        expect(page.locator('#calendar-table tr[data-date="2027-02-12"]')).to_contain_text("春节")
        expect(first).to_have_value("")
        assert entered(ctx) == [(f"2027-02-{d:02d}", "holiday", "春节") for d in range(6, 13)]
        # full-width digits (a Chinese input method) and one day only
        first.fill("２０２７－１０－０１")
        page.fill("#c-name", "国庆节")
        page.click("#calendar-form button[type=submit]")
        expect(page.locator('#calendar-table tr[data-date="2027-10-01"]')).to_contain_text("国庆节")
        assert entered(ctx)[-1] == ("2027-10-01", "holiday", "国庆节")
        # a last day before the first: said under the last day
        first.fill("2027-05-03")
        last.fill("2027-05-01")
        page.click("#calendar-form button[type=submit]")
        expect(err).to_have_text("最后一天不能早于第一天")
        assert_under(page, "c-to")
        assert page.evaluate("document.activeElement.id") == "c-to"
        # the server's refusal (a holiday needs a name) under the name
        last.fill("")
        page.fill("#c-name", "")
        page.click("#calendar-form button[type=submit]")
        expect(err).to_have_text("请填写节日名称，如 春节")  # in the page's language only
        assert_under(page, "c-name")
        assert_fits(page, "admin-calendar-name-error-1366-zh")
        page.click("#lang")
        expect(err).to_have_text("A holiday needs a name, e.g. Spring Festival")
        assert_under(page, "c-name")
        assert_fits(page, "admin-calendar-name-error-1366-en")
        assert len(entered(ctx)) == 8
        assert errors == []
    finally:
        context.close()


def test_in_english_the_day_reads_the_same_and_a_wrong_last_day_is_said_under_it(live, ctx, hall, chromium):
    context, page, errors = open_calendar(chromium, live.url, TV, "en-US", english=True)
    try:
        first, last, err = page.locator("#c-from"), page.locator("#c-to"), page.locator("#calendar-form-error")
        assert first.get_attribute("placeholder") == "e.g. 2026-11-05"
        page.select_option("#c-kind", "workday")
        first.fill("2027.4.5")
        last.fill("4/5/2027")  # month-first, as an English browser's picker would show it
        last.press("Tab")
        expect(first).to_have_value("2027-04-05")
        expect(err).to_have_text(DAY_WRONG_EN)
        assert_under(page, "c-to")
        assert_fits(page, "admin-calendar-day-error-1920-en")
        page.click("#lang")  # the message follows the language, where it is
        expect(err).to_have_text(DAY_WRONG_ZH)
        assert_under(page, "c-to")
        assert_fits(page, "admin-calendar-day-error-1920-zh")
        page.click("#lang")
        last.fill("20270405")
        page.click("#calendar-form button[type=submit]")
        expect(page.locator('#calendar-table tr[data-date="2027-04-05"]')).to_contain_text("Make-up workday")
        assert entered(ctx) == [("2027-04-05", "workday", None)]
        expect(err).to_be_hidden()
        assert_fits(page, "admin-calendar-saved-1920-en")
        assert errors == []
    finally:
        context.close()
