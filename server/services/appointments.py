"""Appointments (预约): book a slot, cancel it, check in at the hall, close the day's no-shows.

Seats: a slot's seats taken are the bookings of that slot still `booked` or `checked_in`, counted
inside the booking transaction. Two residents taking the last seat at once are serialized: SQLite
by BEGIN IMMEDIATE (every writing unit of work), PostgreSQL by a transaction advisory lock on
(hall, day) taken before counting (READ COMMITTED gives the next statement a fresh snapshot, so
the second booker sees the first one's seat). The same lock guards the per-ID daily limit.

Personal data: the ID number is kept only as a keyed hash and the masked form; name and phone only
masked (name_enc/phone_enc stay empty: data minimisation, see docs/appointments.md).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
from datetime import date, datetime, timedelta

import segno
from sqlalchemy import func, select, text, update

from ..domain import booking as bk
from ..domain import identity
from ..domain import tickets as tdomain
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound, TooMany, WrongState
from ..store import tables as t
from . import queue, queue_view
from .auth import Principal
from .views import iso

TAKEN = ("booked", "checked_in")
BOOK_LOCK_CLASS = 0x6170  # "ap": advisory-lock namespace for booking (PostgreSQL)
LATE_NOTE = "已超过预约时段，按普通号排队"
LATE_NOTE_EN = "Past your appointment time: you queue with an ordinary ticket"


def rules(hall) -> bk.BookingRules:
    return bk.parse_rules(hall.config.raw.get("booking"))


def _parse_day(value) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise Invalid("date must be YYYY-MM-DD", code="invalid_date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("date must be YYYY-MM-DD", code="invalid_date") from None


def _service(hall, r: bk.BookingRules, code):
    svc = hall.find_service(code)
    if not r.bookable(svc.code):
        raise Invalid(f"「{svc.name}」不接受预约 ({svc.name_en or svc.code} cannot be booked)",
                      code="not_bookable")
    return svc


def _hours(hall, svc, day: date) -> list[str]:
    """The service's opening hours that day: working-day hours, or weekend/extended service hours."""
    return hall.config.hours_on(svc, day, hall.calendar)


def _day_problem(hall, r: bk.BookingRules, day: date, now, svc) -> tuple[str, str] | None:
    """(code, message) saying why `day` cannot be booked, or None."""
    today = hall.local_day(now)
    if day < today:
        return "past_date", "不能预约过去的日期 (that date has passed)"
    if day > today + timedelta(days=r.days_ahead):
        return "too_far", (f"只能预约 {r.days_ahead} 天内的时段 "
                           f"(bookings open {r.days_ahead} days ahead)")
    if not _hours(hall, svc, day):
        name = hall.calendar.holiday_name(day)
        what = f"{bk.holiday_zh(name)}假期" if name else "休息日"
        return "not_workday", (f"{day.isoformat()} 是{what}，大厅不办公 "
                               f"({day.isoformat()} is not a working day{': ' + name if name else ''})")
    return None


def _taken(conn, hall_id: int, service: str, day: date) -> dict[str, int]:
    rows = conn.execute(select(t.appointments.c.slot, func.count()).where(
        t.appointments.c.hall_id == hall_id, t.appointments.c.service == service,
        t.appointments.c.day == day, t.appointments.c.status.in_(TAKEN))
        .group_by(t.appointments.c.slot)).all()
    return {r[0]: r[1] for r in rows}


def _slot_open(hall, r: bk.BookingRules, day: date, slot: bk.Slot, now) -> bool:
    start = datetime.combine(day, slot.start)
    return start - timedelta(minutes=r.min_lead_min) > hall.local_now(now).replace(tzinfo=None)


def _slot_dicts(hall, r, svc, day, taken, now) -> list[dict]:
    out = []
    for s in bk.slots_for(r, svc.code, _hours(hall, svc, day), day):
        n = taken.get(s.label, 0)
        left = max(s.capacity - n, 0)
        out.append({"slot": s.label, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}",
                    "capacity": s.capacity, "booked": n, "left": left, "extended": s.extended,
                    "available": left > 0 and _slot_open(hall, r, day, s, now)})
    return out


# ------------------------------------------------------------------ reading


