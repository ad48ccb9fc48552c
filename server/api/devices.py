"""Device faults (a kiosk's printer out of paper, cover open, offline): devices report and clear
their own, managers list and clear them. Thin: read, check access, call services.devices."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..domain.errors import Invalid
from ..services import auth, devices, presence
from .base import client_address, hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_devices", __name__, url_prefix="/api/v1")

MANAGERS = ("manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
FAULT_ID = HALL + [{"name": "fault_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not allowed"}, "404": {"description": "unknown hall or fault"}}

REPORT = {"type": "object", "required": ["kind"], "additionalProperties": False,
          "properties": {"kind": {"type": "string", "enum": list(devices.KINDS)},
                         "message": {"type": "string", "maxLength": 500}}}
CLEAR_OWN = {"type": "object", "additionalProperties": False,
             "properties": {"kind": {"type": "string", "enum": list(devices.KINDS)}}}


@bp.post("/halls/<hall>/devices/faults")
@openapi("A device reports a fault (event device.fault); an open fault of the same kind is "
         "returned again, not doubled", body=REPORT, query=HALL, access="kiosk device (any device)",
         tags=["devices"], responses={"201": {"description": "the fault"}, **E4})
def report(hall):
    p = auth.require(principal(), devices=auth.DEVICE_KINDS, hall_id=hall_id(hall))
    body = json_body(REPORT)
    fault = devices.report(hallq(), hall, p, body["kind"], body.get("message"))
    return jsonify(fault), (200 if fault.get("repeated") else 201)


@bp.get("/halls/<hall>/devices/faults")
@openapi("Device faults, newest first (?open=1: only those not cleared)", access="manager",
         query=HALL + [{"name": "open", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["0", "1"]}}],
         tags=["devices"], responses={"200": {"description": "the faults"}, **E4})
def faults(hall):
    auth.require(principal(), roles=MANAGERS, hall_id=hall_id(hall))
    only_open = request.args.get("open", "0")
    if only_open not in ("0", "1"):
        raise Invalid("open must be 0 or 1", code="invalid")
    return jsonify(devices.list_faults(hallq(), hall, only_open == "1"))


@bp.post("/halls/<hall>/devices/faults/<int:fault_id>/clear")
@openapi("Clear one fault (event device.cleared)", query=FAULT_ID,
         access="manager, or the device that reported it", tags=["devices"],
         responses={"200": {"description": "the faults cleared"}, **E4})
def clear(hall, fault_id):
    p = auth.require(principal(), roles=MANAGERS, devices=auth.DEVICE_KINDS, hall_id=hall_id(hall))
    return jsonify({"cleared": devices.clear(hallq(), hall, p, fault_id=fault_id)})


@bp.post("/halls/<hall>/devices/faults/clear")
@openapi("A device clears all its own open faults (optionally of one kind) when it works again",
         body=CLEAR_OWN, query=HALL, access="the reporting device", tags=["devices"],
         responses={"200": {"description": "the faults cleared"}, **E4})
def clear_own(hall):
    p = auth.require(principal(), devices=auth.DEVICE_KINDS, hall_id=hall_id(hall))
    body = json_body(CLEAR_OWN, required=False)
    return jsonify({"cleared": devices.clear(hallq(), hall, p, kind=body.get("kind"))})


# ---------------------------------------------------------------- heartbeats (last seen)

HEARTBEAT = {"type": "object", "required": ["program"], "additionalProperties": False,
             "properties": {
                 "program": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,31}$",
                             "description": "kiosk | announcer | led | keypads | display-page | "
                                            "evaluator-page | ..."},
                 "name": {"type": "string", "minLength": 1, "maxLength": 64,
                          "description": "the device's name; only without a token (then kind display)"},
                 "kind": {"type": "string", "enum": list(auth.DEVICE_KINDS),
                          "description": "ignored: a token says the kind; without one it is display"},
                 "version": {"type": "string", "maxLength": 32},
                 "status": {"type": "string", "enum": list(presence.STATUSES)},
                 "detail": {"type": "string", "maxLength": 200}}}
PRESENCE_ID = HALL + [{"name": "presence_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


@bp.post("/halls/<hall>/devices/heartbeat")
@openapi("A device program says it is alive (every 30 s); with a device token it is known by the "
         "token, without one by its name (kind display)", body=HEARTBEAT, query=HALL,
         access="any device; a display program without a token", tags=["devices"],
         responses={"200": {"description": "the device as recorded, and every_s"}, **E4,
                    "429": {"description": "too many unregistered devices"}})
def heartbeat(hall):
    p = principal()
    if p is not None:
        p = auth.require(p, devices=auth.DEVICE_KINDS, hall_id=hall_id(hall))
    else:  # a display program without a token: rate limited per address (and capped per hall)
        hallq().limiter.check_public(f"heartbeat:{client_address()}")
    body = json_body(HEARTBEAT)
    return jsonify(presence.beat(hallq(), hall, p, program=body["program"], name=body.get("name"),
                                 version=body.get("version"), status=body.get("status", "ok"),
                                 detail=body.get("detail"), address=request.remote_addr))


@bp.get("/halls/<hall>/devices/presence")
@openapi("Every device program that sent a heartbeat, with when it was last seen and whether it "
         "counts as online", query=HALL, access="manager", tags=["devices"],
         responses={"200": {"description": "the devices"}, **E4})
def presence_list(hall):
    auth.require(principal(), roles=MANAGERS, hall_id=hall_id(hall))
    return jsonify(presence.list_presence(hallq(), hall))


@bp.post("/halls/<hall>/devices/presence/<int:presence_id>/forget")
@openapi("Stop watching a device program (retired or renamed); a new heartbeat brings it back",
         query=PRESENCE_ID, access="manager", tags=["devices"],
         responses={"200": {"description": "forgotten"}, **E4})
def presence_forget(hall, presence_id):
    auth.require(principal(), roles=MANAGERS, hall_id=hall_id(hall))
    presence.forget(hallq(), hall, presence_id)
    return jsonify({"forgotten": presence_id})
