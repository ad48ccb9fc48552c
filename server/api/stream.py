"""GET …/events: the hall's events as Server-Sent Events, resumable with Last-Event-ID.

Anonymous clients (display, wall, a resident's phone) get the public view of each event; a staff
or device token (Authorization: Bearer, or ?token= since EventSource cannot send headers) gets the
full stream. Under `server.py run` the stream is handed to the event server's loop; under any other
WSGI server (tests, waitress) a generator holds it.
"""
from __future__ import annotations

import os

from flask import Blueprint, Response, request, stream_with_context

from ..domain.errors import Forbidden, Invalid
from ..services import auth
from ..services.bus import sse_text
from .base import bearer_token, hallq, openapi

bp = Blueprint("api_stream", __name__, url_prefix="/api/v1")

_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _audience(app, hall_id: int) -> tuple[str, bool]:
    """("staff" | "public", whether a staff/device token came with the request)."""
    token = bearer_token() or request.args.get("token") or None
    p = auth.principal_for(app, token)
    if p is None:
        return "public", False
    if not p.in_hall(hall_id):
        raise Forbidden("无权访问此大厅 (not allowed in this hall)", code="forbidden")
    request.environ["hallq.trusted"] = True
    return "staff", True


def _last_event_id(bus) -> int:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    if raw in (None, ""):
        return bus.last_id
    try:
        last = int(raw)
    except ValueError:
        raise Invalid("Last-Event-ID must be an integer", code="invalid") from None
    if last < 0:
        raise Invalid("Last-Event-ID must be >= 0", code="invalid")
    return last


def reset_text(hall: str, at_id: int, reason: str) -> str:
    """A `stream.reset` for one client whose Last-Event-ID this database never issued (it was
    swapped for an older copy while the server was down): forget what you saw, redraw."""
    return sse_text({"id": at_id, "type": "stream.reset", "hall": hall, "at": None, "window": None,
                     "ticket_id": None, "reason": reason})


@bp.get("/halls/<hall>/events")
@openapi("Live events (text/event-stream). Each has `id:`; reconnect with Last-Event-ID "
         "(or ?last_event_id=) to get exactly what was missed. Without a token: the public view "
         "(ticket and window events only, priority as a flag, preset pause reasons). With a staff or "
         "device token (Authorization header or ?token=): every type: ticket.*, window.*, "
         "device.fault, device.cleared, review.*, appointment.*, admin.*. `stream.reset`: ids "
         "continue after a database restore; drop what you saw and redraw from the server's state.",
         query=[{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "last_event_id", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0}},
                {"name": "token", "in": "query", "required": False, "schema": {"type": "string"}}],
         headers=[{"name": "Last-Event-ID", "in": "header", "required": False,
                   "schema": {"type": "string"}}],
         tags=["events"], content_type="text/event-stream")
def events(hall):
    app = hallq()
    with app.db.read() as conn:
        hall_id = app.hall(conn, hall).id
    audience, staff = _audience(app, hall_id)
    bus = app.bus
    last = _last_event_id(bus)
    head = [f"retry: 2000\n: hallq events for {hall} from {last}\n\n"]
    if last > bus.last_id:
        head.append(reset_text(hall, bus.last_id, "unknown_event_id"))
        last = bus.last_id

    live = request.environ.get("hallq.live")
    if live is not None:  # the event server: read the backlog here, then its loop holds the stream
        for _ in range(20):
            evs = bus.items_after(hall_id, last, 1000)
            if not evs:
                break
            head += [t for t in ((i[1] if audience == "staff" else i[3]) for i in evs) if t]
            last = evs[-1][0]["id"]
        live.accept(hall_id, audience, last, head, staff)
        return Response("", mimetype="text/event-stream", headers=_HEADERS)

    heartbeat = float(os.environ.get("HALLQ_SSE_HEARTBEAT_S", "15"))

    def gen():
        nonlocal last
        yield "".join(head)
        while not bus.stopped:  # server shutting down: end the stream (clients reconnect)
            seen = bus.last_id
            items = bus.items_after(hall_id, last)
            for item in items:
                last = item[0]["id"]
                text = item[1] if audience == "staff" else item[3]
                if text:
                    yield text
            if len(items) >= 1000:
                continue
            if not bus.wait(max(seen, last), heartbeat):
                yield ": ping\n\n"

    return Response(stream_with_context(gen()), mimetype="text/event-stream", headers=_HEADERS)


