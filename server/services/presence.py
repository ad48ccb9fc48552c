"""Device heartbeats (设备心跳): every device program says it is alive every 30 s; the server keeps
when each was last seen, /admin lists them and the dashboard raises "设备离线 (device offline)"
for one silent longer than `[rules] device_offline_min` (default 2 minutes).

Who is who:
- a device with a token (kiosk, evaluator page, keypad bridge, and any bridge given one) is known
  by its token: one row per (device, program), named after the registered device;
- a program without a token (the display page, the announcer and LED bridge as shipped) names
  itself and is taken as kind "display", the kind whose pages are public anyway. At most
  MAX_UNREGISTERED such rows per hall, so nobody can fill the table.
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.errors import Forbidden, Invalid, NotFound, TooMany
from ..store import tables as t
from .auth import Principal
from .views import iso

EVERY_S = 30  # how often devices are asked to beat (the answer tells them)
OFFLINE_MIN = 2  # default of [rules] device_offline_min
MAX_UNREGISTERED = 50
PROGRAM = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
STATUSES = ("ok", "degraded")
PROGRAM_NAMES = {  # (中文, English) for the alert and /admin
    "kiosk": ("取号机", "kiosk"), "announcer": ("语音播报", "announcer"), "led": ("窗口屏", "LED strips"),
    "keypads": ("呼叫器/评价器", "keypads"), "display-page": ("叫号屏", "display page"),
    "evaluator-page": ("评价器页面", "evaluator page"), "wall-page": ("阳光台", "staff wall"),
}


def program_names(program: str) -> tuple[str, str]:
    return PROGRAM_NAMES.get(program, (program, program))


def offline_after(hall) -> timedelta:
    return timedelta(minutes=float(hall.config.rule("device_offline_min", OFFLINE_MIN)))


def _clean(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())[:limit]
    return text or None


def beat(app, hall_code: str, principal: Principal | None, *, program: str, name: str | None = None,
         version: str | None = None, status: str = "ok", detail: str | None = None,
         address: str | None = None) -> dict:
    """Record one heartbeat; returns the device's row and how often to beat."""
    if not PROGRAM.match(program or ""):
        raise Invalid("program: 1-32 lowercase letters, digits or -", code="invalid")
    if status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", code="invalid")
    if principal is not None and principal.is_user:
        raise Forbidden("心跳只来自设备 (heartbeats come from devices)", code="forbidden")
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        if principal is not None:
            if not principal.in_hall(hall.id):
                raise Forbidden("设备不属于本大厅 (device of another hall)", code="forbidden")
            key, device_id, dev_name, kind = (f"device:{principal.id}:{program}", principal.id,
                                              principal.name, principal.role)
        else:
            dev_name = _clean(name, 64)
            if not dev_name:
                raise Invalid("没有令牌的设备需要名称 (a device without a token gives its name)",
                              code="invalid")
            key, device_id, kind = f"name:{program}:{dev_name}", None, "display"
        pc = t.device_presence.c
        values = {"version": _clean(version, 32), "status": status, "detail": _clean(detail, 200),
                  "address": _clean(address, 64), "last_seen_at": now, "name": dev_name}
        n = conn.execute(update(t.device_presence).where(pc.hall_id == hall.id, pc.key == key)
                         .values(beats=pc.beats + 1, **values)).rowcount
        if not n:
            if device_id is None:
                count = conn.execute(select(func.count()).where(
                    pc.hall_id == hall.id, pc.device_id.is_(None))).scalar()
                if count >= MAX_UNREGISTERED:
                    raise TooMany("未登记的设备太多,请在管理页登记设备 (too many unregistered devices: "
                                  "register them in /admin)", code="too_many_devices")
            try:
                with conn.begin_nested():  # the same device's first beat twice at once: one row
                    conn.execute(t.device_presence.insert().values(
                        hall_id=hall.id, key=key, device_id=device_id, kind=kind, program=program,
                        first_seen_at=now, beats=1, **values))
            except IntegrityError:
                conn.execute(update(t.device_presence).where(pc.hall_id == hall.id, pc.key == key)
                             .values(beats=pc.beats + 1, **values))
        row = conn.execute(select(t.device_presence).where(pc.hall_id == hall.id, pc.key == key)).first()
        uow.commit()
        limit = offline_after(hall)
    return {**_view(row, now, limit), "every_s": EVERY_S}


def _view(row, now, limit: timedelta) -> dict:
    silent = max(0, int((now - row.last_seen_at).total_seconds()))
    zh, en = program_names(row.program)
    return {"id": row.id, "name": row.name, "kind": row.kind, "program": row.program,
            "program_zh": zh, "program_en": en, "registered": row.device_id is not None,
            "version": row.version, "status": row.status, "detail": row.detail, "address": row.address,
            "first_seen_at": iso(row.first_seen_at), "last_seen_at": iso(row.last_seen_at),
            "silent_s": silent, "online": now - row.last_seen_at <= limit, "beats": row.beats}


def _rows(conn, hall_id: int, now):
    """Watched device programs: unregistered ones, and registered ones still in service (active,
    with a token that works). A device whose tokens were revoked in /admin is retired, not offline."""
    pc, dc, tc = t.device_presence.c, t.devices.c, t.tokens.c
    working = exists().where(tc.device_id == pc.device_id, tc.revoked_at.is_(None),
                             (tc.expires_at.is_(None)) | (tc.expires_at > now))
    return conn.execute(select(t.device_presence).outerjoin(t.devices, dc.id == pc.device_id).where(
        pc.hall_id == hall_id, (pc.device_id.is_(None)) | ((dc.active.is_(True)) & working))
        .order_by(pc.name, pc.program)).all()


def list_presence(app, hall_code: str) -> list[dict]:
    """Every device program that ever beat in this hall, with when it was last seen."""
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        limit = offline_after(hall)
        return [_view(r, now, limit) for r in _rows(conn, hall.id, now)]


def offline_alerts(conn, hall, now) -> list[dict]:
    """The dashboard's "设备离线" alerts: devices silent longer than the hall allows."""
    limit = offline_after(hall)
    out = []
    for r in _rows(conn, hall.id, now):
        if now - r.last_seen_at <= limit:
            continue
        minutes = int((now - r.last_seen_at).total_seconds() // 60)
        zh, en = program_names(r.program)
        out.append({"kind": "device_offline", "level": "error", "device": r.name, "program": r.program,
                    "last_seen_at": iso(r.last_seen_at), "silent_s": int((now - r.last_seen_at).total_seconds()),
                    "message": f"设备离线：{r.name}（{zh}）已 {minutes} 分钟没有心跳",
                    "message_en": f"Device offline: {r.name} ({en}), no heartbeat for {minutes} min"})
    return out


def forget(app, hall_code: str, presence_id: int) -> None:
    """Stop watching a device program (retired, renamed): its row goes; a new beat brings it back."""
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        pc = t.device_presence.c
        n = uow.conn.execute(delete(t.device_presence).where(
            pc.hall_id == hall.id, pc.id == presence_id)).rowcount
        if not n:
            raise NotFound("没有这台设备的心跳记录 (unknown device heartbeat)", code="not_found")
        uow.commit()
