"""The report's 擂台荣誉 tab on the dashboard, in real Chromium: the month's flags and 每月之星 (or
why there is none), in Chinese and English, fitting the manager's screen."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.api.stats.seed import seed_day
from tests.layout import SHOTS, WINDOW_PC, assert_fits, lone_characters, sized
from tests.pages.dashboard.test_dashboard_browser import open_dashboard


def test_the_honours_tab_shows_the_months_flags_and_an_empty_star(chromium, api, ctx, live, monkeypatch):
    seed_day(api, ctx, monkeypatch)  # today is 2025-03-11: March so far
    api.add_staff("boss", [], role="manager", name="主任")
    context, page, errors = open_dashboard(chromium, live.url, query="?from=2025-03-01&to=2025-03-11")
    try:
        page.click("#report-tabs button[data-table=honours]")
        rows = page.locator("#report-honours tbody tr")
        expect(rows).to_have_count(3)
        assert rows.nth(0).locator(".flag.red").inner_text() == "流动红旗"
        assert "社会事务综合" in rows.nth(0).inner_text()
        assert rows.nth(1).locator(".flag.yellow").count() == 1
        star = rows.nth(2)
        assert star.locator(".flag.star").inner_text() == "每月之星"
        assert "空缺：本月无人评价满 10 次" in star.inner_text()
        page.locator("#report-table").scroll_into_view_if_needed()
        assert_fits(page, "dashboard-honours-1440-zh")
        page.locator("#report-table").screenshot(path=str(SHOTS / "dashboard-honours-table-zh.png"))
        page.click("#lang")
        expect(star.locator(".flag.star")).to_have_text("Staff of the month")
        assert "none: nobody was rated 10 times in the month" in star.inner_text()
        assert rows.nth(0).locator(".flag.red").inner_text() == "Red flag"
        assert_fits(page, "dashboard-honours-1440-en")
        page.locator("#report-table").screenshot(path=str(SHOTS / "dashboard-honours-table-en.png"))
        assert not errors, errors
    finally:
        context.close()


def test_a_quarters_honours_fit_the_office_pc_with_each_rule_said_once(chromium, api, ctx, live, monkeypatch):
    """Eleven rows (three months and the quarter) at the window PC's 1366x768: the rule, the same on
    every row of a kind, is said once under the table instead of in a column that pushed the table
    past the screen; a vacancy's note never leaves one character (件) alone on a line."""
    seed_day(api, ctx, monkeypatch)
    api.add_staff("boss", [], role="manager", name="主任")
    context, page, errors = open_dashboard(chromium, live.url, query="?from=2025-01-01&to=2025-03-11")
    try:
        sized(page, WINDOW_PC)
        page.click("#report-tabs button[data-table=honours]")
        expect(page.locator("#report-honours tbody tr")).to_have_count(11)
        assert page.locator("#report-honours th").all_inner_texts()[-1] == "说明"  # no 评选规则 column
        rules = page.locator("#report-rules dd")
        expect(rules).to_have_count(3)  # 流动红旗, 流动黄旗, 每月之星: each once
        assert rules.nth(0).inner_text().startswith("流动红旗：综合得分 = 40×办件数")
        for lang in ("zh", "en"):
            if lang == "en":
                page.click("#lang")
                expect(rules.nth(2)).to_contain_text("Staff of the month: among staff rated at least 10 times")
            page.locator("#report-rules").scroll_into_view_if_needed()
            assert_fits(page, f"dashboard-honours-quarter-1366-{lang}")
            wrap = page.locator("#report-table")
            assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the table scrolls sideways"
            assert not lone_characters(page, "#report-honours td, #report-rules dd")
        assert not errors, errors
    finally:
        context.close()
