"""Appointments under /api/v1/halls/{hall}/appointments: slots, booking, cancelling, check-in."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..services import appointments, auth
from .base import client_address, hallq, json_body, openapi, principal

bp = Blueprint("api_appointments", __name__, url_prefix="/api/v1")

STAFF = ("staff", "manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
CODE = HALL + [{"name": "code", "in": "path", "required": True,
                "schema": {"type": "string", "maxLength": 64},
                "description": "the signed appointment code (as in the confirmation QR)"}]
SERVICE_Q = {"name": "service", "in": "query", "required": True, "schema": {"type": "string"}}
DATE_Q = {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}}
E4 = {"400": {"description": "bad input"}, "404": {"description": "unknown hall/service/appointment"},
      "409": {"description": "full, limit reached or wrong state"},
      "429": {"description": "too many requests"}}

BOOK = {"type": "object", "required": ["service", "date", "slot", "name", "phone", "id_number"],
        "additionalProperties": False,
        "properties": {
            "service": {"type": "string", "minLength": 1, "maxLength": 32},
            "date": {"type": "string", "maxLength": 10, "description": "YYYY-MM-DD (hall-local)"},
            "slot": {"type": "string", "maxLength": 11, "description": "e.g. 09:00-09:30"},
            "name": {"type": "string", "maxLength": 40},
            "phone": {"type": "string", "maxLength": 20},
            "id_number": {"type": "string", "maxLength": 32,
                          "description": "resident ID (GB 11643); kept only as keyed hash + masked"}}}
CHECK_IN = {"type": "object", "additionalProperties": False,
            "properties": {"code": {"type": "string", "maxLength": 64},
                           "id_number": {"type": "string", "maxLength": 32}},
            "oneOf": [{"required": ["code"]}, {"required": ["id_number"]}]}


def _arg(name):
    value = request.args.get(name)
    if not value:
        from ..domain.errors import Invalid
        raise Invalid(f"query parameter {name} is required", code="invalid")
    return value


def _public_limit():
    hallq().limiter.check_public(f"appointments:{client_address()}")


@bp.get("/halls/<hall>/appointments/info")
@openapi("Booking rules and the services that can be booked", query=HALL, tags=["appointments"])
def info(hall):
    return jsonify(appointments.booking_info(hallq(), hall))


@bp.get("/halls/<hall>/appointments/days")
@openapi("The bookable days ahead for a service (holidays and make-up workdays marked)",
         query=HALL + [SERVICE_Q], tags=["appointments"], responses={"200": {"description": "OK"}, **E4})
def days(hall):
    return jsonify(appointments.list_days(hallq(), hall, _arg("service")))


@bp.get("/halls/<hall>/appointments/slots")
@openapi("A day's slots for a service with seats left", query=HALL + [SERVICE_Q, DATE_Q],
         tags=["appointments"], responses={"200": {"description": "OK"}, **E4})
def slots(hall):
    return jsonify(appointments.list_slots(hallq(), hall, _arg("service"), _arg("date")))


@bp.post("/halls/<hall>/appointments")
@openapi("Book a slot: 201 with the signed code (also the cancel code) and its QR; 409 slot_full "
         "when the last seat went to someone else", body=BOOK, query=HALL, tags=["appointments"],
         responses={"201": {"description": "the booking"}, **E4})
def create(hall):
    _public_limit()
    body = json_body(BOOK)
    result = appointments.book(hallq(), hall, service=body["service"], date_s=body["date"],
                               slot=body["slot"], name=body["name"], phone=body["phone"],
                               id_number=body["id_number"], address=client_address())
    return jsonify(result), 201


@bp.get("/halls/<hall>/appointments")
@openapi("A day's bookings (masked) for the hall's staff",
         query=HALL + [DATE_Q], access="staff, manager", tags=["appointments"])
def day_list(hall):
    app = hallq()
    with app.db.read() as conn:
        hall_id = app.hall(conn, hall).id
    auth.require(principal(), roles=STAFF, hall_id=hall_id)
    return jsonify(appointments.list_for_day(app, hall, _arg("date")))


@bp.get("/halls/<hall>/progress/<code>")
@openapi("进度查询: by a booking code or a ticket's code, the booking, the ticket's place and the "
         "case's progress (due date, result ready); nothing personal", query=CODE, tags=["appointments"],
         responses={"200": {"description": "kind booking|ticket with what is known"}, **E4})
def progress(hall, code):
    _public_limit()
    return jsonify(appointments.progress(hallq(), hall, code))


@bp.get("/halls/<hall>/appointments/<code>")
@openapi("One booking, for the holder of its signed code", query=CODE, tags=["appointments"],
         responses={"200": {"description": "the booking"}, **E4})
def show(hall, code):
    _public_limit()
    return jsonify(appointments.get_booking(hallq(), hall, code))


@bp.delete("/halls/<hall>/appointments/<code>")
@openapi("Cancel a booking (frees the seat); the holder until the slot starts, staff any time",
         query=CODE, tags=["appointments"], responses={"200": {"description": "the booking"}, **E4})
def cancel(hall, code):
    p = principal()
    if p is None or not p.is_user:
        _public_limit()
        p = None
    return jsonify(appointments.cancel(hallq(), hall, code, p))


@bp.post("/halls/<hall>/appointments/check-in")
@openapi("Check in a booking by its signed code or the ID number: 201 with the ticket (as POST "
         "…/tickets) plus `appointment`; late: an ordinary ticket with `note`",
         body=CHECK_IN, query=HALL, access="kiosk device, staff", tags=["appointments"],
         headers=[{"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "maxLength": 128}}],
         responses={"201": {"description": "the ticket"}, **E4})
def check_in(hall):
    app = hallq()
    with app.db.read() as conn:
        hall_id = app.hall(conn, hall).id
    p = auth.require(principal(), roles=STAFF, devices=("kiosk",), hall_id=hall_id)
    body = json_body(CHECK_IN)
    app.limiter.check_issue(p.actor)
    result = appointments.check_in(app, hall, p, code=body.get("code"), id_number=body.get("id_number"),
                                   idempotency_key=request.headers.get("Idempotency-Key"))
    return jsonify(result), (200 if result.get("replayed") else 201)
