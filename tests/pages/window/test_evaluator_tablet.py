"""The evaluator on the window's tablet, portrait and landscape, Chinese and English, in a real
Chromium: five large face buttons that fit, a spoken prompt from the server, and a device token
checked on load (a wrong one shows a notice for staff, never a form in front of the resident)."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

from playwright.sync_api import expect

from tests.layout import TABLET, TABLET_PORTRAIT, assert_fits, sized


def _boxes(page):
    return page.eval_on_selector_all(".level", "bs => bs.map(b => { const r = b.getBoundingClientRect();"
                                     " return [r.left, r.top, r.width, r.height]; })")


def test_the_evaluator_prompt_fills_a_tablet_either_way_and_is_spoken(hall, live, browser_ctx):
    hall.act(1, "sign-in", "clerk1")
    wavs = []
    ev = browser_ctx.new_page()
    ev.on("response", lambda r: wavs.append((r.status, r.headers.get("content-type")))
          if "/speech/rate.wav" in r.url else None)
    sized(ev, TABLET)
    ev.goto(live.url + "/evaluator/1?token=" + hall.tokens["eval1"])
    expect(ev.locator("body")).to_have_attribute("data-view", "idle")
    expect(ev.locator("body")).to_have_attribute("data-live", "1")
    assert_fits(ev, "evaluator-idle-1280x800-zh", one_line=(".staff-name",))
    sized(ev, TABLET_PORTRAIT)
    assert_fits(ev, "evaluator-idle-800x1280-zh", one_line=(".staff-name",))
    tk = hall.issue("social").body
    hall.act(1, "call-next", "clerk1")
    hall.act(1, "finish", "clerk1", {"outcome": "immediate"})
    expect(ev.locator("#prompt-number")).to_have_text(tk["number"])
    # the prompt is spoken: the server's WAV played in the page
    expect(ev.locator("body")).to_have_attribute("data-spoken", "1")
    assert wavs and wavs[0][0] in (200, 206) and wavs[0][1] == "audio/wav", wavs
    for lang in ("zh", "en"):
        if lang == "en":
            ev.click("#lang")
            expect(ev.locator('.level[data-level="1"] .level-text')).to_have_text("Very dissatisfied")
        for size in (TABLET_PORTRAIT, TABLET):
            sized(ev, size)
            name = f"evaluator-prompt-{size[0]}x{size[1]}-{lang}"
            # Chinese labels stay on one line ("非常不满意" never breaks as "非常不满 / 意"); English
            # may wrap between words only (a word that did not fit would overflow and fail here)
            assert_fits(ev, name, one_line=(".level-text", ".ask") if lang == "zh" else (".ask",),
                        keep=lang == "zh")
            boxes = _boxes(ev)
            assert len(boxes) == 5
            widths = {round(b[2]) for b in boxes}
            assert max(widths) - min(widths) <= 1, widths  # five equal buttons
            if size == TABLET_PORTRAIT:
                # one under another, each the full width, together most of the screen's height
                assert all(b[2] >= 0.85 * size[0] for b in boxes), boxes
                tops = [b[1] for b in boxes]
                assert tops == sorted(tops) and len(set(round(t) for t in tops)) == 5
                assert sum(b[3] for b in boxes) >= 0.55 * size[1], boxes
            else:
                assert len({round(b[1]) for b in boxes}) == 1  # one row
                faces = ev.eval_on_selector_all(".level .face", "fs => fs.map(f => Math.round(f.getBoundingClientRect().top))")
                assert max(faces) - min(faces) <= 1, (lang, faces)  # a two-line label does not lift its face
                assert sum(b[2] for b in boxes) >= 0.85 * size[0], boxes
                assert all(b[3] >= 0.35 * size[1] for b in boxes), boxes
    # a bad rating asks for reasons: that screen and the thanks fit a portrait tablet too
    sized(ev, TABLET_PORTRAIT)
    ev.click('.level[data-level="2"]')
    expect(ev.locator("#reasons-view")).to_be_visible()
    expect(ev.locator("#reasons-chosen")).to_have_text("Your rating: Dissatisfied")  # which face was tapped
    ev.click('.tag[data-reason="efficiency"]')
    assert_fits(ev, "evaluator-reasons-800x1280-en", one_line=(".tag", ".ev-submit", ".ev-back"))
    ev.click("#lang")
    assert_fits(ev, "evaluator-reasons-800x1280-zh", one_line=(".tag", ".ev-submit", ".ev-back", ".ask"))
    ev.click("#reasons-submit")
    expect(ev.locator("#phone-view")).to_be_visible()  # the 回访 phone is offered (test_evaluator_phone.py)
    ev.click("#phone-skip")
    expect(ev.locator("#thanks-view")).to_be_visible()
    assert_fits(ev, "evaluator-thanks-800x1280-zh", one_line=(".thanks",))
    rating = hall.get(hall.hp(f"/tickets/{tk['id']}"), "clerk1").body["rating"]
    assert rating["level"] == 2 and rating["reasons"] == ["efficiency"]


def test_the_evaluator_checks_its_token_and_tells_staff_what_to_do(hall, live, browser_ctx):
    hall.add_device("eval2", "evaluator", [2])
    page = sized(browser_ctx.new_page(), TABLET)
    cases = [("", "missing"), ("?token=not-a-token", "rejected"),
             ("?token=" + hall.tokens["kiosk"], "kind"), ("?token=" + hall.tokens["eval2"], "window")]
    for query, problem in cases:
        page.evaluate("localStorage.clear()") if page.url.startswith("http") else None
        page.goto(live.url + "/evaluator/1" + query)
        expect(page.locator("body")).to_have_attribute("data-problem", problem)
        expect(page.locator("#setup-view")).to_be_visible()
        # a notice for staff: no field to type into in front of the resident
        assert page.locator("input:visible, textarea:visible").count() == 0
        expect(page.locator("#setup-fix")).to_contain_text("/evaluator/1?token=")
        assert_fits(page, f"evaluator-setup-{problem}")
    # a good token after all: the evaluator works, and a token reset later shows the notice again
    page.goto(live.url + "/evaluator/1?token=" + hall.tokens["eval1"])
    expect(page.locator("body")).to_have_attribute("data-view", "idle")
    assert page.get_attribute("body", "data-problem") is None
