"""What the anonymous event stream may say: the hall's public screens (display, wall, a resident's
phone) need numbers, windows and waiting counts, nothing about people or the staff's accounts.

Staff pages and devices read the full stream with their token; everyone else gets `public_view`
of each event, or nothing when the event type is not public at all (device faults, accounts,
password resets, token revocations, review cases, appointments).
"""
from __future__ import annotations

# Pause reasons the caller page offers as buttons (Chinese and English). Any other text a staff
# member types stays on the staff stream; the public one says only that the window is paused.
PRESET_PAUSE_REASONS = frozenset({
    "午间休息", "临时离开", "会议", "后台审批", "系统故障",
    "Lunch break", "Away briefly", "Meeting", "Back-office work", "System fault",
})

_TICKET_TYPES = {"ticket.issued", "ticket.called", "ticket.recalled", "ticket.started",
                 "ticket.finished", "ticket.no_show", "ticket.transferred", "ticket.cancelled"}
_WINDOW_TYPES = {"window.paused", "window.resumed", "window.signed_in", "window.signed_out"}
PUBLIC_TYPES = _TICKET_TYPES | _WINDOW_TYPES | {"ticket.rated", "stream.reset"}
# Events no screen acts on at once: they keep figures current (waiting counts, a window's state).
# The event server lets them wait a moment for the next event (serving/streams.py `later_s`).
FIGURES_ONLY = frozenset({"ticket.issued", "ticket.started", "ticket.finished"})

_ENVELOPE = ("id", "type", "hall", "at", "window", "ticket_id")
# A ticket on a public screen: its number and where it stands; `priority` only as a flag (the kind,
# e.g. pregnant or disabled, is the resident's own business), no source, staff, outcome or ID.
_TICKET_FIELDS = ("id", "number", "service", "service_name", "status", "appointment", "window",
                  "recalls", "transfers", "issued_at", "queued_at", "called_at", "started_at",
                  "finished_at")
_EXTRA_FIELDS = ("waiting", "window_name", "from_service", "to_service")


def public_ticket(ticket: dict | None) -> dict | None:
    if not isinstance(ticket, dict):
        return None
    out = {k: ticket[k] for k in _TICKET_FIELDS if k in ticket}
    out["priority"] = bool(ticket.get("priority"))
    return out


def public_pause_reason(reason) -> str | None:
    return reason if isinstance(reason, str) and reason.strip() in PRESET_PAUSE_REASONS else None


def public_view(ev: dict) -> dict | None:
    """The event as the anonymous stream carries it, or None when it is for staff only."""
    type_ = ev.get("type")
    if type_ not in PUBLIC_TYPES:
        return None
    out = {k: ev.get(k) for k in _ENVELOPE}
    if type_ in _TICKET_TYPES:
        out["ticket"] = public_ticket(ev.get("ticket"))
        out.update({k: ev[k] for k in _EXTRA_FIELDS if k in ev})
    elif type_ in _WINDOW_TYPES:
        out["window_name"] = ev.get("window_name")
        if type_ in ("window.paused", "window.resumed"):
            out["reason"] = public_pause_reason(ev.get("reason"))
    elif type_ == "ticket.rated":  # the wall refreshes its figures; the level stays with staff
        tk = ev.get("ticket") or {}
        out["ticket"] = {"id": tk.get("id"), "number": tk.get("number"), "window": tk.get("window")}
    elif type_ == "stream.reset":
        out["reason"] = ev.get("reason")
    return out