def booking_info(app, hall_code: str) -> dict:
    """What the booking page needs first: the bookable services and the rules."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
    r = rules(hall)
    return {
        "hall": hall.code, "hall_name": hall.config.name, "hall_name_en": hall.config.name_en,
        "enabled": r.enabled, "slot_minutes": r.slot_minutes, "days_ahead": r.days_ahead,
        "per_id_per_day": r.per_id_per_day, "per_phone_per_hour": r.per_phone_per_hour,
        "per_address_per_hour": r.per_address_per_hour, "checkin_early_min": r.checkin_early_min,
        "checkin_grace_min": r.checkin_grace_min,
        "today": hall.local_day(app.now()).isoformat(),
        "services": [{"code": s.code, "name": s.name, "name_en": s.name_en, "prefix": s.prefix,
                      "hours": s.hours, "capacity": r.capacity_for(s.code),
                      "materials": s.materials, "description": s.description,
                      "matters": [m.as_dict() for m in s.matters]}
                     for s in hall.config.services if r.bookable(s.code)],
    }


def list_days(app, hall_code: str, service) -> dict:
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        r = rules(hall)
        svc = _service(hall, r, service)
        today = hall.local_day(now)
        days = []
        for i in range(r.days_ahead + 1):
            day = today + timedelta(days=i)
            problem = _day_problem(hall, r, day, now, svc)
            slots = [] if problem else _slot_dicts(hall, r, svc, day, _taken(conn, hall.id, svc.code, day), now)
            days.append({"date": day.isoformat(), "weekday": day.isoweekday(),
                         "workday": problem is None, "holiday": hall.calendar.holiday_name(day),
                         "holiday_zh": bk.holiday_zh(hall.calendar.holiday_name(day)),
                         "makeup_workday": day.weekday() >= 5 and hall.calendar.is_workday(day),
                         "weekend_service": problem is None and not hall.calendar.is_workday(day),
                         "left": sum(s["left"] for s in slots if s["available"]),
                         # places were left but their times have passed (today after hours)
                         "passed": any(s["left"] > 0 for s in slots) and not any(s["available"] for s in slots),
                         "reason": problem[1] if problem else None})
        return {"service": svc.code, "service_name": svc.name, "days": days}


def list_slots(app, hall_code: str, service, day_s) -> dict:
    now = app.now()
    day = _parse_day(day_s)
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        r = rules(hall)
        svc = _service(hall, r, service)
        problem = _day_problem(hall, r, day, now, svc)
        slots = [] if problem else _slot_dicts(hall, r, svc, day, _taken(conn, hall.id, svc.code, day), now)
        return {"service": svc.code, "service_name": svc.name, "service_name_en": svc.name_en,
                "date": day.isoformat(), "workday": problem is None or problem[0] != "not_workday",
                "bookable": problem is None, "reason": problem[1] if problem else None,
                "reason_code": problem[0] if problem else None,
                "holiday": hall.calendar.holiday_name(day),
                "holiday_zh": bk.holiday_zh(hall.calendar.holiday_name(day)), "slots": slots}


def _public(hall, r, row, signed: str | None = None) -> dict:
    """A booking as its holder sees it (masked personal data only)."""
    svc = hall.service(row.service)
    slot = _slot_of(hall, r, row)
    opens, until = bk.checkin_window(r, row.day, slot)
    out = {"id": row.id, "service": row.service, "service_name": svc.name,
           "service_name_en": svc.name_en, "date": row.day.isoformat(), "slot": row.slot,
           "extended": slot.extended, "status": row.status, "name_masked": row.name_masked,
           "phone_masked": row.phone_masked, "id_masked": row.id_masked,
           "checkin_from": opens.strftime("%H:%M"), "checkin_until": until.strftime("%H:%M"),
           "created_at": iso(row.created_at), "cancelled_at": iso(row.cancelled_at),
           "checked_in_at": iso(row.checked_in_at), "hall": hall.code, "hall_name": hall.config.name}
    if signed:  # the code itself (the stored booking is what makes it genuine)
        out["code"] = signed
        out["code_display"] = bk.format_code(signed)
        out["qr_svg"] = segno.make_qr(signed, error="m").svg_data_uri(scale=6, border=2)
    return out


def _slot_of(hall, r, row) -> bk.Slot:
    """The slot a booking holds (rebuilt from its label if the config changed since)."""
    svc = hall.service(row.service)
    found = bk.find_slot(bk.slots_for(r, svc.code, _hours(hall, svc, row.day), row.day), row.slot)
    if found:
        return found
    a, b = row.slot.split("-")
    return bk.Slot(datetime.strptime(a, "%H:%M").time(), datetime.strptime(b, "%H:%M").time(), 0)


def _verify_row(app, conn, hall, text):
    """The stored booking a code names (the check that makes a code genuine), or NotFound."""
    code, day = bk.parse_code(text, app.secret)
    row = conn.execute(select(t.appointments).where(t.appointments.c.code == code,
                                                    t.appointments.c.hall_id == hall.id)).first()
    if row is None or (day is not None and row.day != day):
        raise NotFound("没有这个预约，请核对预约码 (no such appointment)", code="unknown_appointment")
    return row


def _code_for(app, row) -> str:
    """What the holder uses: the short code, or for a booking made before short codes its signed one."""
    return row.code if len(row.code) <= 8 else bk.sign(row.code, row.day, app.secret)


def _new_code(conn, hall_id: int, day) -> str:
    """A code no booking of this hall holds (codes are unique in the table; a day's are the
    ones read out at the kiosk)."""
    for _ in range(20):
        code = bk.new_code()
        if conn.execute(select(t.appointments.c.id).where(t.appointments.c.code == code)).first() is None:
            return code
    raise Conflict("预约繁忙，请重试 (could not make a booking code; try again)", code="busy")


def get_booking(app, hall_code: str, signed: str) -> dict:
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        row = _verify_row(app, conn, hall, signed)
        out = _public(hall, rules(hall), row, _code_for(app, row))
        if row.ticket_id:
            tk = conn.execute(select(t.tickets.c.number, t.tickets.c.token)
                              .where(t.tickets.c.id == row.ticket_id)).first()
            if tk is not None:
                out["ticket"] = {"number": tk.number, "track_url": f"/t/{tk.token}"}
        return out


def progress(app, hall_code: str, code: str) -> dict:
    """进度查询: what a resident may learn by the code they hold — a booking code (the booking, and
    the ticket and case once checked in) or the code on a ticket (its queue place, then its case:
    due date and whether the result is ready). Nothing personal."""
    from .queue_view import track
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise NotFound("没有找到，请核对查询码 (nothing found: check the code)", code="unknown_code")
    try:
        ticket = track(app, code)
    except NotFound:
        ticket = None
    if ticket is not None:
        if ticket["hall"] != hall_code:
            raise NotFound("没有找到，请核对查询码 (nothing found: check the code)", code="unknown_code")
        return {"kind": "ticket", "ticket": ticket, "track_url": f"/t/{code}"}
    booking = get_booking(app, hall_code, code.upper())  # its own errors say what is wrong with the code
    out = {"kind": "booking", "booking": booking}
    if booking.get("ticket"):
        token = booking["ticket"]["track_url"].rsplit("/", 1)[-1]
        out["ticket"] = track(app, token)
        out["track_url"] = booking["ticket"]["track_url"]
    return out


def list_for_day(app, hall_code: str, day_s) -> list[dict]:
    """A day's bookings for staff (masked), in slot order."""
    day = _parse_day(day_s)
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        r = rules(hall)
        rows = conn.execute(select(t.appointments).where(
            t.appointments.c.hall_id == hall.id, t.appointments.c.day == day)
            .order_by(t.appointments.c.slot, t.appointments.c.id)).all()
        return [_public(hall, r, row) for row in rows]


