"""The admin API behind /admin: an administrator adds, changes, disables accounts and devices of the
hall; a manager only reads; every change leaves an audit event without passwords or tokens."""
from __future__ import annotations

from tests.fixtures.admin import *  # noqa: F401,F403  (the admin fixtures)

import base64
import hashlib
import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from server.store import tables as t
from tests.support import PASSWORD

NEW_PW = "Wangfang-2026"


def login(api, username, password):
    return api.post("/api/v1/auth/login", json={"username": username, "password": password})


def audit(ctx, type_=None) -> list[dict]:
    with ctx.db.read() as conn:
        q = select(t.events).where(t.events.c.type.like("admin.%")).order_by(t.events.c.id)
        if type_:
            q = q.where(t.events.c.type == type_)
        return [{"type": r.type, "actor": r.actor, "data": r.data} for r in conn.execute(q)]


def user_id(ctx, username) -> int:
    with ctx.db.read() as conn:
        return conn.execute(select(t.users.c.id).where(t.users.c.username == username)).scalar_one()


def add_wang(hall, **extra):
    body = {"username": "wangfang", "password": NEW_PW, "role": "staff", "name": "王芳",
            "windows": [2, 3], "staff_no": "A-017", "duties": "社保、医保", **extra}
    return hall.post(hall.hp("/users"), "root", json=body)


def image_b64(fmt="JPEG", size=(1200, 1600), **save) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(buf, fmt, **save)
    return base64.b64encode(buf.getvalue()).decode()


# ---------------------------------------------------------------- accounts: reading

def test_a_manager_and_an_admin_list_the_accounts_without_any_password_hash(hall):
    for who in ("boss", "root"):
        r = hall.get(hall.hp("/users"), who)
        assert r.status == 200, r
        by_name = {u["username"]: u for u in r.body}
        assert set(by_name) == {"root", "boss", "zhang"}
        z = by_name["zhang"]
        assert z["name"] == "张明" and z["role"] == "staff" and z["windows"] == [1]
        assert z["duties"] == "综合受理" and z["staff_no"].startswith("NO")
        assert z["has_photo"] is False and z["active"] is True and z["hall"] == "main"
        assert z["last_sign_in_at"].endswith("Z")  # add_staff signed them in
        assert by_name["root"]["hall"] is None  # an admin of every hall
        text = json.dumps(r.body)
        assert "password" not in text and "$argon2" not in text and "hash" not in text
    assert {u["editable"] for u in hall.get(hall.hp("/users"), "boss").body} == {False}
    assert {u["editable"] for u in hall.get(hall.hp("/users"), "root").body} == {True}


def test_staff_devices_and_strangers_cannot_list_accounts(hall):
    assert hall.get(hall.hp("/users"), "zhang").status == 403
    assert hall.get(hall.hp("/users"), "kiosk").status == 403
    r = hall.get(hall.hp("/users"))
    assert r.status == 401 and r.body["error"] == "unauthorized"
    assert hall.get("/api/v1/halls/nowhere/users", "root").status == 404


# ---------------------------------------------------------------- accounts: adding

def test_an_admin_adds_a_staff_member_who_can_then_sign_in_at_their_windows(hall, ctx):
    r = add_wang(hall)
    assert r.status == 201, r
    assert r.body["username"] == "wangfang" and r.body["windows"] == [2, 3]
    assert r.body["role"] == "staff" and r.body["hall"] == "main" and r.body["last_sign_in_at"] is None
    assert "password" not in json.dumps(r.body)
    signed = login(hall, "wangfang", NEW_PW)
    assert signed.status == 200 and signed.body["name"] == "王芳"
    hall.tokens["wangfang"] = signed.body["token"]
    assert hall.act(3, "sign-in", "wangfang").status == 200
    assert hall.act(1, "sign-in", "wangfang").status == 403
    [ev] = audit(ctx, "admin.user_added")
    assert ev["actor"] == f"user:{user_id(ctx, 'root')}"
    assert ev["data"] == {"user_id": r.body["id"], "role": "staff", "windows": [2, 3]}


