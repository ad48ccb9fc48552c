"""The front desk (导办台): issue a ticket with a priority group and a note, print it at a kiosk;
and the kiosk's side of those print jobs. Thin: the rules are in services.desk."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..services import auth, desk
from .base import hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_desk", __name__, url_prefix="/api/v1")

STAFF = ("staff", "manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
JOB = [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not allowed"}, "404": {"description": "unknown hall, service or kiosk"}}
ISSUE = {"type": "object", "required": ["service"], "additionalProperties": False,
         "properties": {
             "service": {"type": "string", "minLength": 1, "maxLength": 32},
             "priority": {"type": "string", "maxLength": 32,
                          "description": "a priority group of the hall config (elderly, disabled, ...)"},
             "note": {"type": "string", "maxLength": 500, "description": "for the window (staff only)"},
             "print_at": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                          "description": "a kiosk's device id"}}}
DONE = {"type": "object", "required": ["printed"], "additionalProperties": False,
        "properties": {"printed": {"type": "boolean"}, "error": {"type": "string", "maxLength": 200}}}


@bp.post("/halls/<hall>/desk/tickets")
@openapi("导办台: issue a ticket for any service with a priority group and a note; print_at sends it "
         "to a kiosk (a print job). A retry with the same Idempotency-Key returns the same ticket",
         body=ISSUE, query=HALL, access="staff, manager", tags=["desk"],
         headers=[{"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "maxLength": 128}}],
         responses={"201": {"description": "the ticket (with qr_svg and print_job)"}, **E4})
def desk_issue(hall):
    p = auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    body = json_body(ISSUE)
    out = desk.issue(hallq(), hall, p, service=body["service"], priority=body.get("priority"),
                     note=body.get("note"), print_at=body.get("print_at"),
                     idempotency_key=request.headers.get("Idempotency-Key"))
    return jsonify(out), (200 if out.get("replayed") else 201)


@bp.get("/halls/<hall>/desk/printers")
@openapi("The hall's kiosks a front-desk ticket can be printed at", query=HALL,
         access="staff, manager", tags=["desk"], responses={"200": {"description": "kiosks"}, **E4})
def desk_printers(hall):
    auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(desk.printers(hallq(), hall))


@bp.get("/halls/<hall>/desk/print-jobs/<int:job_id>")
@openapi("What became of a print job (pending, printed, failed)", query=HALL + JOB,
         access="staff, manager", tags=["desk"], responses={"200": {"description": "the job"}, **E4})
def desk_job(hall, job_id):
    auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(desk.job_status(hallq(), hall, job_id))


@bp.get("/devices/me/print-jobs")
@openapi("A kiosk's tickets to print (sent from the front desk), oldest first",
         access="kiosk device", tags=["desk"], responses={"200": {"description": "jobs"}, **E4})
def kiosk_jobs():
    p = auth.require(principal(), devices=("kiosk",))
    return jsonify(desk.pending_jobs(hallq(), p))


@bp.post("/devices/me/print-jobs/<int:job_id>/done")
@openapi("The kiosk printed a job (printed: true) or could not (printed: false, error)",
         body=DONE, query=JOB, access="kiosk device", tags=["desk"],
         responses={"200": {"description": "the job"}, **E4})
def kiosk_job_done(job_id):
    p = auth.require(principal(), devices=("kiosk",))
    body = json_body(DONE)
    return jsonify(desk.job_done(hallq(), p, job_id, body["printed"], body.get("error")))
