"""Residents' personal data: erased after the hall's retention, and never in the server's log
(nor, whole, in the database) after a morning that used ID numbers, names and phones."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import requests
from sqlalchemy import select

from server.domain.identity import make_id_number
from server.services import maintenance, privacy
from server.store import tables as t
from tests.fixtures.booking import TUESDAY_0900, Clock, book, local, resident
from tests.support import PASSWORD, ServerProcess


def _personal(ctx):
    with ctx.db.read() as conn:
        tickets = conn.execute(select(t.tickets.c.number, t.tickets.c.id_hash, t.tickets.c.id_masked)
                               .where(t.tickets.c.id_hash.is_not(None))).all()
        appts = conn.execute(select(t.appointments).where(t.appointments.c.id_hash != "")).all()
    return tickets, appts


def test_personal_data_is_erased_after_the_retention_and_not_before(api, ctx):
    clock = Clock(TUESDAY_0900)
    ctx.clock = clock
    assert book(api, who=1).status == 201
    assert book(api, who=2, slot="10:30-11:00").status == 201
    for n in range(3):
        r = api.issue("social", id_number=resident(n)["id_number"])
        assert r.status == 201 and r.body["id_masked"].startswith("3301")
    assert api.issue("agri").status == 201  # no ID: nothing to erase
    tickets, appts = _personal(ctx)
    assert len(tickets) == 3 and len(appts) == 2

    assert maintenance.DAILY_JOBS.count(privacy.daily_purge) == 1  # the server runs it

    # 180 days after Wednesday's bookings (Tuesday's tickets are one day older)
    clock.now = local("2027-05-24", "09:00")  # Tuesday + 181: the tickets go, the bookings stay
    assert privacy.daily_purge(ctx) == {"tickets": 3, "appointments": 0, "assist": 0}
    tickets, appts = _personal(ctx)
    assert tickets == [] and len(appts) == 2
    clock.now += timedelta(days=1)
    assert privacy.daily_purge(ctx) == {"tickets": 0, "appointments": 2, "assist": 0}
    assert privacy.daily_purge(ctx) == {"tickets": 0, "appointments": 0, "assist": 0}  # idempotent
    with ctx.db.read() as conn:
        rows = conn.execute(select(t.appointments)).all()
        kept = conn.execute(select(t.tickets.c.number, t.tickets.c.status)).all()
    for row in rows:
        assert (row.name_masked, row.name_enc, row.phone_masked, row.phone_enc) == (None,) * 4
        assert row.id_hash == "" and row.id_masked == ""
        assert row.status == "booked" and row.slot  # the booking itself stays for statistics
    assert len(kept) == 4  # tickets stay; only the personal columns went


def test_an_explicit_retention_and_the_hall_setting(api, ctx):
    clock = Clock(TUESDAY_0900)
    ctx.clock = clock
    api.issue("social", id_number=make_id_number("33010219500101001"))
    clock.now += timedelta(days=3)
    assert privacy.purge(ctx, older_than_days=5) == {"tickets": 0, "appointments": 0, "assist": 0}
    assert privacy.purge(ctx, older_than_days=2) == {"tickets": 1, "appointments": 0, "assist": 0}
    from server.services.halls import load_hall, read_config
    data = read_config()
    data["privacy"] = {"retention_days": "forever"}
    load_hall(ctx, data)
    import pytest
    from server.domain.errors import Invalid
    with pytest.raises(Invalid, match="retention_days"):
        privacy.purge(ctx)
    with pytest.raises(Invalid):
        privacy.purge(ctx, older_than_days=-1)


def test_the_server_log_holds_no_id_number_phone_or_name(sqlite_url, tmp_path):
    """A morning at INFO level through the real server: ID numbers at the kiosk, a booking with
    name and phone, a check-in by ID, a failed sign-in; then the log (and the database file)."""
    var = tmp_path / "var"
    var.mkdir()
    srv = ServerProcess(sqlite_url, var, env={"HALLQ_LOG": "INFO"}).start()
    base = srv.url
    from server.services import auth
    from server.services.context import create_hallq
    c = create_hallq(sqlite_url, start_bus=False)
    kiosk = auth.add_device(c, "main", "priv-kiosk", "kiosk")
    auth.add_user(c, "priv1", "窗口一", "staff", PASSWORD, hall_code="main", windows=[1])
    c.db.dispose()
    secrets = []
    k = {"Authorization": f"Bearer {kiosk}"}
    try:
        for n in range(3):
            who = resident(40 + n)
            secrets.append(who["id_number"])
            r = requests.post(f"{base}/api/v1/halls/main/tickets", headers=k, timeout=10,
                              json={"service": "social", "id_number": who["id_number"]})
            assert r.status_code == 201, r.text
        bad = make_id_number("33010219800101777")[:-1] + "0"  # wrong check digit: refused
        if bad == make_id_number("33010219800101777"):
            bad = bad[:-1] + "1"
        secrets.append(bad)
        r = requests.post(f"{base}/api/v1/halls/main/tickets", headers=k, timeout=10,
                          json={"service": "social", "id_number": bad})
        assert r.status_code == 400
        booker = {"name": "欧阳明华", "phone": "13912345678",
                  "id_number": make_id_number("44010619750315123")}
        secrets += [booker["name"], booker["phone"], booker["id_number"]]
        days = requests.get(f"{base}/api/v1/halls/main/appointments/days?service=social",
                            timeout=10).json()["days"]
        day = next(d["date"] for d in days if d["workday"] and d["left"] > 0)
        slots = requests.get(f"{base}/api/v1/halls/main/appointments/slots?service=social&date={day}",
                             timeout=10).json()["slots"]
        slot = next(s["slot"] for s in slots if s["available"])
        r = requests.post(f"{base}/api/v1/halls/main/appointments", timeout=10,
                          json={"service": "social", "date": day, "slot": slot, **booker})
        assert r.status_code == 201, r.text
        r = requests.post(f"{base}/api/v1/halls/main/appointments/check-in", headers=k, timeout=10,
                          json={"id_number": booker["id_number"]})
        assert r.status_code in (201, 404, 409), r.text  # today's or not: the number went through
        wrong = "Wr0ng-secret-pw"
        secrets.append(wrong)
        assert requests.post(f"{base}/api/v1/auth/login", timeout=10,
                             json={"username": "priv1", "password": wrong}).status_code == 401
        tok = requests.post(f"{base}/api/v1/auth/login", timeout=10,
                            json={"username": "priv1", "password": PASSWORD}).json()["token"]
        s = {"Authorization": f"Bearer {tok}"}
        requests.post(f"{base}/api/v1/halls/main/windows/1/sign-in", headers=s, timeout=10)
        r = requests.post(f"{base}/api/v1/halls/main/windows/1/call-next", headers=s, timeout=10)
        assert r.ok and r.json()["ticket"]["id_masked"]
        time.sleep(0.3)
    finally:
        srv.stop()
    log = srv.log.read_text(encoding="utf-8", errors="replace")
    assert "hallq listening" in log or "serving on" in log  # INFO lines were written
    db_bytes = b"".join(p.read_bytes() for p in var.parent.glob("hallq.db*"))
    for secret in secrets:
        assert secret not in log, f"personal data in the server log: {secret[:4]}…"
        assert secret.encode() not in db_bytes, f"personal data stored whole: {secret[:4]}…"
    assert PASSWORD not in log
    assert not re.search(r"\b\d{17}[\dX]\b", log), "something like an ID number is in the log"
    assert not re.search(r"\b1[3-9]\d{9}\b", log), "something like a phone number is in the log"