def test_adding_an_account_refuses_bad_input_with_the_right_error(hall, ctx):
    assert add_wang(hall).status == 201
    cases = [
        ({}, 409, "user_exists"),  # the same username again
        ({"username": "li", "password": "12345678"}, 400, "weak_password"),
        ({"username": "li", "password": "short1"}, 400, "weak_password"),
        ({"username": "li", "role": "boss"}, 400, "invalid"),
        ({"username": "li", "windows": [99]}, 400, "unknown_window"),
        ({"username": "li", "windows": ["1"]}, 400, "invalid"),
        ({"username": "l i"}, 400, "invalid_username"),
        ({"username": "-li"}, 400, "invalid_username"),
        ({"username": "li", "name": "x" * 101}, 400, "invalid"),
        ({"username": "li", "extra": 1}, 400, "invalid"),
    ]
    for extra, status, code in cases:
        r = add_wang(hall, **extra)
        assert (r.status, r.body["error"]) == (status, code), (extra, r)
        assert set(r.body) == {"error", "message", "message_zh", "message_en"} and r.body["message"]
    assert "至少8位" in add_wang(hall, username="li", password="abcdefgh").body["message"]
    assert len(audit(ctx, "admin.user_added")) == 1  # refusals write nothing


def test_only_an_admin_changes_accounts(hall):
    hp = hall.hp
    for who, status in (("boss", 403), ("zhang", 403), ("kiosk", 403), (None, 401)):
        r = hall.post(hp("/users"), who, json={"username": "li", "password": NEW_PW, "role": "staff"})
        assert r.status == status, (who, r)
        assert hall.request("PATCH", hp("/users/zhang"), who, json={"name": "x"}).status == status
        assert hall.post(hp("/users/zhang/disable"), who).status == status
        assert hall.post(hp("/users/zhang/password"), who, json={"password": NEW_PW}).status == status
        assert hall.post(hp("/users/zhang/photo"), who, json={"image": image_b64()}).status == status
    r = hall.post(hp("/users"), "boss", json={"username": "li", "password": NEW_PW, "role": "staff"})
    assert r.body["error"] == "forbidden"
    assert login(hall, "zhang", PASSWORD).status == 200  # nothing happened to zhang


# ---------------------------------------------------------------- accounts: changing

def test_an_admin_changes_name_windows_duties_staff_number_and_role(hall, ctx):
    r = hall.request("PATCH", hall.hp("/users/zhang"), "root",
                     json={"name": "张明明", "windows": [4, 2], "duties": "户政", "staff_no": "B-2"})
    assert r.status == 200, r
    assert (r.body["name"], r.body["windows"], r.body["duties"], r.body["staff_no"]) == \
        ("张明明", [2, 4], "户政", "B-2")
    assert hall.act(1, "sign-in", "zhang").status == 403  # the open sign-in sees the new windows
    assert hall.act(4, "sign-in", "zhang").status == 200
    r = hall.request("PATCH", hall.hp("/users/zhang"), "root", json={"role": "manager"})
    assert r.status == 200 and r.body["role"] == "manager"
    assert hall.get(hall.hp("/users"), "zhang").status == 200  # the token now reads as a manager
    first, second = audit(ctx, "admin.user_updated")
    assert first["data"]["changed"] == ["duties", "name", "staff_no", "windows"]
    assert first["data"]["windows"] == {"from": [1], "to": [2, 4]}
    assert second["data"] == {"user_id": user_id(ctx, "zhang"), "changed": ["role"],
                              "role": {"from": "staff", "to": "manager"}}


def test_changing_an_account_refuses_bad_input(hall):
    hp = hall.hp
    cases = [
        ("zhang", {}, 400, "invalid"),
        ("zhang", {"role": "chief"}, 400, "invalid"),
        ("zhang", {"windows": [0]}, 400, "invalid"),
        ("zhang", {"windows": [42]}, 400, "unknown_window"),
        ("zhang", {"name": ""}, 400, "invalid"),
        ("zhang", {"name": "  "}, 400, "invalid"),
        ("zhang", {"username": "zz"}, 400, "invalid"),
        ("nobody", {"name": "x"}, 404, "unknown_user"),
        ("root", {"role": "staff"}, 409, "own_account"),
    ]
    for who, body, status, code in cases:
        r = hall.request("PATCH", hp(f"/users/{who}"), "root", json=body)
        assert (r.status, r.body["error"]) == (status, code), (who, body, r)


def test_a_hall_admin_cannot_change_an_admin_of_every_hall(hall, ctx):
    assert hall.post(hall.hp("/users"), "root", json={
        "username": "hall-admin", "password": NEW_PW, "role": "admin", "name": "大厅管理员"}).status == 201
    hall.tokens["hall-admin"] = login(hall, "hall-admin", NEW_PW).body["token"]
    listed = {u["username"]: u for u in hall.get(hall.hp("/users"), "hall-admin").body}
    assert listed["hall-admin"]["hall"] == "main"  # made on the page: an admin of this hall only
    assert listed["root"]["editable"] is False and listed["zhang"]["editable"] is True
    r = hall.post(hall.hp("/users/root/disable"), "hall-admin")
    assert r.status == 403 and r.body["error"] == "forbidden"
    assert hall.post(hall.hp("/users/root/password"), "hall-admin", json={"password": NEW_PW}).status == 403
    assert hall.post(hall.hp("/users/zhang/disable"), "hall-admin").status == 200


