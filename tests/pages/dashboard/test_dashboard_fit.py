"""The dashboard and the cases page as a manager meets them (a browser whose clock runs in UTC, a
hall in UTC+8): hall-local times, dates as 2026-11-30, whole-number ticks on count charts, no
developer path, the full width of a 1920 screen, nothing overflowing at 1920x1080 or 1366x768."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.api.stats.seed import seed_day
from tests.fixtures.pages import open_signed_in
from tests.layout import TV, WINDOW_PC, assert_fits


def _signed_in(chromium, url, path, size):
    """The manager's page in a browser whose clock runs in UTC."""
    ctx, page, _ = open_signed_in(chromium, url, path, "boss", size, timezone_id="UTC")
    return ctx, page


def test_dashboard_and_cases_read_in_hall_time_and_fit(chromium, api, ctx, live, monkeypatch):
    seed_day(api, ctx, monkeypatch)
    api.add_staff("boss", [], role="manager", name="主任")
    for size in (TV, WINDOW_PC):
        bctx, page = _signed_in(chromium, live.url, "/dashboard", size)
        page.wait_for_selector("body[data-loaded]")
        assert "docs/" not in page.inner_text("body")  # no developer path for a manager
        # count charts: four whole-number steps on the axis
        for chart in ("#chart-hours", "#chart-wait", "#chart-windows"):
            ticks = page.eval_on_selector_all(chart + ' svg text[text-anchor="end"]', "ts => ts.map(t => t.textContent)")
            assert len(ticks) == 5 and all(re.fullmatch(r"\d+", x) for x in ticks), (chart, ticks)
        main = page.locator("#main").bounding_box()
        assert main["width"] >= size[0] - 20, main  # the whole width, not 1,400 of 1,920
        for lang in ("zh", "en"):
            if lang == "en":
                page.click("#lang")
            assert_fits(page, f"dashboard-{size[0]}x{size[1]}-{lang}", keep=(lang == "zh" and size == TV))
            # chart labels readable (>= 12 px drawn), the reports table inside its card, whole-minute
            # estimates, and in English no Chinese in window tiles, estimate rows or the report's names
            sizes = page.eval_on_selector_all(".chart svg text", """ts => ts.map(t =>
                t.getBoundingClientRect().height ? parseFloat(getComputedStyle(t).fontSize) *
                t.ownerSVGElement.getBoundingClientRect().width / t.ownerSVGElement.viewBox.baseVal.width : 99)""")
            assert sizes and min(sizes) >= 12, (size, lang, min(sizes))
            card = page.locator("#reports").bounding_box()
            wrap = page.locator("#report-table").bounding_box()
            assert wrap["x"] + wrap["width"] <= card["x"] + card["width"] + 1, (wrap, card)
            assert not re.search(r"\d\.\d 分钟|\d\.\d min", page.inner_text("#estimates-table")), \
                page.inner_text("#estimates-table")
            if lang == "en":
                cjk = re.compile(r"[\u4e00-\u9fff]")
                for sel in ("#windows .w-name", "#estimates-table td.text", "#report-table td.text"):
                    texts = [x for x in page.locator(sel).all_inner_texts() if cjk.search(x)]
                    assert not [x for x in texts if x.endswith("窗口") or x in ("社会事务综合", "农业综合")], (sel, texts)
        bctx.close()
    bctx, page = _signed_in(chromium, live.url, "/manager/cases", TV)
    expect(page.locator("article.case")).to_have_count(2)
    meta = page.locator("article.case").first.inner_text()
    # rated at 09:56 and 09:18 hall time (01:56 / 01:18 UTC): shown as the hall's clock, one date format
    assert "2025-03-11 09:56" in meta or "2025-03-11 09:18" in meta, meta
    assert "2025/03/11" not in meta and "01:56" not in meta
    boxes = page.eval_on_selector_all("article.case", "cs => cs.map(c => c.getBoundingClientRect().top)")
    assert len({round(b) for b in boxes}) == 1  # side by side on a wide screen
    assert_fits(page, "cases-1920x1080-zh", keep=True)
    page.click("#lang")
    assert_fits(page, "cases-1920x1080-en")
    page.set_viewport_size({"width": WINDOW_PC[0], "height": WINDOW_PC[1]})
    assert_fits(page, "cases-1366x768-en")
    page.click('.tab[data-tab="promised"]')
    expect(page.locator("article.promised").first).to_be_visible()
    assert re.search(r"\d{4}-\d{2}-\d{2}", page.locator("article.promised").first.inner_text())
    assert_fits(page, "cases-promised-1366x768-en")
    bctx.close()


def test_a_long_periods_day_chart_labels_its_days_without_drawing_them_over_each_other(
        chromium, api, ctx, live, monkeypatch):
    """Seventy days on the satisfaction chart (its x axis is the day): labels thinned so that each
    can be read; before, every second one was drawn and 35 of "03-11" ran into one another."""
    seed_day(api, ctx, monkeypatch)
    api.add_staff("boss", [], role="manager", name="主任")
    bctx, page = _signed_in(chromium, live.url, "/dashboard?from=2025-01-01&to=2025-03-11", WINDOW_PC)
    try:
        page.wait_for_selector("body[data-loaded]")
        for chart in ("#chart-sat", "#chart-hours", "#chart-windows", "#chart-wait"):
            boxes = page.eval_on_selector_all(
                chart + ' svg text[text-anchor="middle"]:not(.val)',
                "ts => ts.map(t => { const r = t.getBoundingClientRect(); return [r.left, r.right]; })")
            assert boxes, chart
            assert all(a[1] + 2 <= b[0] for a, b in zip(boxes, boxes[1:])), (chart, boxes)
        days = page.eval_on_selector_all('#chart-sat svg text[text-anchor="middle"]:not(.val)',
                                         "ts => ts.map(t => t.textContent)")
        assert days[0] == "01-01" and 5 <= len(days) <= 14, days  # still a label every week or so
    finally:
        bctx.close()
