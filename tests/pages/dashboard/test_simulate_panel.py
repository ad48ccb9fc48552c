"""The dashboard's 模拟排班 panel in real Chromium: a manager picks a past day of the hall, gives
window 1 to 户政 for the morning, runs it, watches the progress, reads the comparison (by service,
by hour, the longest waits), downloads the xlsx, and the panel fits at 1366x768 and 1920x1080 in
Chinese and English."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.api.stats.test_simulations_api import DAY, past_day  # noqa: F401  (fixture)
from tests.fixtures.pages import open_signed_in
from tests.layout import SHOTS, TV, WINDOW_PC, assert_fits


def _signed_in(chromium, url, size):
    ctx, page, errors = open_signed_in(chromium, url, "/dashboard", "boss", size,
                                       timezone_id="UTC", accept_downloads=True)
    page.wait_for_selector("body[data-loaded]")
    expect(page.locator("#sim-day option").first).to_be_attached()
    return ctx, page, errors


def _run_with_hukou_at(page, window, start, end):
    """The first change gives `window` to 户政 from `start` to `end`; the run is started."""
    row = page.locator(".sim-row").first
    row.locator("select.sim-window").select_option(window)
    row = page.locator(".sim-row").first  # the row as drawn again for the chosen window
    row.locator("input[data-service=hukou]").check()
    row.locator("select.sim-from").select_option(start)
    row.locator("select.sim-to").select_option(end)
    page.click("#sim-run")


def _panel_fits(page, panel, what, size_lang):
    """The panel, scrolled into view, fits (assert_fits "{what}-{size_lang}"); its picture goes to
    SHOTS as "{what}-panel-{size_lang}.png"."""
    panel.scroll_into_view_if_needed()
    assert_fits(page, f"{what}-{size_lang}")
    panel.screenshot(path=str(SHOTS / f"{what}-panel-{size_lang}.png"))


def _cells(page, table, key):
    return page.locator(f"#{table} tr[data-key='{key}'] td").all_inner_texts()


def test_a_manager_runs_a_what_if_and_reads_the_comparison(chromium, live, past_day):  # noqa: F811
    ctx, page, errors = _signed_in(chromium, live.url, WINDOW_PC)
    panel = page.locator("#sim-panel")
    panel.scroll_into_view_if_needed()
    assert page.input_value("#sim-day") == f"day:{DAY}"  # the latest past day comes first
    assert "重放两遍" in page.inner_text("#sim-assumes")
    # a change with no services is caught on the page, before the server
    page.click("#sim-run")
    expect(page.locator("#sim-error")).to_contain_text("请选择业务或休息")
    row = page.locator(".sim-row").first
    expect(row.locator(".now")).to_contain_text("社会事务综合")
    row.locator("select.sim-window").select_option("1")
    row = page.locator(".sim-row").first
    expect(row.locator(".now")).to_have_text("现办：社会事务综合")
    expect(row.locator(".off-day")).to_have_text("当天无人（重放时关闭）")  # window 1 called nobody that day
    row.locator("select.sim-window").select_option("3")
    expect(page.locator(".sim-row .now").first).to_have_text("现办：社会事务综合、公共服务综合")
    expect(page.locator(".sim-row .off-day")).to_have_count(0)  # window 3 served that day
    assert_fits(page, "simulate-form-1366x768-zh", one_line=(".sim-row .nw", ".sim-row .off-day"))
    _run_with_hukou_at(page, "1", "08:30", "12:00")
    expect(panel).to_have_attribute("data-state", "running")
    expect(page.locator("#sim-progress")).to_be_visible()
    expect(page.locator("#sim-run")).to_be_disabled()
    assert_fits(page, "simulate-running-1366x768-zh")
    expect(panel).to_have_attribute("data-state", "done", timeout=150_000)
    expect(page.locator("#sim-status")).to_contain_text("完成")
    hukou = _cells(page, "sim-table-services", "hukou")
    assert hukou[0] == "户政"
    before, after, change = float(hukou[2]), float(hukou[3]), hukou[4]
    assert after < 0.6 * before and change.startswith("−"), hukou
    assert "better" in page.locator("#sim-table-services tr[data-key=hukou] td.chg").first.get_attribute("class")
    assert page.locator("#sim-chart svg rect").count() == 2 * page.locator("#sim-table-services tbody tr").count() - 2
    assert "1 号窗口 08:30–12:00 户政" in page.inner_text("#sim-what")
    # the chart's labels are drawn at least 12 px high, like the dashboard's own charts
    sizes = page.eval_on_selector_all("#sim-chart svg text", """ts => ts.map(t =>
        parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getBoundingClientRect().width /
        t.ownerSVGElement.viewBox.baseVal.width)""")
    assert sizes and min(sizes) >= 12, sizes
    _panel_fits(page, panel, "simulate", "1366x768-zh")
    page.click("#sim-tabs button[data-tab=hours]")
    expect(page.locator("#sim-table-hours tbody tr")).to_have_count(2)
    page.select_option("#sim-hour-service", "hukou")
    assert page.locator("#sim-table-hours tbody tr").first.locator("td").first.inner_text() == "08:00–09:00"
    assert_fits(page, "simulate-hours-1366x768-zh")
    page.focus("#sim-tabs button[data-tab=longest]")  # chosen with the keyboard: the focus stays on it
    page.keyboard.press("Enter")
    expect(page.locator("#sim-table-longest tbody tr")).to_have_count(10)
    assert page.evaluate("document.activeElement.dataset.tab") == "longest"
    # each heading sits over its column: aligned as the column's cells are (业务 over the names)
    aligns = page.evaluate("""() => { const t = document.querySelector('#sim-table-longest');
        const row = t.querySelector('tbody tr').children;
        return [...t.querySelectorAll('thead th')].map((th, i) => [th.textContent,
            getComputedStyle(th).textAlign, getComputedStyle(row[i]).textAlign]); }""")
    assert all(a[1] == a[2] for a in aligns), aligns
    with page.expect_download() as dl:
        page.click("#sim-xlsx")
    wb = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert "调整对比 what-if by hour" in wb.sheetnames
    # English, and both sizes
    page.click("#lang")
    expect(page.locator("#sim-tabs button[data-tab=longest]")).to_contain_text("longest waits")
    assert "Household registration" in page.inner_text("#sim-what")
    panel.scroll_into_view_if_needed()
    assert_fits(page, "simulate-longest-1366x768-en")
    page.click("#sim-tabs button[data-tab=services]")
    assert _cells(page, "sim-table-services", "hukou")[0] == "Household registration"
    _panel_fits(page, panel, "simulate", "1366x768-en")
    page.set_viewport_size({"width": TV[0], "height": TV[1]})
    panel.scroll_into_view_if_needed()
    sizes = page.eval_on_selector_all("#sim-chart svg text", """ts => ts.map(t =>
        parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getBoundingClientRect().width /
        t.ownerSVGElement.viewBox.baseVal.width)""")
    assert min(sizes) >= 12, sizes
    _panel_fits(page, panel, "simulate", "1920x1080-en")
    page.click("#lang")
    _panel_fits(page, panel, "simulate", "1920x1080-zh")
    assert not errors, errors
    ctx.close()


def test_a_second_run_while_one_plays_is_told_to_wait(chromium, live, past_day):  # noqa: F811
    api, _ = past_day
    r = api.post(api.hp("/simulations"), "boss", json={
        "day": DAY, "changes": [{"window": 2, "off": True, "from": "09:00", "to": "10:00"}]})
    assert r.status == 202
    ctx, page, errors = _signed_in(chromium, live.url, TV)
    # the page finds the hall's run in progress and follows it
    expect(page.locator("#sim-panel")).to_have_attribute("data-state", "running")
    expect(page.locator("#sim-progress")).to_be_visible()
    expect(page.locator("#sim-panel")).to_have_attribute("data-state", "done", timeout=150_000)
    assert "2 号窗口 09:00–10:00 休息" in page.inner_text("#sim-what")
    assert not errors, errors
    ctx.close()


def signed(seconds):
    m = seconds / 60
    return "0.0" if abs(m) < 0.05 else ("+" if m > 0 else "−") + f"{abs(m):.1f}"


def verdict_zh(sp, short=False):
    """What the panel says of a spread: on how many of the days the mean wait was shorter or longer
    (a change under half a minute is none)."""
    n, sh, lo = sp["days"], sp["shorter_days"], sp["longer_days"]
    if sh == n:
        return "天天缩短" if short else f"{n} 天都缩短"
    if lo == n:
        return "天天变长" if short else f"{n} 天都变长"
    if not sh and not lo:
        return "差不多" if short else f"{n} 天都差不多"
    parts = "、".join(x for x in (f"{sh} 天缩短" if sh else "", f"{lo} 天变长" if lo else "") if x)
    return parts if short else f"{n} 天中 {parts}"


def _figure_headings_right(page, table):
    """Each figure's heading sits over its figures (原排班 was pulled left, as if it named the rows)."""
    sub = page.evaluate(f"""() => [...document.querySelectorAll('#{table} thead tr:nth-child(2) th')]
        .map(th => getComputedStyle(th).textAlign)""")
    assert sub == ["right"] * 6, (table, sub)


