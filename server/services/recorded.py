"""Ratings and complaints staff record (登记投诉/评价): what reached the hall by the 12345 hotline,
the suggestion box (意见箱), in person (现场) or another way, written down by a member of staff.

It names a visit when the resident can (the ticket's number and day, the code on the ticket or its
QR link, or the booking code): then it is that visit's one rating (一次一评), as a window rating
would be. A hotline call or a note in the box often cannot: then it names what is known instead
(service, window, staff member, the day of the visit). Either way it is a rating (level 1-5) or a
complaint (投诉, no level); a bad rating or a complaint opens a review case (verify -> rectify ->
回访), may keep a phone for the 回访 with the resident's consent (sealed, services/contact.py), and
goes to the province's outbox with its channel. Nobody records one about their own work.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from ..domain import booking as bk
from ..domain import ratings as rdomain
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound, WrongState
from ..domain.tickets import scoped_idempotency_key
from ..store import tables as t
from .auth import Principal
from .ratings import RECORDED_CHANNELS, About, record
from .views import iso, iso_date

CHANNEL_NAMES = {"hotline": ("12345热线", "12345 hotline"), "box": ("意见箱", "Suggestion box"),
                 "onsite": ("现场", "In person"), "other": ("其他", "Other")}
KINDS = ("rating", "complaint")
_NUMBER = re.compile(r"^[A-Z]{1,2}\d{3,5}$")  # a ticket number as printed: A007
_TRACK = re.compile(r"/t/([A-Za-z0-9_-]{8,64})/?$")  # the ticket's QR link: …/t/<code>
OLDEST_VISIT_DAYS = 366  # a complaint about a visit longer ago than this is not taken


# ---------------------------------------------------------------- finding the visit

def _ticket_by_number(conn, hall, number: str, day: date):
    tk = t.tickets.c
    return conn.execute(select(t.tickets).where(tk.hall_id == hall.id, tk.number == number,
                                                tk.day == day.isoformat())).first()


def find_visit(app, conn, hall, code, day=None):
    """The ticket a typed or scanned code names: a ticket number (on `day`, default today), the
    code on the ticket (or its QR link), or a booking code that was checked in. NotFound else."""
    if not isinstance(code, str) or not code.strip() or len(code) > 200:
        raise Invalid("请填写号票号码、号票查询码或预约码 (give the ticket number, the ticket's "
                      "code or the booking code)", code="invalid_visit")
    text = code.strip()
    link = _TRACK.search(text)
    token = link.group(1) if link else text
    tk = t.tickets.c
    row = conn.execute(select(t.tickets).where(tk.token == token, tk.hall_id == hall.id)).first()
    if row is not None:
        return row
    compact = re.sub(r"[\s-]", "", text).upper()
    if _NUMBER.match(compact):
        row = _ticket_by_number(conn, hall, compact, day or hall.local_day(app.now()))
        if row is not None:
            return row
    try:
        booking_code, _ = bk.parse_code(compact, app.secret)
    except Invalid:
        booking_code = None
    if booking_code:
        a = t.appointments.c
        got = conn.execute(select(a.ticket_id).where(a.code == booking_code, a.hall_id == hall.id)
                           ).first()
        if got is not None and got.ticket_id is not None:
            row = conn.execute(select(t.tickets).where(tk.id == got.ticket_id)).first()
            if row is not None:
                return row
        if got is not None:
            raise NotFound("该预约尚未取号办理 (this booking was never checked in: no visit)",
                           code="unknown_visit")
    raise NotFound("没有找到这次办事，请核对号码和日期 (no such visit: check the number and the day)",
                   code="unknown_visit")


def _parse_day(value, what="day"):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"日期格式应为 2026-11-30 ({what} must be YYYY-MM-DD)", code="invalid_day") from None


def _visit_view(app, conn, hall, row, principal: Principal) -> dict:
    """What the form shows of a found visit: nothing personal but the masked ID number."""
    svc = next((s for s in hall.config.services if s.code == row.service), None)
    staff = conn.execute(select(t.users.c.name).where(t.users.c.id == row.staff_id)).scalar() \
        if row.staff_id else None
    rated = conn.execute(select(t.ratings.c.id).where(t.ratings.c.ticket_id == row.id)).first()
    return {"ticket_id": row.id, "number": row.number, "day": row.day, "status": row.status,
            "service": row.service, "service_name": svc.name if svc else row.service,
            "service_name_en": (svc.name_en or svc.name) if svc else row.service,
            "window": row.window, "staff_id": row.staff_id, "staff_name": staff,
            "finished_at": iso(row.finished_at), "id_masked": row.id_masked,
            "rated": rated is not None, "own": row.staff_id is not None and row.staff_id == principal.id}


def lookup(app, hall_code: str, principal: Principal, code, day=None) -> dict:
    """GET …/ratings/recorded/visit: the visit a code names, for the form to show before saving."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        row = find_visit(app, conn, hall, code, _parse_day(day))
        return _visit_view(app, conn, hall, row, principal)


