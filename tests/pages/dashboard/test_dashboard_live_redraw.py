"""The dashboard while today's figures reload on live events (a kiosk's ticket, another window's
call): a day the manager typed wrong stays said under its field until it is put right (the reload
used to clear the message and leave the field marked with no word why), and a report tab reached
with the keyboard keeps the focus. Also the 模拟排班 panel's change rows, redrawn by their own
choices: the select just used keeps the focus. Real Chromium at the office PC's 1366x768."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.fixtures.pages import open_signed_in
from tests.layout import WINDOW_PC


def live_dashboard(live, chromium, user):
    """A kiosk's first ticket, then `user`'s dashboard once it shows it and follows live events:
    (context, page, errors, the issued figure)."""
    live.api.issue("social")
    context, page, errors = open_signed_in(chromium, live.url, "/dashboard", user, WINDOW_PC)
    issued = page.locator('.kpi[data-kpi="issued"] .value')
    expect(issued).to_have_text("1")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    return context, page, errors, issued


def test_a_wrong_day_stays_said_and_a_focused_tab_stays_focused_while_live_events_reload_the_figures(live, chromium):
    api = live.api
    api.add_staff("boss", [], role="manager", name="主任")
    api.add_staff("clerk1", [1], name="王小明")
    api.act(1, "sign-in", "clerk1")
    context, page, errors, issued = live_dashboard(live, chromium, "boss")
    try:
        page.fill("#to", "11/05/2026")
        page.press("#to", "Tab")
        expect(page.locator("#error")).to_have_text("日期请写成 2026-11-05（年-月-日）")
        page.locator('#report-tabs button[data-table="windows"]').focus()
        api.issue("social")  # a kiosk's ticket: today's figures reload (within 3 s)
        expect(issued).to_have_text("2")
        page.wait_for_timeout(200)
        expect(page.locator("#error")).to_be_visible()
        expect(page.locator("#error")).to_have_text("日期请写成 2026-11-05（年-月-日）")
        expect(page.locator("#to")).to_have_class("day bad")
        expect(page.locator("#to")).to_have_value("11/05/2026")
        assert page.evaluate("document.activeElement.dataset.table") == "windows"
        page.keyboard.press("Enter")  # the key still goes to the tab
        expect(page.locator('#report-tabs button[data-table="windows"]')).to_have_class("active")
        assert page.evaluate("document.activeElement.dataset.table") == "windows"
        # put right, the message goes
        page.fill("#to", page.input_value("#from"))
        page.press("#to", "Tab")
        expect(page.locator("#error")).to_be_hidden()
        assert errors == []
    finally:
        context.close()


def test_a_simulate_change_row_keeps_the_focus_when_its_own_choice_redraws_it(live, chromium):
    live.api.add_staff("boss", [], role="manager", name="主任")
    context, page, errors = open_signed_in(chromium, live.url, "/dashboard", "boss", WINDOW_PC)
    try:
        window = page.locator('#sim-changes .sim-row[data-row="0"] select.sim-window')
        expect(window).to_be_visible()
        window.focus()
        window.select_option("2")  # the row is redrawn (what window 2 serves now)
        expect(page.locator('#sim-changes .sim-row[data-row="0"] .now')).not_to_have_text("")
        assert page.evaluate("document.activeElement.className") == "sim-window"
        assert page.evaluate("document.activeElement.value") == "2"
        page.keyboard.press("ArrowDown")  # the next key still goes to the select: window 3
        expect(window).to_have_value("3")
        assert errors == []
    finally:
        context.close()


def test_the_hall_switcher_is_not_rebuilt_under_the_managers_hand_by_live_reloads(live, chromium):
    """A county manager's dashboard with two halls: the hall switcher keeps its options (and the
    focus) while a kiosk's ticket reloads the figures; switching the language relabels it."""
    from server.services import auth, halls
    from tests.support import PASSWORD
    api, ctx = live.api, live.api.ctx
    data = halls.read_config()
    data["hall"] = {**data["hall"], "code": "east", "name": "东区便民服务中心", "name_en": "East Hall"}
    data.pop("booking", None)
    halls.load_hall(ctx, data)
    auth.add_user(ctx, "chief", "局长", "admin", PASSWORD)
    context, page, errors, issued = live_dashboard(live, chromium, "chief")
    try:
        sel = page.locator("#hall-select")
        expect(sel).to_be_visible()
        expect(sel.locator("option")).to_have_count(2)
        page.evaluate("document.querySelector('#hall-select option').dataset.mark = 'before'")
        sel.focus()
        api.issue("social")  # a kiosk's ticket: the figures reload
        expect(issued).to_have_text("2")
        page.wait_for_timeout(300)
        assert page.evaluate("document.querySelector('#hall-select option').dataset.mark") == "before"
        assert page.evaluate("document.activeElement.id") == "hall-select"
        page.click("#lang")
        expect(sel.locator("option").nth(1)).to_have_text("East Hall")
        assert errors == []
    finally:
        context.close()
