"""堵点 analysis: rating reasons and complaint topics by month, service, window and staff, in the
API, the xlsx report and the month's top list for the manager's cases page."""
from __future__ import annotations

import io

import pytest

from server.services.pain_points import tally
from tests.api.window.test_province_outbox import hall, rate, serve  # noqa: F401  (fixture)
from tests.fixtures.window import staff_window_1


def test_tally_counts_each_reason_once_per_group_most_first():
    rows = tally([("2026-11", "social", 1, 7, "attitude", "rating", "evaluator", True),
                  ("2026-11", "social", 1, 7, "attitude", "complaint", "hotline", True),
                  ("2026-11", "social", 1, 7, "attitude", "rating", "evaluator", False),
                  ("2026-11", "social", 1, 7, "attitude", "rating", "hotline", True),
                  ("2026-11", "tax", 2, 8, "process", "rating", "evaluator", True)])
    assert [(r["reason"], r["origin"], r["channel"], r["count"], r["bad"]) for r in rows] == [
        ("attitude", "rating", "evaluator", 2, 1), ("attitude", "complaint", "hotline", 1, 1),
        ("attitude", "rating", "hotline", 1, 1), ("process", "rating", "evaluator", 1, 1)]


def test_reasons_and_complaints_show_by_service_window_staff_and_in_the_report(hall):
    rate(hall, serve(hall), 1, ["attitude", "efficiency"])
    rate(hall, serve(hall), 2, ["efficiency"])
    rate(hall, serve(hall), 5)
    tk = serve(hall)
    # a rating that came by the 12345 hotline is still a rating (评价), by the channel 12345热线
    r = hall.post(hall.hp("/ratings/recorded"), "boss", json={
        "channel": "hotline", "visit": tk["number"], "level": 2, "reasons": ["efficiency"]})
    assert r.status == 201 and r.body["ticket_id"] == tk["id"], r.body
    r = hall.post(hall.hp("/ratings/recorded"), "boss", json={
        "channel": "onsite", "kind": "complaint", "service": "social", "window": 1,
        "reasons": ["efficiency"], "comment": "材料退回三次"})
    assert r.status == 201, r.body
    body = hall.get(hall.hp("/pain-points"), "boss").body
    eff = [x for x in body["rows"] if x["reason"] == "efficiency"]
    assert {(x["origin"], x["channel"], x["origin_name"], x["channel_name"], x["count"], x["bad"])
            for x in eff} == {("rating", "evaluator", "评价", "窗口评价器", 2, 2),
                              ("rating", "hotline", "评价", "12345热线", 1, 1),
                              ("complaint", "onsite", "投诉", "现场", 1, 1)}
    assert all(x["window"] == 1 and x["service_name"] for x in eff)
    assert all(x["staff_name"] == "王小明" for x in eff if x["channel"] != "onsite")
    assert body["by_reason"][0] == {"reason": "efficiency", "reason_name": "效率",
                                    "reason_name_en": "Efficiency", "count": 4}
    top = hall.get(hall.hp("/pain-points/top"), "clerk").body
    assert [(i["reason"], i["count"], i["complaints"]) for i in top["items"]] == [
        ("efficiency", 4, 1), ("attitude", 1, 0)]
    assert hall.get(hall.hp("/pain-points"), "clerk").status == 403
    assert hall.get(hall.hp("/pain-points/top?month=2026-13"), "boss").status == 400
    x = hall.get(hall.hp("/reports?format=xlsx"), "boss")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(x.raw))["堵点分析"]
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert ["效率", "评价", "窗口评价器", 2, 2] == got[0][4:]
    assert sorted(r[4:] for r in got if r[6] != "窗口评价器") == [
        ["效率", "投诉", "现场", 1, 1], ["效率", "评价", "12345热线", 1, 1]]
    report = hall.get(hall.hp("/reports"), "boss").body
    pains = next(tb for tb in report["tables"] if tb["key"] == "pain_points")
    assert pains["text_en"]["12345热线"] == "12345 hotline" and pains["text_en"]["投诉"] == "Complaint"


@pytest.fixture
def rated_live(live):
    """A live hall where 王小明 at window 1 got two bad ratings: efficiency twice, attitude once; and
    a 基本满意 from the suggestion box that names his window: environment."""
    api = live.api
    staff_window_1(api)
    rate(api, serve(api), 1, ["efficiency", "attitude"])
    rate(api, serve(api), 2, ["efficiency"])
    assert api.post(api.hp("/ratings/recorded"), "boss", json={
        "channel": "box", "level": 3, "window": 1, "reasons": ["environment"]}).status == 201
    return live


def test_the_managers_cases_page_shows_the_months_top_pain_points(rated_live, chromium):
    from tests.fixtures.window import login
    from tests.layout import WINDOW_PC, assert_fits
    context = chromium.new_context(viewport={"width": WINDOW_PC[0], "height": WINDOW_PC[1]}, locale="zh-CN")
    try:
        page = context.new_page()
        login(page, rated_live.url + "/manager/cases", "boss")
        page.wait_for_selector("#pain-points:not(.hidden) .pp-item")
        first = page.locator(".pp-item").first
        assert first.get_attribute("data-reason") == "efficiency" and "2 次" in first.inner_text()
        assert_fits(page, "cases-painpoints-1366-zh")
        page.click("#lang")
        page.wait_for_function("document.querySelector('.pp-item b').textContent === 'Efficiency'")
        assert_fits(page, "cases-painpoints-1366-en")
    finally:
        context.close()


