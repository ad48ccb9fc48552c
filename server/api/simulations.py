"""Manager endpoints for 模拟排班 (docs/simulate.md): what the panel offers, start a what-if run,
poll it, download its xlsx."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..services import auth, simulations
from .base import hallq, json_body, openapi, principal

bp = Blueprint("api_simulations", __name__, url_prefix="/api/v1")

MANAGERS = ("manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
JOB = HALL + [{"name": "job", "in": "path", "required": True, "schema": {"type": "string"}}]
E4 = {"401": {"description": "sign-in required"}, "403": {"description": "managers only"},
      "404": {"description": "unknown hall or simulation"}}
CLOCK = {"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$", "maxLength": 5}
CHANGE = {
    "type": "object", "additionalProperties": False, "required": ["window", "from", "to"],
    "properties": {
        "window": {"type": "integer", "minimum": 1, "maximum": 9999},
        "services": {"type": "array", "maxItems": 30, "items": {"type": "string", "maxLength": 40}},
        "off": {"type": "boolean"},
        "from": CLOCK, "to": CLOCK,
    },
}
START = {
    "type": "object", "additionalProperties": False, "required": ["changes"],
    "properties": {
        "day": {"type": "string", "maxLength": 10, "description": "a past day to replay, YYYY-MM-DD"},
        "sample": {"type": "string", "maxLength": 60, "pattern": "^[A-Za-z0-9_-]+$",
                   "description": "a day file of assets/simulate/ (its name without .toml)"},
        "changes": {"type": "array", "minItems": 1, "maxItems": simulations.MAX_CHANGES, "items": CHANGE},
        "seed": {"type": "integer", "minimum": 1, "maximum": 1000,
                 "description": "the first sampled day's seed (default 1); the days use seed, seed+1, …"},
        "days": {"type": "integer", "minimum": 1, "maximum": simulations.MAX_DAYS,
                 "description": f"sampled days to play a sample day on (default {simulations.DAYS}; fewer "
                                "when the server is too slow to play them all within the time limit); a "
                                "replayed day is one day"},
    },
}


def _manager(hall_code: str):
    app = hallq()
    with app.db.read() as conn:
        hall_id = app.hall(conn, hall_code).id
    return auth.require(principal(), roles=MANAGERS, hall_id=hall_id)


@bp.get("/halls/<hall>/simulations/options")
@openapi("模拟排班: the days to replay (past days with calls) and sample days, the windows and services, "
         "the limits, and this hall's run in progress", query=HALL, access="manager, admin",
         tags=["simulate"], responses={"200": {"description": "options"}, **E4})
def simulation_options(hall):
    _manager(hall)
    return jsonify(simulations.options(hallq(), hall))


@bp.post("/halls/<hall>/simulations")
@openapi("Start a what-if run: the day (a past `day` or a `sample`) as staffed and with `changes` "
         "(window, services or off, from-to), the same residents; answers 202 with a job to poll. "
         "One run per hall, two per server (429 while busy)", query=HALL, body=START,
         access="manager, admin", tags=["simulate"],
         responses={"202": {"description": "started"}, "400": {"description": "bad day or changes"},
                    "429": {"description": "a run is in progress"}, **E4})
def simulation_start(hall):
    p = _manager(hall)
    body = json_body(START)
    resp = jsonify(simulations.start(hallq(), hall, p, body))
    resp.status_code = 202
    return resp


@bp.get("/halls/<hall>/simulations/<job>")
@openapi("A what-if run: status (running, done, failed), progress; when done, waits per service, per "
         "hour and per service and hour as staffed and with the changes (seconds, the sampled days' "
         "averages, tickets per day), the hall's and each service's spread over the days, each day, "
         "and the longest waits",
         query=JOB, access="manager, admin", tags=["simulate"],
         responses={"200": {"description": "the run"}, **E4})
def simulation_status(hall, job):
    _manager(hall)
    return jsonify(simulations.get(hallq(), hall, job))


@bp.get("/halls/<hall>/simulations/<job>/xlsx")
@openapi("A finished run as xlsx: settings, the comparison by service and hour, the longest waits, "
         "the waits of each run (as `server.py simulate` writes them)", query=JOB, access="manager, admin",
         tags=["simulate"], responses={"200": {"description": "xlsx"}, "400": {"description": "not finished"},
                                       **E4},
         content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def simulation_xlsx(hall, job):
    _manager(hall)
    body, name = simulations.xlsx(hallq(), hall, job)
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