def test_a_sample_day_shows_the_average_and_the_range_over_five_sampled_days(chromium, live, past_day,  # noqa: F811
                                                                             monkeypatch):
    from server.services import simulations as sims
    monkeypatch.setattr(sims, "TIME_LIMIT_S", 900.0)  # all five days whatever the machine's load
    ctx, page, errors = _signed_in(chromium, live.url, WINDOW_PC)
    panel = page.locator("#sim-panel")
    assert "抽 5 天不同的来人" in page.inner_text("#sim-assumes")
    page.select_option("#sim-day", "sample:sandu_day")
    _run_with_hukou_at(page, "11", "09:00", "11:00")
    expect(panel).to_have_attribute("data-state", "done", timeout=600_000)
    res = page.evaluate("() => fetch(hallq.hallPath('/simulations/options'), {headers: {Authorization: "
                        "'Bearer ' + hallq.token()}}).then(r => r.json()).then(b => b.last.result)")
    assert len(res["days"]) == 5
    assert "抽样 5 天" in page.inner_text("#sim-what")
    # the verdict card says on how many days the hall's mean wait changed which way
    verdict = page.inner_text("[data-sim=days]")
    sp = res["hall"]["spread"]
    c0, c1 = sp["mean_wait_s"]["change"]
    assert verdict.split("\n") == ["平均等候，抽样 5 天", verdict_zh(sp),
                                    f"每天变化 {signed(c0)} 至 {signed(c1)} 分钟"], verdict
    # the mean-wait card and each service's mean carry the range over the days
    lo, hi = sp["mean_wait_s"]["baseline"]
    assert f"各天 {lo / 60:.1f}–{hi / 60:.1f}" in page.inner_text("[data-sim=mean_wait_s]")
    hukou = next(s for s in res["services"] if s["service"] == "hukou")
    cells = _cells(page, "sim-table-services", "hukou")
    b_lo, b_hi = hukou["spread"]["mean_wait_s"]["baseline"]
    assert cells[2] == f"{hukou['baseline']['mean_wait_s'] / 60:.1f}\n{b_lo / 60:.1f}–{b_hi / 60:.1f}", cells
    assert cells[-1] == verdict_zh(hukou["spread"], short=True), cells
    assert hukou["spread"]["shorter_days"] >= 3  # a second 户政 window: shorter on most days
    for s in res["services"]:
        assert _cells(page, "sim-table-services", s["service"])[-1] == verdict_zh(s["spread"], short=True)
    assert "每天人次" in page.inner_text("#sim-table-services thead")
    assert "5 个抽样日的平均" in page.inner_text("#sim-table")
    # the chart: a thin line per bar for the days' range, and the legend says so
    assert page.locator("#sim-chart svg path.rng").count() == page.locator("#sim-chart svg rect").count()
    assert "细线：各天范围" in page.inner_text("#sim-chart .legend")
    _panel_fits(page, panel, "simulate-days", "1366x768-zh")
    _figure_headings_right(page, "sim-table-services")
    page.click("#sim-tabs button[data-tab=days]")
    expect(page.locator("#sim-table-days tbody tr")).to_have_count(6)
    first = _cells(page, "sim-table-days", "day-1")
    assert first[0] == "第 1 天" and first[1] == str(res["days"][0]["tickets"])
    assert first[2] == f"{res['days'][0]['baseline']['mean_wait_s'] / 60:.1f}"
    assert _cells(page, "sim-table-days", "all")[0] == "5 天平均"
    assert_fits(page, "simulate-days-bydays-1366x768-zh")
    _figure_headings_right(page, "sim-table-days")
    page.click("#sim-tabs button[data-tab=longest]")
    assert page.locator("#sim-table-longest tbody tr td").nth(2).inner_text().startswith("第 ")
    page.click("#lang")
    expect(page.locator("[data-sim=days]")).to_contain_text("Mean wait over 5 sampled days")
    assert page.locator("#sim-table-longest tbody tr td").nth(2).inner_text().startswith("Day ")
    page.click("#sim-tabs button[data-tab=services]")
    assert "Tickets a day" in page.inner_text("#sim-table-services thead")
    _panel_fits(page, panel, "simulate-days", "1366x768-en")
    page.set_viewport_size({"width": TV[0], "height": TV[1]})
    _panel_fits(page, panel, "simulate-days", "1920x1080-en")
    page.click("#lang")
    _panel_fits(page, panel, "simulate-days", "1920x1080-zh")
    assert not errors, errors
    ctx.close()
