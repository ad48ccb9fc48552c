"""帮办代办 use cases: take a request (front desk, kiosk, phone page), assign it to an agent
(帮办员), move it 受理 -> 办理中 -> 办结 -> 送达 within the hall's limit of working days, and
let the assigned agent or a manager see the resident's phone to call them (logged)."""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..domain import assist as ad
from ..domain import booking as bk
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.identity import mask_name, mask_phone
from ..domain.tickets import scoped_idempotency_key
from ..store import tables as t
from . import contact
from .auth import Principal

log = logging.getLogger(__name__)

MANAGERS = ("manager", "admin")
FILTERS = ("open", "overdue", "closed", "mine", "all")


def _text(value, what: str, limit: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"请填写{what}", code="invalid")
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise Invalid(f"{what}最多 {limit} 个字 ({what}: at most {limit} characters)", code="invalid")
    return value.strip()


def limit_days(hall) -> int:
    return int(hall.config.rule("assist_limit_working_days", ad.DEFAULT_LIMIT_DAYS))


def _view(hall, row, agents: dict[int, str], today: date) -> dict:
    svc = next((s for s in hall.config.services if s.code == row.service), None)
    open_ = row.status in ad.OPEN
    overdue = open_ and row.status != "done" and row.due_date < today
    done_on = hall.local_day(row.done_at) if row.done_at else None
    return {
        "id": row.id, "service": row.service, "service_name": svc.name if svc else row.service,
        "service_name_en": (svc.name_en or svc.code) if svc else row.service,
        "matter": row.matter, "source": row.source, "status": row.status,
        "status_label": ad.LABELS[row.status][0], "status_label_en": ad.LABELS[row.status][1],
        "name_masked": row.name_masked, "phone_masked": row.phone_masked, "village": row.village,
        "delivery": row.delivery, "note": row.note,
        "agent": agents.get(row.agent_id) if row.agent_id else None, "agent_id": row.agent_id,
        "created_at": row.created_at.isoformat(timespec="seconds") + "Z",
        "due_date": row.due_date.isoformat(), "overdue": overdue,
        "working_days_left": (hall.calendar.working_days_between(today, row.due_date)
                              if open_ and not overdue and row.status != "done" else None),
        "done_at": row.done_at.isoformat(timespec="seconds") + "Z" if row.done_at else None,
        "delivered_at": row.delivered_at.isoformat(timespec="seconds") + "Z" if row.delivered_at else None,
        "in_time": ad.finished_in_time(row.due_date, done_on),
        "cancel_reason": row.cancel_reason,
        "next": list(ad.NEXT.get(row.status, ())),
    }


