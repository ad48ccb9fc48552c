"""Kiosk and booking endpoints are rate limited: a stuck kiosk or a script cannot flood the queue
or the booking book; the limit answers 429 with a message, and other devices go on."""
from __future__ import annotations

from server.services.limits import Limiter


def test_a_kiosk_that_issues_too_fast_is_slowed_and_others_go_on(api, app, monkeypatch):
    monkeypatch.setenv("HALLQ_ISSUE_PER_MIN", "5")
    app.extensions["hallq"].limiter = Limiter()
    api.add_device("kiosk2", "kiosk")
    got = [api.issue("social").status for _ in range(7)]
    assert got == [201] * 5 + [429] * 2
    r = api.issue("social")
    assert r.body["error"] == "rate_limited" and "(" in r.body["message"]  # 中文 (English)
    assert api.issue("social", token="kiosk2").status == 201  # per device
    # check-in shares the kiosk's budget
    r = api.post(api.hp("/appointments/check-in"), "kiosk", json={"code": "X" * 20})
    assert r.status == 429


def test_booking_endpoints_are_limited_per_address(api, app, monkeypatch):
    monkeypatch.setenv("HALLQ_PUBLIC_PER_MIN", "4")
    app.extensions["hallq"].limiter = Limiter()
    body = {"service": "social", "date": "2000-01-01", "slot": "09:00-09:30", "name": "张三",
            "phone": "13800138000", "id_number": "x"}
    statuses = [api.post(api.hp("/appointments"), json=body).status for _ in range(4)]
    assert 429 not in statuses
    assert api.post(api.hp("/appointments"), json=body).status == 429
    assert api.get(api.hp("/appointments/ABCDEF")).status == 429  # lookups by code too
    assert api.request("DELETE", api.hp("/appointments/ABCDEF")).status == 429
