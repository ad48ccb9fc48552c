"""选呼 (calling one particular waiting ticket) and 办结并叫下一位 (finish and call next in one step)
through the API against a real database: who may, what is recorded, what the statistics count."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)


def _day_waiting(api, window, who="clerk1"):
    r = api.get(api.hp(f"/windows/{window}/waiting"), who)
    assert r.status == 200, r.body
    return r.body["tickets"]


def test_a_window_calls_a_resident_who_stepped_out_ahead_of_the_queue(hall, ctx):
    hall.add_staff("boss", [], role="manager", name="李主任")
    hall.act(1, "sign-in", "clerk1")
    first, second, third = (hall.issue("social").body for _ in range(3))
    queue = _day_waiting(hall, 1)
    assert [t["number"] for t in queue] == [first["number"], second["number"], third["number"]]
    assert "id_masked" not in queue[0] and "token" not in queue[0]
    # the third is called out of turn: recorded on the ticket with how many it passed
    r = hall.act(1, "call", "clerk1", {"ticket_id": third["id"]})
    assert r.status == 200 and r.body["ticket"]["number"] == third["number"] and r.body["passed"] == 2
    history = hall.get(hall.hp(f"/tickets/{third['id']}"), "clerk1").body["history"]
    called = [h for h in history if h["type"] == "ticket.called"][0]
    assert called["selected"] is True and called["passed"] == 2 and called["actor"]
    # busy window: no second call; a ticket not waiting (already called) is refused
    assert hall.act(1, "call", "clerk1", {"ticket_id": first["id"]}).status == 409
    hall.act(1, "finish", "clerk1", {"outcome": "immediate"})
    assert hall.act(1, "call", "clerk1", {"ticket_id": third["id"]}).body["error"] == "not_waiting"
    # a ticket of a service this window does not serve is not its to call
    other = hall.issue("hukou").body
    assert hall.act(1, "call", "clerk1", {"ticket_id": other["id"]}).body["error"] == "not_waiting"
    assert hall.act(1, "call", "clerk1", {"ticket_id": "x"}).status == 400
    assert hall.act(1, "call", "clerk1", {}).status == 400
    # the rest come in order again
    assert hall.act(1, "call-next", "clerk1").body["ticket"]["number"] == first["number"]
    # counted: the staff member's day and the hall's statistics
    assert hall.get(hall.hp("/staff/me/today"), "clerk1").body["selected_calls"] == 1
    assert hall.get(hall.hp("/stats"), "boss").body["tickets"]["selected_calls"] == 1
    # only staff read the queue with its notes
    assert hall.get(hall.hp("/windows/1/waiting")).status == 401


def test_finish_and_call_next_is_one_step(hall):
    hall.act(1, "sign-in", "clerk1")
    a, b = hall.issue("social").body, hall.issue("social").body
    hall.act(1, "call-next", "clerk1")
    r = hall.act(1, "finish-and-call-next", "clerk1", {"outcome": "promised", "promise_days": 3})
    assert r.status == 200, r.body
    assert r.body["finished"]["number"] == a["number"] and r.body["finished"]["outcome"] == "promised"
    assert r.body["finished"]["due_date"]
    assert r.body["ticket"]["number"] == b["number"] and r.body["ticket"]["status"] == "called"
    # the last one: finished, and nobody left to call
    r = hall.act(1, "finish-and-call-next", "clerk1", {"outcome": "immediate"})
    assert r.body["finished"]["number"] == b["number"] and r.body["ticket"] is None
    # nothing to finish: refused, nothing called
    c = hall.issue("social").body
    r = hall.act(1, "finish-and-call-next", "clerk1", {"outcome": "immediate"})
    assert r.status == 409 and r.body["error"] == "no_current_ticket"
    assert hall.get(hall.hp(f"/tickets/{c['id']}"), "clerk1").body["status"] == "waiting"
    assert hall.act(1, "finish-and-call-next", "clerk1", {"outcome": "nope"}).status == 400


def test_the_caller_page_calls_out_of_turn_finishes_and_calls_next_and_fits(hall, live, browser_ctx):
    from playwright.sync_api import expect

    from tests.fixtures.window import login
    from tests.layout import WINDOW_PC, assert_fits, sized
    page = sized(browser_ctx.new_page(), WINDOW_PC)
    login(page, live.url + "/caller", "clerk1")
    page.click('.window-choice[data-window="1"]')
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    # idle: the badge says so, and a disabled button looks off (grey, dashed), not half-active
    expect(page.locator("#win-status")).to_have_text("空闲，可叫号")
    off = page.locator('button.act[data-action="finish"]')
    expect(off).to_be_disabled()
    style = off.evaluate("b => [getComputedStyle(b).borderStyle, getComputedStyle(b).color, getComputedStyle(b).opacity]")
    assert style[0] == "dashed" and style[2] == "1", style
    tickets = [hall.issue("social", token="clerk1", priority="elderly").body if i == 1
               else hall.issue("social").body for i in range(4)]
    expect(page.locator("#queue li")).to_have_count(4)
    expect(page.locator(f'#queue li[data-ticket="{tickets[1]["id"]}"] .mark.prio')).to_have_text("老年人优先")
    assert_fits(page, "caller-idle-1366x768-zh", allow_cut=(".q-service",), one_line=("button.act", ".facts dd"))
    # 选呼 the fourth (confirmed in a dialog)
    page.click(f'#queue li[data-ticket="{tickets[3]["id"]}"] .q-call')
    expect(page.locator("#select-dialog")).to_be_visible()
    page.click("#select-ok")
    expect(page.locator("#cur-number")).to_have_text(tickets[3]["number"])
    expect(page.locator("#win-status")).to_have_text("已叫号")
    expect(page.locator("#queue li .q-call").first).to_be_disabled()  # busy: no 选呼 now
    # F9: finish (即办件) and call the next one in queue order (the elderly one first)
    page.keyboard.press("F9")
    expect(page.locator("#cur-number")).to_have_text(tickets[1]["number"])
    expect(page.locator("#cur-marks")).to_contain_text("老年人优先")
    assert hall.get(hall.hp(f"/tickets/{tickets[3]['id']}"), "clerk1").body["outcome"] == "immediate"
    page.click('button.act[data-action="start"]')
    expect(page.locator("#win-status")).to_have_text("办理中")
    page.wait_for_timeout(1200)  # the serving clock runs: "0秒"/"1秒" never wraps
    assert_fits(page, "caller-serving-1366x768-zh", allow_cut=(".q-service",),
                one_line=("button.act", ".facts dd", "#win-status"), keep=True)
    # the finish dialog's own "finish and call next" with another outcome
    page.keyboard.press("F4")
    page.check('input[name="outcome"][value="escalated"]')
    page.click("#finish-next-ok")
    expect(page.locator("#cur-number")).to_have_text(tickets[0]["number"])
    assert hall.get(hall.hp(f"/tickets/{tickets[1]['id']}"), "clerk1").body["outcome"] == "escalated"
    expect(page.locator("#t-served")).to_have_text("2")
    page.click("#lang")
    expect(page.locator("#win-status")).to_have_text("Called")
    assert_fits(page, "caller-called-1366x768-en", allow_cut=(".q-service",),
                one_line=("button.act", ".facts dd", ".waiting-list li"))
