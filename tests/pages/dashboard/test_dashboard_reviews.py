"""The report's 差评整改 tab on the dashboard, in real Chromium: a case whose record named no visit
(a 12345 call, a note in the box) shows how it came instead of an empty 号码, in Chinese and English,
at the office PC's 1366x768."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.api.window.test_recorded_complaints import URL, hall, serve  # noqa: F401  (fixture)
from tests.layout import SHOTS, TV, WINDOW_PC, assert_fits, lone_characters, sized
from tests.pages.dashboard.test_dashboard_browser import open_dashboard


def test_the_review_tab_says_how_a_case_without_a_ticket_came(chromium, hall, live):
    tk = serve(hall)
    assert hall.post(hall.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 1}).status == 201
    for body in ({"channel": "hotline", "kind": "complaint", "service": "social", "comment": "电话没人接"},
                 {"channel": "box", "level": 2, "window": 1, "comment": "窗口人员玩手机"}):
        assert hall.post(hall.hp(URL), "boss", json=body).status == 201
    context, page, errors = open_dashboard(chromium, live.url)
    try:
        sized(page, WINDOW_PC)
        page.click("#report-tabs button[data-table=reviews]")
        numbers = page.locator("#report-reviews td[data-col=number]")
        expect(numbers).to_have_count(3)
        assert sorted(numbers.all_inner_texts()) == sorted(
            [tk["number"], "无办事记录（12345热线）", "无办事记录（意见箱）"])
        for lang in ("zh", "en"):
            if lang == "en":
                page.click("#lang")
                expect(numbers.filter(has_text="hotline")).to_have_text("No visit named (12345 hotline)")
                assert sorted(numbers.all_inner_texts()) == sorted(
                    [tk["number"], "No visit named (12345 hotline)", "No visit named (Suggestion box)"])
                assert "Complaint" in page.locator("#report-reviews").inner_text()
            page.locator("#report-table").scroll_into_view_if_needed()
            assert_fits(page, f"dashboard-reviews-1366-{lang}")
            page.locator("#report-table").screenshot(path=str(SHOTS / f"dashboard-reviews-table-{lang}.png"))
            assert not lone_characters(page, "#report-reviews td")
        assert not errors, errors
    finally:
        context.close()


def test_the_pain_point_table_says_which_channel_each_row_came_by(chromium, hall, live):
    """The 堵点 table's 渠道 column (12345热线, 意见箱, 现场) fits at the office PC and the TV, in both
    languages, with no word broken and no character alone on a line."""
    tk = serve(hall)
    assert hall.post(hall.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 1}).status == 201
    for body in ({"channel": "hotline", "kind": "complaint", "service": "social", "reasons": ["attitude"],
                  "comment": "电话没人接"},
                 {"channel": "box", "level": 2, "window": 1, "reasons": ["environment"]},
                 {"channel": "onsite", "kind": "complaint", "service": "social", "window": 1,
                  "reasons": ["efficiency"], "comment": "材料退回三次"}):
        r = hall.post(hall.hp(URL), "boss", json=body)
        assert r.status == 201, r.body
    context, page, errors = open_dashboard(chromium, live.url)
    try:
        sized(page, WINDOW_PC)
        channels = page.locator("#pain-table td[data-channel]")
        expect(channels).to_have_count(3)
        assert sorted(channels.all_inner_texts()) == ["12345热线", "意见箱", "现场"]
        heads = page.locator("#pain-table th")
        assert heads.all_inner_texts()[3:6] == ["原因", "来源", "渠道"]  # 来源 what it is, 渠道 how it came
        for lang in ("zh", "en"):
            if lang == "en":
                page.click("#lang")
                expect(channels.filter(has_text="hotline")).to_have_count(1)
                assert sorted(channels.all_inner_texts()) == ["12345 hotline", "In person", "Suggestion box"]
                assert heads.all_inner_texts()[3:6] == ["Reason", "Origin", "Channel"]
            for size in (WINDOW_PC, TV):
                sized(page, size)
                page.locator("#pain-table").scroll_into_view_if_needed()
                assert_fits(page, f"dashboard-pain-channel-{size[0]}-{lang}")
                page.locator("#pain-panel").screenshot(path=str(SHOTS / f"dashboard-pain-panel-{size[0]}-{lang}.png"))
                assert not lone_characters(page, "#pain-table td, #pain-table th")
        # words read from the left under their heading, counts on the right
        aligned = page.evaluate("""() => [...document.querySelectorAll('#pain-table tr')].map(tr =>
            [...tr.children].map(c => getComputedStyle(c).textAlign))""")
        assert {tuple(r) for r in aligned} == {("left", "right", "left", "left", "left", "left", "right")}, aligned
        assert not errors, errors
    finally:
        context.close()
