"""一次性告知单 over HTTP: the window records the missing materials of a returned case, prints the
notice on its printer, and the resident opens it by the ticket's token. Thin: read, check access,
call services.notices, answer."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..services import auth, notices
from .base import hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_notices", __name__, url_prefix="/api/v1")

STAFF = ("staff", "manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not the window that served it"}, "404": {"description": "unknown ticket"},
      "409": {"description": "not a returned case, no printer, or the printer failed"}}
NOTICE = {"type": "object", "required": ["missing"], "additionalProperties": False,
          "properties": {"missing": {"type": "array", "maxItems": 20,
                                     "items": {"type": "string", "maxLength": 100},
                                     "description": "materials from the service's guide (GET …/services)"},
                         "other": {"type": ["string", "null"], "maxLength": 100,
                                   "description": "anything else missing, in the window's words"},
                         "note": {"type": ["string", "null"], "maxLength": 500}}}


@bp.post("/halls/<hall>/tickets/<int:ticket_id>/notice")
@openapi("一次性告知单: record the missing materials of a returned case (event notice.issued); the "
         "answer carries the notice, its phone link and QR (with a public_url) and whether the "
         "window has a printer", body=NOTICE, query=HALL, tags=["window"], access="staff at that window, manager",
         responses={"200": {"description": "the notice"}, **E4})
def issue(hall, ticket_id):
    p = auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    b = json_body(NOTICE)
    return jsonify(notices.issue(hallq(), hall, p, ticket_id, b["missing"], b.get("other"), b.get("note")))


@bp.post("/halls/<hall>/tickets/<int:ticket_id>/notice/print")
@openapi("Print the notice on the printer of the window that served the case (event notice.printed)",
         query=HALL, tags=["window"], access="staff at that window, manager",
         responses={"200": {"description": "the notice"}, **E4})
def print_notice(hall, ticket_id):
    p = auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(notices.print_at_window(hallq(), hall, p, ticket_id))


@bp.get("/notice/<token>")
@openapi("The notice for the resident holding the ticket's token (nothing personal)",
         query=[{"name": "token", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}],
         tags=["window"], responses={"200": {"description": "the notice"}, "404": {"description": "none"}})
def for_resident(token):
    hallq().limiter.check_public(f"notice:{request.remote_addr}")
    return jsonify(notices.for_resident(hallq(), token))
