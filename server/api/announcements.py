"""Announcements of calls (text and WAV) and the public staff board (阳光台). Thin: the texts
and the rendering live in services.announce. All public: a call is already on the hall's
screen, and staff names are on its wall; nothing here concerns a resident."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, send_file

from ..domain.errors import Invalid
from ..services import announce
from .base import hallq, openapi

bp = Blueprint("api_announcements", __name__, url_prefix="/api/v1")

HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
E404 = {"404": {"description": "unknown hall, or the event is not a call"}}


@bp.get("/halls/<hall>/announcements")
@openapi("The newest call announcements (newest first) and the hall's newest event id",
         query=HALL + [{"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 50}}],
         tags=["display"])
def recent(hall):
    raw = request.args.get("limit", "10")
    try:
        limit = int(raw)
    except ValueError:
        raise Invalid("limit must be an integer 1..50", code="invalid") from None
    if not 1 <= limit <= 50:
        raise Invalid("limit must be an integer 1..50", code="invalid")
    return jsonify(announce.recent(hallq(), hall, limit))


@bp.get("/halls/<hall>/announcements/<int:event_id>")
@openapi("The text of a call announcement (for ticket.called / ticket.recalled events): "
         "{event_id, type, number, window, text_zh, text_en, repeat, languages, wav}",
         query=HALL, tags=["display"], responses={"200": {"description": "OK"}, **E404})
def announcement(hall, event_id):
    return jsonify(announce.announcement(hallq(), hall, event_id))


@bp.get("/halls/<hall>/announcements/<int:event_id>.wav")
@openapi("A call announcement as speech: chime, then the text repeated as configured "
         "(WAV, 22050 Hz mono, rendered offline once and cached)",
         query=HALL, tags=["display"], content_type="audio/wav",
         responses={"200": {"description": "WAV audio"}, **E404})
def announcement_wav(hall, event_id):
    path = announce.wav(hallq(), hall, event_id)
    resp = send_file(path, mimetype="audio/wav", max_age=3600, conditional=True)
    resp.headers["Cache-Control"] = "public, max-age=3600"  # an event never changes; its text only with the config
    return resp


@bp.get("/halls/<hall>/speech/<name>.wav")
@openapi("A device's spoken prompt (name `rate`: the evaluator's 请对我的服务进行评价), rendered "
         "offline once and cached (WAV, 22050 Hz mono)",
         query=HALL + [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
         tags=["display"], content_type="audio/wav",
         responses={"200": {"description": "WAV audio"}, "404": {"description": "unknown prompt"}})
def prompt_wav(hall, name):
    path = announce.prompt_wav(hallq(), hall, name)
    resp = send_file(path, mimetype="audio/wav", max_age=3600, conditional=True)
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.get("/halls/<hall>/wall")
@openapi("The staff board (阳光台): staff with photo, duties, windows and this month's "
         "satisfaction (share of ratings 3..5) and rating count", query=HALL, tags=["display"])
def wall(hall):
    return jsonify(announce.wall(hallq(), hall))
