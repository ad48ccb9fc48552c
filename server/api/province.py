"""The window's case system and the province's 好差评 link: attach a 办件编号 to the visit at a
window (casesys device), the outbox's status for /admin, and its file export. Thin."""
from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, Response, jsonify, request

from ..domain.errors import Invalid
from ..services import auth, honours, outbox, pain_points, visit_cases
from .base import hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_province", __name__, url_prefix="/api/v1")

HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
WINDOW = [{"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not allowed"}, "404": {"description": "unknown hall, window or record"}}
READERS = ("manager", "admin")

CASE = {"type": "object", "required": ["case_no"], "additionalProperties": False,
        "properties": {"case_no": {"type": "string", "minLength": 1, "maxLength": 64,
                                   "description": "办件编号 from the case system"},
                       "item_code": {"type": ["string", "null"], "maxLength": 64,
                                     "description": "事项编码"},
                       "item_name": {"type": ["string", "null"], "maxLength": 200,
                                     "description": "事项名称"},
                       "prompt": {"type": "boolean", "default": False,
                                  "description": "ask the window's evaluator to prompt for the "
                                                 "rating (the visit must be finished)"}}}


@bp.post("/halls/<hall>/windows/<int:n>/case")
@openapi("The window's case system (一窗受理) attaches 办件编号, 事项编码 and 事项名称 to the visit "
         "being served or just finished at window n, and may trigger the rating prompt",
         body=CASE, access="casesys device of window n", query=HALL + WINDOW, tags=["province"],
         responses={"200": {"description": "the visit and its case"},
                    "409": {"description": "no visit at the window"}, **E4})
def attach_case(hall, n):
    who = auth.require(principal(), devices=("casesys",), hall_id=hall_id(hall))
    body = json_body(CASE)
    return jsonify(visit_cases.attach(hallq(), hall, n, who, body["case_no"], body.get("item_code"),
                                      body.get("item_name"), bool(body.get("prompt", False))))


@bp.get("/halls/<hall>/pain-points")
@openapi("堵点: rating reasons and complaint topics counted by month, service, window and staff "
         "(from/to YYYY-MM-DD, default this month), and the top of the month", query=HALL + [
    {"name": "from", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "to", "in": "query", "required": False, "schema": {"type": "string"}}],
    access="manager, admin", tags=["ratings"],
    responses={"200": {"description": "{from, to, rows, top}"}, **E4})
def pain_point_rows(hall):
    auth.require(principal(), roles=READERS, hall_id=hall_id(hall))
    return jsonify(pain_points.report(hallq(), hall, request.args.get("from"), request.args.get("to")))


@bp.get("/halls/<hall>/pain-points/top")
@openapi("The month's top pain points (reason x service) for the manager's cases page",
         query=HALL + [{"name": "month", "in": "query", "required": False,
                        "schema": {"type": "string", "description": "YYYY-MM"}}],
         access="staff, manager, admin", tags=["ratings"],
         responses={"200": {"description": "{month, items}"}, **E4})
def pain_point_top(hall):
    auth.require(principal(), roles=("staff", "manager", "admin"), hall_id=hall_id(hall))
    return jsonify(pain_points.top(hallq(), hall, request.args.get("month")))


@bp.get("/halls/<hall>/honours")
@openapi("擂台 honours of a month (YYYY-MM, default this month): the month's and its quarter's red "
         "and yellow flags (流动红旗/黄旗) and 每月之星 by the hall's rule (star_min_ratings, star_by); "
         "public like the wall", query=HALL + [{"name": "month", "in": "query", "required": False,
                                                "schema": {"type": "string"}}],
         tags=["stats"], responses={"200": {"description": "flags and star"}, **E4})
def hall_honours(hall):
    return jsonify(honours.honours(hallq(), hall, request.args.get("month")))


@bp.get("/halls/<hall>/outbox")
@openapi("Records for the province's 好差评 system and whether each was delivered", query=HALL + [
    {"name": "status", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(outbox.STATUSES)}},
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}],
    access="manager, admin", tags=["province"],
    responses={"200": {"description": "counts, link and records"}, **E4})
def outbox_list(hall):
    auth.require(principal(), roles=READERS, hall_id=hall_id(hall))
    try:
        limit = int(request.args.get("limit", 200))
    except ValueError:
        raise Invalid("limit must be a whole number", code="invalid") from None
    return jsonify(outbox.overview(hallq(), hall, request.args.get("status"), limit))


@bp.post("/halls/<hall>/outbox/<int:record>/retry")
@openapi("Try one pending record again now", query=HALL, access="admin", tags=["province"],
         responses={"200": {"description": "the record"}, **E4})
def outbox_retry(hall, record):
    auth.require(principal(), roles=("admin",), hall_id=hall_id(hall))
    return jsonify(outbox.retry_now(hallq(), hall, record))


def _day(name):
    value = request.args.get(name)
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time())
    except ValueError:
        raise Invalid(f"{name} must be YYYY-MM-DD", code="invalid") from None


@bp.get("/halls/<hall>/outbox/export")
@openapi("Every 好差评 record under the province's field names, as a file (for halls with no "
         "link): format=json|xlsx; from/to (UTC days, to exclusive)", query=HALL + [
    {"name": "format", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["json", "xlsx"], "default": "json"}},
    {"name": "from", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "to", "in": "query", "required": False, "schema": {"type": "string"}}],
    access="manager, admin", tags=["province"],
    content_type=["application/json",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    responses={"200": {"description": "the file"}, **E4})
def outbox_export(hall):
    auth.require(principal(), roles=READERS, hall_id=hall_id(hall))
    fmt = request.args.get("format", "json")
    body, mimetype = outbox.export(hallq(), hall, fmt, _day("from"), _day("to"))
    name = f"hallq-{hall}-haochaping.{fmt}"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
