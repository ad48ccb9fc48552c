"""The admin page's working-day calendar in real Chromium: an administrator types the first and last
day of a holiday the ways people write them (2027/2/6, 2027年2月12日, full-width digits, 2027.4.5),
sees each rewritten as 2027-02-06 and saved through the real server; a month-first day (10/01/2027),
a last day before the first and a holiday without a name are said right under their field and
nothing is saved. At the window PC's 1366x768 in Chinese and the 1920x1080 screen in English; and
the form at 1366x768, 1280x800, a 900 px window, 800x1280 and the phone's 390x844 in both languages: its four
fields in whole rows (never three and one hanging), each message right under its own field in
whichever row, the holiday name's example in the page's language."""
from __future__ import annotations

from tests.fixtures.admin import *  # noqa: F401,F403  (the admin fixtures)

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.store import tables as t
from tests.layout import PHONE, TABLET, TABLET_PORTRAIT, TV, WINDOW_PC, assert_fits, lone_characters
from tests.fixtures.pages import open_signed_in

DAY_WRONG_ZH = "日期请写成 2026-11-05（年-月-日）"
DAY_WRONG_EN = "Write the day as 2026-11-05 (year-month-day)"
DAY_IN_MESSAGE = "#calendar-form-error .nowrap"  # 2026-11-05 in a message: never broken after a hyphen


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


FIELDS = ("c-from", "c-to", "c-kind", "c-name")
NARROW = (900, 700)  # a window PC's browser not full screen


def field_boxes(page):
    return {f: page.locator(f"#calendar-form label:has(#{f})").bounding_box() for f in FIELDS}


def rows_of(fields):
    """The fields grouped by the row they are drawn on (tops within 2 px), top to bottom."""
    rows: list[list[str]] = []
    for f, b in sorted(fields.items(), key=lambda fb: (fb[1]["y"], fb[1]["x"])):
        if rows and abs(fields[rows[-1][0]]["y"] - b["y"]) < 2:
            rows[-1].append(f)
        else:
            rows.append([f])
    return rows


def assert_under(page, field_id):
    """The message lies right under its own field, whichever row that is: it starts where the
    field starts, at most 12 px below it, no wider than the field, above every field of the rows
    below, and the field is marked."""
    err = page.locator("#calendar-form-error").bounding_box()
    fields = field_boxes(page)
    mine = fields[field_id]
    assert abs(err["x"] - mine["x"]) <= 1, (err, mine)
    assert err["x"] + err["width"] <= mine["x"] + mine["width"] + 1, (err, mine)
    assert 0 <= err["y"] - (mine["y"] + mine["height"]) <= 12, (err, mine)
    for other in fields.values():
        if other["y"] > mine["y"] + 2:
            assert err["y"] + err["height"] <= other["y"] + 1, (err, other)
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


@pytest.mark.parametrize("size", [WINDOW_PC, TABLET, NARROW, TABLET_PORTRAIT, PHONE], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_form_lays_out_in_whole_rows_at_every_size_and_each_message_stays_at_its_field(
        live, ctx, hall, chromium, size, lang):
    english = lang == "en"
    context, page, errors = open_calendar(chromium, live.url, size, "en-US" if english else "zh-CN", english)
    try:
        err, name = page.locator("#calendar-form-error"), page.locator("#c-name")
        assert name.get_attribute("placeholder") == ("e.g. Spring Festival" if english else "例：春节")
        rows = rows_of(field_boxes(page))
        assert len({len(r) for r in rows}) == 1, rows  # 4, 2+2 or 1+1+1+1
        tag = f"{size[0]}-{lang}"
        # the panel above the form: a day, 调休上班 and the title whole on a phone, no lone character
        assert not lone_characters(page, "#calendar-panel h2 > span, #calendar-national li, #calendar-panel > p")
        page.locator("#calendar-form").scroll_into_view_if_needed()
        assert_fits(page, f"admin-calendar-form-{tag}", one_line=("#calendar-national .nowrap",))
        for field in ("c-from", "c-to"):
            page.fill(f"#{field}", "10/01/2027")
            page.locator(f"#{field}").press("Tab")
            expect(err).to_have_text(DAY_WRONG_EN if english else DAY_WRONG_ZH)
            assert_under(page, field)
            assert page.locator(f"#{field}").get_attribute("aria-describedby") == "calendar-form-error"
            assert_fits(page, f"admin-calendar-{field}-error-{tag}", one_line=(DAY_IN_MESSAGE,))
            page.fill(f"#{field}", "")
            expect(err).to_be_hidden()
        # the server's refusal of a holiday without a name: under the name, the last field
        page.fill("#c-from", "2027-10-01")
        page.click("#calendar-form button[type=submit]")
        expect(err).to_contain_text("Spring Festival" if english else "春节")
        assert_under(page, "c-name")
        assert_fits(page, f"admin-calendar-name-error-{tag}")
        page.click("#lang")  # said again in the other language, where it was; the example follows
        expect(err).to_contain_text("春节" if english else "Spring Festival")
        assert_under(page, "c-name")
        assert name.get_attribute("placeholder") == ("例：春节" if english else "e.g. Spring Festival")
        assert_fits(page, f"admin-calendar-name-error-{tag}-switched")
        assert entered(ctx) == [] and errors == []
    finally:
        context.close()