# ------------------------------------------------------------------ booking


def _lock_day(conn, hall_id: int, day: date) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:c, hashtext(:k))"),
                     {"c": BOOK_LOCK_CLASS, "k": f"{hall_id}:{day.isoformat()}"})


def _limit_key(kind: str, value: str, key: bytes) -> str:
    """HMAC of a phone number or an address: counts bookings without keeping either."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _check_hourly_limits(conn, hall_id: int, r: bk.BookingRules, now, phone_hash: str,
                         addr_hash: str | None) -> None:
    """Bookings made (cancelled ones too: book-and-cancel loops) within the last hour."""
    a = t.appointments.c
    since = now - timedelta(hours=1)
    if addr_hash is not None:
        n = conn.execute(select(func.count()).where(
            a.hall_id == hall_id, a.addr_hash == addr_hash, a.created_at > since)).scalar_one()
        if n >= r.per_address_per_hour:
            raise TooMany(f"同一网络地址1小时内最多预约 {r.per_address_per_hour} 次，请稍后再试 (at most "
                          f"{r.per_address_per_hour} bookings per address per hour; try again later)",
                          code="address_limit")
    n = conn.execute(select(func.count()).where(
        a.hall_id == hall_id, a.phone_hash == phone_hash, a.created_at > since)).scalar_one()
    if n >= r.per_phone_per_hour:
        raise TooMany(f"同一手机号1小时内最多预约 {r.per_phone_per_hour} 次，请稍后再试 (at most "
                      f"{r.per_phone_per_hour} bookings per phone number per hour; try again later)",
                      code="phone_limit")


def book(app, hall_code: str, *, service, date_s, slot, name, phone, id_number,
         actor: str = "public", address: str | None = None) -> dict:
    """Take a seat in a slot. Returns the booking with its signed code and QR. `address`: where an
    anonymous booking came from (hourly per-address limit); None for staff and tools."""
    now = app.now()
    day = _parse_day(date_s)
    name = bk.validate_name(name)
    phone = bk.validate_phone(phone)
    if not isinstance(id_number, str):
        raise Invalid("请填写身份证号码 (ID number is required)", code="invalid_id_number")
    norm = identity.validate(id_number)
    id_hash = identity.keyed_hash(norm, app.secret)
    phone_hash = _limit_key("phone", phone, app.secret)
    addr_hash = _limit_key("addr", address, app.secret) if address else None
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        r = rules(hall)
        svc = _service(hall, r, service)
        problem = _day_problem(hall, r, day, now, svc)
        if problem:
            raise Invalid(problem[1], code=problem[0])
        s = bk.find_slot(bk.slots_for(r, svc.code, _hours(hall, svc, day), day), slot if isinstance(slot, str) else "")
        if s is None:
            raise Invalid(f"没有这个预约时段 (no such slot): {slot}", code="unknown_slot")
        if not _slot_open(hall, r, day, s, now):
            raise Conflict("该时段已开始或已过，请选择其他时段 (that slot has started; choose another)",
                           code="slot_passed")
        _lock_day(conn, hall.id, day)
        _check_hourly_limits(conn, hall.id, r, now, phone_hash, addr_hash)
        mine = conn.execute(select(t.appointments.c.service, t.appointments.c.slot).where(
            t.appointments.c.hall_id == hall.id, t.appointments.c.id_hash == id_hash,
            t.appointments.c.day == day, t.appointments.c.status.in_(TAKEN))).all()
        held = next((m for m in mine if m.service == svc.code), None)
        if held is not None:  # one active booking per ID number, service and day
            raise Conflict(f"同一业务每人每天只能预约一次，您已预约 {held.slot} (one booking per ID "
                           f"number, service and day: you hold {held.slot})", code="already_booked")
        if len(mine) >= r.per_id_per_day:
            raise Conflict(f"同一身份证每天最多预约 {r.per_id_per_day} 次 "
                           f"(at most {r.per_id_per_day} bookings per ID number per day)",
                           code="daily_limit")
        taken = _taken(conn, hall.id, svc.code, day).get(s.label, 0)
        if taken >= s.capacity:
            raise Conflict("该时段已约满，请选择其他时段 (that slot is fully booked; choose another)",
                           code="slot_full")
        code = _new_code(conn, hall.id, day)
        values = dict(hall_id=hall.id, code=code, service=svc.code, day=day, slot=s.label,
                      name_masked=identity.mask_name(name), name_enc=None,
                      phone_masked=identity.mask_phone(phone), phone_enc=None, id_hash=id_hash,
                      id_masked=identity.mask(norm), status="booked", created_at=now,
                      phone_hash=phone_hash, addr_hash=addr_hash)
        aid = conn.execute(t.appointments.insert().values(**values)).inserted_primary_key[0]
        row = conn.execute(select(t.appointments).where(t.appointments.c.id == aid)).first()
        uow.emit(hall.id, "appointment.booked", actor=actor, data={
            "appointment": _event_view(row, hall), "left": s.capacity - taken - 1})
        uow.commit()
    return _public(hall, r, row, code)


def _event_view(row, hall) -> dict:
    """In the public event stream: which seat, nothing about who."""
    return {"id": row.id, "service": row.service, "service_name": hall.service(row.service).name,
            "date": row.day.isoformat(), "slot": row.slot, "status": row.status}


def cancel(app, hall_code: str, signed: str, principal: Principal | None = None) -> dict:
    """Give the seat back (the holder of the code, or staff). Only before the slot starts."""
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        r = rules(hall)
        row = _verify_row(app, conn, hall, signed)
        if row.status != "booked":
            raise WrongState({"cancelled": "该预约已取消 (already cancelled)",
                              "checked_in": "已签到取号，不能取消 (already checked in)",
                              "no_show": "预约已过期 (the appointment has passed)"}.get(
                row.status, "该预约不能取消 (cannot be cancelled)"), code=f"already_{row.status}")
        slot = _slot_of(hall, r, row)
        start = datetime.combine(row.day, slot.start)
        staff = principal is not None and principal.is_user
        if not staff and hall.local_now(now).replace(tzinfo=None) >= start:
            raise WrongState("预约时段已开始,不能在线取消 (the slot has started; it can no longer be "
                             "cancelled online)", code="too_late_to_cancel")
        n = conn.execute(update(t.appointments).where(
            t.appointments.c.id == row.id, t.appointments.c.status == "booked").values(
            status="cancelled", cancelled_at=now)).rowcount
        if n != 1:
            raise WrongState("预约状态已变化，请刷新 (the appointment changed meanwhile)", code="stale")
        row = conn.execute(select(t.appointments).where(t.appointments.c.id == row.id)).first()
        uow.emit(hall.id, "appointment.cancelled",
                 actor=principal.actor if principal else "public",
                 data={"appointment": _event_view(row, hall)})
        uow.commit()
    return _public(hall, r, row)


# ------------------------------------------------------------------ check-in


def _pick_for_id(conn, hall, r, id_hash: str, today: date, now_local: datetime):
    """Today's booking of this ID to check in: one in its window, else the next, else a late one."""
    rows = conn.execute(select(t.appointments).where(
        t.appointments.c.hall_id == hall.id, t.appointments.c.id_hash == id_hash,
        t.appointments.c.day == today, t.appointments.c.status == "booked")
        .order_by(t.appointments.c.slot)).all()
    if not rows:
        raise NotFound("今天没有您的预约 (no appointment for this ID number today)",
                       code="unknown_appointment")
    phases = [(bk.checkin_phase(r, row.day, _slot_of(hall, r, row), now_local), row) for row in rows]
    for wanted in (bk.ON_TIME, bk.EARLY, bk.LATE):
        for phase, row in phases:
            if phase == wanted:
                return row
    return rows[0]


