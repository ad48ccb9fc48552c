"""Issue 15, item 3: one anonymous client booked a whole day (34 bookings from one address with
generated ID numbers took all 17 seats of a service). Now: one active booking per ID number per
service and day, and hourly limits per phone number and per address, set in the hall config."""
from __future__ import annotations

from datetime import timedelta

import pytest

from server.domain.identity import make_id_number
from server.services.halls import load_hall, read_config
from tests.fixtures.booking import TUESDAY_0900, WEDNESDAY, Clock, choose_on_book, clock  # noqa: F401  (fixture)

SLOTS = ["08:30-09:00", "09:00-09:30", "09:30-10:00", "10:00-10:30", "10:30-11:00", "11:00-11:30",
         "11:30-12:00", "14:00-14:30", "14:30-15:00", "15:00-15:30", "15:30-16:00", "16:00-16:30",
         "16:30-17:00"]


def open_day(api) -> str:
    api.ctx.clock = Clock(TUESDAY_0900)
    return WEDNESDAY


def person(n: int, phone: str | None = None) -> dict:
    return {"name": "欧阳娜娜", "phone": phone or f"1390000{n:04d}",
            "id_number": make_id_number(f"11010519491231{n:03d}")}


def book_body(api, day=WEDNESDAY, service="social", slot="10:00-10:30", n=0, phone=None, **over):
    return {"service": service, "date": day, "slot": slot, **person(n, phone), **over}


def post_from(app, addr: str, body: dict):
    r = app.test_client().post("/api/v1/halls/main/appointments", json=body,
                               environ_base={"REMOTE_ADDR": addr})
    return r.status_code, r.get_json()


def test_one_client_can_no_longer_book_a_whole_day(api, app, clock, monkeypatch):
    """The attack as reported: generated ID numbers, one phone each, one address (slowly enough
    for the per-minute request limit)."""
    from server.services.limits import Limiter
    monkeypatch.setenv("HALLQ_PUBLIC_PER_MIN", "1000")
    app.extensions["hallq"].limiter = Limiter()
    results = []
    for i in range(34):
        slot = SLOTS[i % len(SLOTS)]
        results.append(post_from(app, "10.0.0.66", book_body(api, slot=slot, n=100 + i)))
    booked = [b for s, b in results if s == 201]
    refused = [(s, b) for s, b in results if s != 201]
    assert len(booked) == 10  # the hall's default per_address_per_hour
    assert {(s, b["error"]) for s, b in refused} == {(429, "address_limit")}
    assert "1小时" in refused[0][1]["message"] and "per hour" in refused[0][1]["message"]
    # other residents go on booking
    status, body = post_from(app, "10.0.0.67", book_body(api, slot="16:30-17:00", n=300))
    assert status == 201, body
    # an hour later the address may book again
    clock.now += timedelta(minutes=61)
    assert post_from(app, "10.0.0.66", book_body(api, slot="16:30-17:00", n=301))[0] == 201


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(api, app, clock, monkeypatch):
    """nginx in front (docs/operations.md): the limits count X-Real-IP, not the proxy."""
    monkeypatch.setenv("HALLQ_TRUSTED_PROXIES", "127.0.0.1")

    def via_proxy(real_ip, body):
        r = app.test_client().post("/api/v1/halls/main/appointments", json=body,
                                   environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                   headers={"X-Real-IP": real_ip})
        return r.status_code, r.get_json()
    got = [via_proxy("10.7.0.1", book_body(api, slot=SLOTS[i], n=500 + i))[0] for i in range(11)]
    assert got == [201] * 10 + [429]
    assert via_proxy("10.7.0.2", book_body(api, slot=SLOTS[11], n=520))[0] == 201
    # an untrusted sender cannot pick its address by a header: all of these are 127.0.0.1's
    monkeypatch.setenv("HALLQ_TRUSTED_PROXIES", "")
    got = [via_proxy(f"10.8.0.{i}", book_body(api, service="agri", slot=SLOTS[i], n=600 + i))
           for i in range(11)]
    assert [s for s, _ in got] == [201] * 10 + [429] and got[-1][1]["error"] == "address_limit"


