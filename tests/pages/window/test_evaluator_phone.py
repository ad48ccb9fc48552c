"""The evaluator's 回访 phone in a real Chromium, on the window's tablet (800x1280 and 1280x800,
Chinese and English): after a bad rating and its reasons it offers to keep a phone, typed on the
page's own keypad, kept only with the consent box ticked, shown masked afterwards, sealed with the
review case and readable whole only through the manager's (logged) API. A good rating is not asked;
skipping or walking away keeps nothing."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

from datetime import timedelta

from playwright.sync_api import expect

from tests.layout import TABLET, TABLET_PORTRAIT, assert_fits, sized

PHONE = "13812345678"
ONE_LINE = (".key", ".phone-buttons button", ".phone-display")
SMALL_TABLET = (1024, 600)  # the smaller landscape tablet halls also use (docs/window.md)


def finish_visit(hall):
    tk = hall.issue("social").body
    assert hall.act(1, "call-next", "clerk1").body["ticket"]["id"] == tk["id"]
    assert hall.act(1, "finish", "clerk1", {"outcome": "immediate"}).status == 200
    return tk


def open_evaluator(browser_ctx, live, hall, size=TABLET_PORTRAIT, fake_clock=False):
    ev = sized(browser_ctx.new_page(), size)
    if fake_clock:
        ev.clock.install()
    ev.goto(live.url + "/evaluator/1?token=" + hall.tokens["eval1"])
    expect(ev.locator("body")).to_have_attribute("data-view", "idle")
    expect(ev.locator("body")).to_have_attribute("data-live", "1")
    return ev


def rate_badly(ev, tk, level="1"):
    expect(ev.locator("#prompt-number")).to_have_text(tk["number"])
    ev.click(f'.level[data-level="{level}"]')
    ev.click('.tag[data-reason="attitude"]')
    ev.click("#reasons-submit")
    expect(ev.locator("body")).to_have_attribute("data-view", "phone")


def type_number(ev, digits):
    for d in digits:
        ev.click(f'#keypad .key[data-key="{d}"]')


def case_of(hall, tk):
    cases = hall.get(hall.hp("/review-cases"), "boss").body
    return next(c for c in cases if c["ticket"]["id"] == tk["id"])


def test_a_bad_rating_leaves_a_consented_phone_for_the_manager(hall, live, browser_ctx):
    hall.add_staff("boss", [], role="manager", name="李主任")
    assert hall.act(1, "sign-in", "clerk1").status == 200
    ev = open_evaluator(browser_ctx, live, hall)
    tk = finish_visit(hall)
    rate_badly(ev, tk)
    # the rating is in before any phone is asked for: walking away cannot lose it
    rating = hall.get(hall.hp(f"/tickets/{tk['id']}"), "clerk1").body["rating"]
    assert rating["level"] == 1 and rating["reasons"] == ["attitude"]
    assert ev.locator("input:visible, textarea:visible").count() == 0  # no system keyboard
    for lang in ("zh", "en"):
        if lang == "en":
            ev.click("#lang")
            expect(ev.locator("#phone-skip")).to_have_text("Skip")
        for size in (TABLET_PORTRAIT, TABLET, SMALL_TABLET):
            sized(ev, size)
            assert_fits(ev, f"evaluator-phone-{size[0]}x{size[1]}-{lang}", one_line=ONE_LINE, keep=lang == "zh")
            keys = ev.eval_on_selector_all("#keypad .key", "ks => ks.map(k => k.getBoundingClientRect())"
                                           ".map(r => [r.width, r.height])")
            assert len(keys) == 12 and min(min(k) for k in keys) >= (80 if size == SMALL_TABLET else 90), keys
            box = ev.locator("#phone-consent").bounding_box()
            assert box["height"] >= 60, box  # the consent box is a big target too
    ev.click("#lang")  # back to Chinese
    sized(ev, TABLET_PORTRAIT)
    type_number(ev, PHONE)
    expect(ev.locator("#phone-display")).to_have_text("138 1234 5678")
    expect(ev.locator('#keypad .key[data-key="9"]')).to_be_disabled()  # no twelfth digit
    expect(ev.locator("#phone-hint")).to_have_text("请点一下下面的方框表示同意，再按“提交电话”")  # what next
    assert_fits(ev, "evaluator-phone-typed-800x1280-zh", one_line=ONE_LINE)
    # no consent: nothing is sent, the box asks to be ticked
    ev.click("#phone-submit")
    expect(ev.locator("#phone-hint")).to_have_text("请先点一下下面的方框，表示同意回访")
    expect(ev.locator("#phone-consent")).to_have_class("consent wanted")
    assert case_of(hall, tk)["contact_masked"] is None
    ev.click('#keypad .key[data-key="back"]')
    ev.click("#phone-consent")
    ev.click("#phone-submit")  # ten digits: asked for eleven
    expect(ev.locator("#phone-hint")).to_have_text("号码还差 1 位，手机号码是11位")  # how many, not just "11"
    ev.click('#keypad .key[data-key="8"]')
    ev.click("#phone-submit")
    expect(ev.locator("body")).to_have_attribute("data-view", "thanks")
    expect(ev.locator("#thanks-phone")).to_have_text("工作人员会拨打 138****5678 回访您")
    assert_fits(ev, "evaluator-phone-thanks-800x1280-zh", one_line=(".thanks",))
    html = ev.content()
    assert PHONE not in html and "138 1234 5678" not in html  # masked once entered
    # sealed with the case: the list shows it masked, the manager opens it (and that is logged)
    case = case_of(hall, tk)
    assert case["contact_masked"] == "138****5678"
    assert hall.post(hall.hp(f"/review-cases/{case['id']}/contact"), "clerk1").status == 403
    shown = hall.post(hall.hp(f"/review-cases/{case['id']}/contact"), "boss")
    assert shown.status == 200 and shown.body["phone"] == PHONE
    history = hall.get(hall.hp(f"/tickets/{tk['id']}"), "boss").body
    assert PHONE not in str(history)
    types = [e["type"] for e in history["history"]]
    assert "review.contact_left" in types and "review.contact_shown" in types  # the look is logged
    from sqlalchemy import select
    from server.store import tables as t
    with hall.ctx.db.read() as conn:
        sealed = conn.execute(select(t.case_contacts.c.phone_sealed)).scalar()
    assert sealed and PHONE not in sealed  # sealed (Fernet), never stored whole
    expect(ev.locator("body")).to_have_attribute("data-view", "idle", timeout=15_000)


def test_skipping_or_walking_away_keeps_nothing_and_a_good_rating_is_not_asked(hall, live, browser_ctx):
    hall.add_staff("boss", [], role="manager", name="李主任")
    assert hall.act(1, "sign-in", "clerk1").status == 200
    ev = open_evaluator(browser_ctx, live, hall, TABLET, fake_clock=True)
    # a number typed, consent not given, then 跳过: the rating stands, no phone is kept
    tk = finish_visit(hall)
    rate_badly(ev, tk, "2")
    type_number(ev, PHONE)
    ev.click("#phone-skip")
    expect(ev.locator("body")).to_have_attribute("data-view", "thanks")
    assert ev.locator("#thanks-phone").is_hidden()
    case = case_of(hall, tk)
    assert case["contact_masked"] is None
    assert hall.post(hall.hp(f"/review-cases/{case['id']}/contact"), "boss").body["error"] == "no_contact"
    # a number typed with consent, then nobody finishes: back to idle after the prompt's time,
    # the digits gone from the page, nothing kept
    tk = finish_visit(hall)
    rate_badly(ev, tk)
    type_number(ev, PHONE)
    ev.click("#phone-consent")
    ev.clock.fast_forward("02:05")
    expect(ev.locator("body")).to_have_attribute("data-view", "idle")
    assert ev.locator("#phone-display").inner_text() == "请输入11位手机号码"
    assert case_of(hall, tk)["contact_masked"] is None
    # a number sent after the prompt's time on the server (rating_prompt_s from the rating):
    # not kept, and the thanks says so instead of promising a call
    tk = finish_visit(hall)
    rate_badly(ev, tk)
    type_number(ev, PHONE)
    ev.click("#phone-consent")
    base = hall.ctx.now()
    hall.ctx.clock = lambda: base + timedelta(seconds=301)
    ev.click("#phone-submit")
    expect(ev.locator("#thanks-phone")).to_have_text("电话未能保存（已超时），如需回访请告诉窗口工作人员")
    assert_fits(ev, "evaluator-phone-late-1280x800-zh", one_line=(".thanks",))
    assert case_of(hall, tk)["contact_masked"] is None
    # a good rating: straight to the thanks, never the phone
    tk = finish_visit(hall)
    expect(ev.locator("#prompt-number")).to_have_text(tk["number"])
    ev.click('.level[data-level="4"]')
    expect(ev.locator("body")).to_have_attribute("data-view", "thanks")
    assert ev.locator("#phone-view").is_hidden()
    assert hall.get(hall.hp(f"/tickets/{tk['id']}"), "clerk1").body["rating"]["level"] == 4


def test_a_residents_switch_to_english_lasts_for_their_rating_only(hall, live, browser_ctx):
    """The tablet is shared: a visitor who reads English switches at the prompt; once the rating is
    over, the next resident (often an elderly one) is met in Chinese again. A switch made while the
    tablet stands idle (staff setting it up) stays. The button is a finger-sized target."""
    assert hall.act(1, "sign-in", "clerk1").status == 200
    ev = open_evaluator(browser_ctx, live, hall, TABLET)
    box = ev.locator("#lang").bounding_box()
    assert box["height"] >= 40 and box["width"] >= 90, box
    tk = finish_visit(hall)
    expect(ev.locator("#prompt-number")).to_have_text(tk["number"])
    ev.click("#lang")
    expect(ev.locator('.level[data-level="4"] .level-text')).to_have_text("Satisfied")
    ev.click('.level[data-level="4"]')
    expect(ev.locator("body")).to_have_attribute("data-view", "thanks")
    expect(ev.locator("html")).to_have_attribute("lang", "en")  # the thanks in the visitor's language
    expect(ev.locator("body")).to_have_attribute("data-view", "idle", timeout=15_000)
    expect(ev.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(ev.locator("#lang")).to_have_text("English")
    assert ev.evaluate("localStorage.getItem('hallq.lang')") == "zh"
    # staff switch the idle tablet to English: it stays English after a rating
    ev.click("#lang")
    tk = finish_visit(hall)
    expect(ev.locator("#prompt-number")).to_have_text(tk["number"])
    ev.click('.level[data-level="5"]')
    expect(ev.locator("body")).to_have_attribute("data-view", "idle", timeout=15_000)
    expect(ev.locator("html")).to_have_attribute("lang", "en")


def test_the_next_residents_prompt_waits_while_one_is_still_rating(hall, live, browser_ctx):
    """A quick next visit finished while a resident is still choosing reasons or typing the call-back
    phone does not take the screen from them: its prompt comes once they are thanked, or once they
    walk away (the prompt's time), and neither rating is lost."""
    hall.add_staff("boss", [], role="manager", name="李主任")
    assert hall.act(1, "sign-in", "clerk1").status == 200
    ev = open_evaluator(browser_ctx, live, hall, TABLET_PORTRAIT, fake_clock=True)
    first = finish_visit(hall)
    expect(ev.locator("#prompt-number")).to_have_text(first["number"])
    ev.click('.level[data-level="1"]')
    ev.click('.tag[data-reason="attitude"]')
    second = finish_visit(hall)  # while the first resident still picks reasons
    ev.wait_for_timeout(1500)  # the finish's event has reached the page
    expect(ev.locator("body")).to_have_attribute("data-view", "reasons")
    assert ev.locator('.tag[data-reason="attitude"]').get_attribute("aria-pressed") == "true"
    ev.click("#reasons-submit")
    expect(ev.locator("body")).to_have_attribute("data-view", "phone")
    type_number(ev, PHONE[:4])
    third = finish_visit(hall)  # and another while the phone is being typed: the newest one waits
    ev.wait_for_timeout(1500)
    expect(ev.locator("body")).to_have_attribute("data-view", "phone")
    assert ev.locator("#phone-display").inner_text().replace(" ", "").startswith(PHONE[:4])
    ev.click("#phone-skip")
    expect(ev.locator("body")).to_have_attribute("data-view", "thanks")
    ev.clock.fast_forward("00:06")  # the thanks' time: the waiting prompt comes, not idle
    expect(ev.locator("body")).to_have_attribute("data-view", "prompt")
    expect(ev.locator("#prompt-number")).to_have_text(third["number"])
    ev.click('.level[data-level="5"]')
    expect(ev.locator("body")).to_have_attribute("data-view", "thanks")
    rating = hall.get(hall.hp(f"/tickets/{first['id']}"), "clerk1").body["rating"]
    assert rating["level"] == 1 and rating["reasons"] == ["attitude"]
    assert hall.get(hall.hp(f"/tickets/{third['id']}"), "clerk1").body["rating"]["level"] == 5
    assert second["id"] != third["id"]
    # walking away from the reasons leaves the screen to the waiting prompt after the prompt's time
    fourth = finish_visit(hall)
    expect(ev.locator("#prompt-number")).to_have_text(fourth["number"])
    ev.click('.level[data-level="2"]')
    fifth = finish_visit(hall)
    ev.wait_for_timeout(1500)
    expect(ev.locator("body")).to_have_attribute("data-view", "reasons")
    ev.clock.fast_forward("02:05")
    expect(ev.locator("body")).to_have_attribute("data-view", "prompt")
    expect(ev.locator("#prompt-number")).to_have_text(fifth["number"])
