"""帮办代办 over HTTP: residents ask on the phone page, the kiosk or the front desk; managers and
agents (帮办员) follow the requests on /manager/assist. Thin: read, check access, call
services.assist, answer."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..domain import assist as ad
from ..domain.errors import Invalid
from ..services import assist, auth
from .base import client_address, hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_assist", __name__, url_prefix="/api/v1")

WORKERS = ("staff", "agent", "manager", "admin")
ASSIGNERS = ("staff", "manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not allowed"}, "404": {"description": "unknown hall, request or agent"},
      "409": {"description": "wrong state"}, "429": {"description": "too many requests"}}

NEW = {"type": "object", "required": ["service", "matter", "name", "phone"], "additionalProperties": False,
       "properties": {"service": {"type": "string", "maxLength": 32},
                      "matter": {"type": "string", "maxLength": 200, "description": "what is to be done"},
                      "name": {"type": "string", "maxLength": 30, "description": "stored masked"},
                      "phone": {"type": "string", "maxLength": 20,
                                "description": "stored masked and sealed for the agent's call"},
                      "village": {"type": ["string", "null"], "maxLength": 100},
                      "delivery": {"type": "string", "enum": list(ad.DELIVERY)},
                      "note": {"type": ["string", "null"], "maxLength": 500},
                      "source": {"type": "string", "enum": ["desk", "hotline"],
                                 "description": "staff only: taken at the desk or by telephone"}}}
ASSIGN = {"type": "object", "required": ["agent"], "additionalProperties": False,
          "properties": {"agent": {"type": "string", "maxLength": 64, "description": "username"}}}
STATUS = {"type": "object", "required": ["status"], "additionalProperties": False,
          "properties": {"status": {"type": "string", "enum": [s for s in ad.STATUSES if s != "accepted"]},
                         "note": {"type": ["string", "null"], "maxLength": 500}}}


@bp.post("/halls/<hall>/assist")
@openapi("Ask for 帮办代办 (the hall does it on the resident's behalf within the working-day limit). "
         "Anyone (the phone page, rate-limited per address), the kiosk, or staff at the desk",
         body=NEW, query=HALL, tags=["assist"], access="anyone, kiosk, staff",
         headers=[{"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "maxLength": 128},
                   "description": "a device's or staff member's retry with the same key gets the "
                                  "first request back (replayed: true)"}],
         responses={"201": {"description": "the request, masked"},
                    "200": {"description": "a retry: the first request (replayed: true)"}, **E4})
def new_request(hall):
    p = principal()
    if p is None:
        hallq().limiter.check_public(f"assist:{client_address()}")
    else:
        auth.require(p, roles=ASSIGNERS + ("agent",), devices=("kiosk",), hall_id=hall_id(hall))
    body = json_body(NEW)
    if p is None or not p.is_user:
        body.pop("source", None)
    out = assist.request(hallq(), hall, p, body, idempotency_key=request.headers.get("Idempotency-Key"))
    return jsonify(out), 200 if out.get("replayed") else 201


@bp.get("/halls/<hall>/assist")
@openapi("帮办代办 requests (masked). status: open | overdue | closed | mine | all", query=HALL + [
    {"name": "status", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(assist.FILTERS), "default": "open"}}],
    tags=["assist"], access="staff, agent, manager", responses={"200": {"description": "list"}, **E4})
def list_requests(hall):
    p = auth.require(principal(), roles=WORKERS, hall_id=hall_id(hall))
    status = request.args.get("status", "open")
    if status not in assist.FILTERS:
        raise Invalid(f"status must be one of: {', '.join(assist.FILTERS)}", code="invalid_status")
    return jsonify(assist.list_requests(hallq(), hall, p, status))


@bp.post("/halls/<hall>/assist/<int:rid>/assign")
@openapi("Assign a request to an agent (帮办员) or staff member (event assist.assigned); an agent "
         "may take one for themselves", body=ASSIGN, query=HALL, tags=["assist"],
         access="staff, manager, agent (themselves)", responses={"200": {"description": "the request"}, **E4})
def assign(hall, rid):
    p = auth.require(principal(), roles=WORKERS, hall_id=hall_id(hall))
    return jsonify(assist.assign(hallq(), hall, p, rid, json_body(ASSIGN)["agent"]))


@bp.post("/halls/<hall>/assist/<int:rid>/status")
@openapi("Move a request on: in_progress 办理中, done 办结, delivered 送达, cancelled 撤销 (needs a "
         "note); the assigned agent or a manager", body=STATUS, query=HALL, tags=["assist"],
         access="assigned agent, manager", responses={"200": {"description": "the request"}, **E4})
def set_status(hall, rid):
    p = auth.require(principal(), roles=WORKERS, hall_id=hall_id(hall))
    b = json_body(STATUS)
    return jsonify(assist.set_status(hallq(), hall, p, rid, b["status"], b.get("note")))


@bp.post("/halls/<hall>/assist/<int:rid>/contact")
@openapi("The resident's whole phone number, for the assigned agent or a manager who must call; "
         "each look is audited (event assist.contact_shown)", query=HALL, tags=["assist"],
         access="assigned agent, manager", responses={"200": {"description": "{id, phone}"}, **E4})
def contact(hall, rid):
    p = auth.require(principal(), roles=WORKERS, hall_id=hall_id(hall))
    return jsonify(assist.reveal_contact(hallq(), hall, p, rid))


@bp.get("/halls/<hall>/assist/agents")
@openapi("Who a request can be assigned to: agents (帮办员) and staff of the hall (name, username)",
         query=HALL, tags=["assist"], access="staff, agent, manager",
         responses={"200": {"description": "list"}, **E4})
def agents(hall):
    auth.require(principal(), roles=WORKERS, hall_id=hall_id(hall))
    return jsonify(assist.agents(hallq(), hall))