def _agents(conn, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {r.id: r.name for r in conn.execute(select(t.users.c.id, t.users.c.name)
                                                .where(t.users.c.id.in_(ids)))}


def _replay(uow, hall, key: str, service: str, today: date) -> dict | None:
    """The request first taken with this (scoped) Idempotency-Key, as a replay; None if none."""
    row = uow.execute(select(t.assist_requests).where(
        t.assist_requests.c.hall_id == hall.id, t.assist_requests.c.idempotency_key == key)).first()
    if row is None:
        return None
    if row.service != service:
        raise Conflict("Idempotency-Key was used for another service", code="idempotency_conflict")
    return {**_view(hall, row, _agents(uow.conn, [row.agent_id]), today), "replayed": True}


def request(app, hall_code: str, principal: Principal | None, body: dict,
            idempotency_key: str | None = None) -> dict:
    """Take a request. Anonymous callers are residents on the phone page (source phone). A device's
    or staff member's retry with the same Idempotency-Key gets the first request back (replayed)."""
    if idempotency_key is not None and (not isinstance(idempotency_key, str)
                                        or not 1 <= len(idempotency_key) <= 128):
        raise Invalid("Idempotency-Key must be 1..128 characters", code="invalid_idempotency_key")
    key = scoped_idempotency_key(principal.actor, idempotency_key) if idempotency_key and principal else None
    now = app.now()
    if principal is None:
        source = "phone"
    elif not principal.is_user:
        source = "kiosk"
    else:
        source = body.get("source") or "desk"
        if source not in ("desk", "hotline"):
            raise Invalid("source must be desk or hotline for staff", code="invalid_source")
    matter = _text(body.get("matter"), "需要办理的事项 (what to do)", 200, required=True)
    name = _text(body.get("name"), "姓名 (name)", 30, required=True)
    phone = bk.validate_phone(body.get("phone"))
    village = _text(body.get("village"), "村（社区） (village)", 100)
    note = _text(body.get("note"), "说明 (note)", 500)
    delivery = body.get("delivery") or "pickup"
    if delivery not in ad.DELIVERY:
        raise Invalid(f"delivery must be one of: {', '.join(ad.DELIVERY)}", code="invalid")
    if delivery == "home" and not village:
        raise Invalid("上门送达需要填写村（社区） (a home visit needs the village)", code="village_required")
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        svc = hall.find_service(body.get("service"))
        today = hall.local_day(now)
        due = hall.calendar.add_working_days(today, limit_days(hall))
        replay = _replay(uow, hall, key, svc.code, today) if key else None
        if replay is not None:
            return replay
        try:
            with uow.conn.begin_nested():
                rid = uow.execute(t.assist_requests.insert().values(
                    hall_id=hall.id, service=svc.code, matter=matter, source=source, status="accepted",
                    name_masked=mask_name(name), phone_masked=mask_phone(phone),
                    phone_sealed=contact.seal(app.var_dir, phone), village=village, delivery=delivery,
                    note=note, created_by=principal.actor if principal else None, created_at=now,
                    due_date=due, idempotency_key=key)).inserted_primary_key[0]
        except IntegrityError:
            replay = _replay(uow, hall, key, svc.code, today) if key else None
            if replay is None:  # a concurrent retry with the same key won (PostgreSQL)
                raise
            return replay
        uow.emit(hall.id, "assist.requested", actor=principal.actor if principal else None,
                 data={"id": rid, "service": svc.code, "source": source, "due_date": due.isoformat()})
        row = uow.execute(select(t.assist_requests).where(t.assist_requests.c.id == rid)).one()
        view = _view(hall, row, {}, today)
        uow.commit()
    return view


def list_requests(app, hall_code: str, principal: Principal, status: str = "open") -> list[dict]:
    if status not in FILTERS:
        raise Invalid(f"status must be one of: {', '.join(FILTERS)}", code="invalid_status")
    now = app.now()
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = hall.local_day(now)
        a = t.assist_requests.c
        q = select(t.assist_requests).where(a.hall_id == hall.id)
        if status in ("open", "overdue"):
            q = q.where(a.status.in_(ad.OPEN))
        elif status == "closed":
            q = q.where(a.status.in_(("delivered", "cancelled")))
        elif status == "mine":
            q = q.where(a.agent_id == principal.id, a.status.in_(ad.OPEN))
        rows = conn.execute(q.order_by(a.due_date, a.id)).all()
        names = _agents(conn, [r.agent_id for r in rows])
    views = [_view(hall, r, names, today) for r in rows]
    if status == "overdue":
        views = [v for v in views if v["overdue"]]
    return views


def _load(uow, hall, rid: int):
    row = uow.execute(select(t.assist_requests).where(
        t.assist_requests.c.id == rid, t.assist_requests.c.hall_id == hall.id)).first()
    if row is None:
        raise NotFound("没有这个帮办申请 (unknown request)", code="unknown_request")
    return row


def _may_work(principal: Principal, row) -> None:
    if principal.role in MANAGERS or (row.agent_id and row.agent_id == principal.id):
        return
    raise Forbidden("只有指派的帮办员或大厅管理人员可以办理 (only the assigned agent or a manager)",
                    code="forbidden")


def assign(app, hall_code: str, principal: Principal, rid: int, username: str) -> dict:
    """Give the request to an agent (帮办员) or a member of staff of this hall."""
    now = app.now()
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _load(uow, hall, rid)
        if row.status not in ("accepted", "in_progress"):
            raise Invalid("已办结或撤销的申请不能再指派 (a finished request cannot be reassigned)",
                          code="wrong_state")
        agent = uow.execute(select(t.users).where(t.users.c.username == username,
                                                  t.users.c.active.is_(True))).first()
        if agent is None or agent.role not in ("agent", "staff") or (agent.hall_id not in (None, hall.id)):
            raise NotFound(f"没有这位帮办员 (no such agent): {username}", code="unknown_agent")
        if principal.role == "agent" and agent.id != principal.id:
            raise Forbidden("帮办员只能认领给自己 (an agent takes requests for themselves only)",
                            code="forbidden")
        uow.execute(update(t.assist_requests).where(t.assist_requests.c.id == rid)
                    .values(agent_id=agent.id))
        uow.emit(hall.id, "assist.assigned", actor=principal.actor, data={"id": rid, "agent_id": agent.id})
        row = _load(uow, hall, rid)
        view = _view(hall, row, {agent.id: agent.name}, hall.local_day(now))
        uow.commit()
    return view


def set_status(app, hall_code: str, principal: Principal, rid: int, status: str,
               note: str | None = None) -> dict:
    now = app.now()
    note = _text(note, "说明 (note)", 500)
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _load(uow, hall, rid)
        _may_work(principal, row)
        ad.check_transition(row.status, status)
        values: dict = {"status": status}
        if status == "in_progress":
            values["started_at"] = now
        elif status == "done":
            values["done_at"] = now
        elif status == "delivered":
            values["delivered_at"] = now
        elif status == "cancelled":
            if not note:
                raise Invalid("撤销需要填写原因 (cancelling needs a reason)", code="reason_required")
            values.update(cancelled_at=now, cancel_reason=note)
        if note and status != "cancelled":
            values["note"] = note
        n = uow.execute(update(t.assist_requests).where(t.assist_requests.c.id == rid,
                                                        t.assist_requests.c.status == row.status)
                        .values(**values)).rowcount
        if n != 1:
            ad.check_transition(_load(uow, hall, rid).status, status)
        uow.emit(hall.id, f"assist.{status}", actor=principal.actor, data={"id": rid})
        row = _load(uow, hall, rid)
        view = _view(hall, row, _agents(uow.conn, [row.agent_id]), hall.local_day(now))
        uow.commit()
    return view


def reveal_contact(app, hall_code: str, principal: Principal, rid: int) -> dict:
    """The resident's whole phone number, for the agent or manager who calls them; each look is an
    audit event (who, which request; never the number)."""
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        row = _load(uow, hall, rid)
        _may_work(principal, row)
        phone = contact.unseal(app.var_dir, row.phone_sealed)
        uow.emit(hall.id, "assist.contact_shown", actor=principal.actor, data={"id": rid})
        uow.commit()
    log.info("assist request %s: contact shown to %s", rid, principal.actor)
    if phone is None:
        raise NotFound("联系电话已删除或无法读取 (the phone number is no longer kept)", code="no_contact")
    return {"id": rid, "phone": phone}


def figures(conn, hall, d1: date, d2: date, today: date) -> dict:
    """代办件 figures for the dashboard: taken in the range, done, done in time, open, overdue."""
    a = t.assist_requests.c
    lo = datetime.combine(d1 - timedelta(days=1), time())  # a day either side covers any time zone
    hi = datetime.combine(d2 + timedelta(days=2), time())
    rows = conn.execute(select(a.status, a.created_at, a.due_date, a.done_at).where(
        a.hall_id == hall.id, or_(a.created_at.between(lo, hi), a.status.in_(("accepted", "in_progress"))))).all()
    in_range = [r for r in rows if d1 <= hall.local_day(r.created_at) <= d2]
    done = [r for r in in_range if r.done_at is not None]
    return {
        "requested": len(in_range),
        "done": len(done),
        "done_in_time": sum(1 for r in done if hall.local_day(r.done_at) <= r.due_date),
        "open": sum(1 for r in rows if r.status in ("accepted", "in_progress")),
        "overdue": sum(1 for r in rows if r.status in ("accepted", "in_progress") and r.due_date < today),
    }


def agents(app, hall_code: str) -> list[dict]:
    """Agents first, then staff: who may take a request."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        u = t.users.c
        rows = conn.execute(select(u.id, u.username, u.name, u.role).where(
            u.active.is_(True), u.role.in_(("agent", "staff")), u.hall_id == hall.id)).all()
    return [{"id": r.id, "username": r.username, "name": r.name, "role": r.role}
            for r in sorted(rows, key=lambda r: (r.role != "agent", r.name))]
