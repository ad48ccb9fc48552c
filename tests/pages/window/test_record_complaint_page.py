"""登记投诉/评价 on the cases page (/manager/cases) and the front desk (/desk): staff fill the form
for a 12345 call that names no visit, and for a 现场 complaint about a visit found by its number;
the form says clearly what is missing; the new case shows in the list. Real server, real Chromium,
at the hall's office sizes (the cases page and the desk are office pages) in Chinese and English."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.store import tables as t
from tests.api.window.test_recorded_complaints import serve
from tests.fixtures.window import login, staff_window_1
from tests.layout import TV, WINDOW_PC, assert_fits, sized


@pytest.fixture
def staffed(live):
    api = live.api
    staff_window_1(api)
    api.add_staff("desk", [], name="赵导办")
    return api


def rows(ctx, table):
    with ctx.db.read() as conn:
        return conn.execute(select(table).order_by(table.c.id)).all()


def assert_under_the_day(page):
    """The day's message starts under the day field (not a screen's width away at the row's left
    edge) and stays inside the form's row."""
    err, day, row = (page.locator(sel).bounding_box() for sel in (".rf-error", "#rf-day", ".rf-visit-row"))
    assert err["x"] < day["x"] + day["width"] and err["x"] + err["width"] > day["x"], (err, day)
    assert err["width"] < row["width"] / 2, (err, row)  # sized to its words, not the row's width
    assert err["x"] >= min(day["x"], row["x"] + row["width"] - err["width"]) - 1, (err, day, row)
    assert err["x"] >= row["x"] - 1 and err["x"] + err["width"] <= row["x"] + row["width"] + 1, (err, row)


