"""Device faults: a kiosk's printer out of paper, cover open, offline; the hall manager sees them
(GET …/devices/faults?open=1, event device.fault) and clears them, or the kiosk clears its own
when the printer works again (event device.cleared)."""
from __future__ import annotations

from sqlalchemy import select, update

from ..domain.errors import Forbidden, Invalid, NotFound
from ..store import tables as t
from .auth import Principal
from .views import iso

KINDS = ("paper_out", "cover_open", "offline", "error")


def _view(row) -> dict:
    return {"id": row.id, "device_id": row.device_id, "device": row.device_name, "kind": row.kind,
            "message": row.message, "created_at": iso(row.created_at),
            "cleared_at": iso(row.cleared_at), "open": row.cleared_at is None}


def report(app, hall_code: str, principal: Principal, kind: str, message: str | None = None) -> dict:
    """A device reports a fault. A fault of the same kind still open is returned, not doubled."""
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}", code="invalid")
    if principal.is_user:
        raise Forbidden("只有设备可以上报故障 (only devices report faults)", code="forbidden")
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        open_row = conn.execute(select(t.device_faults).where(
            t.device_faults.c.hall_id == hall.id, t.device_faults.c.device_id == principal.id,
            t.device_faults.c.kind == kind, t.device_faults.c.cleared_at.is_(None))).first()
        if open_row is not None:
            return {**_view(open_row), "repeated": True}
        fid = conn.execute(t.device_faults.insert().values(
            hall_id=hall.id, device_id=principal.id, device_name=principal.name, kind=kind,
            message=(message or "")[:500], created_at=app.now())).inserted_primary_key[0]
        row = conn.execute(select(t.device_faults).where(t.device_faults.c.id == fid)).first()
        uow.emit(hall.id, "device.fault", actor=principal.actor,
                 data={"fault": _view(row), "device_kind": principal.role})
        uow.commit()
    return _view(row)


def list_faults(app, hall_code: str, only_open: bool = False, limit: int = 200) -> list[dict]:
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        q = select(t.device_faults).where(t.device_faults.c.hall_id == hall.id)
        if only_open:
            q = q.where(t.device_faults.c.cleared_at.is_(None))
        rows = conn.execute(q.order_by(t.device_faults.c.id.desc()).limit(limit)).all()
        return [_view(r) for r in rows]


def clear(app, hall_code: str, principal: Principal, fault_id: int | None = None,
          kind: str | None = None) -> list[dict]:
    """Clear one fault (a manager, or the device that reported it) or, for a device, all of its
    own open faults (optionally of one kind). Returns the faults cleared."""
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        q = select(t.device_faults).where(t.device_faults.c.hall_id == hall.id,
                                          t.device_faults.c.cleared_at.is_(None))
        if fault_id is not None:
            row = conn.execute(select(t.device_faults).where(
                t.device_faults.c.hall_id == hall.id, t.device_faults.c.id == fault_id)).first()
            if row is None:
                raise NotFound("没有这条故障记录 (unknown fault)", code="unknown_fault")
            if not principal.is_user and row.device_id != principal.id:
                raise Forbidden("只能清除本设备的故障 (a device clears only its own faults)",
                                code="forbidden")
            q = q.where(t.device_faults.c.id == fault_id)
        else:
            if principal.is_user:
                raise Invalid("give the fault id", code="invalid")
            q = q.where(t.device_faults.c.device_id == principal.id)
            if kind is not None:
                q = q.where(t.device_faults.c.kind == kind)
        rows = conn.execute(q).all()
        cleared = []
        for row in rows:
            n = conn.execute(update(t.device_faults).where(
                t.device_faults.c.id == row.id, t.device_faults.c.cleared_at.is_(None)).values(
                cleared_at=now)).rowcount
            if n:
                v = {**_view(row), "cleared_at": iso(now), "open": False}
                cleared.append(v)
                uow.emit(hall.id, "device.cleared", actor=principal.actor, data={"fault": v})
        uow.commit()
    return cleared
