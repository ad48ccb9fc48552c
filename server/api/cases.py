"""Cases the hall follows up (bad-review cases, promised cases), a window's own figures for today,
and staff photos. Thin: read, check access, call services.cases, answer."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, send_from_directory

from ..domain.errors import Invalid
from ..services import auth, case_contacts, cases
from .base import hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_cases", __name__, url_prefix="/api/v1")

MANAGERS = ("manager", "admin")
STAFF = ("staff", "manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not allowed"}, "404": {"description": "unknown hall or case"},
      "409": {"description": "wrong state"}}

STEP = {"type": "object", "required": ["step", "text"], "additionalProperties": False,
        "properties": {"step": {"type": "string", "enum": list(cases.STEPS),
                                "description": "verify 核实 | rectify 整改 | callback 回访 (in order)"},
                       "text": {"type": "string", "minLength": 1, "maxLength": 2000},
                       "callback": {
                           "type": "object", "required": ["channel", "result"],
                           "additionalProperties": False,
                           "description": "with step callback: how the 回访 went",
                           "properties": {
                               "channel": {"type": "string",
                                           "enum": ["phone", "sms", "visit", "wechat", "other"]},
                               "at": {"type": "string", "maxLength": 40,
                                      "description": "when (ISO 8601; default now)"},
                               "result": {"type": "string",
                                          "enum": ["reached", "unreachable", "declined"]},
                               "satisfaction": {"type": "string",
                                                "enum": ["satisfied", "basically", "dissatisfied"],
                                                "description": "the resident's view of the "
                                                               "rectification"}}}}}
VOID = {"type": "object", "required": ["reason"], "additionalProperties": False,
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}}}
DELIVER = {"type": "object", "additionalProperties": False,
           "properties": {"note": {"type": "string", "minLength": 1, "maxLength": 500}}}


def _status(allowed):
    status = request.args.get("status", "open")
    if status not in allowed:
        raise Invalid(f"status must be one of: {', '.join(allowed)}", code="invalid_status")
    return status


def _q(name, values):
    return [{"name": name, "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(values), "default": values[0]}}]


@bp.get("/halls/<hall>/review-cases")
@openapi("Bad-review cases (差评整改) with their rating, steps and history. status: open (overdue "
         "included) | overdue | closed (closed or voided) | all", access="staff, manager",
         query=HALL + _q("status", cases.REVIEW_FILTERS), tags=["cases"],
         responses={"200": {"description": "list of cases"}, **E4})
def review_cases(hall):
    auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(cases.list_review_cases(hallq(), hall, _status(cases.REVIEW_FILTERS)))


@bp.get("/halls/<hall>/review-cases/<int:case_id>")
@openapi("One bad-review case with its history", access="staff, manager", query=HALL,
         tags=["cases"], responses={"200": {"description": "the case"}, **E4})
def review_case(hall, case_id):
    auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(cases.get_review_case(hallq(), hall, case_id))


@bp.post("/halls/<hall>/review-cases/<int:case_id>/steps")
@openapi("Record a step of a bad-review case: verify 核实, rectify 整改, callback 回访 (in that "
         "order); the third closes the case", body=STEP, access="manager", query=HALL,
         tags=["cases"], responses={"201": {"description": "the case after the step"}, **E4})
def review_step(hall, case_id):
    p = auth.require(principal(), roles=MANAGERS, hall_id=hall_id(hall))
    body = json_body(STEP)
    return jsonify(cases.add_step(hallq(), hall, case_id, p, body["step"], body["text"],
                                  body.get("callback"))), 201


@bp.post("/halls/<hall>/review-cases/<int:case_id>/void")
@openapi("Void a mistaken or malicious bad review (申诉) with a reason, kept in the history",
         body=VOID, access="manager", query=HALL, tags=["cases"],
         responses={"200": {"description": "the voided case"}, **E4})
def review_void(hall, case_id):
    p = auth.require(principal(), roles=MANAGERS, hall_id=hall_id(hall))
    body = json_body(VOID)
    return jsonify(cases.void_case(hallq(), hall, case_id, p, body["reason"]))


@bp.post("/halls/<hall>/review-cases/<int:case_id>/contact")
@openapi("The whole 回访 phone the resident left with consent, for the manager about to call "
         "back; each look is logged (review.contact_shown)", access="manager, admin", query=HALL,
         tags=["cases"], responses={"200": {"description": "{case_id, phone}"}, **E4})
def review_contact(hall, case_id):
    p = auth.require(principal(), roles=MANAGERS, hall_id=hall_id(hall))
    return jsonify(case_contacts.reveal(hallq(), hall, p, case_id))


@bp.get("/halls/<hall>/promised")
@openapi("Promised cases (承诺件): tickets finished with outcome promised. status: open (overdue "
         "included) | overdue | delivered | all", access="staff, manager",
         query=HALL + _q("status", cases.PROMISED_FILTERS), tags=["cases"],
         responses={"200": {"description": "list of promised cases"}, **E4})
def promised(hall):
    auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(cases.list_promised(hallq(), hall, _status(cases.PROMISED_FILTERS)))


@bp.post("/halls/<hall>/promised/<int:ticket_id>/deliver")
@openapi("Mark a promised case delivered (办结出件); 409 when it already was", body=DELIVER,
         access="staff, manager", query=HALL, tags=["cases"],
         responses={"200": {"description": "the delivered case"}, **E4})
def promised_deliver(hall, ticket_id):
    p = auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    body = json_body(DELIVER, required=False)
    return jsonify(cases.deliver(hallq(), hall, ticket_id, p, body.get("note")))


@bp.get("/halls/<hall>/cases/summary")
@openapi("Counts of open and overdue review cases and promised cases", access="staff, manager",
         query=HALL, tags=["cases"], responses={"200": {"description": "counts"}, **E4})
def cases_summary(hall):
    auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(cases.summary(hallq(), hall))


@bp.get("/halls/<hall>/staff/me/today")
@openapi("The signed-in staff member's figures for today: served, mean service time, ratings",
         access="staff, manager", query=HALL, tags=["window"],
         responses={"200": {"description": "figures"}, **E4})
def staff_today(hall):
    p = auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(cases.staff_today(hallq(), hall, p))


@bp.get("/staff/<int:staff_id>/photo")
@openapi("A staff member's photo for the public board and the evaluator (a drawn avatar when "
         "none is on file)", tags=["hall"], content_type="image/*",
         responses={"200": {"description": "image"}, "404": {"description": "unknown staff"}})
def staff_photo(staff_id):
    folder, name = cases.staff_photo(hallq(), staff_id)
    if folder is None:
        resp = Response(name, mimetype="image/svg+xml")
    else:
        resp = send_from_directory(folder, name, max_age=300)
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp
