"""导办台 (front desk): staff issue a ticket for any service with a priority group and a note, print
it at a kiosk (a print job the kiosk fetches and acknowledges) or at the desk, and see the queues;
the priority shows on the ticket, the phone page and the caller. Real database, real Chromium."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

from playwright.sync_api import expect

from tests.fixtures.window import login
from tests.layout import TV, WINDOW_PC, assert_fits, shot, sized


def _public_url(ctx, url="http://192.168.10.2:8080"):
    from server.services.halls import load_hall, read_config
    data = read_config()
    data["hall"]["public_url"] = url
    load_hall(ctx, data)


def test_front_desk_tickets_and_kiosk_print_jobs_through_the_api(hall, ctx):
    _public_url(ctx)
    hall.add_staff("desk", [], name="导办员")
    kiosk_id = hall.get(hall.hp("/desk/printers"), "desk").body[0]["id"]
    r = hall.post(hall.hp("/desk/tickets"), "desk", json={
        "service": "hukou", "priority": "pregnant", "note": "孕妇,请优先接待", "print_at": kiosk_id},
        headers={"Idempotency-Key": "desk-1"})
    assert r.status == 201, r.body
    tk = r.body
    assert tk["priority"] == "pregnant" and tk["source"] == "staff" and tk["qr_svg"].startswith("data:image/svg")
    assert tk["qr_warning"] is None
    assert tk["print_job"]["status"] == "pending"
    # a retry of the same press: the same ticket, no second print job
    again = hall.post(hall.hp("/desk/tickets"), "desk", json={
        "service": "hukou", "priority": "pregnant", "print_at": kiosk_id}, headers={"Idempotency-Key": "desk-1"})
    assert again.status == 200 and again.body["id"] == tk["id"] and "print_job" not in again.body
    # the kiosk fetches its job (with what it prints) and says it printed
    jobs = hall.get("/api/v1/devices/me/print-jobs", "kiosk").body
    assert [j["ticket"]["number"] for j in jobs] == [tk["number"]]
    assert jobs[0]["ticket"]["priority"] == "pregnant" and jobs[0]["ticket"]["track_url"] == tk["track_url"]
    assert "note" not in jobs[0]["ticket"]  # the note is for the window, not for paper
    done = hall.post(f"/api/v1/devices/me/print-jobs/{jobs[0]['id']}/done", "kiosk", json={"printed": True})
    assert done.status == 200 and done.body["status"] == "printed"
    assert hall.post(f"/api/v1/devices/me/print-jobs/{jobs[0]['id']}/done", "kiosk",
                     json={"printed": True}).status == 409
    assert hall.get("/api/v1/devices/me/print-jobs", "kiosk").body == []
    assert hall.get(hall.hp(f"/desk/print-jobs/{jobs[0]['id']}"), "desk").body["status"] == "printed"
    # the window sees the priority and the note; the public stream and window list never the note
    t = hall.get(hall.hp(f"/tickets/{tk['id']}"), "desk").body
    assert t["note"] == "孕妇,请优先接待" and t["priority"] == "pregnant"
    assert "孕妇,请优先接待" not in repr(hall.get(hall.hp("/windows")).body)
    # the phone page says the resident has priority
    assert hall.get(f"/api/v1/track/{tk['token']}").body["priority"] == "pregnant"
    # refused: a group the hall does not have, a device that is not a kiosk, anonymous, a kiosk itself
    assert hall.post(hall.hp("/desk/tickets"), "desk", json={"service": "hukou", "priority": "vip"}).status == 400
    assert hall.post(hall.hp("/desk/tickets"), "desk", json={"service": "hukou", "print_at": 999999}).status == 404
    assert hall.post(hall.hp("/desk/tickets"), None, json={"service": "hukou"}).status == 401
    assert hall.post(hall.hp("/desk/tickets"), "kiosk", json={"service": "hukou"}).status == 403
    assert hall.get("/api/v1/devices/me/print-jobs", "desk").status == 403


def test_the_front_desk_page_issues_prints_at_a_kiosk_and_fits(hall, live, browser_ctx, ctx):
    _public_url(ctx)
    hall.add_staff("desk", [], name="导办员")
    hall.act(1, "sign-in", "clerk1")
    for _ in range(3):
        hall.issue("social")
    page = sized(browser_ctx.new_page(), WINDOW_PC)
    login(page, live.url + "/desk", "desk")
    expect(page.locator("#desk-view")).to_be_visible()
    expect(page.locator('#queue-rows tr[data-service="social"] td.num')).to_have_text("3")
    expect(page.locator('#priorities .chip[data-priority="veteran"]')).to_have_text("军人优先")
    assert_fits(page, "desk-1366x768-zh", keep=True)
    # an elderly resident without an ID card, for 社会事务, printed at the kiosk
    page.click('#services .svc[data-code="social"]')
    page.click('#priorities .chip[data-priority="elderly"]')
    page.fill("#note", "无身份证,口述年龄 72 岁")
    page.check('input[name="output"][value="kiosk"]')
    page.click("#issue")
    expect(page.locator("#t-prio")).to_have_text("老年人优先")
    number = page.inner_text("#t-number")
    expect(page.locator('#queue-rows tr[data-service="social"] td.num')).to_have_text("4")
    job = hall.get("/api/v1/devices/me/print-jobs", "kiosk").body[0]
    assert job["ticket"]["number"] == number
    hall.post(f"/api/v1/devices/me/print-jobs/{job['id']}/done", "kiosk", json={"printed": False, "error": "缺纸"})
    expect(page.locator("body")).to_have_attribute("data-print-job", "failed")
    expect(page.locator("#t-print")).to_contain_text("缺纸")
    # the window: the elderly ticket is called first (priority), with its mark and the desk's note
    r = hall.act(1, "call-next", "clerk1")
    assert r.body["ticket"]["number"] == number and r.body["ticket"]["priority"] == "elderly"
    other = browser_ctx.browser.new_context(locale="zh-CN")  # the window's own PC (its own sign-in)
    caller = sized(other.new_page(), WINDOW_PC)
    login(caller, live.url + "/caller", "clerk1")
    caller.click('.window-choice[data-window="1"]')
    expect(caller.locator("#cur-number")).to_have_text(number)
    expect(caller.locator("#cur-marks")).to_contain_text("老年人优先")
    expect(caller.locator("#cur-note")).to_have_text("无身份证,口述年龄 72 岁")
    other.close()
    # what the desk's printer prints: only the ticket, with its priority
    page.emulate_media(media="print")
    expect(page.locator("#print-ticket")).to_be_visible()
    expect(page.locator("#p-prio")).to_have_text("老年人优先")
    assert page.locator("#desk-view").is_hidden()
    shot(page, "desk-print-ticket")
    page.emulate_media(media="screen")
    for size in (WINDOW_PC, TV):
        sized(page, size)
        assert_fits(page, f"desk-issued-{size[0]}x{size[1]}-zh")
    page.click("#lang")
    expect(page.locator("#t-prio")).to_have_text("Elderly")
    for size in (WINDOW_PC, TV):
        sized(page, size)
        assert_fits(page, f"desk-issued-{size[0]}x{size[1]}-en")


def test_a_kiosk_prints_what_the_front_desk_sent_it(hall, live, ctx):
    """The kiosk's side, with its real client and core and an in-memory ESC/POS printer."""
    from hardware.printer import TicketPrinter
    from kiosk.client import KioskClient
    from kiosk.config import KioskConfig
    from kiosk.core import KioskCore
    _public_url(ctx)
    hall.add_staff("desk", [], name="导办员")
    kiosk_id = hall.get(hall.hp("/desk/printers"), "desk").body[0]["id"]
    token = hall.tokens["kiosk"]
    printer = TicketPrinter("dummy://", check_status=False)
    cfg = KioskConfig(server=live.url, device_token=token, speech=False)
    core = KioskCore(cfg, KioskClient(live.url, "main", token), printer=printer)
    assert core.refresh()
    tk = hall.post(hall.hp("/desk/tickets"), "desk", json={
        "service": "social", "priority": "disabled", "print_at": kiosk_id}).body
    assert core.print_desk_jobs() == 1
    paper = printer.output.decode("gb18030", errors="replace")
    assert tk["number"] in paper and "残疾人优先" in paper, paper[:400]
    status = hall.get(hall.hp(f"/desk/print-jobs/{tk['print_job']['id']}"), "desk").body
    assert status["status"] == "printed"
    assert core.print_desk_jobs() == 0  # nothing twice
    # a kiosk without a printer says so: the desk sees the job failed
    bare = KioskCore(cfg, KioskClient(live.url, "main", token), printer=None)
    bare.refresh()
    tk2 = hall.post(hall.hp("/desk/tickets"), "desk", json={"service": "social", "print_at": kiosk_id}).body
    assert bare.print_desk_jobs() == 0
    status = hall.get(hall.hp(f"/desk/print-jobs/{tk2['print_job']['id']}"), "desk").body
    assert status["status"] == "failed" and status["error"] == "no printer"


def test_without_a_public_address_the_desk_does_not_mention_a_code(hall, live, browser_ctx, ctx):
    """No public_url: the ticket has no QR, so the desk says only to tell the number."""
    _public_url(ctx, "")
    hall.add_staff("desk", [], name="导办员")
    page = sized(browser_ctx.new_page(), WINDOW_PC)
    login(page, live.url + "/desk", "desk")
    expect(page.locator("#desk-view")).to_be_visible()
    page.click('#services .svc[data-code="social"]')
    page.click("#issue")
    expect(page.locator("#t-number")).not_to_be_empty()
    expect(page.locator("#t-print")).to_have_text("请告知群众号码")
    expect(page.locator("#t-qr")).to_be_hidden()
    waiting = {s["code"]: s["waiting"] for s in hall.get(hall.hp("/services")).body}
    assert waiting["social"] == 1 and page.inner_text("#t-number").startswith("A")
