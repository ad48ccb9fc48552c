"""帮办代办 over the API: a resident asks on the phone, the desk assigns an agent, the agent works it
受理 -> 办理中 -> 办结 -> 送达 within 3 working days, sees the resident's phone only when needed
(audited), and overdue requests show up."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

import os
import stat
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from server.store import tables as t
from tests.support import PASSWORD

PHONE = "13800138000"


def local(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}") - timedelta(hours=8)


@pytest.fixture
def hall(api, ctx):
    ctx.clock = lambda: local("2026-11-27", "10:00")  # Friday
    api.add_staff("desk", [1], name="导办员")
    api.add_staff("boss", [], role="manager", name="李主任")
    api.add_staff("agent1", [], role="agent", name="帮办员甲")
    api.add_staff("agent2", [], role="agent", name="帮办员乙")
    return api


def move_clock(api, ctx, day, hhmm):
    """Days later: the hall's clock moves and everyone signs in again (sign-ins last 12 hours)."""
    ctx.clock = lambda: local(day, hhmm)
    for name in ("desk", "boss", "agent1", "agent2"):
        api.sign_in(name)


def ask(api, token=None, **over):
    body = {"service": "social", "matter": "代领高龄补贴", "name": "欧阳娜娜", "phone": PHONE,
            "village": "三都村", "delivery": "home", **over}
    return api.post(api.hp("/assist"), token, json=body)


def status(api, rid, token, new, note=None):
    return api.post(api.hp(f"/assist/{rid}/status"), token,
                    json={"status": new, **({"note": note} if note else {})})


def test_a_phone_request_is_due_in_three_working_days_and_keeps_only_masked_details(hall, ctx):
    r = ask(hall)
    assert r.status == 201, r.body
    req = r.body
    assert req["source"] == "phone" and req["status"] == "accepted"
    assert req["due_date"] == "2026-12-02"  # Friday + 3 working days skips the weekend
    assert req["name_masked"] == "欧*" and req["phone_masked"] == "138****8000"
    assert PHONE not in str(req)
    with ctx.db.read() as conn:
        row = conn.execute(select(t.assist_requests)).one()
    assert PHONE not in str(tuple(row)) and "欧阳娜娜" not in str(tuple(row))
    key = ctx.var_dir / "contact.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    # the public event says nothing personal
    with ctx.db.read() as conn:
        ev = conn.execute(select(t.events).where(t.events.c.type == "assist.requested")).one()
    assert ev.data == {"id": req["id"], "service": "social", "source": "phone", "due_date": "2026-12-02"}


def test_the_desk_assigns_an_agent_who_works_it_to_delivery_in_time(hall, ctx):
    rid = ask(hall, "desk", source="hotline").body["id"]
    assert hall.get(hall.hp("/assist"), "desk").body[0]["source"] == "hotline"
    assert status(hall, rid, "agent1", "in_progress").status == 403  # not assigned yet
    r = hall.post(hall.hp(f"/assist/{rid}/assign"), "desk", json={"agent": "agent1"})
    assert r.status == 200 and r.body["agent"] == "帮办员甲"
    assert status(hall, rid, "agent2", "in_progress").status == 403  # another agent
    assert status(hall, rid, "agent1", "done").status == 409  # not started
    assert status(hall, rid, "agent1", "in_progress").body["status"] == "in_progress"
    mine = hall.get(hall.hp("/assist?status=mine"), "agent1").body
    assert [m["id"] for m in mine] == [rid]
    move_clock(hall, ctx, "2026-12-01", "15:00")
    done = status(hall, rid, "agent1", "done", "补贴已代领")
    assert done.status == 200 and done.body["in_time"] is True and done.body["note"] == "补贴已代领"
    delivered = status(hall, rid, "agent1", "delivered")
    assert delivered.body["status"] == "delivered" and delivered.body["next"] == []
    assert hall.get(hall.hp("/assist?status=closed"), "boss").body[0]["id"] == rid
    assert status(hall, rid, "agent1", "cancelled", "x").status == 409