def test_one_active_booking_per_id_number_per_service_and_day(api, app, clock):
    first = post_from(app, "10.0.1.1", book_body(api, slot="09:00-09:30", n=1))
    assert first[0] == 201
    again = post_from(app, "10.0.1.2", book_body(api, slot="14:00-14:30", n=1, phone="13911112222"))
    assert again[0] == 409 and again[1]["error"] == "already_booked"
    assert "同一业务" in again[1]["message"]
    # another service the same day, or the same service another day: fine
    assert post_from(app, "10.0.1.3", book_body(api, service="agri", n=1, phone="13911113333"))[0] == 201
    assert post_from(app, "10.0.1.4", book_body(api, day="2026-11-26", n=1,
                                                phone="13911114444"))[0] == 201
    # cancelled is not active: the resident may choose another slot
    code = first[1]["code"]
    assert app.test_client().delete(f"/api/v1/halls/main/appointments/{code}").status_code == 200
    assert post_from(app, "10.0.1.5", book_body(api, slot="14:00-14:30", n=1,
                                                phone="13911115555"))[0] == 201


def test_one_phone_number_books_at_most_three_an_hour(api, app, clock):
    phone = "13700001111"
    got = [post_from(app, f"10.0.2.{i}", book_body(api, slot=SLOTS[i], n=200 + i, phone=phone))
           for i in range(5)]
    assert [s for s, _ in got] == [201, 201, 201, 429, 429]
    assert got[3][1]["error"] == "phone_limit" and "手机号" in got[3][1]["message"]
    # cancelling does not give the budget back (book-cancel loops)
    client = app.test_client()
    assert client.delete(f"/api/v1/halls/main/appointments/{got[0][1]['code']}").status_code == 200
    assert post_from(app, "10.0.2.9", book_body(api, slot=SLOTS[9], n=209, phone=phone))[0] == 429
    clock.now += timedelta(minutes=61)
    assert post_from(app, "10.0.2.9", book_body(api, slot=SLOTS[9], n=209, phone=phone))[0] == 201


def test_the_limits_are_set_in_the_hall_config(api, app, ctx, clock):
    data = read_config()
    data["booking"] = {**data["booking"], "per_phone_per_hour": 1, "per_address_per_hour": 2}
    load_hall(ctx, data)
    assert post_from(app, "10.0.3.1", book_body(api, slot=SLOTS[0], n=1, phone="13700002222"))[0] == 201
    s, b = post_from(app, "10.0.3.2", book_body(api, slot=SLOTS[1], n=2, phone="13700002222"))
    assert (s, b["error"]) == (429, "phone_limit")
    assert post_from(app, "10.0.3.1", book_body(api, slot=SLOTS[2], n=3))[0] == 201
    s, b = post_from(app, "10.0.3.1", book_body(api, slot=SLOTS[3], n=4))
    assert (s, b["error"]) == (429, "address_limit")
    info = api.get(api.hp("/appointments/info")).body
    assert info["per_phone_per_hour"] == 1 and info["per_address_per_hour"] == 2
    data["booking"]["per_phone_per_hour"] = 0  # 0 is not "no limit": refused when loading
    from server.domain.errors import Invalid
    with pytest.raises(Invalid):
        load_hall(ctx, data)


def test_the_limit_keys_are_keyed_hashes_and_are_erased_with_the_booking(api, app, ctx, clock):
    from sqlalchemy import select

    from server.services import privacy
    from server.store import tables as t
    who = person(5, phone="13700003333")
    assert post_from(app, "10.9.8.7", book_body(api, n=5, phone="13700003333"))[0] == 201
    with ctx.db.read() as conn:
        row = conn.execute(select(t.appointments)).one()
    assert row.phone_hash and row.addr_hash and len(row.phone_hash) == 64
    assert who["phone"] not in repr(tuple(row)) and "10.9.8.7" not in repr(tuple(row))
    clock.now += timedelta(days=400)
    privacy.purge(ctx)
    with ctx.db.read() as conn:
        row = conn.execute(select(t.appointments)).one()
    assert row.phone_hash is None and row.addr_hash is None


def test_the_booking_page_shows_why_a_booking_was_refused(live, ctx, clock, chromium):
    api = live.api
    phone = "13700004444"
    for i in range(3):
        r = api.post(api.hp("/appointments"), json=book_body(api, slot=SLOTS[i], n=400 + i, phone=phone))
        assert r.status == 201, r.body
    context = chromium.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    try:
        choose_on_book(page, live.url, slot="15:00-15:30")
        who = person(410)
        page.fill("#name", who["name"])
        page.fill("#phone", phone)
        page.fill("#idnum", who["id_number"])
        page.click("#submit")
        err = page.locator("#form-error")
        err.wait_for(state="visible")
        assert "手机号" in err.inner_text() and "1小时" in err.inner_text()
        page.screenshot(path="/tmp/shots/book-refused-phone-limit.png", full_page=True)
    finally:
        context.close()
