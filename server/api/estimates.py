"""Manager endpoint: how accurate the wait estimates given at issue were (docs/kpis.md)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..services import auth
from ..services.estimate_accuracy import estimate_accuracy
from .base import hallq, openapi, principal

bp = Blueprint("api_estimates", __name__, url_prefix="/api/v1")

HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
RANGE = [{"name": "from", "in": "query", "required": False,
          "schema": {"type": "string", "format": "date"}, "description": "YYYY-MM-DD (default today)"},
         {"name": "to", "in": "query", "required": False,
          "schema": {"type": "string", "format": "date"}, "description": "YYYY-MM-DD, inclusive"}]


@bp.get("/halls/<hall>/stats/estimates")
@openapi("Accuracy of the wait estimates given at issue, per day and service: MAE, bias, share "
         "within 5 minutes, share inside the range (docs/kpis.md)", query=HALL + RANGE,
         access="manager, admin", tags=["stats"],
         responses={"200": {"description": "accuracy"}, "400": {"description": "bad dates"},
                    "401": {"description": "sign-in required"}, "403": {"description": "managers only"},
                    "404": {"description": "unknown hall"}})
def accuracy(hall):
    app = hallq()
    with app.db.read() as conn:
        hall_id = app.hall(conn, hall).id
    auth.require(principal(), roles=("manager", "admin"), hall_id=hall_id)
    return jsonify(estimate_accuracy(app, hall, request.args.get("from"), request.args.get("to")))