def test_a_reset_password_works_and_ends_the_old_sign_ins(hall, ctx):
    old_token = hall.tokens["zhang"]
    r = hall.post(hall.hp("/users/zhang/password"), "root", json={"password": "Zhang-New-9"})
    assert r.status == 200, r
    assert login(hall, "zhang", PASSWORD).status == 401
    assert login(hall, "zhang", "Zhang-New-9").status == 200
    gone = hall.get("/api/v1/auth/me", old_token)
    assert gone.status == 401 and gone.body["error"] == "bad_token"
    weak = hall.post(hall.hp("/users/zhang/password"), "root", json={"password": "zhangzhang"})
    assert weak.status == 400 and weak.body["error"] == "weak_password"
    assert hall.post(hall.hp("/users/zhang/password"), "root", json={}).status == 400
    # an admin's own reset keeps the session they are using
    assert hall.post(hall.hp("/users/root/password"), "root", json={"password": "Root-New-77"}).status == 200
    assert hall.get("/api/v1/auth/me", "root").status == 200
    [ev, _] = audit(ctx, "admin.password_reset")
    assert ev["data"] == {"user_id": user_id(ctx, "zhang"), "tokens_revoked": 1}


def test_a_disabled_account_cannot_sign_in_and_its_token_is_refused_until_enabled(hall, ctx):
    old_token = hall.tokens["zhang"]
    assert hall.get("/api/v1/auth/me", old_token).status == 200  # cached as valid
    r = hall.post(hall.hp("/users/zhang/disable"), "root")
    assert r.status == 200 and r.body["active"] is False
    me = hall.get("/api/v1/auth/me", old_token)
    assert me.status == 401 and me.body["error"] == "bad_token"
    assert hall.act(1, "sign-in", old_token).status == 401
    r = login(hall, "zhang", PASSWORD)
    assert r.status == 401 and r.body["error"] == "bad_credentials"
    assert hall.post(hall.hp("/users/zhang/disable"), "root").status == 200  # again: no change
    r = hall.post(hall.hp("/users/zhang/enable"), "root")
    assert r.status == 200 and r.body["active"] is True
    assert hall.get("/api/v1/auth/me", old_token).status == 401  # enabling brings no token back
    assert login(hall, "zhang", PASSWORD).status == 200
    types = [e["type"] for e in audit(ctx)]
    assert types == ["admin.user_disabled", "admin.user_enabled"]
    assert audit(ctx)[0]["data"] == {"user_id": user_id(ctx, "zhang"), "tokens_revoked": 1}


def test_an_admin_cannot_disable_their_own_account(hall):
    r = hall.post(hall.hp("/users/root/disable"), "root")
    assert r.status == 409 and r.body["error"] == "own_account"
    assert hall.get("/api/v1/auth/me", "root").status == 200
    assert hall.post(hall.hp("/users/nobody/disable"), "root").status == 404


# ---------------------------------------------------------------- staff photos

def test_a_staff_photo_is_checked_shrunk_stripped_and_served(hall, ctx):
    zid = user_id(ctx, "zhang")
    before = hall.get(f"/api/v1/staff/{zid}/photo")
    assert before.headers["Content-Type"].startswith("image/svg+xml")  # the drawn avatar
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPSInfo: where the photo was taken
    r = hall.post(hall.hp("/users/zhang/photo"), "root",
                  json={"image": image_b64("JPEG", exif=exif.tobytes())})
    assert r.status == 200 and r.body["has_photo"] is True, r
    assert r.body["photo_url"] == f"/api/v1/staff/{zid}/photo"
    got = hall.get(f"/api/v1/staff/{zid}/photo")
    assert got.status == 200 and got.headers["Content-Type"] == "image/jpeg"
    img = Image.open(io.BytesIO(got.raw))
    assert img.format == "JPEG" and img.size == (600, 800)
    assert not img.getexif() and "exif" not in img.info
    first_file = list((ctx.var_dir / "photos").iterdir())
    # a PNG replaces it (as a data: URL, the way the page sends it); the old file is removed
    png = "data:image/png;base64," + image_b64("PNG", size=(240, 300))
    assert hall.post(hall.hp("/users/zhang/photo"), "root", json={"image": png}).status == 200
    got = hall.get(f"/api/v1/staff/{zid}/photo")
    assert got.headers["Content-Type"] == "image/png" and Image.open(io.BytesIO(got.raw)).size == (240, 300)
    files = list((ctx.var_dir / "photos").iterdir())
    assert len(files) == 1 and files != first_file
    assert [e["data"] for e in audit(ctx, "admin.photo_set")] == [{"user_id": zid}] * 2


