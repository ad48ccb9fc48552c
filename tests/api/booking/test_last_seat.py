"""Two (or eight) residents take the last seat at the same moment, on SQLite and PostgreSQL."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking fixtures)

import threading

import pytest

from server.domain.errors import Conflict
from server.services import appointments
from tests.fixtures.booking import TUESDAY_0900, WEDNESDAY, Clock, resident


@pytest.fixture(autouse=True)
def tuesday(any_ctx):
    """The hall's clock on Tuesday 09:00 (Wednesday's slots open), on SQLite and PostgreSQL."""
    any_ctx.clock = Clock(TUESDAY_0900)


def race(ctx, bodies):
    """Book every body in its own thread, all released at once; (booked, refused) lists."""
    gate = threading.Barrier(len(bodies))
    booked, refused, crashed = [], [], []

    def one(body):
        gate.wait()
        try:
            booked.append(appointments.book(ctx, "main", **body))
        except Conflict as exc:
            refused.append(exc)
        except Exception as exc:  # anything else is a bug
            crashed.append(exc)

    threads = [threading.Thread(target=one, args=(b,)) for b in bodies]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not crashed, crashed
    return booked, refused


def body(who, service="hukou", slot="10:00-10:30"):
    r = resident(who)
    return {"service": service, "date_s": WEDNESDAY, "slot": slot, "name": r["name"],
            "phone": r["phone"], "id_number": r["id_number"]}


@pytest.mark.parametrize("people", [2, 8])
def test_the_last_seat_goes_to_exactly_one_resident(any_ctx, people):
    booked, refused = race(any_ctx, [body(i) for i in range(people)])  # hukou: 1 seat a slot
    assert len(booked) == 1 and len(refused) == people - 1
    assert all(e.code == "slot_full" and "约满" in e.message for e in refused)
    slots = appointments.list_slots(any_ctx, "main", "hukou", WEDNESDAY)["slots"]
    assert {s["slot"]: s["left"] for s in slots}["10:00-10:30"] == 0


def test_one_id_number_racing_for_three_slots_gets_its_daily_two(any_ctx):
    bodies = [dict(body(7, service=svc, slot=s)) for svc, s in
              (("social", "09:00-09:30"), ("agri", "10:00-10:30"), ("hukou", "11:00-11:30"))]
    booked, refused = race(any_ctx, bodies)
    assert len(booked) == 2 and [e.code for e in refused] == ["daily_limit"]


def test_a_cancelled_seat_can_be_taken_again_under_contention(any_ctx):
    first, _ = race(any_ctx, [body(0)])
    appointments.cancel(any_ctx, "main", first[0]["code"])
    booked, refused = race(any_ctx, [body(i) for i in range(1, 5)])
    assert len(booked) == 1 and len(refused) == 3
