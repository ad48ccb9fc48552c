"""The hall administrator's API behind /admin: accounts and devices of one hall. Admins change,
managers read. Thin: read, check access, call services.admin, answer.

Accounts are named by username and devices by name in the paths (both unique in the hall)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..services import admin, auth, calendar
from .base import bearer_token, hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_admin", __name__, url_prefix="/api/v1")

ADMINS = ("admin",)
READERS = ("manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not allowed (admins only)"},
      "404": {"description": "unknown hall, account or device"}}
E409 = {**E4, "409": {"description": "username or device name taken, or your own account"}}

WINDOWS = {"type": "array", "maxItems": 100, "items": {"type": "integer", "minimum": 1,
                                                         "maximum": 9999},
           "description": "window numbers of this hall where the account may sign in / the device stands"}
ROLE = {"type": "string", "enum": list(auth.ROLES),
        "description": "staff 窗口工作人员 | manager 大厅管理人员 | admin 系统管理员 | agent 帮办员"}
PASSWORD = {"type": "string", "minLength": 1, "maxLength": 128,
            "description": "at least 8 characters with letters and digits"}


def _optional_text(max_len: int) -> dict:
    return {"type": ["string", "null"], "maxLength": max_len}


NEW_USER = {"type": "object", "required": ["username", "password", "role"],
            "additionalProperties": False,
            "properties": {"username": {"type": "string", "maxLength": 64,
                                        "description": "2-64 letters, digits, _ . -"},
                           "password": PASSWORD, "role": ROLE,
                           "name": _optional_text(100), "windows": WINDOWS,
                           "staff_no": _optional_text(32), "duties": _optional_text(200)}}
EDIT_USER = {"type": "object", "additionalProperties": False, "minProperties": 1,
             "properties": {"name": {"type": "string", "maxLength": 100}, "role": ROLE,
                            "windows": WINDOWS, "staff_no": _optional_text(32),
                            "duties": _optional_text(200)}}
NEW_PASSWORD = {"type": "object", "required": ["password"], "additionalProperties": False,
                "properties": {"password": PASSWORD}}
PHOTO = {"type": "object", "required": ["image"], "additionalProperties": False,
         "properties": {"image": {"type": "string", "minLength": 1, "maxLength": 960_000,
                                  "description": "the JPEG or PNG file, base64 (a data: URL too); "
                                                 "at most 700 KB"}}}
NEW_DEVICE = {"type": "object", "required": ["name", "kind"], "additionalProperties": False,
              "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 64},
                             "kind": {"type": "string", "enum": list(auth.DEVICE_KINDS),
                                      "description": "kiosk 取号机 | display 显示屏 | evaluator "
                                                     "评价器 | keypad 呼叫器 | casesys 窗口办件系统"},
                             "windows": WINDOWS}}


def _admin(hall):
    return auth.require(principal(), roles=ADMINS, hall_id=hall_id(hall))


# ---------------------------------------------------------------- accounts

@bp.get("/halls/<hall>/users")
@openapi("Accounts of the hall and of every hall: username, name, role, windows, staff number, "
         "duties, photo, active, last sign-in, sign_in_locked (failed sign-ins make it wait); "
         "never a password hash", query=HALL,
         access="admin, manager (read-only)", tags=["admin"],
         responses={"200": {"description": "list of accounts"}, **E4})
def users(hall):
    p = auth.require(principal(), roles=READERS, hall_id=hall_id(hall))
    accounts = admin.list_users(hallq(), hall, p)
    guard = hallq().limiter.sign_ins
    for a in accounts:
        a["sign_in_locked"] = guard.account_locked(a["username"])
    return jsonify(accounts)


@bp.post("/halls/<hall>/users")
@openapi("Add an account (event admin.user_added); 409 when the username is taken, 400 for a "
         "weak password or a window the hall does not have", body=NEW_USER, query=HALL,
         access="admin", tags=["admin"],
         responses={"201": {"description": "the account"}, **E409})
def add_user(hall):
    p = _admin(hall)
    b = json_body(NEW_USER)
    return jsonify(admin.add_user(hallq(), hall, p, username=b["username"], password=b["password"],
                                  role=b["role"], name=b.get("name"), windows=b.get("windows"),
                                  staff_no=b.get("staff_no"), duties=b.get("duties"))), 201


@bp.patch("/halls/<hall>/users/<username>")
@openapi("Change an account's name, role, windows, staff number or duties (event "
         "admin.user_updated); 409 for your own role", body=EDIT_USER, query=HALL, access="admin",
         tags=["admin"], responses={"200": {"description": "the account"}, **E409})
def update_user(hall, username):
    p = _admin(hall)
    return jsonify(admin.update_user(hallq(), hall, p, username, json_body(EDIT_USER)))


@bp.post("/halls/<hall>/users/<username>/password")
@openapi("Set a new password (event admin.password_reset); the account's sign-ins end",
         body=NEW_PASSWORD, query=HALL, access="admin", tags=["admin"],
         responses={"200": {"description": "the account"}, **E4})
def reset_password(hall, username):
    p = _admin(hall)
    body = json_body(NEW_PASSWORD)
    return jsonify(admin.reset_password(hallq(), hall, p, username, body["password"],
                                        keep_token=bearer_token()))


@bp.post("/halls/<hall>/users/<username>/disable")
@openapi("Disable an account and end its sign-ins (event admin.user_disabled); 409 for your own",
         query=HALL, access="admin", tags=["admin"],
         responses={"200": {"description": "the account"}, **E409})
def disable_user(hall, username):
    p = _admin(hall)
    return jsonify(admin.set_active(hallq(), hall, p, username, False))


@bp.post("/halls/<hall>/users/<username>/enable")
@openapi("Enable a disabled account (event admin.user_enabled)", query=HALL, access="admin",
         tags=["admin"], responses={"200": {"description": "the account"}, **E4})
def enable_user(hall, username):
    p = _admin(hall)
    return jsonify(admin.set_active(hallq(), hall, p, username, True))


@bp.post("/halls/<hall>/users/<username>/unlock")
@openapi("Clear the account's failed sign-ins so it can sign in at once (event "
         "admin.user_unlocked)", query=HALL, access="admin", tags=["admin"],
         responses={"200": {"description": "the account"}, **E4})
def unlock_user(hall, username):
    p = _admin(hall)
    return jsonify(admin.unlock_sign_in(hallq(), hall, p, username, hallq().limiter.sign_ins))


@bp.post("/halls/<hall>/users/<username>/photo")
@openapi("Upload a staff photo for the public board and the evaluator (event admin.photo_set): "
         "JPEG or PNG, checked and re-encoded without metadata; served by GET "
         "/api/v1/staff/{id}/photo", body=PHOTO, query=HALL, access="admin", tags=["admin"],
         responses={"200": {"description": "the account"}, **E4,
                    "413": {"description": "request too large"}})
def upload_photo(hall, username):
    p = _admin(hall)
    body = json_body(PHOTO)
    return jsonify(admin.set_photo(hallq(), hall, p, username, body["image"]))


# ---------------------------------------------------------------- devices

@bp.get("/halls/<hall>/devices")
@openapi("Devices of the hall: name, kind, windows, created, working tokens (never a token or "
         "its hash)", query=HALL, access="admin, manager (read-only)", tags=["admin"],
         responses={"200": {"description": "list of devices"}, **E4})
def devices(hall):
    auth.require(principal(), roles=READERS, hall_id=hall_id(hall))
    return jsonify(admin.list_devices(hallq(), hall))


@bp.post("/halls/<hall>/devices")
@openapi("Register a device (event admin.device_added). The answer holds its token: the only "
         "time it is shown", body=NEW_DEVICE, query=HALL, access="admin", tags=["admin"],
         responses={"201": {"description": "the device with its token"}, **E409})
def add_device(hall):
    p = _admin(hall)
    b = json_body(NEW_DEVICE)
    return jsonify(admin.add_device(hallq(), hall, p, name=b["name"], kind=b["kind"],
                                    windows=b.get("windows"))), 201


@bp.post("/halls/<hall>/devices/<path:name>/revoke")
@openapi("Revoke every token of a device (event admin.device_revoked): it stops working at once",
         query=HALL, access="admin", tags=["admin"],
         responses={"200": {"description": "the device"}, **E4})
def revoke_device(hall, name):
    p = _admin(hall)
    return jsonify(admin.revoke_device(hallq(), hall, p, name))


@bp.post("/halls/<hall>/devices/<path:name>/token")
@openapi("Replace a device's tokens by a new one (event admin.device_token), shown once in the "
         "answer", query=HALL, access="admin", tags=["admin"],
         responses={"201": {"description": "the device with its new token"}, **E4})
def new_device_token(hall, name):
    p = _admin(hall)
    return jsonify(admin.revoke_device(hallq(), hall, p, name, new_token=True)), 201


# ---------------------------------------------------------------- working-day calendar

CALENDAR_DAYS = {"type": "object", "required": ["days", "kind"], "additionalProperties": False,
                 "properties": {"days": {"type": "string", "maxLength": 32,
                                         "description": "2027-02-06 or 2027-02-06..2027-02-12"},
                                "kind": {"type": "string", "enum": ["holiday", "workday"],
                                         "description": "holiday 放假 | workday 调休上班"},
                                "name": {"type": ["string", "null"], "maxLength": 64,
                                         "description": "the holiday's name, e.g. 春节"}}}


@bp.get("/halls/<hall>/calendar")
@openapi("The hall's working-day calendar: its own holidays and make-up workdays, which years are "
         "known (package data or overrides), and the next-year warning from 1 November", query=HALL,
         access="admin, manager (read-only)", tags=["admin"],
         responses={"200": {"description": "days, years, warning"}, **E4})
def calendar_view(hall):
    auth.require(principal(), roles=READERS, hall_id=hall_id(hall))
    return jsonify(calendar.view(hallq(), hall))


@bp.post("/halls/<hall>/calendar")
@openapi("Enter holidays or make-up workdays (event admin.calendar_set); every working-day "
         "computation uses them (due dates, review deadlines, kiosk opening, booking days)",
         body=CALENDAR_DAYS, query=HALL, access="admin", tags=["admin"],
         responses={"200": {"description": "the calendar"}, **E4})
def calendar_set(hall):
    p = _admin(hall)
    b = json_body(CALENDAR_DAYS)
    return jsonify(calendar.set_days(hallq(), hall, p, days=b["days"], kind=b["kind"], name=b.get("name")))


@bp.delete("/halls/<hall>/calendar/<day>")
@openapi("Remove one entered day (event admin.calendar_removed)", query=HALL, access="admin",
         tags=["admin"], responses={"200": {"description": "the calendar"}, **E4})
def calendar_remove(hall, day):
    p = _admin(hall)
    return jsonify(calendar.remove_day(hallq(), hall, p, day))
