"""The ticket's phone page after the visit: a visit not rated at the window is rated here once,
within the hall's hours; a bad rating may leave a phone for the 回访 only with consent ticked.
Real Chromium at 390x844, Chinese and English."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking fixtures)

from sqlalchemy import select

from server.store import tables as t
from tests.api.window.test_province_outbox import serve
from tests.layout import PHONE, assert_fits


def _token(ctx, ticket_id):
    with ctx.db.read() as conn:
        return conn.execute(select(t.tickets.c.token).where(t.tickets.c.id == ticket_id)).scalar()


def test_a_resident_rates_badly_from_the_phone_and_leaves_a_phone_with_consent(live, ctx, chromium):
    api = live.api
    api.tokens["clerk"] = api.add_staff("clerk", [1], name="王小明")
    api.add_staff("boss", [], role="manager", name="李主任")
    assert api.act(1, "sign-in", "clerk").status == 200
    tk = serve(api)
    good = serve(api)
    context = chromium.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, is_mobile=True,
                                   locale="zh-CN")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        # a phone that blocks sound until a tap (as most do): the page would offer to turn it on
        page.add_init_script("Object.defineProperty(AudioContext.prototype, 'state', "
                             "{ get() { return 'suspended'; } });")
        page.goto(f"{live.url}/t/{_token(ctx, tk['id'])}")
        page.wait_for_selector("#rate:not(.hidden) .rt-level")
        assert page.locator(".rt-level").count() == 5
        assert not page.locator("#sound").is_visible()  # a finished ticket is not called again: no call sound
        assert page.locator("#rate-send").is_disabled()
        page.click('.rt-level[data-level="1"]')
        page.click('.rt-reason[data-reason="efficiency"]')
        page.fill("#rate-phone", "13812345678")
        assert_fits(page, "track-rate-390x844-zh")
        page.click("#rate-send")  # no consent ticked: refused, nothing kept
        page.wait_for_selector("#rate-error:not(.hidden)")
        assert "同意" in page.inner_text("#rate-error")
        page.check("#rate-consent")
        page.click("#rate-send")
        page.wait_for_selector("#rate-thanks")
        assert_fits(page, "track-rate-thanks-390x844-zh")
        case = api.get(api.hp("/review-cases"), "boss").body[0]
        assert case["contact_masked"] == "138****5678"
        assert case["rating"]["reasons"] == ["efficiency"] and case["rating"]["channel"] == "ticket"

        page.goto(f"{live.url}/t/{_token(ctx, good['id'])}")
        page.wait_for_selector("#rate:not(.hidden) .rt-level")
        page.click("#lang")
        assert page.inner_text('.rt-level[data-level="5"]') == "Very satisfied"
        page.click('.rt-level[data-level="2"]')
        assert page.locator("#rate-consent").count() == 1
        assert_fits(page, "track-rate-390x844-en")
        page.click('.rt-level[data-level="5"]')
        assert page.locator("#rate-consent").count() == 0  # a good rating keeps no phone
        page.click("#rate-send")
        page.wait_for_selector("#rate-thanks")
        page.reload()
        page.wait_for_selector("#card:not(.hidden)")
        page.wait_for_timeout(300)
        assert page.locator("#rate").is_hidden()  # rated once: nothing more to rate
        assert errors == []
    finally:
        context.close()
