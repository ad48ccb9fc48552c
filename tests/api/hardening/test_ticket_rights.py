"""Issue 15, items 5, 6 and 8: who may cancel a ticket, who may rate a visit, and whose
Idempotency-Key a retry is.

5. Any staff member could cancel any waiting ticket of any service.
6. An evaluator token rated tickets of its window finished 15 minutes earlier (each opening a review
   case against the staff member), and the kiosk token rated any ticket in the hall.
8. Kiosk B sending kiosk A's Idempotency-Key got A's ticket, tracking token included.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from server.services.halls import load_hall, read_config
from server.store import tables as t


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 24, 2, 0)  # Tuesday 10:00 in the hall

    def __call__(self):
        return self.now


@pytest.fixture
def hall(any_api, any_ctx):  # SQLite and PostgreSQL
    api, ctx = any_api, any_ctx
    ctx.clock = Clock()
    api.clock = ctx.clock
    api.add_staff("s1", [1])  # window 1 serves social affairs only
    api.add_staff("s4", [4])  # window 4: agriculture
    api.add_staff("boss", [], role="manager")
    for n, who in ((1, "s1"), (4, "s4")):
        assert api.act(n, "sign-in", who).status == 200
    api.add_device("eval1", "evaluator", [1])
    api.add_device("eval4", "evaluator", [4])
    return api


def _events(ctx, type_):
    with ctx.db.read() as conn:
        return conn.execute(select(t.events).where(t.events.c.type == type_)).all()


# ------------------------------------------------------------------ 5. cancelling

def test_staff_cancel_only_tickets_of_services_their_windows_serve(hall):
    ctx = hall.ctx
    social = hall.issue("social").body
    agri = hall.issue("agri").body
    r = hall.post(hall.hp(f"/tickets/{agri['id']}/cancel"), "s1")
    assert r.status == 403 and r.body["error"] == "other_service", r.body
    assert "(" in r.body["message"]  # 中文 (English)
    assert hall.get(hall.hp(f"/tickets/{agri['id']}"), "s1").body["status"] == "waiting"
    r = hall.post(hall.hp(f"/tickets/{social['id']}/cancel"), "s1")
    assert r.status == 200 and r.body["status"] == "cancelled"
    assert hall.post(hall.hp(f"/tickets/{agri['id']}/cancel"), "boss").status == 200  # managers any
    cancelled = _events(ctx, "ticket.cancelled")
    users = {name: hall.get("/api/v1/auth/me", name).body["id"] for name in ("s1", "boss")}
    assert sorted((e.ticket_id, e.actor) for e in cancelled) == sorted(
        [(social["id"], f"user:{users['s1']}"), (agri["id"], f"user:{users['boss']}")])
    assert {e.data["by_role"] for e in cancelled} == {"staff", "manager"}


def test_a_staff_member_with_no_window_cancels_nothing(hall):
    hall.add_staff("floater", [])
    tk = hall.issue("social").body
    assert hall.post(hall.hp(f"/tickets/{tk['id']}/cancel"), "floater").status == 403


# ------------------------------------------------------------------ 6. rating

def _serve(api, window, staff, service):
    tk = api.issue(service).body
    called = api.act(window, "call-next", staff).body["ticket"]
    assert called["id"] == tk["id"], called
    assert api.act(window, "finish", staff, {"outcome": "immediate"}).status == 200
    return tk


def _rate(api, tk, token=None, **body):
    return api.post(api.hp(f"/tickets/{tk['id']}/rating"), token, json={"level": 1, **body})


def test_an_evaluator_rates_only_the_visit_just_finished_at_its_window(hall):
    ctx = hall.ctx
    old = _serve(hall, 1, "s1", "social")
    hall.clock.now += timedelta(minutes=3)
    new = _serve(hall, 1, "s1", "social")
    other = _serve(hall, 4, "s4", "agri")
    assert _rate(hall, other, "eval1").status == 403  # another window's visit
    assert _rate(hall, new, "eval1").status == 201
    # once a later visit of the window is rated, an earlier one cannot be (ratings go in order)
    r = _rate(hall, old, "eval1")
    assert r.status == 403 and r.body["error"] == "not_latest_visit", r.body
    assert _rate(hall, other, "eval4", level=5).status == 201
    assert len(_events(ctx, "review.opened")) == 1


def test_an_evaluator_may_finish_rating_a_visit_when_the_next_one_was_finished_meanwhile(hall):
    """The resident choosing the reasons of a bad rating while the clerk finishes the next visit
    keeps their rating, within the prompt's time; then the next visit is rated."""
    first = _serve(hall, 1, "s1", "social")
    hall.clock.now += timedelta(seconds=40)
    second = _serve(hall, 1, "s1", "social")
    r = _rate(hall, first, "eval1", reasons=["attitude"])
    assert r.status == 201 and r.body["level"] == 1, r.body
    assert _rate(hall, second, "eval1", level=5).status == 201
    # but not after the prompt's time (rating_prompt_s, 300 s by default)
    third = _serve(hall, 1, "s1", "social")
    hall.clock.now += timedelta(seconds=301)
    _serve(hall, 1, "s1", "social")
    r = _rate(hall, third, "eval1")
    assert r.status == 409 and r.body["error"] == "rating_expired", r.body


