"""The hall display and the staff wall on TVs (1920x1080 and 1080x1920), in Chinese and English,
drawn by a real Chromium: nothing overflows or is cut where it must be read whole; the call reads
as one line with 请; the empty hall says what to do; tiles name their business; each service shows
the server's estimate; recent calls read newest first."""
from __future__ import annotations

from tests.fixtures.display import *  # noqa: F401,F403  (the display fixtures)

from playwright.sync_api import expect

from tests.fixtures.display import call, staff_at
from tests.layout import TV, TV_PORTRAIT, assert_fits, sized

REASON = "午间休息，13:30 恢复办理业务"


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
            low_s, high_s = services["land"]["estimated_wait_range_s"]
            lo, hi = low_s // 60, max(low_s // 60, -(-high_s // 60))  # whole minutes around the range
            assert lo < hi, services["land"]  # two land tickets, one window: a range, not one number
            assert est == (f"约 {lo}–{hi} 分钟" if lang == "zh" else f"about {lo}–{hi} min"), est
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
            # 擂台: this month's red flag goes to the team of window 1 (the only one that served)
            expect(page.locator("#honours .hn.red").first).to_be_visible()
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

    def server_says():  # the range in whole minutes, low down and high up (hallq.fmtWaitRange)
        svc = [s for s in api.get(api.hp("/services")).body if s["code"] == "social"][0]
        low_s, high_s = svc["estimated_wait_range_s"]
        lo, hi = low_s // 60, max(low_s // 60, -(-high_s // 60))
        return "即将叫号" if hi < 1 else f"约 {hi} 分钟" if lo == hi else f"约 {lo}–{hi} 分钟"
    deadline, shown, wanted = time.monotonic() + 10, None, None
    while time.monotonic() < deadline:  # within a few seconds the screen says what the server says
        shown, wanted = est.inner_text(), server_says()
        if shown == wanted:
            break
        time.sleep(0.5)
    assert shown == wanted, (shown, wanted)
    ctx.close()


def test_tv_text_is_readable_and_the_call_keeps_clear_of_its_box(live, chromium):
    """From a few metres: no text under 24 px on a 1920x1080 TV; the English call line keeps a
    margin inside the call box (two-digit windows too); waiting tiles are alike (counts on one row);
    no language button on the TV."""
    api = live.api
    staff_at(api, [1, 10])
    for svc in api.get(api.hp("/services")).body:
        api.issue(svc["code"])
    call(api, 10)
    for lang in ("zh", "en"):
        ctx, page = _display(chromium, live.url, lang, TV)
        expect(page.locator("#hero-number")).not_to_be_empty()
        assert not page.locator("#lang").is_visible()
        small = page.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e =>
            e.offsetParent !== null && e.getBoundingClientRect().width > 0 &&
            Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()) &&
            !e.closest('.notice') && parseFloat(getComputedStyle(e).fontSize) < (e.closest('.win-business') ? 21 : 24)
          ).map(e => e.className + ':' + e.textContent.trim().slice(0, 20))""")
        assert small == [], (lang, small)
        hero = page.locator("#hero").bounding_box()
        for part in ("#hero-call .hero-line", "#hero-window"):
            box = page.locator(part).bounding_box()
            assert box["x"] >= hero["x"] + 30 and box["x"] + box["width"] <= hero["x"] + hero["width"] - 30, \
                (lang, part, box, hero)
        tops = set(round(b["y"]) for b in (page.locator(".svc .count").nth(i).bounding_box()
                                          for i in range(page.locator(".svc .count").count())))
        assert len(tops) == 1, (lang, tops)
        assert_fits(page, f"display-readable-{TV[0]}x{TV[1]}-{lang}",
                    one_line=(".hero-line", ".hero-window", ".win-number"))
        ctx.close()


def test_the_wall_uses_the_screen_for_few_staff_and_reads_from_afar(live, chromium):
    """Two staff on a 1920x1080 wall: the cards fill the board (not a corner), text at least 24 px."""
    api = live.api
    staff_at(api, [1, 2])
    for lang in ("zh", "en"):
        ctx = chromium.new_context(viewport={"width": TV[0], "height": TV[1]}, locale="zh-CN")
        page = ctx.new_page()
        page.goto(live.url + "/wall?lang=" + lang)
        expect(page.locator(".card").first).to_be_visible()
        n = page.locator(".card").count()
        grid = page.locator("#staff").bounding_box()
        area = sum(b["width"] * b["height"] for b in (page.locator(".card").nth(i).bounding_box() for i in range(n)))
        assert area >= 0.6 * grid["width"] * grid["height"], (lang, n, area, grid)
        small = page.evaluate("""() => Array.from(document.querySelectorAll('.card *')).filter(e =>
            e.offsetParent !== null && Array.from(e.childNodes).some(c => c.nodeType === 3 && c.textContent.trim())
            && parseFloat(getComputedStyle(e).fontSize) < 24).map(e => e.className + ':' + e.textContent)""")
        assert small == [], (lang, small)
        if lang == "en":
            expect(page.locator(".card .duty").first).to_contain_text("At window")
        assert_fits(page, f"wall-few-{TV[0]}x{TV[1]}-{lang}")
        ctx.close()
