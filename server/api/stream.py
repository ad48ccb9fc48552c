"""GET …/events: the hall's events as Server-Sent Events, resumable with Last-Event-ID."""
from __future__ import annotations

import os

from flask import Blueprint, Response, request, stream_with_context

from ..domain.errors import Invalid
from .base import hallq, openapi

bp = Blueprint("api_stream", __name__, url_prefix="/api/v1")


@bp.get("/halls/<hall>/events")
@openapi("Live events (text/event-stream). Each has `id:`; reconnect with Last-Event-ID "
         "(or ?last_event_id=) to get exactly what was missed. Types: ticket.issued, ticket.called, "
         "ticket.recalled, ticket.started, ticket.finished, ticket.no_show, ticket.transferred, "
         "ticket.cancelled, ticket.rated, window.paused, window.resumed, window.signed_in, "
         "window.signed_out, device.fault, review.*, appointment.*",
         query=[{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "last_event_id", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0}}],
         headers=[{"name": "Last-Event-ID", "in": "header", "required": False,
                   "schema": {"type": "string"}}],
         tags=["events"], content_type="text/event-stream")
def events(hall):
    app = hallq()
    with app.db.read() as conn:
        hall_id = app.hall(conn, hall).id
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    bus = app.bus
    if raw in (None, ""):
        last = bus.last_id
    else:
        try:
            last = int(raw)
        except ValueError:
            raise Invalid("Last-Event-ID must be an integer", code="invalid") from None
        if last < 0:
            raise Invalid("Last-Event-ID must be >= 0", code="invalid")
    heartbeat = float(os.environ.get("HALLQ_SSE_HEARTBEAT_S", "15"))

    def gen():
        nonlocal last
        yield f"retry: 2000\n: hallq events for {hall} from {last}\n\n"
        while not bus.stopped:  # server shutting down: end the stream (clients reconnect)
            seen = bus.last_id
            evs = bus.events_after(hall_id, last)
            for ev, text in evs:
                last = ev["id"]
                yield text
            if len(evs) >= 1000:
                continue
            if not bus.wait(max(seen, last), heartbeat):
                yield ": ping\n\n"

    return Response(stream_with_context(gen()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
