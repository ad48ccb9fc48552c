"""帮办代办 in real Chromium: a resident asks on the phone (390x844), an agent at a window PC
(1366x768) takes it on /manager/assist, calls the resident (phone shown once asked), and delivers;
in Chinese and English nothing overflows."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

from tests.fixtures.pages import sign_in
from tests.layout import PHONE, WINDOW_PC, assert_fits, set_lang, sized


def test_a_resident_asks_on_the_phone_and_an_agent_works_it_to_delivery(chromium, live):
    api = live.api
    api.add_staff("agent1", [], role="agent", name="帮办员甲")
    errors: list[str] = []
    ctx_phone = chromium.new_context(locale="zh-CN")
    try:
        page = sized(ctx_phone.new_page(), PHONE)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live.url + "/assist")
        page.wait_for_selector("body[data-loaded]")
        assert_fits(page, "assist-phone-zh")
        page.select_option("#service", "social")
        page.fill("#matter", "代领高龄补贴")
        page.fill("#name", "欧阳娜娜")
        page.fill("#phone", "138 0013 8000")
        page.check('input[name="delivery"][value="home"]')
        assert page.locator("#village").is_visible()
        page.click("#submit")
        page.wait_for_selector("#error:not(.hidden)")  # a home visit needs the village
        assert "村" in page.inner_text("#error")
        page.fill("#village", "三都村")
        page.click("#submit")
        page.wait_for_selector("body[data-sent]")
        rid = page.get_attribute("body", "data-sent")
        assert page.inner_text("#ref") == rid and "办结期限" in page.inner_text("#due")
        assert_fits(page, "assist-phone-done-zh")
        set_lang(page, "en")
        page.wait_for_selector("body[data-loaded]")
        assert "working days" in page.inner_text("#limit-note")
        assert_fits(page, "assist-phone-en")
    finally:
        ctx_phone.close()

    # another agent's request (taken at the desk with a note)
    api.add_staff("agent2", [], role="agent", name="帮办员乙")
    api.add_staff("boss", [], role="manager", name="李主任")
    theirs = api.post(api.hp("/assist"), "boss", json={
        "service": "social", "matter": "代办低保年审", "name": "张三", "phone": "13900139000",
        "delivery": "pickup", "source": "desk", "note": "行动不便"}).body["id"]
    assert api.post(api.hp(f"/assist/{theirs}/assign"), "boss", json={"agent": "agent2"}).status == 200
    ctx_pc = chromium.new_context(locale="zh-CN")
    try:
        page = sized(ctx_pc.new_page(), WINDOW_PC)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live.url + "/manager/assist")
        sign_in(page, "agent1")
        card = page.locator(f'article[data-id="{rid}"]')
        card.wait_for()
        assert "欧*" in card.inner_text() and "13800138000" not in card.inner_text()
        # an agent sees only 认领 on an unassigned request (the work buttons would be refused: 403)
        assert card.locator("select").count() == 0 and card.locator('[data-action="contact"]').count() == 0
        assert card.locator('[data-action="in_progress"]').count() == 0
        other = page.locator(f'article[data-id="{theirs}"]')
        other.wait_for()
        assert other.locator("button, select").count() == 0  # another agent's: nothing to press
        assert "渠道：手机" in card.inner_text()
        card.locator('[data-action="take"]').click()
        page.wait_for_selector(f'article[data-id="{rid}"] .as-meta >> text=帮办员甲')
        card.locator('[data-action="contact"]').click()
        page.wait_for_selector(f'article[data-id="{rid}"] .as-phone')
        assert card.locator(".as-phone").inner_text() == "13800138000"
        card.locator('[data-action="in_progress"]').click()
        page.wait_for_selector(f'article[data-id="{rid}"] [data-action="done"]')
        assert_fits(page, "assist-list-zh")
        card.locator('[data-action="done"]').click()
        page.wait_for_selector(f'article[data-id="{rid}"] [data-action="delivered"]')
        set_lang(page, "en")
        page.wait_for_selector(f'article[data-id="{rid}"] [data-action="delivered"]')
        assert_fits(page, "assist-list-en")
        page.locator(f'article[data-id="{rid}"] [data-action="delivered"]').click()
        page.wait_for_selector(f'article[data-id="{rid}"]', state="detached")
    finally:
        ctx_pc.close()
    assert errors == []
    rows = api.get(api.hp("/assist?status=closed"), "agent1").body
    assert rows[0]["id"] == int(rid) and rows[0]["status"] == "delivered"
