"""The caller, evaluator and cases pages in a real Chromium against a live server."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

import re

from playwright.sync_api import expect

from tests.fixtures.pages import sign_in
from tests.fixtures.window import login, shot


def _caller(browser_ctx, live, window=1):
    page = browser_ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 500 or (r.status == 404 and "favicon" not in r.url) else None)
    login(page, live.url + "/caller", "clerk1")
    page.click(f'.window-choice[data-window="{window}"]')
    expect(page.locator("#work-view")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    page.errors = errors
    return page


def _page(browser_ctx, width, height):
    page = browser_ctx.new_page()
    page.set_viewport_size({"width": width, "height": height})
    return page


def _enabled(page):
    return sorted(b.get_attribute("data-action") for b in page.locator("button.act").all() if b.is_enabled())


def _ticket(api, tid):
    return api.get(api.hp(f"/tickets/{tid}"), "clerk1").body


def test_staff_call_start_and_finish_with_every_outcome(hall, live, browser_ctx):
    ids = [hall.issue("social").body["id"] for _ in range(5)]
    page = _caller(browser_ctx, live)
    expect(page.locator('#waiting li[data-service="social"] .count')).to_have_text("5")
    assert _enabled(page) == ["call-next", "pause"]
    page.click('button.act[data-action="call-next"]')
    expect(page.locator("#cur-number")).to_have_text("A001")
    expect(page.locator('#waiting li[data-service="social"] .count')).to_have_text("4")
    assert _enabled(page) == ["finish", "finish-next", "no-show", "recall", "start", "transfer"]
    expect(page.locator('button.act[data-action="call-next"]')).to_be_disabled()
    expect(page.locator('button.act[data-action="start"]')).to_be_enabled()
    page.click('button.act[data-action="start"]')
    expect(page.locator("#cur-status")).to_have_text("办理中")
    expect(page.locator('button.act[data-action="start"]')).to_be_disabled()
    expect(page.locator('button.act[data-action="no-show"]')).to_be_disabled()
    shot(page, "caller-serving")
    page.click('button.act[data-action="finish"]')
    expect(page.locator("#finish-dialog")).to_be_visible()
    shot(page, "caller-finish-dialog")
    page.click("#finish-ok")
    expect(page.locator("#current-empty")).to_be_visible()
    expect(page.locator("#t-served")).to_have_text("1")
    assert _ticket(hall, ids[0])["outcome"] == "immediate"

    # the rest with the keyboard: F1 call, F4 finish, each outcome once
    for tid, outcome in zip(ids[1:], ["promised", "escalated", "returned", "proxy"]):
        page.keyboard.press("F1")
        expect(page.locator("#cur-number")).to_have_text(_ticket(hall, tid)["number"])
        page.keyboard.press("F4")
        page.check(f'input[name="outcome"][value="{outcome}"]')
        if outcome == "promised":
            expect(page.locator("#promise-row")).to_be_visible()
            page.fill("#promise-days", "5")
        else:
            expect(page.locator("#promise-row")).to_be_hidden()
        page.click("#finish-ok")
        expect(page.locator("#current-empty")).to_be_visible()
        if outcome == "returned":  # the one-time notice of missing papers opens; not needed here
            expect(page.locator("#notice-dialog")).to_be_visible()
            page.keyboard.press("Escape")
        tk = _ticket(hall, tid)
        assert tk["outcome"] == outcome and tk["status"] == "done"
        if outcome == "promised":
            assert tk["due_date"]
            expect(page.locator("#message")).to_contain_text(tk["due_date"])
    expect(page.locator("#t-served")).to_have_text("5")
    page.keyboard.press("F1")  # nobody left
    expect(page.locator("#message")).to_contain_text("当前无人等候")
    assert not page.errors


def test_staff_transfer_no_show_pause_and_resume(hall, live, browser_ctx):
    a1 = hall.issue("social").body
    hall.issue("social")
    page = _caller(browser_ctx, live)
    page.click('button.act[data-action="call-next"]')
    expect(page.locator("#cur-number")).to_have_text("A001")
    page.click('button.act[data-action="recall"]')
    expect(page.locator("#cur-recalls")).to_have_text("1 / 3")
    page.click('button.act[data-action="transfer"]')
    page.select_option("#transfer-service", "public")
    page.click("#transfer-ok")
    expect(page.locator("#current-empty")).to_be_visible()
    tk = _ticket(hall, a1["id"])
    assert tk["status"] == "waiting" and tk["service"] == "public"
    # window 1 serves only social: the transferred ticket is not its to call; A002 is next
    page.click('button.act[data-action="call-next"]')
    expect(page.locator("#cur-number")).to_have_text("A002")
    page.keyboard.press("F5")  # 过号
    expect(page.locator("#current-empty")).to_be_visible()
    page.keyboard.press("F7")
    expect(page.locator("#pause-dialog")).to_be_visible()
    page.click("#pause-ok")  # no reason yet: refused on the page
    expect(page.locator("#message")).to_contain_text("请填写暂停原因")
    page.click("#pause-reasons .chip >> text=午间休息")
    page.click("#pause-ok")
    expect(page.locator("#win-status")).to_contain_text("午间休息")
    assert _enabled(page) == ["resume"]
    shot(page, "caller-paused")
    w = hall.get(hall.hp("/windows/1")).body
    assert w["status"] == "paused" and w["pause_reason"] == "午间休息"
    page.keyboard.press("F8")
    expect(page.locator("#win-status")).to_have_text("空闲，可叫号")  # idle, not 服务中
    assert _enabled(page) == ["call-next", "pause"]
    assert not page.errors


def test_a_refused_action_shows_the_servers_message(hall, live, browser_ctx):
    other = hall.add_staff("clerk2", [3], name="张三")
    hall.act(3, "sign-in", other)
    hall.issue("social")
    assert hall.act(3, "call-next", other).body["ticket"]
    page = browser_ctx.new_page()
    login(page, live.url + "/caller", "clerk1")
    page.click('.window-choice[data-window="3"]')  # 张三 is serving there
    expect(page.locator("#message")).to_contain_text("正在办理业务")
    expect(page.locator("#pick-view")).to_be_visible()
    # the keypad-style race: the page shows a ticket someone else already finished
    page.click('.window-choice[data-window="1"]')
    expect(page.locator("#work-view")).to_be_visible()


def test_the_page_follows_actions_made_elsewhere_and_switches_language(hall, live, browser_ctx):
    page = _caller(browser_ctx, live)
    hall.issue("social")
    expect(page.locator('#waiting li[data-service="social"] .count')).to_have_text("1")
    hall.act(1, "call-next", "clerk1")  # e.g. the serial keypad at the same window
    expect(page.locator("#cur-number")).to_have_text("A001")
    page.click("#lang")
    expect(page.locator('button.act[data-action="call-next"] span')).to_have_text("Call next")
    expect(page.locator("#cur-status")).to_have_text("Called, coming to the window")
    page.click("#lang")
    expect(page.locator('button.act[data-action="call-next"] span')).to_have_text("叫号")
    # the page shows what the server holds, in the language chosen
    assert hall.get(hall.hp("/windows/1")).body["current"]["number"] == page.inner_text("#cur-number")
    assert page.inner_text("#cur-status") != "Called, coming to the window"


def test_evaluator_asks_only_after_finish_and_records_one_rating(hall, live, browser_ctx):
    hall.act(1, "sign-in", "clerk1")
    ev = _page(browser_ctx, 1280, 800)
    ev.goto(live.url + "/evaluator/1?token=" + hall.tokens["eval1"])
    expect(ev.locator("body")).to_have_attribute("data-view", "idle")
    assert "token" not in ev.url  # the device token does not stay in the address bar
    expect(ev.locator("#staff-name")).to_have_text("王小明")
    expect(ev.locator("body")).to_have_attribute("data-live", "1")
    for _ in range(100):  # the photo endpoint answered with an image the browser could draw
        if ev.eval_on_selector("#staff-photo", "img => img.complete && img.naturalWidth") > 0:
            break
        ev.wait_for_timeout(50)
    assert ev.eval_on_selector("#staff-photo", "img => img.naturalWidth") > 0
    shot(ev, "evaluator-idle")
    t1 = hall.issue("social").body
    t2 = hall.issue("social").body
    hall.act(1, "call-next", "clerk1")
    hall.act(1, "start", "clerk1")
    ev.wait_for_timeout(600)
    expect(ev.locator("body")).to_have_attribute("data-view", "idle")  # called/started: no prompt
    hall.act(1, "finish", "clerk1", {"outcome": "immediate"})
    expect(ev.locator("#prompt-view")).to_be_visible()
    expect(ev.locator("#prompt-number")).to_have_text(t1["number"])
    shot(ev, "evaluator-prompt")
    ev.click('.level[data-level="2"]')
    expect(ev.locator("#reasons-view")).to_be_visible()
    ev.click('.tag[data-reason="efficiency"]')
    ev.click('.tag[data-reason="process"]')
    shot(ev, "evaluator-reasons")
    ev.click("#reasons-submit")
    expect(ev.locator("#phone-view")).to_be_visible()  # a 回访 phone is offered; skipped here
    ev.click("#phone-skip")
    expect(ev.locator("#thanks-view")).to_be_visible()
    shot(ev, "evaluator-thanks")
    rating = _ticket(hall, t1["id"])["rating"]
    assert rating["level"] == 2 and sorted(rating["reasons"]) == ["efficiency", "process"]
    cases = hall.get(hall.hp("/review-cases"), "clerk1").body
    assert [c["ticket"]["id"] for c in cases] == [t1["id"]]
    # next visit: a no-show asks nothing; a finish asks again; leaving it alone rates nothing
    hall.act(1, "call-next", "clerk1")
    hall.act(1, "no-show", "clerk1")
    expect(ev.locator("body")).to_have_attribute("data-view", "idle", timeout=8000)
    assert _ticket(hall, t2["id"])["rating"] is None
    # a reload while a finished ticket waits for its rating asks for that ticket again
    t3 = hall.issue("social").body
    hall.act(1, "call-next", "clerk1")
    hall.act(1, "finish", "clerk1", {"outcome": "immediate"})
    expect(ev.locator("#prompt-number")).to_have_text(t3["number"])
    ev.reload()
    expect(ev.locator("#prompt-number")).to_have_text(t3["number"])
    ev.click('.level[data-level="5"]')
    expect(ev.locator("#thanks-view")).to_be_visible()
    assert _ticket(hall, t3["id"])["rating"]["level"] == 5


def test_evaluator_for_a_closed_window_says_so(hall, live, browser_ctx):
    ev = _page(browser_ctx, 1024, 600)
    ev.goto(live.url + "/evaluator/1?token=" + hall.tokens["eval1"])
    expect(ev.locator("#no-staff")).to_be_visible()
    assert ev.get_attribute("body", "data-view") != "prompt"  # nothing to rate at a closed window
    hall.act(1, "sign-in", "clerk1")
    expect(ev.locator("#staff-name")).to_have_text("王小明")
    assert not ev.locator("#no-staff").is_visible()


def test_manager_works_a_bad_review_and_a_promised_case(hall, live, browser_ctx):
    hall.add_staff("boss", [], role="manager", name="李主任")
    hall.act(1, "sign-in", "clerk1")
    for outcome in ("immediate", "promised"):
        hall.issue("social")
        hall.act(1, "call-next", "clerk1")
        body = {"outcome": outcome, **({"promise_days": 3} if outcome == "promised" else {})}
        tk = hall.act(1, "finish", "clerk1", body).body["ticket"]
        if outcome == "immediate":
            hall.post(hall.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 1, "reasons": ["attitude"]})
    page = _page(browser_ctx, 1366, 900)
    login(page, live.url + "/manager/cases", "boss")
    card = page.locator("article.case").first
    expect(card).to_contain_text("非常不满意")
    expect(card).to_contain_text("态度")
    # one status label with the tab (未办结), ticket numbers not red unless overdue, the staff pages' nav
    expect(card.locator(".status-tag")).to_have_text("未办结")
    assert page.evaluate("getComputedStyle(document.querySelector('article.case .tnum')).color") != "rgb(200, 16, 46)"
    nav = page.eval_on_selector_all("#staff-nav a", "as => as.map(a => a.getAttribute('href'))")
    assert [h.split("?")[0] for h in nav] == ["/dashboard", "/manager/cases", "/manager/assist", "/admin"], nav
    expect(page.locator('#staff-nav a[aria-current="page"]')).to_have_text("差评与承诺件")
    page.click("#lang")
    expect(card.locator(".due")).to_contain_text(" (")
    page.click("#lang")
    for step, text in (("verify", "调取录像核实"), ("rectify", "批评教育并整改"), ("callback", "电话回访满意")):
        expect(card.locator(".step-select")).to_have_value(step)
        if step == "rectify":
            shot(page, "cases-review")
        card.locator(".step-text").fill(text)
        card.locator(".add-step").click()
        if step != "callback":
            expect(card.locator(".history li")).to_have_count(["verify", "rectify"].index(step) + 1)
    expect(page.locator("article.case")).to_have_count(0)
    page.click('.filter[data-status="closed"]')
    expect(page.locator("article.case.closed")).to_have_count(1)
    page.click("#tab-promised")
    row = page.locator("article.promised").first
    expect(row).to_contain_text("办结期限")
    shot(page, "cases-promised")
    row.locator(".deliver").click()
    expect(page.locator("article.promised")).to_have_count(0)
    assert hall.get(hall.hp("/promised?status=delivered"), "boss").body[0]["delivered_by_name"] == "李主任"


def test_the_caller_page_comes_back_after_a_server_restart_without_a_reload(
        server_process, browser_ctx, tmp_path):
    from server.api import create_app
    from server.services.context import create_hallq
    from tests.support import HallClient
    ctx = create_hallq(server_process.env["HALLQ_DATABASE_URL"], start_bus=False, always_open=True)
    try:
        api = HallClient(ctx, base_url=server_process.url)
        api.add_device("kiosk", "kiosk")
        api.add_staff("clerk1", [1], name="王小明")
        api.issue("social")
        api.issue("social")
        page = browser_ctx.new_page()
        login(page, server_process.url + "/caller", "clerk1")
        page.click('.window-choice[data-window="1"]')
        page.click('button.act[data-action="call-next"]')
        expect(page.locator("#cur-number")).to_have_text("A001")
        server_process.kill()
        expect(page.locator("body")).to_have_attribute("data-live", "0")
        # while the server is down the hall moves on (another process on the same database)
        offline = HallClient(ctx, flask_client=create_app(ctx).test_client())
        offline.tokens = api.tokens
        assert offline.act(1, "finish", "clerk1", {"outcome": "immediate"}).status == 200
        assert offline.act(1, "call-next", "clerk1").body["ticket"]["number"] == "A002"
        server_process.start()
        expect(page.locator("body")).to_have_attribute("data-live", "1", timeout=20_000)
        # a request caught by the kill may hang until hallq.api's 20 s timeout, then is retried
        expect(page.locator("#cur-number")).to_have_text("A002", timeout=30_000)
        expect(page.locator("#t-served")).to_have_text("1")
        page.click('button.act[data-action="start"]')  # and it works on, no reload
        expect(page.locator("#cur-status")).to_have_text("办理中")
    finally:
        ctx.db.dispose()


def test_an_error_shows_the_current_language_only(hall, live, browser_ctx):
    """The server sends message_zh / message_en; a page shows one of them, never "中文 (English)"."""
    page = browser_ctx.new_page()
    page.goto(live.url + "/caller")
    page.evaluate("localStorage.setItem('hallq.lang', 'en')")
    page.reload()
    sign_in(page, "clerk1", "wrong password", enter=True)
    expect(page.locator("#message")).to_be_visible()
    text = page.inner_text("#message")
    assert text and not re.search(r"[\u4e00-\u9fff]", text), text
    page.evaluate("localStorage.setItem('hallq.lang', 'zh')")
    page.reload()
    sign_in(page, "clerk1", "wrong password", enter=True)
    expect(page.locator("#message")).to_be_visible()
    text = page.inner_text("#message")
    assert re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"[A-Za-z]{3}", text), text
    err = page.evaluate("""() => { const e = hallq.ApiError.fromBody(409, {error: "x",
        message: "已占用 (taken)", message_zh: "已占用", message_en: "taken"});
        return [e.message, e.message_zh, e.message_en, e.code, e.status]; }""")
    assert err == ["已占用", "已占用", "Taken", "x", 409]  # the English half reads as a sentence


def test_the_window_choice_says_who_is_signed_in_and_hides_the_live_dot(hall, live, browser_ctx):
    """Choose-window view: nobody signed in reads 未签到 (not 空闲); a signed-in window names who;
    the 连接中 indicator shows only once a stream is open."""
    hall.add_staff("clerk2", [1], name="李芳")
    hall.act(1, "sign-in", "clerk2")
    page = browser_ctx.new_page()
    login(page, live.url + "/caller", "clerk1")
    expect(page.locator('.window-choice[data-window="3"] .wstate')).to_have_text("未签到")
    expect(page.locator('.window-choice[data-window="1"] .wstate')).to_have_text("已签到：李芳")
    expect(page.locator("#conn")).to_be_hidden()
    hall.act(1, "sign-out", "clerk2")
    page.click('.window-choice[data-window="3"]')
    expect(page.locator("#work-view")).to_be_visible()
    expect(page.locator("#conn")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    assert hall.get(hall.hp("/windows/3")).body["status"] == "open"  # clerk1 signed in at 3
