"""Booking a slot: working days on the Chinese calendar, seats, limits, cancelling, privacy."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking fixtures)

import json

from sqlalchemy import select

from server.store import tables as t
from tests.fixtures.booking import WEDNESDAY, Clock, book, local, resident


def slots(api, service="social", date=WEDNESDAY):
    r = api.get(api.hp(f"/appointments/slots?service={service}&date={date}"))
    assert r.status == 200, r.body
    return {s["slot"]: s for s in r.body["slots"]}


def test_a_day_is_cut_into_slots_with_seats_and_wednesday_evening_slots(api, clock):
    wed = slots(api)
    assert list(wed)[:2] == ["08:30-09:00", "09:00-09:30"]
    assert "12:00-12:30" not in wed and "14:00-14:30" in wed  # lunch break
    assert wed["10:00-10:30"]["left"] == 2 and not wed["10:00-10:30"]["extended"]
    assert wed["18:00-18:30"]["extended"] and wed["18:00-18:30"]["capacity"] == 1  # 延时服务
    assert "18:00-18:30" not in slots(api, date="2026-11-26")  # Thursday: no evening slots
    assert "18:00-18:30" not in slots(api, service="agri")  # not a service with evening hours
    assert slots(api, service="hukou")["10:00-10:30"]["capacity"] == 1  # per-service override
    today = slots(api, date="2026-11-24")  # the clock says 09:00 on Tuesday
    assert not today["08:30-09:00"]["available"] and today["09:30-10:00"]["available"]


def test_a_booking_gives_a_signed_code_a_qr_and_masked_details_only(api, clock):
    r = book(api, who=1)
    assert r.status == 201, r.body
    b = r.body
    assert b["status"] == "booked" and b["slot"] == "10:00-10:30" and b["date"] == WEDNESDAY
    assert b["checkin_from"] == "09:30" and b["checkin_until"] == "10:15"
    assert b["qr_svg"].startswith("data:image/svg+xml")
    who = resident(1)
    assert b["name_masked"] == "张*" and b["phone_masked"] == "138****0001"
    assert b["id_masked"].startswith("3301") and "*" in b["id_masked"]
    with api.ctx.db.read() as conn:
        row = conn.execute(select(t.appointments)).one()
        stored = json.dumps([str(v) for v in row])
        events = conn.execute(select(t.events).where(t.events.c.type.like("appointment.%"))).all()
    for secret in (who["id_number"], who["phone"], who["name"]):
        assert secret not in stored and secret not in json.dumps([e.data for e in events])
    assert row.name_enc is None and row.phone_enc is None
    assert [e.type for e in events] == ["appointment.booked"]
    assert events[0].data["appointment"]["slot"] == "10:00-10:30" and "code" not in events[0].data
    assert slots(api)["10:00-10:30"]["left"] == 1
    shown = api.get(api.hp(f"/appointments/{b['code']}"))
    assert shown.status == 200 and shown.body["status"] == "booked"


def test_bad_details_are_refused_with_a_reason(api, clock):
    assert book(api, id_number="330102198001010010").body["error"] == "invalid_id_number"  # check digit
    assert book(api, phone="12345").body["error"] == "invalid_phone"
    assert book(api, name="  ").body["error"] == "invalid_name"
    assert book(api, slot="10:10-10:40").body["error"] == "unknown_slot"
    assert book(api, service="nope").status == 404
    assert book(api, date="2026-12-25").body["error"] == "too_far"
    assert book(api, date="2026-11-23").body["error"] == "past_date"
    assert book(api, date="2026-11-24", slot="08:30-09:00").body["error"] == "slot_passed"
    r = api.post(api.hp("/appointments"), json={"service": "social"})
    assert r.status == 400 and r.body["error"] == "invalid"


def test_a_booking_across_the_national_day_holiday_is_refused_and_a_makeup_workday_accepted(api, ctx):
    ctx.clock = Clock(local("2026-09-30", "10:00"))
    r = book(api, date="2026-10-02")
    assert r.status == 400 and r.body["error"] == "not_workday"
    assert "国庆节" in r.body["message"]
    assert slots(api, date="2026-10-02") == {}
    ctx.clock = Clock(local("2026-10-05", "10:00"))
    days = {d["date"]: d for d in api.get(api.hp("/appointments/days?service=social")).body["days"]}
    assert not days["2026-10-07"]["workday"] and days["2026-10-07"]["holiday"] == "National Day"
    assert days["2026-10-10"]["workday"] and days["2026-10-10"]["makeup_workday"]  # 调休上班 (Saturday)
    assert not days["2026-10-11"]["workday"]  # an ordinary Sunday
    r = book(api, date="2026-10-10", slot="09:00-09:30")
    assert r.status == 201, r.body


def test_one_id_number_books_at_most_two_slots_a_day_one_per_service(api, clock):
    assert book(api, slot="09:00-09:30", who=3).status == 201
    again = book(api, slot="09:00-09:30", who=3)
    assert again.status == 409 and again.body["error"] == "already_booked"
    other_slot = book(api, slot="11:00-11:30", who=3)  # the same service: one a day
    assert other_slot.status == 409 and other_slot.body["error"] == "already_booked"
    assert book(api, service="agri", slot="10:00-10:30", who=3).status == 201
    third = book(api, service="hukou", slot="11:00-11:30", who=3)
    assert third.status == 409 and third.body["error"] == "daily_limit"
    assert book(api, date="2026-11-26", who=3).status == 201  # another day


def test_a_full_slot_is_refused_and_cancelling_frees_the_seat(api, clock):
    first = book(api, service="hukou", who=1)
    assert first.status == 201
    full = book(api, service="hukou", who=2)
    assert full.status == 409 and full.body["error"] == "slot_full" and "约满" in full.body["message"]
    r = api.request("DELETE", api.hp(f"/appointments/{first.body['code']}"))
    assert r.status == 200 and r.body["status"] == "cancelled"
    assert api.request("DELETE", api.hp(f"/appointments/{first.body['code']}")).status == 409
    assert book(api, service="hukou", who=2).status == 201
    with api.ctx.db.read() as conn:
        types = [e.type for e in conn.execute(select(t.events).order_by(t.events.c.id)).all()]
    assert types == ["appointment.booked", "appointment.cancelled", "appointment.booked"]


def test_the_holder_cannot_cancel_once_the_slot_started_but_staff_can(api, clock):
    b = book(api, who=1).body
    clock.set(WEDNESDAY, "10:05")
    r = api.request("DELETE", api.hp(f"/appointments/{b['code']}"))
    assert r.status == 409 and r.body["error"] == "too_late_to_cancel"
    api.add_staff("clerk", [1])
    r = api.request("DELETE", api.hp(f"/appointments/{b['code']}"), "clerk")
    assert r.status == 200 and r.body["status"] == "cancelled"
    listed = api.get(api.hp(f"/appointments?date={WEDNESDAY}"), "clerk")
    assert listed.status == 200 and listed.body[0]["status"] == "cancelled"
    assert "code" not in listed.body[0]
    assert api.get(api.hp(f"/appointments?date={WEDNESDAY}")).status == 401


def test_public_booking_is_rate_limited(api, clock, monkeypatch):
    api.ctx.limiter.public.limit = 3
    codes = [book(api, who=i, slot="14:00-14:30" if i < 2 else "14:30-15:00").status for i in range(4)]
    assert codes[:3] == [201, 201, 201] and codes[3] == 429


def test_every_appointment_route_is_in_the_openapi_document(api):
    paths = api.get("/api/openapi.json").body["paths"]
    for p in ("/api/v1/halls/{hall}/appointments", "/api/v1/halls/{hall}/appointments/slots",
              "/api/v1/halls/{hall}/appointments/{code}", "/api/v1/halls/{hall}/appointments/check-in"):
        assert p in paths, p


def test_progress_by_booking_code_shows_the_booking_and_nothing_personal(api, clock):
    r = book(api)
    assert r.status == 201, r.body
    code = r.body["code"]
    p = api.get(api.hp(f"/progress/{code}"))
    assert p.status == 200 and p.body["kind"] == "booking" and p.body["booking"]["status"] == "booked"
    assert "ticket" not in p.body
    text = str(p.body)
    for personal in (resident(0)["phone"], resident(0)["id_number"], resident(0)["name"]):
        assert personal not in text
    forged = code[:-1] + ("Y" if code.endswith("X") else "X")
    assert api.get(api.hp(f"/progress/{forged}")).status in (400, 404)
