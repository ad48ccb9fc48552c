"""A staff member named `<script>…</script><img onerror=…>` and a pause reason with markup show
as text on every page in a real Chromium: nothing runs, nothing is injected, and each page sends
a strict Content-Security-Policy. Pages not installed yet (404) are skipped with a note."""
from __future__ import annotations

import warnings

import pytest

from tests.api.hardening.helpers import staffed

PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
REASON = '<img src=x onerror="window.__pwned=3">会议'


@pytest.fixture
def marked_hall(live):
    api = live.api
    xss = api.add_staff("xss", [1], name=PAYLOAD)
    assert api.act(1, "sign-in", "xss").status == 200
    api.add_device("eval1", "evaluator", [1])
    api.add_staff("boss", [], role="manager", name=PAYLOAD)
    other = staffed(api, (2,))[2]
    # a finished visit rated 非常不满意 (opens a review case), a ticket being served, a paused window
    first = api.issue("social").body
    api.act(1, "call-next", "xss")
    api.act(1, "finish", "xss", {"outcome": "immediate", "note": PAYLOAD})
    r = api.post(api.hp(f"/tickets/{first['id']}/rating"), "eval1", json={"level": 1})
    assert r.status == 201, r.body
    second = api.issue("social").body
    api.act(1, "call-next", "xss")
    api.act(2, "pause", other, {"reason": REASON})
    api.xss_token, api.track_token = xss, second["token"]
    return api


def _pages(api):
    t = api.tokens
    return [  # (path, localStorage token key, token)
        ("/caller", "hallq.token", t["xss"]),
        ("/display", None, None),
        ("/wall", None, None),
        ("/dashboard", "hallq.token", t["boss"]),
        ("/manager/cases", "hallq.token", t["boss"]),
        ("/desk", "hallq.token", t["boss"]),
        (f"/evaluator/1?token={t['eval1']}", None, None),
        ("/book", None, None),
        (f"/t/{api.track_token}", None, None),
    ]


@pytest.mark.browser
def test_markup_in_names_and_reasons_is_shown_as_text_on_every_page(marked_hall, live, chromium):
    import requests
    skipped, shown_on = [], []
    for path, key, token in _pages(marked_hall):
        r = requests.get(live.url + path, timeout=10)
        if r.status_code == 404:
            skipped.append(path)
            continue
        assert r.status_code == 200, (path, r.status_code)
        csp = r.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, (path, csp)
        assert "object-src 'none'" in csp and "default-src 'self'" in csp

        bctx = chromium.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN")
        if key:
            bctx.add_init_script(f"localStorage.setItem({key!r}, {token!r});")
        page = bctx.new_page()
        violations = []
        page.on("console", lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        try:
            page.goto(live.url + path, wait_until="networkidle")
            page.wait_for_timeout(500)  # live data and the event stream have arrived
            assert page.evaluate("typeof window.__pwned") == "undefined", path
            injected = page.evaluate("""() => [
                document.querySelectorAll('img[src="x"]').length,
                [...document.scripts].filter(s => s.textContent.includes('__pwned')).length]""")
            assert injected == [0, 0], (path, injected)
            text = page.evaluate("document.body.innerText")
            if "window.__pwned=1" in text or 'onerror="window.__pwned=3"' in text:
                shown_on.append(path)  # the markup is there, as characters
            assert not violations, (path, violations)  # nothing even tried to run inline
        finally:
            bctx.close()
    if skipped:
        warnings.warn(f"pages not installed yet, not checked: {skipped}")
    assert len(skipped) < len(_pages(marked_hall)), "no page to check"
    print("markup shown as text on:", shown_on, "skipped:", skipped)
    # the staff name must show (as text) at least where the hall shows who serves
    shown = {p.split("?")[0] for p in shown_on}
    assert {"/caller", "/wall", "/evaluator/1"} <= shown, shown_on