def test_only_the_assigned_agent_or_a_manager_sees_the_phone_and_each_look_is_audited(hall, ctx):
    rid = ask(hall).body["id"]
    hall.post(hall.hp(f"/assist/{rid}/assign"), "boss", json={"agent": "agent1"})
    assert hall.post(hall.hp(f"/assist/{rid}/assign"), "agent2", json={"agent": "agent1"}).status == 403
    assert hall.post(hall.hp(f"/assist/{rid}/contact"), "agent2").status == 403
    assert hall.post(hall.hp(f"/assist/{rid}/contact"), "desk").status == 403
    assert hall.post(hall.hp(f"/assist/{rid}/contact")).status == 401
    r = hall.post(hall.hp(f"/assist/{rid}/contact"), "agent1")
    assert r.status == 200 and r.body["phone"] == PHONE
    assert hall.post(hall.hp(f"/assist/{rid}/contact"), "boss").body["phone"] == PHONE
    with ctx.db.read() as conn:
        shown = conn.execute(select(t.events).where(t.events.c.type == "assist.contact_shown")).all()
    assert len(shown) == 2 and all(PHONE not in str(e.data) for e in shown)


def test_an_open_request_past_its_due_date_is_overdue_and_counted(hall, ctx):
    rid = ask(hall).body["id"]
    ask(hall, matter="代办低保年审")
    move_clock(hall, ctx, "2026-12-03", "10:00")  # after 2026-12-02
    overdue = hall.get(hall.hp("/assist?status=overdue"), "boss").body
    assert {o["id"] for o in overdue} >= {rid} and all(o["overdue"] for o in overdue)
    from server.services import assist
    with ctx.db.read() as conn:
        h = ctx.hall(conn, "main")
        f = assist.figures(conn, h, local("2026-11-01", "10:00").date(), local("2026-12-31", "10:00").date(),
                           local("2026-12-03", "10:00").date())
    assert f == {"requested": 2, "done": 0, "done_in_time": 0, "open": 2, "overdue": 2}
    alerts = {a["kind"]: a for a in hall.get(hall.hp("/stats/live"), "boss").body["alerts"]}
    assert alerts["assist_overdue"]["count"] == 2


def test_a_cancelled_request_needs_a_reason(hall):
    rid = ask(hall).body["id"]
    r = status(hall, rid, "boss", "cancelled")
    assert r.status == 400 and r.body["error"] == "reason_required"
    assert status(hall, rid, "boss", "cancelled", "本人已到大厅办理").body["cancel_reason"] == "本人已到大厅办理"


@pytest.mark.parametrize("over,code", [({"phone": "12345"}, "invalid_phone"),
                                       ({"delivery": "home", "village": None}, "village_required"),
                                       ({"service": "nope"}, "unknown_service"),
                                       ({"matter": ""}, "invalid")])
def test_bad_requests_are_refused_with_a_reason(hall, over, code):
    r = ask(hall, **over)
    assert r.status in (400, 404) and r.body["error"] == code, r.body


def test_a_kiosk_may_ask_but_an_evaluator_may_not(hall):
    hall.add_device("eval1", "evaluator", [1])
    assert ask(hall, "kiosk").body["source"] == "kiosk"
    assert ask(hall, "eval1").status == 403
    assert hall.get(hall.hp("/assist")).status == 401