def test_a_manager_records_a_12345_complaint_with_no_visit_and_sees_its_case(live, ctx, staffed, chromium):
    context = chromium.new_context(viewport={"width": WINDOW_PC[0], "height": WINDOW_PC[1]}, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        login(page, live.url + "/manager/cases", "boss")
        page.locator("#record-open").click()
        form = page.locator(".record-form")
        expect(form.locator(".rf-channel input")).to_have_count(4)
        assert_fits(page, "record-form-1366-zh")
        # nothing chosen: the form says what is missing and marks it, nothing is sent
        form.locator(".rf-save").click()
        expect(form.locator(".rf-error")).to_contain_text("请选择渠道")
        expect(form.locator("fieldset.rf-channel")).to_have_class("rf-group rf-channel invalid")
        form.locator(".rf-chip", has_text="12345热线").click()
        form.locator(".rf-chip", has_text="投诉").click()
        form.locator(".rf-save").click()
        expect(form.locator(".rf-error")).to_contain_text("请填写投诉内容")
        assert page.evaluate("document.activeElement.id") == "rf-text"
        form.locator("#rf-service").select_option("social")
        form.locator("#rf-window").select_option("1")
        with ctx.db.read() as conn:
            clerk = conn.execute(select(t.users.c.id).where(t.users.c.username == "clerk")).scalar()
        form.locator("#rf-staff").select_option(str(clerk))
        assert "王小明" in form.locator("#rf-staff option:checked").inner_text()
        # the day reads 年-月-日 whatever the browser: a wrong one is said at the field when left
        day = form.locator("#rf-day")
        assert day.get_attribute("placeholder") == "例：2026-11-05"
        day.fill("2026/11/31")
        day.press("Tab")
        expect(form.locator(".rf-error")).to_have_text("日期请写成 2026-11-05（年-月-日）")
        expect(form.locator(".rf-day")).to_have_class("rf-field rf-day invalid")
        gap = page.evaluate("() => document.querySelector('.rf-error').getBoundingClientRect().top"
                            " - document.querySelector('.rf-visit-row').getBoundingClientRect().bottom")
        assert 0 <= gap <= 16, gap  # right under the day, not by the save button
        assert_under_the_day(page)
        assert_fits(page, "record-form-day-error-1366-zh")
        day.fill("2099-01-01")
        form.locator(".rf-save").click()  # straight from the field to the button: the button says it
        expect(form.locator(".rf-error")).to_have_text("办事日期不能在今天之后")
        assert page.evaluate("document.activeElement.id") == "rf-day"
        day.fill("2026/11/20")  # the way many write it: rewritten as the hall reads it
        day.press("Tab")
        expect(day).to_have_value("2026-11-20")
        expect(form.locator(".rf-error")).to_be_hidden()
        expect(form.locator(".rf-day")).to_have_class("rf-field rf-day")
        form.locator(".rf-chip", has_text="态度").click()
        form.locator("#rf-text").fill("来电反映上周办理低保时窗口人员态度生硬")
        expect(form.locator(".rf-contact")).to_be_visible()  # a complaint may leave a phone
        form.locator("#rf-phone").fill("13900001111")
        form.locator(".rf-save").click()  # consent not ticked: said on the form, not sent
        expect(form.locator(".rf-error")).to_contain_text("同意")
        assert rows(ctx, t.ratings) == []
        form.locator("#rf-consent").check()
        assert_fits(page, "record-form-filled-1366-zh")
        form.locator(".rf-save").click()
        expect(form).to_be_hidden()
        card = page.locator("article.case.fresh")
        expect(card).to_contain_text("无办事记录")
        expect(card).to_contain_text("12345热线")
        expect(card).to_contain_text("王小明")
        expect(card).to_contain_text("139****1111")
        expect(card.locator(".level")).to_have_text("投诉")
        assert_fits(page, "record-case-1366-zh")
    finally:
        context.close()
    (rating,) = rows(ctx, t.ratings)
    assert (rating.ticket_id, rating.level, rating.source, rating.service, rating.window, str(rating.visit_day)) == (
        None, None, "hotline", "social", 1, "2026-11-20")
    (case,) = rows(ctx, t.review_cases)
    assert case.rating_id == rating.id and case.ticket_id is None and case.status == "open"
    assert rows(ctx, t.case_contacts)[0].phone_masked == "139****1111"


def test_a_visit_is_looked_up_shown_masked_and_linked_in_english_and_on_a_wide_screen(
        live, ctx, staffed, chromium):
    tk = serve(staffed)
    rated = serve(staffed)
    assert staffed.post(staffed.hp(f"/tickets/{rated['id']}/rating"), "eval1", json={"level": 5}).status == 201
    context = chromium.new_context(viewport={"width": TV[0], "height": TV[1]}, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(live.url + "/manager/cases")
        page.evaluate("localStorage.setItem('hallq.lang', 'en')")
        login(page, live.url + "/manager/cases", "boss")
        page.locator("#record-open").click()
        form = page.locator(".record-form")
        expect(form.locator("h2")).to_have_text("Record a complaint or rating")
        form.locator(".rf-chip", has_text="In person").click()
        # an American browser's month-first day is not guessed at: said at the field, nothing looked up
        day = form.locator("#rf-day")
        assert day.get_attribute("placeholder") == "e.g. 2026-11-05"
        form.locator("#rf-visit").fill(tk["number"])
        day.fill("11/20/2026")
        form.locator(".rf-find").click()
        expect(form.locator(".rf-error")).to_have_text("Write the day as 2026-11-05 (year-month-day)")
        expect(form.locator(".rf-day")).to_have_class("rf-field rf-day invalid")
        assert page.evaluate("document.activeElement.id") == "rf-day"
        assert_under_the_day(page)
        assert_fits(page, "record-form-day-error-1920-en")
        page.set_viewport_size({"width": WINDOW_PC[0], "height": WINDOW_PC[1]})
        assert_under_the_day(page)
        assert_fits(page, "record-form-day-error-1366-en")
        page.set_viewport_size({"width": TV[0], "height": TV[1]})
        day.fill("")
        form.locator("#rf-visit").fill("Z999")
        form.locator("#rf-visit").press("Enter")
        expect(form.locator(".rf-error")).to_contain_text("No such visit")  # a sentence, not "no such"
        # said right under the number typed, not three rows down by the save button
        gap = page.evaluate("() => document.querySelector('.rf-error').getBoundingClientRect().top"
                            " - document.querySelector('.rf-visit-row').getBoundingClientRect().bottom")
        assert 0 <= gap <= 16, gap
        form.locator("#rf-visit").fill(rated["number"])
        form.locator(".rf-find").click()
        expect(form.locator(".rf-found")).to_contain_text("already rated")
        form.locator(".rf-unlink").click()
        form.locator("#rf-visit").fill(tk["number"].lower())
        form.locator(".rf-find").click()
        found = form.locator(".rf-found")
        expect(found).to_contain_text(tk["number"])
        expect(found).to_contain_text("王小明")
        expect(form.locator("#rf-service")).to_be_disabled()
        assert form.locator("#rf-window").input_value() == "1"
        with ctx.db.read() as conn:
            visit_day = conn.execute(select(t.tickets.c.day).where(t.tickets.c.id == tk["id"])).scalar()
        # the visit's day as the hall writes it, not the en-US browser's 11/30/2026 (a text field:
        # what it holds is what it shows, where a type=date would show the browser's format)
        expect(day).to_have_value(visit_day)
        assert day.evaluate("e => e.type") == "text" and day.is_disabled()
        form.locator(".rf-chip", has_text="Dissatisfied").first.click()
        form.locator(".rf-chip", has_text="Efficiency").click()
        assert_fits(page, "record-form-1920-en")
        form.locator(".rf-save").click()
        card = page.locator("article.case.fresh")
        expect(card.locator(".tnum")).to_have_text(tk["number"])
        expect(card).to_contain_text("Channel: In person")
        assert_fits(page, "record-case-1920-en")
        page.click("#lang")  # back to Chinese with the list showing
        expect(card).to_contain_text("渠道：现场")
        page.locator("#record-open").click()
        expect(form.locator("h2")).to_have_text("登记投诉/评价")
        assert day.get_attribute("placeholder") == "例：2026-11-05"  # the en-US browser does not matter
        day.fill("２０２６年１１月２日")  # full-width, as a Chinese input method types it
        day.press("Tab")
        expect(day).to_have_value("2026-11-02")
        assert_fits(page, "record-form-1920-zh")
    finally:
        context.close()
    ratings = rows(ctx, t.ratings)
    assert [(r.ticket_id, r.level, r.source) for r in ratings] == [(rated["id"], 5, "evaluator"),
                                                                 (tk["id"], 2, "onsite")]


def test_the_front_desk_records_an_in_person_complaint(live, ctx, staffed, chromium):
    tk = serve(staffed)
    context = chromium.new_context(viewport={"width": WINDOW_PC[0], "height": WINDOW_PC[1]}, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = sized(context.new_page(), WINDOW_PC)
        login(page, live.url + "/desk", "desk")
        expect(page.locator("#record-open")).to_have_text("登记投诉/评价")
        page.locator(".svc").first.wait_for()
        assert_fits(page, "record-desk-closed-1366-zh")
        page.locator("#record-open").click()
        form = page.locator(".record-form")
        expect(form.locator('.rf-channel input[value="onsite"]')).to_be_checked()  # 现场 at the desk
        form.locator("#rf-visit").fill(tk["number"])
        form.locator(".rf-find").click()
        expect(form.locator(".rf-found")).to_contain_text(tk["number"])
        form.locator(".rf-chip", has_text="投诉").click()
        form.locator("#rf-text").fill("材料清单和窗口说的不一样,白跑一趟")
        assert_fits(page, "record-desk-1366-zh")
        form.locator(".rf-save").click()
        expect(page.locator("#record-done")).to_contain_text("已开启差评件 #")  # as the cases page says
        expect(page.locator("#record-done-link")).to_be_visible()
        expect(form).to_be_hidden()
        assert_fits(page, "record-desk-done-1366-zh")
        page.click("#lang")
        page.locator("#record-open").click()
        expect(form.locator("h2")).to_have_text("Record a complaint or rating")
        day = form.locator("#rf-day")  # English page, Chinese browser: the same 2026-11-05
        assert day.get_attribute("placeholder") == "e.g. 2026-11-05"
        day.fill("2026.11.3")
        day.press("Tab")
        expect(day).to_have_value("2026-11-03")
        day.fill("2024-01-01")
        day.press("Tab")
        expect(form.locator(".rf-error")).to_have_text("The day of the visit cannot be more than a year ago")
        expect(form.locator(".rf-day")).to_have_class("rf-field rf-day invalid")
        assert_fits(page, "record-desk-1366-en")
    finally:
        context.close()
    (rating,) = rows(ctx, t.ratings)
    assert (rating.ticket_id, rating.level, rating.source, rating.comment) == (
        tk["id"], None, "onsite", "材料清单和窗口说的不一样,白跑一趟")
    assert len(rows(ctx, t.review_cases)) == 1