def test_the_rating_prompt_expires(hall):
    late = _serve(hall, 1, "s1", "social")
    hall.clock.now += timedelta(minutes=15)  # as in the attack: a visit finished 15 minutes ago
    r = _rate(hall, late, "eval1")
    assert r.status == 409 and r.body["error"] == "rating_expired", r.body
    on_time = _serve(hall, 1, "s1", "social")
    hall.clock.now += timedelta(seconds=299)  # the default lifetime: 300 s
    assert _rate(hall, on_time, "eval1", level=5).status == 201


def test_the_prompt_lifetime_is_set_in_the_hall_config(hall):
    ctx = hall.ctx
    data = read_config()
    data["rules"]["rating_prompt_s"] = 30
    load_hall(ctx, data)
    tk = _serve(hall, 1, "s1", "social")
    hall.clock.now += timedelta(seconds=31)
    assert _rate(hall, tk, "eval1").body["error"] == "rating_expired"
    assert hall.get(hall.hp("")).body["rating_prompt_s"] == 30


def test_an_evaluator_with_no_window_and_the_kiosk_rate_nothing(hall):
    hall.add_device("eval-nowhere", "evaluator")
    tk = _serve(hall, 1, "s1", "social")
    assert _rate(hall, tk, "eval-nowhere").status == 403
    r = _rate(hall, tk, "kiosk")
    assert r.status == 403, r.body
    assert hall.get(hall.hp(f"/tickets/{tk['id']}"), "s1").body["rating"] is None


def test_other_channels_present_the_tickets_own_token(hall):
    tk = _serve(hall, 1, "s1", "social")
    other = hall.issue("social").body
    assert _rate(hall, tk).status == 401  # no token at all
    r = _rate(hall, tk, ticket_token=other["token"])
    assert r.status == 403 and r.body["error"] == "wrong_ticket_token", r.body
    r = _rate(hall, tk, ticket_token=tk["token"], level=4)
    assert r.status == 201 and r.body["level"] == 4, r.body
    assert _rate(hall, tk, ticket_token=tk["token"]).body["error"] == "already_rated"


# ------------------------------------------------------------------ 8. idempotency keys

def test_an_idempotency_key_belongs_to_the_device_that_sent_it(hall):
    hall.add_device("kioskB", "kiosk")
    a = hall.issue("social", key="retry-1")
    assert a.status == 201
    b = hall.issue("social", token="kioskB", key="retry-1")
    assert b.status == 201, b.body
    assert b.body["id"] != a.body["id"] and b.body["token"] != a.body["token"]
    again = hall.issue("social", key="retry-1")  # kiosk A's own retry: its own ticket
    assert again.status == 200 and again.body["id"] == a.body["id"]
    assert hall.issue("social", token="kioskB", key="retry-1").body["id"] == b.body["id"]
    # another service under someone else's key is no conflict either (and tells nothing)
    c = hall.issue("agri", token="s1", key="retry-1")
    assert c.status == 201 and c.body["id"] not in (a.body["id"], b.body["id"])