def choices(app, hall_code: str) -> dict:
    """What the form offers: channels, services, windows, staff members, reasons, levels."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        u = t.users.c
        staff = conn.execute(select(u.id, u.name, u.staff_no, u.windows).where(
            u.hall_id == hall.id, u.role.in_(("staff", "manager")), u.active.is_(True))
            .order_by(u.staff_no, u.name, u.id)).all()
        today = hall.local_day(app.now())
    return {
        "channels": [{"code": c, "name": CHANNEL_NAMES[c][0], "name_en": CHANNEL_NAMES[c][1]}
                     for c in RECORDED_CHANNELS],
        "services": [{"code": s.code, "name": s.name, "name_en": s.name_en or s.name}
                     for s in hall.config.services],
        "windows": [{"number": w.number, "name": w.name} for w in hall.config.windows],
        "staff": [{"id": s.id, "name": s.name, "staff_no": s.staff_no, "windows": list(s.windows or [])}
                  for s in staff],
        "reasons": [{"code": k, "name": v[0], "name_en": v[1]} for k, v in rdomain.REASONS.items()],
        "levels": [{"level": k, "name": v[0], "name_en": v[1]} for k, v in rdomain.LEVELS.items()],
        "today": today.isoformat(),
        # the form refuses a visit day outside these before saving, as the server does
        "oldest_day": (today - timedelta(days=OLDEST_VISIT_DAYS)).isoformat(),
    }


# ---------------------------------------------------------------- what was said

def _kind_and_level(kind, level):
    if kind is None:
        kind = "rating"
    if kind not in KINDS:
        raise Invalid("kind must be rating or complaint", code="invalid")
    if kind == "complaint":
        if level is not None:
            raise Invalid("投诉不带评价等级 (a complaint has no level)", code="invalid_level")
        return None
    if level is None:
        raise Invalid("请选择评价等级或「投诉」 (choose a level 1-5, or complaint)", code="level_required")
    return rdomain.check_level(level)


def _named(conn, hall, service, window, staff_id) -> tuple:
    """The service, window and staff member a visit-less record names, each checked."""
    if service not in (None, ""):
        service = hall.service(service).code  # NotFound for a code the hall does not have
    else:
        service = None
    if window is not None:
        if isinstance(window, bool) or not isinstance(window, int):
            raise Invalid("window must be a window number", code="invalid")
        hall.window_config(window)
    if staff_id is not None:
        if isinstance(staff_id, bool) or not isinstance(staff_id, int):
            raise Invalid("staff_id must be a member of staff's id", code="invalid")
        u = t.users.c
        found = conn.execute(select(u.id).where(u.id == staff_id, u.hall_id == hall.id,
                                                u.role.in_(("staff", "manager")))).first()
        if found is None:
            raise NotFound("没有这位工作人员 (unknown staff member)", code="unknown_staff")
    return service, window, staff_id


def _visit_day(value, today: date):
    day = _parse_day(value, "visit_day")
    if day is None:
        return None
    if day > today:
        raise Invalid("办事日期不能在将来 (visit_day is in the future)", code="invalid_day")
    if day < today - timedelta(days=OLDEST_VISIT_DAYS):
        raise Invalid("办事日期超过一年 (visit_day is more than a year ago)", code="invalid_day")
    return day


def _replay(conn, hall, key: str, channel, level, comment) -> dict | None:
    """The record first saved with this (scoped) Idempotency-Key, as the answer to a retry."""
    r = t.ratings.c
    row = conn.execute(select(t.ratings).where(r.hall_id == hall.id, r.idempotency_key == key)).first()
    if row is None:
        return None
    if (row.source, row.level, row.comment) != (channel, level, comment):
        raise Conflict("Idempotency-Key was used for another record", code="idempotency_conflict")
    number = conn.execute(select(t.tickets.c.number).where(t.tickets.c.id == row.ticket_id)).scalar() \
        if row.ticket_id is not None else None
    case = conn.execute(select(t.review_cases).where(t.review_cases.c.rating_id == row.id)).first()
    label_zh, label_en = rdomain.label(row.level)
    return {"id": row.id, "ticket_id": row.ticket_id, "number": number, "level": row.level,
            "kind": "complaint" if row.level is None else "rating", "label": label_zh,
            "label_en": label_en, "score": None if row.level is None else rdomain.LEVELS[row.level][2],
            "reasons": list(row.reasons or []), "bad": rdomain.is_bad(row.level),
            "window": row.window, "service": row.service, "staff_id": row.staff_id,
            "visit_day": iso_date(row.visit_day), "created_at": iso(row.created_at),
            "channel": row.source, "replayed": True,
            "review_case": None if case is None else {
                "id": case.id, "due_date": iso_date(case.due_date), "status": case.status}}


def record_for_resident(app, hall_code: str, principal: Principal, channel, *, visit=None,
                        day=None, service=None, window=None, staff_id=None, visit_day=None,
                        kind=None, level=None, reasons=None, comment=None, phone=None,
                        consent=None, idempotency_key=None) -> dict:
    """Record what a resident said by `channel`, about the visit `visit` names (on `day`), or,
    with no visit, about what they could name. Returns the rating and its review case. A retry
    with the same Idempotency-Key gets the first record back (`replayed`), never a second one."""
    from .ratings import _check_contact
    if idempotency_key is not None and (not isinstance(idempotency_key, str)
                                        or not 1 <= len(idempotency_key) <= 128):
        raise Invalid("Idempotency-Key must be 1..128 characters", code="invalid_idempotency_key")
    key = scoped_idempotency_key(principal.actor, idempotency_key) if idempotency_key else None
    if channel not in RECORDED_CHANNELS:
        raise Invalid("评价渠道应为 12345热线、意见箱、现场或其他 (channel must be one of: "
                      + ", ".join(RECORDED_CHANNELS) + ")", code="invalid_channel")
    level = _kind_and_level(kind, level)
    reasons = rdomain.check_reasons(reasons)
    if comment is not None and (not isinstance(comment, str) or len(comment) > 500):
        raise Invalid("内容最多500字 (comment must be text up to 500 characters)", code="invalid")
    comment = comment.strip() or None if isinstance(comment, str) else None
    if level is None and not comment:
        raise Invalid("请填写投诉内容 (write down what the complaint is about)", code="text_required")
    phone = _check_contact(level, phone, consent)
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        today = hall.local_day(now)
        replay = _replay(conn, hall, key, channel, level, comment) if key else None
        if replay is not None:
            return replay
        if visit not in (None, ""):
            row = find_visit(app, conn, hall, visit, _parse_day(day))
            if row.status != "done":
                raise WrongState("这次办事尚未办结，办结后再登记 (the visit is not finished yet)",
                                 code="not_finished")
            about = About.visit(row)
            for given, own, what in ((service, about.service, "service"),
                                     (window, about.window, "window"),
                                     (staff_id, about.staff_id, "staff_id")):
                if given not in (None, "") and given != own:
                    raise Invalid(f"{what} 与所选办事记录不符 ({what} differs from the visit's)",
                                  code="visit_mismatch")
            if visit_day not in (None, "") and _parse_day(visit_day, "visit_day") != about.day:
                raise Invalid("办事日期与所选办事记录不符 (visit_day differs from the visit's)",
                              code="visit_mismatch")
        else:
            service, window, staff_id = _named(conn, hall, service, window, staff_id)
            if not (service or window or staff_id or comment or reasons):
                raise Invalid("请至少填写业务、窗口、工作人员或内容之一 (name a service, window or "
                              "staff member, or write what was said)", code="subject_required")
            about = About(None, None, service, window, staff_id, _visit_day(visit_day, today))
        if about.staff_id is not None and about.staff_id == principal.id:
            raise Forbidden("不能登记关于自己的评价或投诉 (you cannot record one about your own work)",
                            code="own_visit")
        try:
            result = record(app, uow, hall, about, level, reasons, comment, phone, now,
                            source=channel, actor=principal.actor, recorded_by=principal.id,
                            idempotency_key=key)
        except Conflict:
            replay = _replay(conn, hall, key, channel, level, comment) if key else None
            if replay is None:  # else a concurrent retry with the same key won
                raise
            return replay
        uow.commit()
    return result
