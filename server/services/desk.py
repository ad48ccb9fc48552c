"""The front desk (导办台): staff issue a ticket for any service, with a priority group from the hall
config (elderly, disabled, pregnant, veteran ...) and a note for the window, and have it printed at
a kiosk of their choice (a print job the kiosk fetches), at the desk (the page prints it), or only
shown. A resident without an ID card can so still get elderly priority; every priority resident is
told on the ticket and on its phone page.
"""
from __future__ import annotations

import segno
from sqlalchemy import select, update

from ..domain.errors import Forbidden, Invalid, NotFound, WrongState
from ..store import tables as t
from . import queue
from .auth import Principal
from .halls import public_url_of, public_url_problem
from .views import iso


def printers(app, hall_code: str) -> list[dict]:
    """The hall's kiosks a ticket can be sent to."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        rows = conn.execute(select(t.devices.c.id, t.devices.c.name).where(
            t.devices.c.hall_id == hall.id, t.devices.c.kind == "kiosk", t.devices.c.active.is_(True))
            .order_by(t.devices.c.name)).all()
        return [{"id": r.id, "name": r.name} for r in rows]


def _kiosk(conn, hall, device_id):
    if isinstance(device_id, bool) or not isinstance(device_id, int):
        raise Invalid("print_at must be a kiosk's id", code="invalid")
    row = conn.execute(select(t.devices).where(t.devices.c.id == device_id, t.devices.c.hall_id == hall.id,
                                               t.devices.c.kind == "kiosk", t.devices.c.active.is_(True))).first()
    if row is None:
        raise NotFound("没有这台取号机 (unknown kiosk)", code="unknown_kiosk")
    return row


def issue(app, hall_code: str, principal: Principal, *, service, priority=None, note=None,
          print_at=None, idempotency_key=None) -> dict:
    """A ticket issued at the front desk (source staff), and a print job when `print_at` names a
    kiosk; one transaction, so a ticket is never sent twice or lost between the two."""
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise Invalid("note: up to 500 characters of text", code="invalid")
    note = (note or "").strip() or None
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        kiosk = _kiosk(uow.conn, hall, print_at) if print_at is not None else None
        out = queue.issue_ticket(app, hall_code, principal, service, source="staff", priority=priority,
                                 note=note, idempotency_key=idempotency_key, _uow=uow)
        if kiosk is not None and not out.get("replayed"):
            job = uow.conn.execute(t.print_jobs.insert().values(
                hall_id=hall.id, device_id=kiosk.id, ticket_id=out["id"], status="pending",
                requested_by=principal.actor, created_at=app.now())).inserted_primary_key[0]
            out["print_job"] = {"id": job, "kiosk": kiosk.name, "status": "pending"}
        uow.commit()
    out["note"] = note
    # the QR a phone scans must open the hall's public address (as the kiosk's printed tickets)
    base = public_url_of(hall.config.raw)
    problem = public_url_problem(base)
    out["qr_svg"] = None if problem else segno.make_qr(base + out["track_url"], error="m").svg_data_uri(
        scale=4, border=2)
    out["qr_warning"] = problem
    return out


def _job_view(app, conn, hall, job) -> dict:
    from .queue_view import ticket_position
    tk = conn.execute(select(t.tickets).where(t.tickets.c.id == job.ticket_id)).first()
    svc = hall.service(tk.service)
    return {"id": job.id, "created_at": iso(job.created_at), "ticket": {
        **ticket_position(app, conn, hall, tk), "status": tk.status,
        "id": tk.id, "number": tk.number, "service": tk.service, "service_name": svc.name,
        "service_name_en": svc.name_en, "priority": tk.priority, "appointment": tk.appointment_id is not None,
        "issued_at": iso(tk.issued_at), "track_url": f"/t/{tk.token}", "token": tk.token,
        "hall": hall.code, "hall_name": hall.config.name}}


def pending_jobs(app, principal: Principal) -> list[dict]:
    """A kiosk's tickets to print, oldest first (what the kiosk asks for now and then)."""
    if principal.is_user or principal.role != "kiosk":
        raise Forbidden("仅限取号机 (kiosks only)", code="forbidden")
    with app.db.read() as conn:
        hall_code = conn.execute(select(t.halls.c.code).where(t.halls.c.id == principal.hall_id)).scalar_one()
        hall = app.hall(conn, hall_code)
        jobs = conn.execute(select(t.print_jobs).where(t.print_jobs.c.device_id == principal.id,
                                                       t.print_jobs.c.status == "pending")
                            .order_by(t.print_jobs.c.id).limit(20)).all()
        return [_job_view(app, conn, hall, j) for j in jobs]


def job_done(app, principal: Principal, job_id, printed: bool, error: str | None = None) -> dict:
    """The kiosk printed the job (or could not: the desk sees it failed and prints another way)."""
    if principal.is_user or principal.role != "kiosk":
        raise Forbidden("仅限取号机 (kiosks only)", code="forbidden")
    if isinstance(job_id, bool) or not isinstance(job_id, int):
        raise NotFound("没有这个打印任务 (unknown print job)", code="unknown_print_job")
    with app.uow() as uow:
        job = uow.conn.execute(select(t.print_jobs).where(t.print_jobs.c.id == job_id,
                                                          t.print_jobs.c.device_id == principal.id)).first()
        if job is None:
            raise NotFound("没有这个打印任务 (unknown print job)", code="unknown_print_job")
        if job.status != "pending":
            raise WrongState("打印任务已处理 (the print job was already done)", code="already_done")
        status = "printed" if printed else "failed"
        uow.conn.execute(update(t.print_jobs).where(t.print_jobs.c.id == job_id).values(
            status=status, done_at=app.now(), error=(error or "")[:200] or None))
        uow.commit()
    return {"id": job_id, "status": status}


def job_status(app, hall_code: str, job_id) -> dict:
    """What became of a print job (the desk page shows it)."""
    if isinstance(job_id, bool) or not isinstance(job_id, int):
        raise NotFound("没有这个打印任务 (unknown print job)", code="unknown_print_job")
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        job = conn.execute(select(t.print_jobs).where(t.print_jobs.c.id == job_id,
                                                      t.print_jobs.c.hall_id == hall.id)).first()
        if job is None:
            raise NotFound("没有这个打印任务 (unknown print job)", code="unknown_print_job")
        return {"id": job.id, "status": job.status, "error": job.error, "done_at": iso(job.done_at)}
