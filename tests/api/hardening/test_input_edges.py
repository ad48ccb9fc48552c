"""Issue 15, items 4 and 11: bodies nested too deep, echoed passwords, a kiosk claiming another
source, a photo for nobody, and masked booking names that told the name's length."""
from __future__ import annotations

import base64
import io
import logging

import pytest
from sqlalchemy import select

from server.store import tables as t

DEEP = ("[" * 1000 + "]" * 1000).encode()
DEEP_OBJECT = ('{"a":' * 1000 + "1" + "}" * 1000).encode()


def _json_endpoints(app):
    """Every POST/PUT/PATCH route under /api that reads a JSON body, with its path filled in."""
    out = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH"}
        if not rule.rule.startswith("/api/") or not methods:
            continue
        path = rule.rule.replace("<hall>", "main")
        for arg in rule.arguments - {"hall"}:
            path = path.replace(f"<int:{arg}>", "1").replace(f"<path:{arg}>", "x").replace(
                f"<{arg}>", "x")
        out.extend((m, path) for m in sorted(methods))
    return out


def test_json_nested_a_thousand_deep_is_refused_with_400_and_one_log_line(api, app, caplog):
    api.add_staff("boss", [], role="admin")
    api.add_staff("s1", [1])
    caplog.set_level(logging.INFO)
    client = app.test_client()
    for body in (DEEP, DEEP_OBJECT):
        for path in ("/api/v1/auth/login", "/api/v1/halls/main/appointments",
                     "/api/v1/halls/main/tickets"):
            caplog.clear()
            r = client.post(path, data=body, content_type="application/json",
                            headers={"Authorization": f"Bearer {api.tokens['kiosk']}"})
            assert r.status_code == 400, (path, r.status_code)
            assert r.get_json()["error"] == "invalid_json"
            lines = [rec for rec in caplog.records if rec.levelno >= logging.INFO]
            assert len(lines) == 1, [rec.getMessage() for rec in lines]
            assert "Traceback" not in caplog.text and rec_text(lines[0]).count("\n") == 0
    # every JSON endpoint, whoever asks: never a 5xx
    endpoints = _json_endpoints(app)
    assert len(endpoints) > 20
    for token in (None, "kiosk", "boss", "s1"):
        headers = {"Authorization": f"Bearer {api.tokens[token]}"} if token else {}
        for method, path in endpoints:
            r = client.open(path, method=method, data=DEEP, content_type="application/json",
                            headers=headers)
            assert r.status_code < 500, (method, path, token, r.status_code)


def rec_text(record) -> str:
    return record.getMessage() + (record.exc_text or "")


def test_a_too_long_password_is_not_echoed_back(api):
    secret = "Geheim-" + "x" * 300
    r = api.post("/api/v1/auth/login", json={"username": "s3", "password": secret})
    assert r.status == 400
    assert "Geheim" not in r.body["message"] and "xxxx" not in r.body["message"]
    assert "password" in r.body["message"]
    # no value of any field comes back in a schema error (ID numbers, names)
    r = api.post(api.hp("/appointments"), json={
        "service": "social", "date": "2030-01-01", "slot": "09:00-09:30", "name": "张三",
        "phone": "13800138000", "id_number": "11010519491231002X-tail-tail-tail-tail"})
    assert r.status == 400 and "1101051949" not in r.body["message"]
    api.add_staff("boss", [], role="admin")
    r = api.post(api.hp("/users"), "boss", json={"username": "nn", "role": "staff",
                                                  "password": "Pw1-" + "y" * 200})
    assert r.status == 400 and "yyyy" not in r.body["message"]


def test_a_kiosk_cannot_mark_its_tickets_staff_or_phone(api, ctx):
    for source in ("staff", "phone"):
        r = api.issue("social", source=source)
        assert r.status == 403 and r.body["error"] == "forbidden_source", r.body
    assert api.issue("social", source="kiosk").status == 201
    api.add_staff("s1", [1])
    assert api.issue("social", token="s1", source="phone").status == 201  # staff may
    with ctx.db.read() as conn:
        sources = sorted(conn.execute(select(t.tickets.c.source)).scalars())
    assert sources == ["kiosk", "phone"]


def _png() -> str:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (30, 40), "red").save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_a_photo_for_an_unknown_user_is_404(api):
    api.add_staff("boss", [], role="admin")
    for image in (_png(), "not-an-image", "iVBORw0KGgo="):
        r = api.post(api.hp("/users/nobody/photo"), "boss", json={"image": image})
        assert r.status == 404 and r.body["error"] == "unknown_user", r.body
    api.add_staff("s1", [1])
    assert api.post(api.hp("/users/s1/photo"), "boss", json={"image": "not-an-image"}).status == 400
    assert api.post(api.hp("/users/s1/photo"), "boss", json={"image": _png()}).status == 200


def test_a_masked_name_does_not_tell_how_long_the_name_is():
    from server.domain import identity
    masks = {identity.mask_name(n) for n in ("欧阳娜娜", "欧阳娜", "欧娜")}
    assert masks == {"欧*"}
    assert identity.mask_name("张三") == identity.mask_name("张三丰") == "张*"
    assert identity.mask_name("Li") == "L*"
    assert identity.mask_name("") == ""


def test_a_booking_shows_the_fixed_length_mask(api, ctx):
    from tests.api.hardening.test_booking_limits import book_body, open_day
    day = open_day(api)
    r = api.post(api.hp("/appointments"), json=book_body(api, day, name="欧阳娜娜"))
    assert r.status == 201, r.body
    assert r.body["name_masked"] == "欧*"


def test_numbers_no_column_can_hold_are_a_400(api):
    """Found by the fuzz test: a front-desk print_at of 2**63 overflowed inside SQLite (500)."""
    api.add_staff("s1", [1])
    for value in (2**63, 10**30, -(2**63)):
        r = api.post(api.hp("/desk/tickets"), "s1", json={"service": "social", "print_at": value})
        assert r.status == 400, (value, r.status, r.body)
    r = api.post(api.hp("/desk/tickets"), "s1", json={"service": "social", "print_at": 2**40})
    assert r.status == 400  # more than any id column holds (PostgreSQL INTEGER)
    r = api.post(api.hp("/tickets/1/rating"), json={"level": 10**20})
    assert r.status == 400 and r.body["error"] == "invalid_number"
