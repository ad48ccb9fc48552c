"""The /admin tab 好差评上报: each record for the province with its status, the failing ones with
their last error and a retry button, and the file export; at the office PC's 1366x768, zh and en."""
from __future__ import annotations

from tests.fixtures.admin import *  # noqa: F401,F403  (the admin fixtures)

import json

from server.services import outbox
from tests.api.window.test_province_outbox import rate, serve, set_province
from tests.fixtures.pages import sign_in
from tests.layout import assert_fits
from tests.support import free_port


def test_an_admin_sees_which_ratings_reached_the_province_and_retries_a_failing_one(chromium, live, ctx):
    api = live.api
    api.add_device("eval1", "evaluator", [1])
    api.add_device("cs1", "casesys", [1])
    api.add_staff("root", [], role="admin", name="系统管理员")
    api.tokens["clerk"] = api.add_staff("clerk", [1], name="王小明")
    assert api.act(1, "sign-in", "clerk").status == 200
    set_province(ctx, url=f"http://127.0.0.1:{free_port()}/down", timeout_s=1, retry_base_s=60)
    rate(api, serve(api, "BJ-2026-000123"), 1, ["attitude"])
    rate(api, serve(api), 5)
    # a 12345 complaint that names no visit: no level, and the page must say 投诉 rather than "—"
    assert api.post(api.hp("/ratings/recorded"), "clerk", json={
        "channel": "hotline", "kind": "complaint", "service": "social",
        "comment": "电话没人接"}).status == 201
    assert outbox.deliver_due(ctx) == {"sent": 0, "failed": 3}
    errors: list[str] = []
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                   accept_downloads=True)
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live.url + "/admin")
        sign_in(page, "root")
        page.wait_for_selector("body[data-loaded]")
        assert page.inner_text("#count-outbox") == "3"
        page.click("#tab-outbox")
        rows = page.locator("#outbox-table tbody tr")
        assert rows.count() == 3
        first = page.locator('#outbox-table tr[data-record="main-R1"]')
        assert "BJ-2026-000123" in first.inner_text() and "重试中" in first.inner_text()
        assert "ConnectionError" in first.inner_text() and "窗口评价器" in first.inner_text()
        complaint = page.locator('#outbox-table tr[data-record="main-R3"] td')
        assert [complaint.nth(i).inner_text() for i in (3, 4)] == ["投诉", "12345热线"]
        assert_fits(page, "admin-outbox-1366-zh", allow_cut=("#outbox-table td.name",))
        page.click("#lang")
        assert "Retrying" in first.inner_text() and "Window evaluator" in first.inner_text()
        assert [complaint.nth(i).inner_text() for i in (3, 4)] == ["Complaint", "12345 hotline"]
        assert_fits(page, "admin-outbox-1366-en", allow_cut=("#outbox-table td.name",))
        with page.expect_download() as dl:
            page.click("#outbox-json")
        got = json.loads(open(dl.value.path(), encoding="utf-8").read())
        assert [r["办件编号"] for r in got] == ["BJ-2026-000123", None, None]
        first.locator("button").click()
        page.wait_for_timeout(300)
        assert errors == []
    finally:
        context.close()
    due = [r for r in outbox.overview(ctx, "main")["records"] if r["record_id"] == "main-R1"][0]
    assert due["next_try_at"] <= outbox.overview(ctx, "main")["records"][1]["next_try_at"]
