"""登记投诉/评价: staff record a rating or complaint that came by the 12345 hotline, the suggestion
box, in person or another way; with or without a visit. Thin: services/recorded.py decides."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..services import auth, recorded
from .base import hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_recorded", __name__, url_prefix="/api/v1")

HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not allowed (a device, or one's own work)"},
      "404": {"description": "unknown hall, visit, service, window or staff member"}}
# Who records: any signed-in member of staff (the front desk and windows take 现场 complaints,
# whoever answers the hotline or opens the box), managers and admins; never a device.
RECORDERS = ("staff", "manager", "admin")
REASONS = ["attitude", "efficiency", "process", "environment", "other"]

RECORDED = {"type": "object", "required": ["channel"], "additionalProperties": False,
            "properties": {
                "channel": {"type": "string", "enum": ["hotline", "box", "onsite", "other"],
                            "description": "hotline 12345热线 | box 意见箱 | onsite 现场 | other 其他"},
                "kind": {"type": "string", "enum": ["rating", "complaint"], "default": "rating",
                         "description": "rating (with a level) or complaint 投诉 (no level)"},
                "level": {"type": "integer", "minimum": 1, "maximum": 5,
                          "description": "5 非常满意 .. 1 非常不满意; a rating needs it"},
                "visit": {"type": "string", "minLength": 1, "maxLength": 200,
                          "description": "the visit: its ticket number (with day), the code on the "
                                         "ticket or its QR link, or the booking code"},
                "number": {"type": "string", "minLength": 1, "maxLength": 16,
                           "description": "the visit's ticket number (older name of visit)"},
                "day": {"type": "string", "format": "date",
                        "description": "the day of the visit a ticket number names (default today)"},
                "service": {"type": "string", "maxLength": 32,
                            "description": "no visit: the service it is about (code)"},
                "window": {"type": "integer", "minimum": 1, "maximum": 999,
                           "description": "no visit: the window it is about"},
                "staff_id": {"type": "integer", "minimum": 1,
                             "description": "no visit: the member of staff it is about"},
                "visit_day": {"type": "string", "format": "date",
                              "description": "no visit: the day of the visit, when known"},
                "reasons": {"type": "array", "maxItems": 5, "items": {"type": "string", "enum": REASONS},
                            "description": "the topic (堵点 tags), as on the evaluator"},
                "comment": {"type": "string", "maxLength": 500,
                            "description": "what the resident said (a complaint needs it)"},
                "phone": {"type": "string", "maxLength": 20,
                          "description": "for the 回访 (bad rating or complaint), kept sealed"},
                "consent": {"type": "boolean", "description": "the resident agreed to be called back"}}}

CODE_Q = [{"name": "code", "in": "query", "required": True, "schema": {"type": "string"}},
          {"name": "day", "in": "query", "required": False, "schema": {"type": "string"}}]


@bp.post("/halls/<hall>/ratings/recorded")
@openapi("Staff record a rating or complaint (投诉) that came by the 12345 hotline, the suggestion "
         "box (意见箱), in person (现场) or another way: for the visit it names (one rating per "
         "visit), or with no visit, naming the service, window, staff member and day known; a bad "
         "rating or a complaint opens a review case", body=RECORDED,
         access="staff, manager, admin (not about their own work)", query=HALL, tags=["ratings"],
         headers=[{"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "maxLength": 128},
                   "description": "a retry with the same key gets the first record back "
                                  "(replayed: true), never a second record or case"}],
         responses={"201": {"description": "the rating (and its review case)"},
                    "200": {"description": "a retry: the first record (replayed: true)"},
                    "409": {"description": "the visit was already rated, or is not finished"}, **E4})
def record_rating(hall):
    who = auth.require(principal(), roles=RECORDERS, hall_id=hall_id(hall))
    b = json_body(RECORDED)
    out = recorded.record_for_resident(
        hallq(), hall, who, b["channel"], visit=b.get("visit") or b.get("number"), day=b.get("day"),
        service=b.get("service"), window=b.get("window"), staff_id=b.get("staff_id"),
        visit_day=b.get("visit_day"), kind=b.get("kind"), level=b.get("level"),
        reasons=b.get("reasons"), comment=b.get("comment"), phone=b.get("phone"),
        consent=b.get("consent"), idempotency_key=request.headers.get("Idempotency-Key"))
    return jsonify(out), 200 if out.get("replayed") else 201


@bp.get("/halls/<hall>/ratings/recorded/visit")
@openapi("The visit a typed or scanned code names (ticket number with day, the ticket's code, or "
         "a booking code), as the recording form shows it: masked, and whether it was rated",
         query=HALL + CODE_Q, access="staff, manager, admin", tags=["ratings"],
         responses={"200": {"description": "the visit"}, **E4})
def visit_lookup(hall):
    who = auth.require(principal(), roles=RECORDERS, hall_id=hall_id(hall))
    return jsonify(recorded.lookup(hallq(), hall, who, request.args.get("code"),
                                   request.args.get("day")))


@bp.get("/halls/<hall>/ratings/recorded/choices")
@openapi("What the recording form offers: channels, services, windows, staff members, reasons "
         "and levels", query=HALL, access="staff, manager, admin", tags=["ratings"],
         responses={"200": {"description": "the lists"}, **E4})
def form_choices(hall):
    auth.require(principal(), roles=RECORDERS, hall_id=hall_id(hall))
    return jsonify(recorded.choices(hallq(), hall))