def test_a_kiosk_retry_with_the_same_key_is_one_request_and_another_kiosks_key_is_not(hall, ctx):
    hall.add_device("kiosk2", "kiosk")
    key = {"Idempotency-Key": "kiosk-assist-1"}
    first = hall.post(hall.hp("/assist"), "kiosk", json={"service": "social", "matter": "代领高龄补贴",
                                                         "name": "王先生", "phone": PHONE}, headers=key)
    assert first.status == 201 and "replayed" not in first.body
    again = hall.post(hall.hp("/assist"), "kiosk", json={"service": "social", "matter": "代领高龄补贴",
                                                         "name": "王先生", "phone": PHONE}, headers=key)
    assert again.status == 200 and again.body["replayed"] is True and again.body["id"] == first.body["id"]
    other = hall.post(hall.hp("/assist"), "kiosk2", json={"service": "social", "matter": "代领高龄补贴",
                                                          "name": "王先生", "phone": PHONE}, headers=key)
    assert other.status == 201 and other.body["id"] != first.body["id"]
    clash = hall.post(hall.hp("/assist"), "kiosk", json={"service": "hukou", "matter": "户口迁移",
                                                         "name": "王先生", "phone": PHONE}, headers=key)
    assert clash.status == 409 and clash.body["error"] == "idempotency_conflict"
    with ctx.db.read() as conn:
        assert len(conn.execute(select(t.assist_requests.c.id)).all()) == 2
    # the phone page (anonymous) has no key of its own: each press is a request
    anonymous = hall.post(hall.hp("/assist"), json={"service": "social", "matter": "代领高龄补贴",
                                                    "name": "王先生", "phone": PHONE}, headers=key)
    assert anonymous.status == 201 and "replayed" not in anonymous.body


def test_a_kiosk_retry_is_one_request_on_sqlite_and_postgresql(any_api, any_ctx):
    body = {"service": "social", "matter": "代领高龄补贴", "name": "王先生", "phone": PHONE}
    key = {"Idempotency-Key": "kiosk-assist-pg"}
    first = any_api.post(any_api.hp("/assist"), "kiosk", json=body, headers=key)
    again = any_api.post(any_api.hp("/assist"), "kiosk", json=body, headers=key)
    assert (first.status, again.status) == (201, 200) and again.body["id"] == first.body["id"]
    with any_ctx.db.read() as conn:
        assert len(conn.execute(select(t.assist_requests.c.id)).all()) == 1


def test_a_revoked_kiosk_is_refused_not_taken_for_a_resident_on_the_phone(hall, ctx):
    from server.services import auth
    auth.revoke_device(ctx, "main", "kiosk")
    r = ask(hall, "kiosk")
    assert r.status == 401 and r.body["error"] == "bad_token" and r.body["message_en"]
    with ctx.db.read() as conn:
        assert conn.execute(select(t.assist_requests.c.id)).first() is None


def test_the_residents_details_are_erased_with_the_request_at_retention(hall, ctx):
    from server.services import privacy
    done = ask(hall).body["id"]
    still_open = ask(hall).body["id"]
    assert status(hall, done, "boss", "cancelled", "重复申请").status == 200
    move_clock(hall, ctx, "2027-07-01", "10:00")  # past the 180-day retention
    assert privacy.daily_purge(ctx)["assist"] == 1
    with ctx.db.read() as conn:
        rows = {r.id: r for r in conn.execute(select(t.assist_requests))}
    assert rows[done].phone_sealed is None and rows[done].name_masked is None and rows[done].village is None
    assert rows[still_open].phone_sealed  # an open request keeps what the agent needs
    assert hall.post(hall.hp(f"/assist/{done}/contact"), "boss").status == 404


def test_the_command_line_adds_an_agent(ctx, monkeypatch, capsys):
    """`server.py user add --role agent`: the CLI takes its roles from server.services.auth.ROLES."""
    import io
    from server.cli import main
    from server.services import auth
    monkeypatch.setenv("HALLQ_DATABASE_URL", ctx.db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    main(["user", "add", "agent9", "--role", "agent", "--name", "帮办员丙", "--password-stdin"])
    assert "(agent) created" in capsys.readouterr().out
    with ctx.db.engine.connect() as c:
        row = c.execute(select(t.users.c.role).where(t.users.c.username == "agent9")).one()
    assert row.role == "agent" and "agent" in auth.ROLES