def test_photos_that_are_not_jpeg_or_png_or_too_big_are_refused(hall, ctx):
    good = base64.b64decode(image_b64("JPEG", size=(300, 400)))
    cases = [
        (image_b64("GIF", size=(10, 10)), "invalid_image"),
        (base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode(), "invalid_image"),
        (base64.b64encode(good[: len(good) // 2]).decode(), "invalid_image"),  # cut off
        ("not base64 at all!", "invalid_image"),
        (base64.b64encode(b"\xff\xd8\xff" + bytes(700_000)).decode(), "image_too_large"),
    ]
    for image, code in cases:
        r = hall.post(hall.hp("/users/zhang/photo"), "root", json={"image": image})
        assert (r.status, r.body["error"]) == (400, code), (code, r)
    r = hall.post(hall.hp("/users/zhang/photo"), "root", json={"image": "A" * 1_200_000})
    assert r.status == 413 and set(r.body) == {"error", "message", "message_zh", "message_en"}
    assert hall.post(hall.hp("/users/nobody/photo"), "root", json={"image": image_b64()}).status == 404
    assert not (ctx.var_dir / "photos").exists() or not list((ctx.var_dir / "photos").iterdir())
    assert audit(ctx, "admin.photo_set") == []


# ---------------------------------------------------------------- devices

def test_a_new_device_token_is_shown_once_and_works_for_its_kind(hall, ctx):
    r = hall.post(hall.hp("/devices"), "root", json={"name": "kiosk-2", "kind": "kiosk"})
    assert r.status == 201, r
    token = r.body["token"]
    assert token.startswith("dev_") and r.body["active_tokens"] == 1
    assert hall.issue("social", token=token).status == 201  # a kiosk takes numbers
    r = hall.post(hall.hp("/devices"), "root", json={"name": "评价器-3", "kind": "evaluator", "windows": [3]})
    assert r.status == 201 and r.body["windows"] == [3]
    ev_token = r.body["token"]
    me = hall.get("/api/v1/auth/me", ev_token).body
    assert (me["kind"], me["role"], me["windows"]) == ("device", "evaluator", [3])
    assert hall.issue("social", token=ev_token).status == 403  # an evaluator does not
    listed = hall.get(hall.hp("/devices"), "boss")
    assert listed.status == 200
    text = json.dumps(listed.body, ensure_ascii=False)
    for tok in (token, ev_token):  # never the token, never its hash
        assert tok not in text and hashlib.sha256(tok.encode()).hexdigest() not in text
    assert "token\"" not in text.replace("active_tokens\"", "")
    by_name = {d["name"]: d for d in listed.body}
    assert by_name["kiosk-2"]["kind"] == "kiosk" and by_name["kiosk-2"]["active_tokens"] == 1
    assert by_name["评价器-3"]["created_at"].endswith("Z")
    added = audit(ctx, "admin.device_added")
    assert [e["data"]["name"] for e in added] == ["kiosk-2", "评价器-3"]
    assert added[1]["data"] == {"device_id": by_name["评价器-3"]["id"], "name": "评价器-3",
                                "kind": "evaluator", "windows": [3]}


def test_adding_a_device_refuses_bad_input(hall):
    assert hall.post(hall.hp("/devices"), "root", json={"name": "kiosk-2", "kind": "kiosk"}).status == 201
    cases = [
        ({"name": "kiosk-2", "kind": "kiosk"}, 409, "device_exists"),
        ({"name": "kiosk", "kind": "kiosk"}, 409, "device_exists"),  # the one the hall started with
        ({"name": "tv", "kind": "television"}, 400, "invalid"),
        ({"name": "ev", "kind": "evaluator", "windows": [77]}, 400, "unknown_window"),
        ({"name": "", "kind": "kiosk"}, 400, "invalid"),
        ({"name": "   ", "kind": "kiosk"}, 400, "invalid"),
        ({"name": "a/b", "kind": "kiosk"}, 400, "invalid"),
        ({"kind": "kiosk"}, 400, "invalid"),
    ]
    for body, status, code in cases:
        r = hall.post(hall.hp("/devices"), "root", json=body)
        assert (r.status, r.body["error"]) == (status, code), (body, r)
        assert "token" not in r.body
    assert hall.post(hall.hp("/devices"), "boss", json={"name": "x", "kind": "kiosk"}).status == 403
    assert hall.get(hall.hp("/devices"), "zhang").status == 403


def test_a_revoked_device_token_is_refused_at_once_and_a_new_one_works(hall, ctx):
    kiosk_token = hall.tokens["kiosk"]
    assert hall.issue("social").status == 201  # the token is now cached as valid
    r = hall.post(hall.hp("/devices/kiosk/revoke"), "root")
    assert r.status == 200 and r.body["tokens_revoked"] == 1 and r.body["active_tokens"] == 0
    assert "token" not in r.body
    refused = hall.issue("social")
    assert refused.status == 401 and refused.body["error"] == "bad_token"
    r = hall.post(hall.hp("/devices/kiosk/token"), "root")
    assert r.status == 201 and r.body["active_tokens"] == 1
    assert r.body["token"] != kiosk_token
    assert hall.issue("social", token=r.body["token"]).status == 201
    again = hall.post(hall.hp("/devices/kiosk/token"), "root")  # replacing: the last one ends
    assert again.body["tokens_revoked"] == 1
    assert hall.issue("social", token=r.body["token"]).status == 401
    assert hall.post(hall.hp("/devices/nothing/revoke"), "root").status == 404
    assert hall.post(hall.hp("/devices/kiosk/revoke"), "boss").status == 403
    assert [e["type"] for e in audit(ctx)] == ["admin.device_revoked", "admin.device_token",
                                               "admin.device_token"]


def test_a_device_named_in_chinese_is_revoked_by_its_name(hall):
    r = hall.post(hall.hp("/devices"), "root", json={"name": "1号窗口 评价器", "kind": "evaluator",
                                                     "windows": [1]})
    token = r.body["token"]
    assert hall.get("/api/v1/auth/me", token).status == 200
    assert hall.post(hall.hp("/devices/1号窗口 评价器/revoke"), "root").status == 200
    assert hall.get("/api/v1/auth/me", token).status == 401


# ---------------------------------------------------------------- the audit trail as a whole

def test_the_audit_never_holds_a_password_or_a_token(hall, ctx):
    add_wang(hall)
    hall.request("PATCH", hall.hp("/users/wangfang"), "root", json={"role": "manager"})
    hall.post(hall.hp("/users/wangfang/password"), "root", json={"password": "Second-Pass-2"})
    hall.post(hall.hp("/users/wangfang/disable"), "root")
    hall.post(hall.hp("/users/wangfang/enable"), "root")
    tokens = [hall.post(hall.hp("/devices"), "root", json={"name": "tv", "kind": "display"}).body["token"],
              hall.post(hall.hp("/devices/tv/token"), "root").body["token"]]
    hall.post(hall.hp("/devices/tv/revoke"), "root")
    events = audit(ctx)
    assert [e["type"] for e in events] == [
        "admin.user_added", "admin.user_updated", "admin.password_reset", "admin.user_disabled",
        "admin.user_enabled", "admin.device_added", "admin.device_token", "admin.device_revoked"]
    root = f"user:{user_id(ctx, 'root')}"
    assert {e["actor"] for e in events} == {root}
    text = json.dumps(events, ensure_ascii=False)
    for secret in [NEW_PW, "Second-Pass-2", "wangfang", *tokens,
                   *(hashlib.sha256(x.encode()).hexdigest() for x in tokens)]:
        assert secret not in text, secret
    with ctx.db.read() as conn:
        hashes = conn.execute(select(t.users.c.password_hash)).scalars().all()
    assert not any(h in text for h in hashes)


@pytest.mark.parametrize("path", ["/users", "/devices"])
def test_the_audit_events_reach_the_hall_stream_as_ordinary_events(hall, ctx, path):
    before = ctx.bus.last_id
    body = ({"username": "li", "password": NEW_PW, "role": "staff"} if path == "/users"
            else {"name": "tv", "kind": "display"})
    assert hall.post(hall.hp(path), "root", json=body).status == 201
    hall_id = ctx.hall_by_code("main").id
    evs = [ev for ev, _ in ctx.bus.events_after(hall_id, before)]
    assert [ev["type"] for ev in evs] == ["admin.user_added" if path == "/users" else "admin.device_added"]
