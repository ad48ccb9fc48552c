"""How records look from outside: JSON-ready dicts with no personal data beyond the masked forms."""
from __future__ import annotations

from datetime import date, datetime


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") + "Z" if dt else None


def iso_date(d: date | None) -> str | None:
    return d.isoformat() if d else None


def ticket_public(row, hall) -> dict:
    """A ticket as displays, callers and events see it (no token, masked ID only)."""
    try:
        service_name = hall.service(row.service).name
    except Exception:
        service_name = row.service
    return {
        "id": row.id, "number": row.number, "service": row.service, "service_name": service_name,
        "status": row.status, "source": row.source, "priority": row.priority,
        "appointment": row.appointment_id is not None, "id_masked": row.id_masked,
        "window": row.window, "staff_id": row.staff_id, "recalls": row.recalls,
        "transfers": row.transfers, "issued_at": iso(row.issued_at), "queued_at": iso(row.queued_at),
        "called_at": iso(row.last_called_at or row.called_at), "started_at": iso(row.started_at),
        "finished_at": iso(row.finished_at), "outcome": row.outcome, "due_date": iso_date(row.due_date),
        "first_window": getattr(row, "first_window", None),  # 首问负责
    }


def ticket_for_events(row, hall) -> dict:
    """In the public event stream: no ID (not even masked), no staff id."""
    d = ticket_public(row, hall)
    d.pop("id_masked")
    return d
