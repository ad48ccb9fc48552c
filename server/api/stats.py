"""Manager endpoints: KPIs, the live hall, reports (JSON/xlsx/CSV), the league table, the overview.
Figures are defined in docs/kpis.md."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..domain.errors import Invalid
from ..services import auth, reports, stats
from .base import hallq, openapi, principal

bp = Blueprint("api_stats", __name__, url_prefix="/api/v1")

MANAGERS = ("manager", "admin")
JSON_ROWS = 500
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
RANGE = [{"name": "from", "in": "query", "required": False,
          "schema": {"type": "string", "format": "date"}, "description": "YYYY-MM-DD (default today)"},
         {"name": "to", "in": "query", "required": False,
          "schema": {"type": "string", "format": "date"}, "description": "YYYY-MM-DD, inclusive"}]
E4 = {"400": {"description": "bad dates or format"}, "401": {"description": "sign-in required"},
      "403": {"description": "managers only"}, "404": {"description": "unknown hall"}}


def _manager(hall_code: str):
    app = hallq()
    with app.db.read() as conn:
        hall_id = app.hall(conn, hall_code).id
    return auth.require(principal(), roles=MANAGERS, hall_id=hall_id)


@bp.get("/halls/<hall>/stats")
@openapi("KPIs for a range of hall-local days (definitions: docs/kpis.md)", query=HALL + RANGE,
         access="manager, admin", tags=["stats"], responses={"200": {"description": "KPIs"}, **E4})
def hall_stats(hall):
    _manager(hall)
    out = stats.hall_stats(hallq(), hall, request.args.get("from"), request.args.get("to"))
    out["tickets"]["selected_calls"] = _selected_calls(hall, out["from"], out["to"])
    return jsonify(out)


def _selected_calls(hall_code, day_from, day_to) -> int:
    """选呼 in the range (calls out of turn at a window; see services.queue.call_selected)."""
    from ..services.queue_view import selected_calls
    app = hallq()
    with app.db.read() as conn:
        return selected_calls(conn, app.hall(conn, hall_code).id, day_from, day_to)


@bp.get("/halls/<hall>/stats/live")
@openapi("The hall now: windows, queues (waiting, longest and estimated wait) and alerts",
         query=HALL, access="manager, admin", tags=["stats"],
         responses={"200": {"description": "live hall"}, **E4})
def hall_live(hall):
    _manager(hall)
    return jsonify(stats.live(hallq(), hall))


@bp.get("/halls/<hall>/reports")
@openapi("The report for a range: per service, window, staff member, day; league table; "
         "promised and review cases (overdue first). format=json|xlsx|csv; csv takes table=",
         query=HALL + RANGE + [
             {"name": "format", "in": "query", "required": False,
              "schema": {"type": "string", "enum": ["json", "xlsx", "csv"]}},
             {"name": "table", "in": "query", "required": False,
              "schema": {"type": "string", "enum": list(reports.TABLE_KEYS)}}],
         access="manager, admin", tags=["stats"], responses={"200": {"description": "report"}, **E4},
         content_type=["application/json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       "text/csv"])
def hall_report(hall):
    _manager(hall)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "xlsx", "csv"):
        raise Invalid("format 应为 json、xlsx 或 csv (format must be json, xlsx or csv)", code="invalid_format")
    table = request.args.get("table")
    if table is not None and table not in reports.TABLE_KEYS:
        raise Invalid(f"table must be one of: {', '.join(reports.TABLE_KEYS)}", code="invalid_table")
    # the page shows the first rows of long case lists (total_rows says how many); files carry all
    rep = reports.build(hallq(), hall, request.args.get("from"), request.args.get("to"),
                        list_limit=JSON_ROWS if fmt == "json" else None)
    if fmt == "json":
        return jsonify(rep)
    body, mimetype, name = reports.render(rep, fmt, table)
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/halls/<hall>/league")
@openapi("Quarterly league table of teams (擂台): cases, completion rate, good-review rate, score, "
         "red flag to the top, yellow to the bottom", query=HALL + RANGE + [
             {"name": "quarter", "in": "query", "required": False,
              "schema": {"type": "string", "pattern": "^[0-9]{4}Q[1-4]$"}}],
         access="manager, admin", tags=["stats"], responses={"200": {"description": "league"}, **E4})
def hall_league(hall):
    _manager(hall)
    return jsonify(stats.league(hallq(), hall, request.args.get("quarter"), request.args.get("from"),
                                request.args.get("to")))


@bp.get("/overview")
@openapi("Every hall the caller may see, side by side, for a range of days", query=RANGE,
         access="manager, admin", tags=["stats"], responses={"200": {"description": "halls"}, **E4})
def overview():
    p = auth.require(principal(), roles=MANAGERS)
    return jsonify(stats.overview(hallq(), p, request.args.get("from"), request.args.get("to")))