def check_in(app, hall_code: str, principal: Principal, *, code: str | None = None,
             id_number: str | None = None, idempotency_key: str | None = None) -> dict:
    """The resident arrives: the booking becomes a ticket. In the window (from checkin_early_min
    before the slot to checkin_grace_min after its start) the ticket has appointment priority;
    later the same day an ordinary ticket with a note; before the window, come back later."""
    if (code is None) == (id_number is None):
        raise Invalid("请提供预约码或身份证号码之一 (give either code or id_number)", code="invalid")
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        if not principal.in_hall(hall.id):
            raise Forbidden("无权访问此大厅 (not allowed in this hall)", code="forbidden")
        r = rules(hall)
        local = hall.local_now(now).replace(tzinfo=None)
        if code is not None:
            row = _verify_row(app, conn, hall, code)
        else:
            if not isinstance(id_number, str):
                raise Invalid("id_number must be a string", code="invalid_id_number")
            norm = identity.validate(id_number)
            row = _pick_for_id(conn, hall, r, identity.keyed_hash(norm, app.secret), local.date(), local)
        slot = _slot_of(hall, r, row)
        if row.status == "checked_in":
            replay = _replay(app, uow, hall, r, row, principal, idempotency_key)
            if replay is not None:
                return replay
            number = conn.execute(select(t.tickets.c.number).where(
                t.tickets.c.id == row.ticket_id)).scalar() if row.ticket_id else None
            raise WrongState(f"该预约已签到取号{('(' + number + ')') if number else ''} "
                             "(already checked in)", code="already_checked_in")
        if row.status != "booked":
            raise WrongState({"cancelled": "该预约已取消 (the appointment was cancelled)",
                              "no_show": "预约已过期 (the appointment has expired)"}.get(
                row.status, "该预约不能签到 (cannot check in)"), code=f"appointment_{row.status}")
        phase = bk.checkin_phase(r, row.day, slot, local)
        if phase == bk.EXPIRED:
            raise Conflict("预约码已过期 (the appointment code has expired)", code="code_expired")
        if row.day > local.date():
            raise Conflict(f"您的预约在 {row.day.isoformat()} {row.slot}，请当天再来签到 "
                           f"(your appointment is on {row.day.isoformat()} {row.slot})",
                           code="too_early")
        opens, until = bk.checkin_window(r, row.day, slot)
        if phase == bk.EARLY:
            raise Conflict(f"还未到签到时间，请于 {opens:%H:%M} 后签到 "
                           f"(check-in opens at {opens:%H:%M})", code="too_early")
        late = phase == bk.LATE
        if late and not slot.extended and not queue_view.service_open(app, hall, hall.service(row.service), now):
            raise Conflict("该业务当前不在办理时间 (the service is closed now)", code="service_closed")
        n = conn.execute(update(t.appointments).where(
            t.appointments.c.id == row.id, t.appointments.c.status == "booked").values(
            status="checked_in", checked_in_at=now)).rowcount
        if n != 1:
            raise WrongState("该预约已签到 (already checked in)", code="already_checked_in")
        # The slot itself is the opening time of a booking (extended-hours slots lie outside the
        # service's normal hours), so the kiosk's hours check is not applied to a check-in.
        issuer = dataclasses.replace(principal, role="checkin") if principal.role == "kiosk" else principal
        ticket = queue.issue_ticket(
            app, hall_code, issuer, row.service,
            source=("kiosk" if principal.role == "kiosk" else "staff") if late else "appointment",
            appointment_id=None if late else row.id, idempotency_key=idempotency_key,
            note=f"{LATE_NOTE}（预约 {row.slot}）" if late else f"预约 {row.slot}", _uow=uow)
        conn.execute(update(t.tickets).where(t.tickets.c.id == ticket["id"]).values(
            id_hash=row.id_hash, id_masked=row.id_masked))
        conn.execute(update(t.appointments).where(t.appointments.c.id == row.id).values(
            ticket_id=ticket["id"]))
        row = conn.execute(select(t.appointments).where(t.appointments.c.id == row.id)).first()
        uow.emit(hall.id, "appointment.checked_in", ticket_id=ticket["id"], actor=principal.actor,
                 data={"appointment": _event_view(row, hall), "late": late,
                       "number": ticket["number"]})
        uow.commit()
    ticket["id_masked"] = row.id_masked
    ticket["appointment"] = _public(hall, r, row)
    ticket["late"] = late
    if late:
        ticket["note"] = LATE_NOTE
        ticket["note_en"] = LATE_NOTE_EN
    return ticket


