"""Cases the hall must follow up: bad-review cases (差评整改) and promised cases (承诺件).

A review case is opened by a rating of 1 or 2 (services/ratings.py) with a due date N working
days ahead; its steps and rules are the domain's ReviewCase (domain/cases.py): load it from
`uow.cases`, call add_step / void, save, emit.

A promised case is a ticket finished with outcome `promised`; it stays open until the result
is handed over (marked delivered). Also here: a staff member's figures for today, staff photos.
"""
from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import and_, func, select, update

from ..domain.tickets import OUTCOME_ZH, TRACKED
from ..domain import ratings as rdomain
from ..domain import cases as cdomain
from ..domain.cases import STEP_EN, STEP_ZH, STEPS
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..store import tables as t
from . import case_contacts, outbox
from .auth import Principal
from .views import iso, iso_date

REVIEW_FILTERS = ("open", "overdue", "closed", "all")
PROMISED_FILTERS = ("open", "overdue", "delivered", "all")


def _check_text(text, what="text", limit=2000) -> str:
    if not isinstance(text, str) or not text.strip():
        raise Invalid(f"请填写{'说明' if what == 'text' else '理由'} ({what} is required)",
                      code=f"{what}_required")
    if len(text) > limit:
        raise Invalid(f"{what} is longer than {limit} characters", code="invalid")
    return text.strip()


def _due_info(cal, due: date | None, today: date, done: bool) -> dict:
    """Working days left (negative: working days overdue) for an open case."""
    if due is None:
        return {"overdue": False, "working_days_left": None}
    if done:
        return {"overdue": False, "working_days_left": None}
    if due >= today:
        return {"overdue": False, "working_days_left": cal.working_days_between(today, due)}
    return {"overdue": True, "working_days_left": -cal.working_days_between(due, today)}