def test_the_dashboard_shows_pain_points_as_bars_and_a_table(rated_live, chromium):
    from tests.layout import WINDOW_PC, assert_fits
    from tests.fixtures.pages import sign_in
    context = chromium.new_context(viewport={"width": WINDOW_PC[0], "height": WINDOW_PC[1]}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(rated_live.url + "/dashboard")
        sign_in(page, "boss", enter=True)
        page.wait_for_selector("#pain-table tbody tr")
        assert page.locator("#chart-pain rect").count() == 3  # efficiency, attitude, environment
        first = page.locator("#pain-table tbody tr").first
        assert first.get_attribute("data-reason") == "efficiency" and "王小明" in first.inner_text()
        page.locator("#pain-panel").scroll_into_view_if_needed()
        assert_fits(page, "dashboard-painpoints-1366-zh")
        from tests.layout import SHOTS
        page.locator("#pain-panel").screenshot(path=str(SHOTS / "dashboard-painpoints-panel-zh.png"))
        page.click("#lang")
        page.wait_for_function("document.querySelector('#pain-table td:nth-child(4)').textContent === 'Efficiency'")
        assert_fits(page, "dashboard-painpoints-1366-en")
        boxed = page.locator("#pain-table tbody tr[data-reason=environment] td")
        assert boxed.nth(4).inner_text() == "Rating" and boxed.nth(5).inner_text() == "Suggestion box"
        page.locator("#pain-panel").screenshot(path=str(SHOTS / "dashboard-painpoints-panel-en.png"))
    finally:
        context.close()


def test_the_months_flags_and_star_follow_the_league_and_the_halls_rule(hall, ctx):
    from tests.api.window.test_province_outbox import set_rules
    set_rules(ctx, star_min_ratings=2)
    hall.tokens["clerk2"] = hall.add_staff("clerk2", [4], name="赵敏")
    hall.add_device("eval4", "evaluator", [4])
    assert hall.act(4, "sign-in", "clerk2").status == 200
    for level in (5, 5, 4):
        rate(hall, serve(hall), level)
    tk = hall.issue("agri").body  # window 4 (农业综合): one visit, rated badly
    assert hall.act(4, "call-next", "clerk2").body["ticket"]["id"] == tk["id"]
    assert hall.act(4, "finish", "clerk2", {"outcome": "immediate"}).status == 200
    r = hall.post(hall.hp(f"/tickets/{tk['id']}/rating"), "eval4", json={"level": 1})
    assert r.status == 201
    got = hall.get(hall.hp("/honours")).body  # public, as the wall shows it
    assert got["star"]["name"] == "王小明" and got["star"]["ratings"] == 3  # 赵敏 has one rating only
    assert 1 in got["month_flags"]["red"]["windows"]  # the social-affairs team leads the month
    assert got["month_flags"]["yellow"]["team"] != got["month_flags"]["red"]["team"]
    assert got["quarter_flags"]["red"]["team"] == got["month_flags"]["red"]["team"]
    set_rules(ctx, star_min_ratings=5)
    assert hall.get(hall.hp("/honours")).body["star"] is None
    assert hall.get(hall.hp("/honours?month=2026-13")).status == 400


def test_on_sqlite_and_postgresql_a_rating_by_12345_or_the_box_is_a_rating_and_a_complaint_is_a_complaint(any_api):
    """来源 follows what the record is, not how it came: seed 002 lists 投诉电话 and 意见箱 among the
    channels of 好差评 itself, so a level given by phone or in the box is a rating (评价); only a
    complaint (投诉, no level) is 投诉. The channel stays beside it."""
    api = any_api
    staff_window_1(api)
    rate(api, serve(api), 2, ["process"])
    by_phone = serve(api)
    for body in ({"channel": "hotline", "visit": by_phone["number"], "level": 1, "reasons": ["process"]},
                 {"channel": "box", "level": 3, "service": "social", "reasons": ["process"]},
                 {"channel": "box", "kind": "complaint", "service": "social", "reasons": ["process"],
                  "comment": "意见箱：材料要交三次"},
                 {"channel": "hotline", "kind": "complaint", "service": "social", "reasons": ["process"],
                  "comment": "电话投诉：流程太繁"}):
        r = api.post(api.hp("/ratings/recorded"), "boss", json=body)
        assert r.status == 201, r.body
    rows = api.get(api.hp("/pain-points"), "boss").body["rows"]
    got = sorted((x["origin_name"], x["channel_name"], x["count"], x["bad"]) for x in rows)
    assert got == [("投诉", "12345热线", 1, 1), ("投诉", "意见箱", 1, 1),
                   ("评价", "12345热线", 1, 1), ("评价", "意见箱", 1, 0), ("评价", "窗口评价器", 1, 1)]
    assert {(x["origin_name_en"], x["channel_name_en"]) for x in rows} >= {
        ("Rating", "Suggestion box"), ("Complaint", "12345 hotline")}
    top = api.get(api.hp("/pain-points/top"), "boss").body["items"]
    assert [(i["reason"], i["count"], i["complaints"], i["bad"]) for i in top] == [("process", 5, 2, 4)]
    x = api.get(api.hp("/reports?format=csv&table=pain_points"), "boss")
    lines = x.raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[4:7] == ["原因", "来源", "渠道"]
    # the report's table on the dashboard says the same two words in English: what it is, how it came
    table = next(tb for tb in api.get(api.hp("/reports"), "boss").body["tables"] if tb["key"] == "pain_points")
    assert [(c["zh"], c["en"]) for c in table["columns"][4:7]] == [
        ("原因", "Reason"), ("来源", "Origin"), ("渠道", "Channel")]
    assert sorted(tuple(line.split(",")[5:7]) for line in lines[1:]) == [
        ("投诉", "12345热线"), ("投诉", "意见箱"), ("评价", "12345热线"), ("评价", "意见箱"),
        ("评价", "窗口评价器")]
