"""回访 contacts: the phone a resident who rated badly left (with consent) for the call back. Lists
show it masked; a manager working the case opens it whole (each look an audit event, never the
number); it is erased with the case's personal data at retention (services/privacy.py)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from ..domain.errors import Invalid, NotFound
from ..domain.identity import mask_phone
from ..store import tables as t
from . import contact
from .auth import Principal
from .views import iso

log = logging.getLogger("hallq")


def masked(conn, case_ids) -> dict[int, str]:
    """case id -> the masked phone, for the cases that kept one."""
    if not case_ids:
        return {}
    c = t.case_contacts.c
    return dict(conn.execute(select(c.case_id, c.phone_masked).where(
        c.case_id.in_(list(case_ids)), c.phone_masked.is_not(None))).all())


def keep(app, conn, hall, case_id: int, phone: str, now) -> None:
    """The phone left with consent for a case's 回访: sealed, with its mask for lists."""
    conn.execute(t.case_contacts.insert().values(
        hall_id=hall.id, case_id=case_id, phone_masked=mask_phone(phone),
        phone_sealed=contact.seal(app.var_dir, phone), consent_at=now))


def reveal(app, hall_code: str, principal: Principal, case_id: int) -> dict:
    """The whole number for the manager about to call back; logged as `review.contact_shown`."""
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        case = uow.cases.get(hall.id, case_id, lock=False)
        row = uow.conn.execute(select(t.case_contacts).where(
            t.case_contacts.c.case_id == case.id)).first()
        phone = contact.unseal(app.var_dir, row.phone_sealed) if row else None
        if phone is not None:
            uow.emit(hall.id, "review.contact_shown", ticket_id=case.ticket_id,
                     actor=principal.actor, data={"case_id": case.id})
        uow.commit()
    if phone is None:
        raise NotFound("没有留下回访电话，或已删除 (no phone was left, or it was erased)",
                       code="no_contact")
    log.info("review case %s: contact shown to %s", case_id, principal.actor)
    return {"case_id": case_id, "phone": phone}


def erase_closed_before(conn, hall_id: int, before, now) -> int:
    """Retention: the phones of cases closed or voided before `before` are erased."""
    rc, cc = t.review_cases.c, t.case_contacts.c
    ids = select(rc.id).where(rc.hall_id == hall_id, rc.status.in_(("closed", "voided")),
                              rc.opened_at < before)
    return conn.execute(update(t.case_contacts).where(
        cc.case_id.in_(ids), cc.phone_sealed.is_not(None))
        .values(phone_sealed=None, phone_masked=None, erased_at=now)).rowcount


def record_callback(conn, hall, case, step_id: int, callback: dict | None, now) -> dict | None:
    """The 回访 step's record: channel, time (default now), result, satisfaction."""
    if not callback:
        return None
    at = now
    if callback.get("at"):
        try:
            at = datetime.fromisoformat(callback["at"].replace("Z", "+00:00"))
        except ValueError:
            raise Invalid("回访时间格式不对 (callback.at must be ISO 8601)", code="invalid") from None
        if at.tzinfo is not None:
            at = at.astimezone(timezone.utc).replace(tzinfo=None)
        if at > now + timedelta(minutes=5):
            raise Invalid("回访时间不能在将来 (callback.at is in the future)", code="invalid")
    cb = {"channel": callback["channel"], "result": callback["result"],
          "satisfaction": callback.get("satisfaction"), "at": at}
    conn.execute(t.callbacks.insert().values(
        hall_id=hall.id, case_id=case.id, step_id=step_id, channel=cb["channel"], called_at=at,
        result=cb["result"], satisfaction=cb["satisfaction"]))
    return cb


def callbacks_of(conn, case_ids) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    if not case_ids:
        return out
    c = t.callbacks.c
    for row in conn.execute(select(t.callbacks).where(c.case_id.in_(list(case_ids))).order_by(c.id)):
        out.setdefault(row.case_id, []).append({
            "step_id": row.step_id, "channel": row.channel, "at": iso(row.called_at),
            "result": row.result, "satisfaction": row.satisfaction})
    return out