def _replay(app, uow, hall, r, row, principal, idempotency_key):
    """A retried check-in (same Idempotency-Key) gets the ticket of the first try."""
    if not idempotency_key or not row.ticket_id:
        return None
    tk = uow.conn.execute(select(t.tickets).where(t.tickets.c.id == row.ticket_id)).first()
    if tk is None or tk.idempotency_key != tdomain.scoped_idempotency_key(principal.actor,
                                                                          idempotency_key):
        return None
    out = queue.issue_ticket(app, hall.code, principal, tk.first_service,
                             idempotency_key=idempotency_key, _uow=uow)
    late = tk.appointment_id is None
    out["appointment"] = _public(hall, r, row)
    out["late"] = late
    if late:
        out["note"], out["note_en"] = LATE_NOTE, LATE_NOTE_EN
    return out


# ------------------------------------------------------------------ end of day


def mark_no_shows(app) -> int:
    """Bookings of past days that were never checked in become no-shows (a daily job)."""
    marked = 0
    with app.db.read() as conn:
        codes = conn.execute(select(t.halls.c.code)).scalars().all()
    for code in codes:
        with app.uow() as uow:
            conn = uow.conn
            hall = app.hall(conn, code)
            today = hall.local_day(app.now())
            rows = conn.execute(select(t.appointments).where(
                t.appointments.c.hall_id == hall.id, t.appointments.c.day < today,
                t.appointments.c.status == "booked")).all()
            for row in rows:
                conn.execute(update(t.appointments).where(
                    t.appointments.c.id == row.id, t.appointments.c.status == "booked")
                    .values(status="no_show"))
                fresh = conn.execute(select(t.appointments).where(t.appointments.c.id == row.id)).first()
                uow.emit(hall.id, "appointment.no_show", actor="system",
                         data={"appointment": _event_view(fresh, hall)})
            marked += len(rows)
            uow.commit()
    return marked
