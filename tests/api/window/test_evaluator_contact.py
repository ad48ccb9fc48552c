"""The evaluator's 回访 step over the API: after a bad rating made at the window, the resident may
leave a phone with consent; it is sealed with the review case, shown whole only to a manager (and
logged), never in an event, a log line or another answer; and only the window's evaluator, for its
own bad rating, once, while the prompt stands."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import select

from server.store import tables as t
from tests.api.window.test_province_outbox import close_and_purge_a_year_on, hall, rate, serve  # noqa: F401  (fixture)

PHONE = "13812345678"


def contact(api, tk, who="eval1", **body):
    return api.post(api.hp(f"/tickets/{tk['id']}/rating/contact"), who, json=body)


def test_a_bad_rating_at_the_window_keeps_a_consented_phone_sealed_for_the_manager(hall, ctx, caplog):
    caplog.set_level(logging.DEBUG)
    tk = serve(hall)
    case_id = rate(hall, tk, 1, ["attitude"])["review_case"]["id"]
    # no consent: refused, nothing kept
    r = contact(hall, tk, phone=PHONE, consent=False)
    assert r.status == 400 and r.body["error"] == "consent_required"
    for bad in ("1381234567", "12812345678", "1381234567８", "abc"):
        r = contact(hall, tk, phone=bad, consent=True)
        assert r.status == 400 and r.body["error"] == "invalid_phone", (bad, r.body)
    assert contact(hall, tk, phone=PHONE).status == 400  # consent is required in the body
    with ctx.db.read() as conn:
        assert conn.execute(select(t.case_contacts)).all() == []
    # with consent: kept sealed, the answer masked
    r = contact(hall, tk, phone="138 1234 5678", consent=True)
    assert r.status == 201, r.body
    assert r.body == {"case_id": case_id, "ticket_id": tk["id"], "phone_masked": "138****5678"}
    with ctx.db.read() as conn:
        row = conn.execute(select(t.case_contacts)).one()
        events = conn.execute(select(t.events.c.type, t.events.c.data)).all()
    assert row.case_id == case_id and row.phone_masked == "138****5678" and PHONE not in row.phone_sealed
    assert ("review.contact_left", {"case_id": case_id}) in [(e.type, e.data) for e in events]
    assert all(PHONE not in json.dumps(e.data) for e in events)  # no event carries it
    again = contact(hall, tk, phone="13912345678", consent=True)
    assert again.status == 409 and again.body["error"] == "contact_exists"
    # lists show it masked; a manager opens it whole, and the look is recorded
    case = hall.get(hall.hp(f"/review-cases/{case_id}"), "boss").body
    assert case["contact_masked"] == "138****5678" and case["rating"]["channel"] == "evaluator"
    assert hall.post(hall.hp(f"/review-cases/{case_id}/contact"), "clerk").status == 403
    shown = hall.post(hall.hp(f"/review-cases/{case_id}/contact"), "boss")
    assert shown.status == 200 and shown.body["phone"] == PHONE
    with ctx.db.read() as conn:
        assert conn.execute(select(t.events.c.actor).where(
            t.events.c.type == "review.contact_shown")).scalar().startswith("user:")
    assert PHONE not in caplog.text and "138 1234 5678" not in caplog.text  # never logged whole
    # retention: erased with the case's personal data once it is closed and old enough
    close_and_purge_a_year_on(hall, ctx, case_id)
    gone = hall.post(hall.hp(f"/review-cases/{case_id}/contact"), "boss")
    assert gone.status in (401, 404), gone.body  # erased (or, a year on, the session too)


def test_only_the_windows_evaluator_for_its_own_bad_rating_while_the_prompt_stands(hall, ctx):
    hall.add_device("eval2", "evaluator", [2])
    hall.add_device("kiosk2", "kiosk")
    good = serve(hall)
    rate(hall, good, 4)
    r = contact(hall, good, phone=PHONE, consent=True)
    assert r.status == 400 and "bad rating" in r.body["message"]  # a good rating is not asked
    unrated = serve(hall)
    assert contact(hall, unrated, phone=PHONE, consent=True).body["error"] == "not_rated"
    rate(hall, unrated, 2)
    assert contact(hall, unrated, "eval2", phone=PHONE, consent=True).body["error"] == "other_window"
    assert contact(hall, unrated, "kiosk2", phone=PHONE, consent=True).status == 403
    assert contact(hall, unrated, "clerk", phone=PHONE, consent=True).status == 403
    assert hall.post(hall.hp(f"/tickets/{unrated['id']}/rating/contact"), None,
                     json={"phone": PHONE, "consent": True}).status == 401
    # the prompt's lifetime (rating_prompt_s, 300 s) after the rating: too late
    base = ctx.now()
    ctx.clock = lambda: base + timedelta(seconds=301)
    r = contact(hall, unrated, phone=PHONE, consent=True)
    assert r.status == 409 and r.body["error"] == "rating_expired"
    with ctx.db.read() as conn:
        assert conn.execute(select(t.case_contacts)).all() == []
