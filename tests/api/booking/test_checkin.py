"""Checking in at the hall: signed codes (forged, altered, expired), early / on time / late,
by ID number, through the kiosk's ticket call, and the end-of-day no-shows."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking fixtures)

from sqlalchemy import select

from server.domain import booking as bk
from server.services import appointments, maintenance
from server.store import tables as t
from tests.fixtures.booking import WEDNESDAY, book, resident


def check_in(api, token="kiosk", key=None, **body):
    headers = {"Idempotency-Key": key} if key else None
    return api.post(api.hp("/appointments/check-in"), token, json=body, headers=headers)


def test_forged_and_altered_codes_are_refused(api, clock):
    code = book(api, who=1).body["code"]
    assert len(code) == bk.CODE_LEN and set(code) <= set(bk.CODE_ALPHABET)
    assert not set(code) & set("0O1IL5S8B2ZDQ")  # nothing that reads as something else
    clock.set(WEDNESDAY, "09:45")
    other = next(c for c in iter(bk.new_code, None) if c != code)
    one_off = code[:-1] + next(x for x in bk.CODE_ALPHABET if x != code[-1])
    # well-formed but no stored booking has it: the lookup decides, not the form
    for unknown in (other, one_off):
        r = check_in(api, code=unknown)
        assert r.status == 404 and r.body["error"] == "unknown_appointment", (unknown, r.body)
        assert api.get(api.hp(f"/appointments/{unknown}")).status == 404
        assert api.request("DELETE", api.hp(f"/appointments/{unknown}")).status == 404
    for bad in ["", "x" * 64, "ABC", "A" * 9, code.replace(code[0], "0"), "0O1IL58", "<script>"]:
        r = check_in(api, code=bad)
        assert r.status in (400, 404) and r.body["error"] in ("invalid_code", "unknown_appointment"), (bad, r.body)
        assert api.request("DELETE", api.hp(f"/appointments/{bad or 'x'}")).status in (400, 404, 405)
    # typed in lower case, with a space or a dash as it is read out: still the booking
    assert check_in(api, code=" " + code[:3].lower() + "-" + code[3:] + " ").status == 201


def test_booking_codes_are_unique_and_a_booking_made_before_short_codes_still_works(api, clock, ctx):
    from sqlalchemy import update
    made = [book(api, who=n, slot=slot) for n, slot in ((1, "10:00-10:30"), (2, "10:30-11:00"), (3, "14:00-14:30"))]
    assert all(r.status == 201 for r in made), [r.body for r in made]
    codes = {r.body["code"] for r in made}
    assert len(codes) == 3
    # a booking from before (10-character code): its signed code is honoured, and checked by signature
    old = "ABCDEFGHJK"
    with ctx.uow() as uow:
        uow.conn.execute(update(t.appointments).where(t.appointments.c.code == sorted(codes)[0])
                         .values(code=old))
        uow.commit()
    from datetime import date
    signed = bk.sign(old, date.fromisoformat(WEDNESDAY), ctx.secret)
    shown = api.get(api.hp(f"/appointments/{signed}"))
    assert shown.status == 200 and shown.body["code"] == signed
    tampered = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    assert api.get(api.hp(f"/appointments/{tampered}")).status == 400


def test_a_code_from_yesterday_has_expired(api, clock):
    code = book(api, who=1).body["code"]
    clock.set("2026-11-26", "09:00")
    r = check_in(api, code=code)
    assert r.status == 409 and r.body["error"] == "code_expired"


def test_check_in_early_is_asked_to_come_back(api, clock):
    code = book(api, who=1).body["code"]
    r = check_in(api, code=code)  # the day before
    assert r.status == 409 and r.body["error"] == "too_early"
    clock.set(WEDNESDAY, "09:20")
    r = check_in(api, code=code)
    assert r.status == 409 and r.body["error"] == "too_early" and "09:30" in r.body["message"]


def test_check_in_on_time_gives_a_priority_ticket_ahead_of_walk_ins(api, clock):
    code = book(api, who=1).body["code"]
    clock.set(WEDNESDAY, "09:40")
    walk_ins = [api.issue("social").body for _ in range(3)]
    clock.set(WEDNESDAY, "10:14")  # inside the grace time
    r = check_in(api, code=code, key="kiosk-scan-1")
    assert r.status == 201, r.body
    tk = r.body
    assert tk["source"] == "appointment" and tk["status"] == "waiting" and tk["ahead"] == 0
    assert set(tk) >= {"id", "number", "service", "status", "ahead", "estimated_wait_s", "token",
                       "issued_at"}
    assert tk["appointment"]["status"] == "checked_in" and not tk["late"] and "note" not in tk
    assert tk["id_masked"] == tk["appointment"]["id_masked"]
    again = check_in(api, code=code, key="kiosk-scan-1")  # the kiosk's retry
    assert again.status == 200 and again.body["number"] == tk["number"] and again.body["replayed"]
    twice = check_in(api, code=code)
    assert twice.status == 409 and twice.body["error"] == "already_checked_in"
    assert tk["number"] in twice.body["message"]
    assert api.get(f"/api/v1/track/{walk_ins[0]['token']}").body["ahead"] == 1

    tok = api.add_staff("clerk1", [1])
    assert api.act(1, "sign-in", tok).status == 200
    assert api.act(1, "call-next", tok).body["ticket"]["number"] == tk["number"]
    cancel = api.request("DELETE", api.hp(f"/appointments/{code}"))
    assert cancel.status == 409 and cancel.body["error"] == "already_checked_in"


def test_check_in_late_gives_an_ordinary_ticket_and_a_note(api, clock):
    code = book(api, who=1).body["code"]
    clock.set(WEDNESDAY, "10:00")
    walk_in = api.issue("social").body
    clock.set(WEDNESDAY, "10:16")  # grace time (15 min) is over
    r = check_in(api, code=code)
    assert r.status == 201, r.body
    assert r.body["late"] and r.body["note"] == "已超过预约时段，按普通号排队"
    assert r.body["source"] == "kiosk" and r.body["ahead"] == 1
    assert r.body["appointment"]["status"] == "checked_in"
    with api.ctx.db.read() as conn:
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == r.body["id"])).one()
    assert row.appointment_id is None and "已超过预约时段" in row.note
    assert walk_in["ahead"] == 0


def test_check_in_by_id_number_and_through_the_kiosk_ticket_call(api, clock):
    a = book(api, slot="09:00-09:30", who=1).body
    b = book(api, slot="10:30-11:00", who=2).body
    clock.set(WEDNESDAY, "09:10")
    api.add_staff("clerk", [1])
    r = check_in(api, "clerk", id_number=resident(1)["id_number"])
    assert r.status == 201 and r.body["appointment"]["id"] == a["id"]
    assert r.body["source"] == "appointment"
    nobody = check_in(api, id_number=resident(5)["id_number"])
    assert nobody.status == 404 and nobody.body["error"] == "unknown_appointment"
    assert check_in(api, id_number="123").body["error"] == "invalid_id_number"
    assert check_in(api).status == 400
    clock.set(WEDNESDAY, "10:05")
    r = api.post(api.hp("/tickets"), "kiosk", json={"service": "social", "appointment": b["code"]})
    assert r.status == 201 and r.body["appointment"]["id"] == b["id"] and r.body["token"]
    assert check_in(api, None, code=b["code"]).status == 401
    display = api.add_device("wall", "display")
    assert check_in(api, display, code=b["code"]).status == 403
    with api.ctx.db.read() as conn:
        ev = conn.execute(select(t.events).where(t.events.c.type == "appointment.checked_in")).first()
    assert ev.ticket_id and "id_masked" not in str(ev.data)


def test_a_booking_that_nobody_checked_in_becomes_a_no_show_at_the_end_of_the_day(api, ctx, clock):
    kept = book(api, slot="09:00-09:30", who=1).body
    missed = book(api, slot="10:00-10:30", who=2).body
    gone = book(api, slot="11:00-11:30", who=3).body
    api.request("DELETE", api.hp(f"/appointments/{gone['code']}"))
    clock.set(WEDNESDAY, "09:00")
    assert check_in(api, code=kept["code"]).status == 201
    clock.set(WEDNESDAY, "17:00")
    assert appointments.mark_no_shows(ctx) == 0  # still today
    clock.set("2026-11-26", "00:10")
    maintenance.install(ctx)
    assert appointments.mark_no_shows in ctx.daily_jobs  # the server's maintenance loop runs it
    appointments.mark_no_shows(ctx)
    with ctx.db.read() as conn:
        status = dict(conn.execute(select(t.appointments.c.id, t.appointments.c.status)).all())
    assert status == {kept["id"]: "checked_in", missed["id"]: "no_show", gone["id"]: "cancelled"}
    r = check_in(api, code=missed["code"])
    assert r.status == 409
