"""好差评: one rating per visit; a bad one opens a review case due in N working days."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain import ratings as rdomain
from ..domain.cases import ReviewCase
from ..domain.errors import Conflict, Forbidden, Invalid, WrongState
from ..store import tables as t
from .auth import Principal
from .views import iso, iso_date


def rate(app, hall_code: str, ticket_id, principal: Principal, level, reasons=None,
         comment=None) -> dict:
    level = rdomain.check_level(level)
    reasons = rdomain.check_reasons(reasons)
    if comment is not None and (not isinstance(comment, str) or len(comment) > 500):
        raise Invalid("comment must be text up to 500 characters", code="invalid")
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        row = uow.tickets.get(hall.id, ticket_id)
        if row.status != "done":
            raise WrongState("业务尚未办结,不能评价 (the ticket is not finished)", code="not_finished")
        if principal.role == "evaluator" and principal.windows and row.window not in principal.windows:
            raise Forbidden("只能评价本窗口办结的业务 (rate only tickets finished at this window)",
                            code="other_window")
        if conn.execute(select(t.ratings.c.id).where(t.ratings.c.ticket_id == row.id)).first():
            raise Conflict("该业务已评价 (this visit was already rated: one rating per visit)",
                           code="already_rated")
        try:
            with conn.begin_nested():
                rating_id = conn.execute(t.ratings.insert().values(
                    hall_id=hall.id, ticket_id=row.id, window=row.window, staff_id=row.staff_id,
                    service=row.service, level=level, reasons=reasons, comment=comment,
                    source=principal.role, created_at=now)).inserted_primary_key[0]
        except IntegrityError:
            raise Conflict("该业务已评价 (this visit was already rated: one rating per visit)",
                           code="already_rated") from None
        case = None
        if rdomain.is_bad(level):
            days = int(hall.config.rule("review_deadline_working_days", 15))
            due = hall.calendar.add_working_days(hall.local_day(now), days)
            review = ReviewCase(id=None, hall_id=hall.id, ticket_id=row.id, rating_id=rating_id,
                                due_date=due, opened_at=now)
            uow.cases.add(review)
            case = {"id": review.id, "due_date": iso_date(due), "status": review.status}
        label_zh, label_en, score = rdomain.LEVELS[level]
        result = {"id": rating_id, "ticket_id": row.id, "number": row.number, "level": level,
                  "label": label_zh, "label_en": label_en, "score": score, "reasons": reasons,
                  "bad": rdomain.is_bad(level), "window": row.window, "created_at": iso(now),
                  "review_case": case}
        uow.emit(hall.id, "ticket.rated", ticket_id=row.id, window=row.window, actor=principal.actor,
                 data={"ticket": {"id": row.id, "number": row.number, "service": row.service,
                                  "window": row.window},
                       "level": level, "bad": rdomain.is_bad(level),
                       "review_case_id": case["id"] if case else None})
        if case:  # the managers' case list (and dashboard alerts) learn of it live
            uow.emit(hall.id, "review.opened", ticket_id=row.id, window=row.window,
                     actor=principal.actor,
                     data={"case": case, "level": level, "service": row.service,
                           "ticket": {"id": row.id, "number": row.number}})
        uow.commit()
    return result