def _user_names(conn, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = conn.execute(select(t.users.c.id, t.users.c.name).where(t.users.c.id.in_(ids))).all()
    return {r.id: r.name for r in rows}


def _service_name(hall, code):
    try:
        s = hall.service(code)
        return s.name, s.name_en
    except NotFound:
        return code, code


# ---------------------------------------------------------------- review cases


def _case_dict(conn, hall, case, ticket, rating, steps, names, today) -> dict:
    recorded = [s.step for s in steps]
    svc, svc_en = _service_name(hall, ticket.service if ticket else "")
    level = rating.level if rating else None
    label = rdomain.label(level) if rating else ("", "")
    about_svc = _service_name(hall, rating.service) if rating and rating.service else (None, None)
    return {
        "id": case.id, "status": case.status, "opened_at": iso(case.opened_at),
        "due_date": iso_date(case.due_date), "closed_at": iso(case.closed_at),
        "void_reason": case.void_reason,
        **_due_info(hall.calendar, case.due_date, today, case.status != "open"),
        "ticket": None if ticket is None else {
            "id": ticket.id, "number": ticket.number, "service": ticket.service, "service_name": svc,
            "service_name_en": svc_en, "window": ticket.window, "staff_id": ticket.staff_id,
            "staff_name": names.get(ticket.staff_id), "day": ticket.day,
            "finished_at": iso(ticket.finished_at), "outcome": ticket.outcome},
        "rating": None if rating is None else {
            "id": rating.id, "level": level, "label": label[0], "label_en": label[1],
            "kind": "complaint" if level is None else "rating",
            "reasons": list(rating.reasons or []), "comment": rating.comment,
            "created_at": iso(rating.created_at),
            # what it is about (the visit's, or what a resident who named no visit could say)
            "service": rating.service, "service_name": about_svc[0],
            "service_name_en": about_svc[1], "window": rating.window,
            "staff_id": rating.staff_id, "staff_name": names.get(rating.staff_id),
            "visit_day": iso_date(rating.visit_day) if rating.visit_day else None,
            "recorded_by": rating.recorded_by, "recorded_by_name": names.get(rating.recorded_by)},
        "steps_done": cdomain.steps_done(recorded),
        "next_step": cdomain.next_step(recorded, case.status),
        "history": [{"id": s.id, "step": s.step, "label": STEP_ZH.get(s.step, s.step),
                     "label_en": STEP_EN.get(s.step, s.step), "text": s.text, "user_id": s.user_id,
                     "user_name": names.get(s.user_id), "at": iso(s.created_at)} for s in steps],
    }


def _load_cases(conn, hall, cases, today) -> list[dict]:
    if not cases:
        return []
    ids = [c.id for c in cases]
    tickets = {r.id: r for r in conn.execute(select(t.tickets).where(
        t.tickets.c.id.in_([c.ticket_id for c in cases if c.ticket_id is not None])))}
    ratings = {r.id: r for r in conn.execute(select(t.ratings).where(
        t.ratings.c.id.in_([c.rating_id for c in cases])))}
    steps: dict[int, list] = {i: [] for i in ids}
    for s in conn.execute(select(t.review_steps).where(t.review_steps.c.case_id.in_(ids))
                          .order_by(t.review_steps.c.id)):
        steps[s.case_id].append(s)
    names = _user_names(conn, [tk.staff_id for tk in tickets.values()]
                        + [s.user_id for ss in steps.values() for s in ss]
                        + [r.staff_id for r in ratings.values()]
                        + [r.recorded_by for r in ratings.values()])
    phones = case_contacts.masked(conn, ids)  # 回访 phones left with consent, masked
    out = [_case_dict(conn, hall, c, tickets.get(c.ticket_id), ratings.get(c.rating_id),
                      steps[c.id], names, today) for c in cases]
    calls = case_contacts.callbacks_of(conn, ids)
    for d in out:
        d["contact_masked"] = phones.get(d["id"])
        d["callbacks"] = calls.get(d["id"], [])
        if d["rating"] is not None:
            d["rating"]["channel"] = ratings[d["rating"]["id"]].source
    return out


def list_review_cases(app, hall_code: str, status: str = "open") -> list[dict]:
    """status: open (all open, overdue included) | overdue | closed (closed or voided) | all."""
    if status not in REVIEW_FILTERS:
        raise Invalid(f"status must be one of: {', '.join(REVIEW_FILTERS)}", code="invalid_status")
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = hall.local_day(app.now())
        q = select(t.review_cases).where(t.review_cases.c.hall_id == hall.id)
        if status == "open":
            q = q.where(t.review_cases.c.status == "open").order_by(t.review_cases.c.due_date,
                                                                     t.review_cases.c.id)
        elif status == "overdue":
            q = q.where(t.review_cases.c.status == "open", t.review_cases.c.due_date < today) \
                .order_by(t.review_cases.c.due_date, t.review_cases.c.id)
        elif status == "closed":
            q = q.where(t.review_cases.c.status.in_(("closed", "voided"))) \
                .order_by(t.review_cases.c.closed_at.desc(), t.review_cases.c.id.desc())
        else:
            q = q.order_by(t.review_cases.c.id.desc())
        return _load_cases(conn, hall, conn.execute(q.limit(500)).all(), today)


def get_review_case(app, hall_code: str, case_id) -> dict:
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        case = _case_row(conn, hall, case_id)
        return _load_cases(conn, hall, [case], hall.local_day(app.now()))[0]


def _case_row(conn, hall, case_id):
    if isinstance(case_id, bool) or not isinstance(case_id, int):
        raise NotFound("没有这个差评整改件 (unknown review case)", code="unknown_case")
    row = conn.execute(select(t.review_cases).where(t.review_cases.c.id == case_id,
                                                    t.review_cases.c.hall_id == hall.id)).first()
    if row is None:
        raise NotFound("没有这个差评整改件 (unknown review case)", code="unknown_case")
    return row


def add_step(app, hall_code: str, case_id, principal: Principal, step, text, callback=None) -> dict:
    """Record verify / rectify / callback, in that order; the third closes the case.

    A step already recorded may get a further note (kept in the history) while the case is open.
    """
    if step not in STEPS:
        raise Invalid(f"step must be one of: {', '.join(STEPS)}", code="invalid_step")
    text = _check_text(text)
    if callback is not None and step != "callback":
        raise Invalid("回访记录只属于回访步骤 (callback details belong to the callback step)",
                      code="invalid")
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        case = uow.cases.get(hall.id, case_id)
        closed = case.add_step(step, text, principal.id, app.now())
        uow.cases.save(case)
        cb = case_contacts.record_callback(uow.conn, hall, case, case.steps[-1].id, callback, app.now())
        outbox.record_step_in(uow, hall, case.rating_id, case.steps[-1].id, step, text, app.now(),
                              callback=cb)
        uow.emit(hall.id, "review.step", ticket_id=case.ticket_id, actor=principal.actor,
                 data={"case_id": case.id, "step": step, "status": case.status})
        if closed:
            uow.emit(hall.id, "review.closed", ticket_id=case.ticket_id, actor=principal.actor,
                     data={"case_id": case.id, "status": "closed", "voided": False})
        uow.commit()
    return get_review_case(app, hall_code, case_id)


def void_case(app, hall_code: str, case_id, principal: Principal, reason) -> dict:
    """申诉: a manager voids a mistaken or malicious review; the reason stays in the history."""
    reason = _check_text(reason, "reason")
    with app.uow() as uow:
        hall = app.hall(uow.conn, hall_code)
        case = uow.cases.get(hall.id, case_id)
        case.void(reason, principal.id, app.now())
        uow.cases.save(case)
        uow.emit(hall.id, "review.closed", ticket_id=case.ticket_id, actor=principal.actor,
                 data={"case_id": case.id, "status": "voided", "voided": True})
        uow.commit()
    return get_review_case(app, hall_code, case_id)


# ---------------------------------------------------------------- promised cases (承诺件)


def _promised_dict(hall, row, names, today) -> dict:
    svc, svc_en = _service_name(hall, row.service)
    return {
        "id": row.id, "number": row.number, "day": row.day, "service": row.service,
        "outcome": row.outcome, "outcome_name": OUTCOME_ZH.get(row.outcome, row.outcome),
        "service_name": svc, "service_name_en": svc_en, "window": row.window,
        "staff_id": row.staff_id, "staff_name": names.get(row.staff_id),
        "id_masked": row.id_masked, "finished_at": iso(row.finished_at),
        "due_date": iso_date(row.due_date), "delivered_at": iso(row.delivered_at),
        "delivered_by": row.delivered_by, "delivered_by_name": names.get(row.delivered_by),
        "status": "delivered" if row.delivered_at else "open", "note": row.note,
        **_due_info(hall.calendar, row.due_date, today, row.delivered_at is not None),
    }


def list_promised(app, hall_code: str, status: str = "open") -> list[dict]:
    """status: open (not yet delivered, overdue included) | overdue | delivered | all."""
    if status not in PROMISED_FILTERS:
        raise Invalid(f"status must be one of: {', '.join(PROMISED_FILTERS)}", code="invalid_status")
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = hall.local_day(app.now())
        q = select(t.tickets).where(t.tickets.c.hall_id == hall.id, t.tickets.c.status == "done",
                                    t.tickets.c.outcome.in_(TRACKED))
        if status in ("open", "overdue"):
            q = q.where(t.tickets.c.delivered_at.is_(None))
            if status == "overdue":
                q = q.where(t.tickets.c.due_date < today)
            q = q.order_by(t.tickets.c.due_date, t.tickets.c.id)
        elif status == "delivered":
            q = q.where(t.tickets.c.delivered_at.is_not(None)).order_by(
                t.tickets.c.delivered_at.desc(), t.tickets.c.id.desc())
        else:
            q = q.order_by(t.tickets.c.id.desc())
        rows = conn.execute(q.limit(500)).all()
        names = _user_names(conn, [r.staff_id for r in rows] + [r.delivered_by for r in rows])
        return [_promised_dict(hall, r, names, today) for r in rows]


def deliver(app, hall_code: str, ticket_id, principal: Principal, note=None) -> dict:
    """The result of a promised case was handed over (办结出件): the case leaves the open list."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise NotFound("没有这个承诺件 (unknown promised case)", code="unknown_case")
    if note is not None:
        note = _check_text(note, limit=500)
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        row = conn.execute(select(t.tickets).where(t.tickets.c.id == ticket_id,
                                                   t.tickets.c.hall_id == hall.id)).first()
        if row is None or row.outcome not in TRACKED or row.status != "done":
            raise NotFound("没有这个承诺件 (unknown promised case)", code="unknown_case")
        if row.delivered_at is not None:
            raise Conflict("该承诺件已送达 (this promised case was already delivered)",
                           code="already_delivered")
        values = {"delivered_at": now, "delivered_by": principal.id}
        if note:
            values["note"] = ((row.note + "\n") if row.note else "") + note
        n = conn.execute(update(t.tickets).where(t.tickets.c.id == row.id,
                                                 t.tickets.c.delivered_at.is_(None)).values(**values)
                         ).rowcount
        if n != 1:
            raise Conflict("该承诺件已送达 (this promised case was already delivered)",
                           code="already_delivered")
        today = hall.local_day(now)
        uow.emit(hall.id, "promised.delivered", ticket_id=row.id, window=row.window,
                 actor=principal.actor,
                 data={"ticket": {"id": row.id, "number": row.number, "service": row.service},
                       "due_date": iso_date(row.due_date),
                       "late": bool(row.due_date and today > row.due_date)})
        fresh = conn.execute(select(t.tickets).where(t.tickets.c.id == row.id)).first()
        names = _user_names(conn, [fresh.staff_id, fresh.delivered_by])
        result = _promised_dict(hall, fresh, names, today)
        uow.commit()
    return result


def summary(app, hall_code: str) -> dict:
    """Counts for dashboards: review cases and promised cases open / overdue."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        today = hall.local_day(app.now())
        rc = t.review_cases.c
        open_ = conn.execute(select(func.count()).where(rc.hall_id == hall.id, rc.status == "open")
                             ).scalar_one()
        late = conn.execute(select(func.count()).where(rc.hall_id == hall.id, rc.status == "open",
                                                       rc.due_date < today)).scalar_one()
        tc = t.tickets.c
        base = and_(tc.hall_id == hall.id, tc.status == "done", tc.outcome.in_(TRACKED),
                    tc.delivered_at.is_(None))
        p_open = conn.execute(select(func.count()).where(base)).scalar_one()
        p_late = conn.execute(select(func.count()).where(base, tc.due_date < today)).scalar_one()
    return {"review_cases": {"open": open_, "overdue": late},
            "promised": {"open": p_open, "overdue": p_late}}


# ---------------------------------------------------------------- the window's own figures


def _selected_calls(conn, hall_id, day_from, day_to, staff_id):
    from .queue_view import selected_calls
    return selected_calls(conn, hall_id, day_from, day_to, staff_id)


def staff_today(app, hall_code: str, principal: Principal) -> dict:
    """A staff member's figures for today: served, mean service time, ratings (本人今日数据)."""
    with app.db.read() as conn:
        hall = app.hall(conn, hall_code)
        day = hall.local_day(app.now()).isoformat()
        tc = t.tickets.c
        rows = conn.execute(select(tc.status, tc.started_at, tc.finished_at, tc.outcome).where(
            tc.hall_id == hall.id, tc.day == day, tc.staff_id == principal.id,
            tc.status.in_(("done", "no_show")))).all()
        served = [r for r in rows if r.status == "done"]
        durations = [(r.finished_at - r.started_at).total_seconds() for r in served
                     if r.started_at and r.finished_at]
        outcomes = {}
        for r in served:
            outcomes[r.outcome or "immediate"] = outcomes.get(r.outcome or "immediate", 0) + 1
        levels = conn.execute(select(t.ratings.c.level).select_from(
            t.ratings.join(t.tickets, t.tickets.c.id == t.ratings.c.ticket_id)).where(
            tc.hall_id == hall.id, tc.day == day, t.ratings.c.staff_id == principal.id,
            t.ratings.c.level.is_not(None))
        ).scalars().all()
        by_level = {str(k): 0 for k in sorted(rdomain.LEVELS, reverse=True)}
        for lv in levels:
            by_level[str(lv)] += 1
        satisfied = sum(1 for lv in levels if rdomain.is_satisfied(lv))
        return {
            "day": day, "staff_id": principal.id, "name": principal.name,
            "served": len(served), "no_show": len(rows) - len(served), "outcomes": outcomes,
            "selected_calls": _selected_calls(conn, hall.id, day, day, principal.id),
            "mean_service_s": round(sum(durations) / len(durations)) if durations else None,
            "ratings": {"count": len(levels), "by_level": by_level,
                        "satisfaction": round(satisfied / len(levels), 4) if levels else None,
                        "bad": sum(1 for lv in levels if rdomain.is_bad(lv)),
                        "unrated": max(0, len(served) - len(levels))},
        }


# ---------------------------------------------------------------- staff photos (阳光台)


def staff_photo(app, staff_id: int):
    """(directory, filename) of the staff member's photo, or (None, svg_text) for a drawn avatar."""
    from ..store.db import ROOT
    with app.db.read() as conn:
        u = conn.execute(select(t.users.c.id, t.users.c.name, t.users.c.photo, t.users.c.role)
                         .where(t.users.c.id == staff_id)).first()
    if u is None or u.role not in ("staff", "manager"):
        raise NotFound("没有这位工作人员 (unknown staff member)", code="unknown_staff")
    if u.photo:
        name = u.photo.replace("\\", "/").rsplit("/", 1)[-1]  # a bare file name, never a path
        for folder in (app.var_dir / "photos", ROOT / "assets" / "images"):
            if name and not name.startswith(".") and (folder / name).is_file():
                return folder, name
    return None, avatar_svg(u.name or "?", u.id)


def avatar_svg(name: str, seed: int) -> str:
    """A plain avatar: the surname on a coloured disc (no photo on file)."""
    from xml.sax.saxutils import escape
    palette = ["#0b5cad", "#1a7f37", "#8250df", "#b26a00", "#bf3989", "#0a7b83"]
    colour = palette[int(hashlib.sha256(str(seed).encode()).hexdigest(), 16) % len(palette)]
    letter = escape((name.strip() or "?")[0])
    # the whole card in the colour, the surname large: a finished card, not an empty photo frame
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="240" height="300" viewBox="0 0 240 300">'
            f'<rect width="240" height="300" rx="12" fill="{colour}"/>'
            '<text x="120" y="188" font-size="120" text-anchor="middle" fill="#fff" '
            'font-family="WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, sans-serif">'
            f'{letter}</text></svg>')


def check_manager(principal: Principal) -> None:
    if not principal.is_user or principal.role not in ("manager", "admin"):
        raise Forbidden("仅大厅管理人员可操作 (managers only)", code="forbidden")
