"""What a member of staff is in the middle of survives the live updates that redraw a page (in a
busy hall another window calls or a kiosk issues every few seconds): the caller's transfer and
finish dialogs, its focused 选呼 button and the queue's scroll; the front desk's focused service
button and its 登记 form; the cases page's step text being typed (focus and caret: the next keys
still go into it) and the step chosen for it (a further note to a step already done). Real
Chromium at the window PC's 1366x768."""
from __future__ import annotations

import time

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

from playwright.sync_api import expect

from tests.fixtures.window import login
from tests.layout import WINDOW_PC, sized


def _redrawn(page, attr, make_event):
    """Make an unrelated hall event happen and wait until the page has redrawn from it."""
    was = page.get_attribute("body", f"data-{attr}")
    make_event()
    page.wait_for_function(f"w => document.body.dataset.{attr} !== w", arg=was)
    page.wait_for_timeout(200)


def _focused(page):
    return page.evaluate("""() => { const a = document.activeElement;
        const li = a.closest('li[data-ticket]');
        return [a.tagName, a.className, a.dataset.code || (li && li.dataset.ticket) || null]; }""")


def test_the_caller_keeps_a_focused_call_button_and_the_queue_scroll_when_another_window_calls(hall, live, browser_ctx):
    hall.add_staff("clerk2", [2], name="李四")
    hall.act(2, "sign-in", "clerk2")
    ids = [hall.issue("social").body["id"] for _ in range(12)][1:]
    page = sized(browser_ctx.new_page(), WINDOW_PC)
    login(page, live.url + "/caller", "clerk1")
    page.click('.window-choice[data-window="1"]')
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    page.click('button.act[data-action="call-next"]')
    expect(page.locator("#cur-number")).to_have_text("A001")
    # the transfer target chosen outlives a redraw
    page.click('button.act[data-action="transfer"]')
    target = page.locator("#transfer-service option").nth(2).get_attribute("value")
    page.select_option("#transfer-service", target)
    _redrawn(page, "synced", lambda: hall.issue("social"))
    expect(page.locator("#transfer-dialog")).to_be_visible()
    assert page.input_value("#transfer-service") == target
    page.keyboard.press("Escape")
    # the finish dialog half filled in (a 承诺件 of 10 working days) outlives a redraw
    page.click('button.act[data-action="finish"]')
    page.check('input[name="outcome"][value="promised"]')
    page.fill("#promise-days", "10")
    _redrawn(page, "synced", lambda: hall.issue("social"))
    expect(page.locator("#finish-dialog")).to_be_visible()
    assert page.locator('input[name="outcome"]:checked').get_attribute("value") == "promised"
    assert page.input_value("#promise-days") == "10" and page.evaluate("document.activeElement.id") == "promise-days"
    page.click("#finish-ok")
    expect(page.locator("#current-empty")).to_be_visible()
    expect(page.locator("#queue li")).to_have_count(13)
    ids.append(page.locator("#queue li").last.get_attribute("data-ticket"))
    page.evaluate("document.getElementById('queue').scrollTop = 150")
    page.locator(f'#queue li[data-ticket="{ids[6]}"] .q-call').focus()
    # window 2 calls the first in line and a kiosk issues: the list is redrawn twice
    _redrawn(page, "synced", lambda: hall.act(2, "call-next", "clerk2"))
    _redrawn(page, "synced", lambda: hall.issue("social"))
    expect(page.locator("#queue li")).to_have_count(13)
    assert _focused(page) == ["BUTTON", "q-call", str(ids[6])]
    assert page.evaluate("document.getElementById('queue').scrollTop") == 150
    page.keyboard.press("Enter")  # the key still goes to the button the clerk was on
    expect(page.locator("#select-dialog")).to_be_visible()
    expect(page.locator("#select-number")).to_contain_text(page.locator(f'#queue li[data-ticket="{ids[6]}"] .q-number').inner_text())


