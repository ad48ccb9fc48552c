"""The dashboard in real Chromium: the known day's figures on the page, a call made through the API
showing up live, a report downloaded and opened with openpyxl, screenshots in /tmp/shots/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.api.stats.seed import EXPECTED_WINDOWS, seed_day
from tests.api.stats.test_stats_api import check_xlsx
from tests.fixtures.pages import sign_in

SHOTS = Path("/tmp/shots")


def open_dashboard(browser, url, lang="zh", query=""):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True,
                                  locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/dashboard" + query)
    if lang == "en":
        page.evaluate("localStorage.setItem('hallq.lang', 'en')")
        page.reload()
    sign_in(page, "boss")
    page.wait_for_selector("body[data-loaded]")
    page.wait_for_selector("body[data-live=on]")
    return context, page, errors


def kpi(page, key):
    return page.inner_text(f"[data-kpi={key}] .value").strip()


def test_the_known_day_on_the_page_and_its_download(chromium, api, ctx, live, monkeypatch, tmp_path):
    seed_day(api, ctx, monkeypatch)
    api.add_staff("boss", [], role="manager", name="主任")
    context, page, errors = open_dashboard(chromium, live.url)
    try:
        assert kpi(page, "issued") == "9" and kpi(page, "served") == "7"
        assert kpi(page, "no_show") == "1" and kpi(page, "cancelled") == "1"
        assert kpi(page, "mean_wait") == "9.5 分钟" and kpi(page, "p90_wait") == "25.0 分钟"
        assert kpi(page, "mean_service") == "10.5 分钟"
        assert kpi(page, "within_target") == "75.0%" and kpi(page, "completion") == "42.9%"
        assert kpi(page, "idle") == "65.8%" and kpi(page, "satisfaction") == "66.7%"
        assert kpi(page, "good_rate") == "50.0%" and kpi(page, "bad") == "2"
        assert kpi(page, "reviews_open") == "2" and kpi(page, "promised_overdue") == "0"
        assert page.inner_text("#kpi-title") == "今日指标"
        # charts are drawn (SVG, no library from outside)
        assert page.locator("#chart-hours svg rect").count() >= 2 * 11
        assert page.locator("#chart-wait svg rect").count() == 8
        # the per-window table of the report
        page.click("#report-tabs button[data-table=windows]")
        row7 = page.locator("#report-windows tbody tr", has_text="市场监管窗口").first
        cells = row7.locator("td").all_inner_texts()
        assert cells[0] == "7" and cells[3] == str(EXPECTED_WINDOWS[7]["served"])
        assert "67.5%" in cells and "14.0" in cells and "25.0" in cells
        page.click("#report-tabs button[data-table=league]")
        assert page.locator("#report-league .flag.red").count() == 1
        assert page.locator("#report-league .flag.yellow").count() == 1
        SHOTS.mkdir(exist_ok=True)
        page.click("#report-tabs button[data-table=windows]")
        page.screenshot(path=str(SHOTS / "dashboard-known-day.png"), full_page=True)
        with page.expect_download() as dl:
            page.click("#dl-xlsx")
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        assert path.name == "hallq-main-2025-03-11-2025-03-11.xlsx"
        check_xlsx(load_workbook(path))
        # English switch
        page.click("#lang")
        assert page.inner_text("[data-kpi=mean_wait] .value") == "9.5 min"
        assert page.inner_text("#kpi-title") == "Today"
        page.screenshot(path=str(SHOTS / "dashboard-known-day-en.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


def test_a_call_made_through_the_api_shows_up_live(chromium, live):
    api = live.api
    zhang = api.add_staff("zhang", [1], name="张明")
    api.add_staff("boss", [], role="manager", name="主任")
    assert api.act(1, "sign-in", zhang).status == 200
    for _ in range(2):
        assert api.issue("social").status == 201
    context, page, errors = open_dashboard(chromium, live.url)
    try:
        card = page.locator('.win[data-window="1"]')
        assert card.locator(".w-ticket").inner_text() == "—"
        assert card.locator(".w-staff").inner_text() == "张明"
        assert page.inner_text('#queues tr[data-service=social] td.waiting') == "2"
        r = api.act(1, "call-next", zhang)
        assert r.status == 200 and r.body["ticket"]["number"] == "A001"
        # pages keep their strict CSP here, so wait with locators (no eval'd JS)
        expect(card.locator(".w-ticket")).to_have_text("A001", timeout=5000)
        expect(page.locator("#queues tr[data-service=social] td.waiting")).to_have_text("1", timeout=5000)
        expect(page.locator("[data-kpi=issued] .value")).to_have_text("2")
        expect(page.locator("[data-kpi=served] .value")).to_have_text("0")
        expect(card.locator(".w-time")).to_have_text(re.compile(r"已叫 \d+:\d\d"), timeout=5000)
        page.screenshot(path=str(SHOTS / "dashboard-live-call.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


def test_the_page_refuses_staff_accounts(chromium, live):
    live.api.add_staff("zhang", [1])
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(live.url + "/dashboard")
        sign_in(page, "zhang")
        page.wait_for_selector("#login-error:not(.hidden)")
        assert "仅限" in page.inner_text("#login-error")
        assert page.locator("#main.hidden").count() == 1
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/static/js/dashboard.js", "/static/css/dashboard.css"])
def test_dashboard_assets_are_served_locally(live, path):
    import requests
    r = requests.get(live.url + path, timeout=5)
    assert r.status_code == 200
    html = requests.get(live.url + "/dashboard", timeout=5).text
    assert "http://" not in html and "https://" not in html
