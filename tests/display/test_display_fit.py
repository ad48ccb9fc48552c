"""The hall display and the staff wall on TVs (1920x1080 and 1080x1920), in Chinese and English,
drawn by a real Chromium: nothing overflows or is cut where it must be read whole; the call reads
as one line with 请; the empty hall says what to do; tiles name their business; each service shows
the server's estimate; recent calls read newest first."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.display.conftest import call, staff_at
from tests.layout import TV, TV_PORTRAIT, assert_fits, sized

REASON = "午间休息,13:30 恢复办理业务"


def _display(chromium, url, lang, size):
    ctx = chromium.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(url + "/display?lang=" + lang)
    expect(page.locator("#conn")).to_have_class("conn-dot on")
    return ctx, page


def test_an_empty_hall_says_what_to_do_and_nothing_else(live, chromium):
    for lang in ("zh", "en"):
        for size in (TV, TV_PORTRAIT):
            ctx, page = _display(chromium, live.url, lang, size)
            expect(page.locator("#hero-idle")).to_be_visible()
            assert not page.locator("#hero-call").is_visible()  # no lone 请 over an empty screen
            expect(page.locator(".svc").first).to_be_visible()
            assert_fits(page, f"display-empty-{size[0]}x{size[1]}-{lang}", one_line=(".idle-title",))
            ctx.close()


def test_the_display_fits_tvs_in_both_languages(live, chromium):
    api = live.api
    staff_at(api, [1, 3, 5, 6, 7, 11])
    for svc in ["social"] * 4 + ["agri", "land", "land", "market", "public"]:
        api.issue(svc)
    called = [call(api, n) for n in (1, 3, 5, 6)]
    latest = call(api, 7)
    assert api.act(11, "pause", "clerk11", {"reason": REASON}).status == 200
    services = {s["code"]: s for s in api.get(api.hp("/services")).body}
    for lang in ("zh", "en"):
        for size in (TV, TV_PORTRAIT):
            ctx, page = _display(chromium, live.url, lang, size)
            expect(page.locator("#hero-number")).to_have_text(latest["number"])
            line = page.inner_text("#hero-call").replace("\n", " ")
            if lang == "zh":
                # 请 is part of the call line, not a label apart from it
                assert line.split() == ["请", latest["number"], "号", "到", "7", "号窗口办理"] or \
                    line.replace(" ", "") == f"请{latest['number']}号到7号窗口办理", line
            else:
                assert line.replace(" ", "") == f"Number{latest['number']}pleasegotowindow7", line
            # recent calls: one column, newest first (the call before the newest at the top)
            recent = page.locator("#recent li .num").all_inner_texts()
            assert recent[0] == called[-1]["number"], recent
            # the paused window's reason is read whole; tiles say what the window handles
            expect(page.locator('.win[data-window="11"] .win-reason')).to_have_text(REASON)
            biz = page.inner_text('.win[data-window="5"] .win-business')
            assert biz == ("农业综合、自然资源" if lang == "zh" else "Agriculture · Land and planning"), biz
            # each service's estimate as the server gives it
            est = page.inner_text('.svc[data-service="land"] .est')
            lo, hi = (int(x / 60 + 0.5) for x in services["land"]["estimated_wait_range_s"])
            assert str(lo) in est and (hi == lo or str(hi) in est), (est, services["land"])
            assert page.inner_text('.svc[data-service="land"] .name') == (
                "自然资源" if lang == "zh" else "Land and planning")
            assert_fits(page, f"display-{size[0]}x{size[1]}-{lang}",
                        one_line=(".hero-line", ".hero-window", ".win-number", ".recent-list li"),
                        keep=lang == "zh")
            ctx.close()


def test_the_wall_fits_tvs_and_hides_a_share_of_few_ratings(live, chromium):
    api = live.api
    staff_at(api, [1, 2, 3, 4, 5])
    api.add_device("eval1", "evaluator", [1])
    tk = api.issue("social").body
    call(api, 1)
    api.act(1, "finish", "clerk1", {"outcome": "immediate"})
    assert api.post(api.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 5}).status == 201
    for lang in ("zh", "en"):
        for size in (TV, TV_PORTRAIT):
            ctx = chromium.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
            page = ctx.new_page()
            page.goto(live.url + "/wall?lang=" + lang)
            card = page.locator('.card:has-text("职员1")')
            expect(card).to_be_visible()
            # one rating is below the hall's minimum (10): no "100.0%" in large type
            assert "%" not in card.inner_text()
            expect(card.locator(".pct")).to_have_class("pct none")
            expect(page.locator("#complaint")).to_contain_text("12345")
            assert_fits(page, f"wall-{size[0]}x{size[1]}-{lang}", keep=lang == "zh")
            ctx.close()


def test_the_estimates_follow_the_queue_without_a_reload(live, chromium):
    import time
    api = live.api
    ctx, page = _display(chromium, live.url, "zh", TV)
    est = page.locator('.svc[data-service="social"] .est')
    expect(est).to_have_text("无需等候")
    for _ in range(4):
        api.issue("social")
    expect(page.locator('.svc[data-service="social"] .count')).to_contain_text("4")

    def server_says():
        svc = [s for s in api.get(api.hp("/services")).body if s["code"] == "social"][0]
        lo, hi = (int(x / 60 + 0.5) for x in svc["estimated_wait_range_s"])  # as JS Math.round
        return f"约 {lo}–{hi} 分钟" if hi > lo else f"约 {max(1, int(svc['estimated_wait_s'] / 60 + 0.5))} 分钟"
    deadline, shown, wanted = time.monotonic() + 10, None, None
    while time.monotonic() < deadline:  # within a few seconds the screen says what the server says
        shown, wanted = est.inner_text(), server_says()
        if shown == wanted:
            break
        time.sleep(0.5)
    assert shown == wanted, (shown, wanted)
    ctx.close()