def test_the_front_desk_keeps_a_focused_service_button_when_a_kiosk_issues(hall, live, browser_ctx):
    hall.add_staff("desk", [], name="导办员")
    hall.act(1, "sign-in", "clerk1")
    page = sized(browser_ctx.new_page(), WINDOW_PC)
    login(page, live.url + "/desk", "desk")
    expect(page.locator('#queue-rows tr[data-service="social"]')).to_be_visible()
    page.fill("#note", "无身份证")
    page.locator('#services .svc[data-code="hukou"]').focus()
    _redrawn(page, "loaded", lambda: hall.issue("social"))
    expect(page.locator('#services .svc[data-code="social"] .n')).to_have_text("1 人等候")
    assert _focused(page) == ["BUTTON", "svc", "hukou"]
    page.keyboard.press("Space")  # chosen with the key the desk was about to press
    expect(page.locator('#services .svc[data-code="hukou"]')).to_have_attribute("aria-checked", "true")
    assert _focused(page) == ["BUTTON", "svc", "hukou"]  # the choice's own redraw keeps it too
    page.locator('#priorities .chip[data-priority="elderly"]').focus()
    page.keyboard.press("Space")  # so does a priority chip's
    expect(page.locator('#priorities .chip[data-priority="elderly"]')).to_have_attribute("aria-checked", "true")
    assert page.evaluate("document.activeElement.dataset.priority") == "elderly"
    assert page.input_value("#note") == "无身份证"
    # the 登记 form half written outlives a redraw
    page.click("#record-open")
    page.fill("#rf-text", "窗口人员态度差")
    _redrawn(page, "loaded", lambda: hall.issue("social"))
    assert page.input_value("#rf-text") == "窗口人员态度差" and page.evaluate("document.activeElement.id") == "rf-text"


def test_what_the_desk_types_while_the_record_forms_choices_load_stays(hall, live, browser_ctx):
    """登记 opened for the first time loads its choices (services, windows, reasons); a clerk who
    starts typing before they arrive keeps the text and the cursor (CI once saw the text wiped:
    the form was reset when the choices came)."""
    hall.add_staff("desk", [], name="导办员")
    page = sized(browser_ctx.new_page(), WINDOW_PC)
    login(page, live.url + "/desk", "desk")
    expect(page.locator('#queue-rows tr[data-service="social"]')).to_be_visible()
    held = []
    page.route("**/ratings/recorded/choices", lambda route: held.append(route))
    page.click("#record-open")
    page.fill("#rf-text", "窗口人员态度差")
    deadline = time.time() + 10
    while not held and time.time() < deadline:
        page.wait_for_timeout(50)
    assert held, "the choices were not asked for"
    held[0].continue_()
    expect(page.locator("input[name=rf-channel]").first).to_be_attached()
    page.wait_for_timeout(200)
    assert page.input_value("#rf-text") == "窗口人员态度差"
    assert page.evaluate("document.activeElement.id") == "rf-text"
    assert page.locator("input[name=rf-channel]:checked").get_attribute("value") == "onsite"


def test_a_manager_typing_a_case_step_keeps_typing_into_it_when_another_bad_rating_redraws_the_list(hall, live, browser_ctx):
    hall.add_staff("boss", [], role="manager", name="李主任")
    hall.act(1, "sign-in", "clerk1")

    def bad_rating():
        hall.issue("social")
        hall.act(1, "call-next", "clerk1")
        tk = hall.act(1, "finish", "clerk1", {"outcome": "immediate"}).body["ticket"]
        assert hall.post(hall.hp(f"/tickets/{tk['id']}/rating"), "eval1",
                         json={"level": 1, "reasons": ["attitude"]}).status == 201
    bad_rating()
    case_id = hall.get(hall.hp("/review-cases?status=open"), "boss").body[0]["id"]
    assert hall.post(hall.hp(f"/review-cases/{case_id}/steps"), "boss",
                     json={"step": "verify", "text": "调取录像"}).status in (200, 201)
    page = sized(browser_ctx.new_page(), WINDOW_PC)
    login(page, live.url + "/manager/cases", "boss")
    card = page.locator(f'article.case[data-case-id="{case_id}"]')
    text = card.locator(".step-text")
    expect(card.locator(".step-select")).to_have_value("rectify")
    card.locator(".step-select").select_option("verify")  # a further note to the 核实 already done
    text.click()
    page.keyboard.type("调取录像")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # the caret between 调取 and 录像
    _redrawn(page, "loaded", bad_rating)
    expect(page.locator("article.case")).to_have_count(2)
    page.keyboard.type("监控")
    expect(text).to_have_value("调取监控录像")
    expect(card.locator(".step-select")).to_have_value("verify")  # not snapped back to 整改
    card.locator(".add-step").click()
    expect(card.locator(".history li")).to_have_count(2)
    steps = hall.get(hall.hp(f"/review-cases/{case_id}"), "boss").body
    assert [(x["step"], x["text"]) for x in steps["history"]][-1] == ("verify", "调取监控录像")
    page.locator('#filters .filter[data-status="closed"]').focus()
    page.keyboard.press("Enter")  # a filter chosen with the keyboard keeps the focus
    expect(page.locator('#filters .filter[data-status="closed"]')).to_have_class("filter on")
    assert page.evaluate("document.activeElement.dataset.status") == "closed"
