"""好差评: one rating per visit; a bad one opens a review case due in N working days.

Who may rate which visit (each rating of 1-2 opens a case against the staff member, so this is
guarded): an evaluator device only the visit just finished at its own window(s), within the
rating prompt's lifetime (hall rule `rating_prompt_s`, default 300 s: the evaluator's prompt and
its reasons step); any other channel (the kiosk scanning the ticket, the resident's phone) only by
presenting the ticket's own token.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..domain import ratings as rdomain
from ..domain.cases import ReviewCase
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized, WrongState
from ..store import tables as t
from ..domain.booking import validate_phone
from ..domain.identity import mask_phone
from . import case_contacts, outbox
from .auth import Principal
from .views import iso, iso_date


RATING_PROMPT_S = 300
PHONE_RATING_H = 24


def phone_window_h(hall) -> int:
    """How long after the visit its ticket (phone page, kiosk scan) may still rate it (hall rule
    `phone_rating_h`, default 24 h)."""
    value = hall.config.rule("phone_rating_h", PHONE_RATING_H)
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 24 * 30
    return value if ok else PHONE_RATING_H


def rating_open_until(hall, row):
    """Until when the visit's ticket may rate it (None while not finished)."""
    if row.status != "done" or row.finished_at is None:
        return None
    return row.finished_at + timedelta(hours=phone_window_h(hall))


def prompt_lifetime_s(hall) -> int:
    """How long after a visit is finished its evaluator may still rate it (hall rule)."""
    value = hall.config.rule("rating_prompt_s", RATING_PROMPT_S)
    ok = isinstance(value, int) and not isinstance(value, bool) and 10 <= value <= 86400
    return value if ok else RATING_PROMPT_S


def _check_evaluator(conn, hall, row, principal: Principal, now) -> None:
    """The evaluator at the window: the visit just finished there, while the prompt stands. A visit
    finished before it may still be rated while its prompt stands and no later visit of the window
    has been rated: a resident still choosing the reasons of a bad rating when the clerk finishes
    the next visit keeps their rating (the tablet holds the next prompt until they are done), and
    ratings at a window still go in the order of the visits."""
    if row.window is None or row.window not in (principal.windows or []):
        raise Forbidden("只能评价本窗口办结的业务 (rate only tickets finished at this window)",
                        code="other_window")
    tk = t.tickets.c
    if row.finished_at is not None:
        later_rated = conn.execute(
            select(func.count()).select_from(t.ratings.join(t.tickets, t.ratings.c.ticket_id == tk.id))
            .where(tk.hall_id == hall.id, tk.window == row.window, tk.finished_at > row.finished_at)
        ).scalar()
        if later_rated:
            raise Forbidden("只能评价本窗口刚办结的业务 (rate only the visit just finished at this window)",
                            code="not_latest_visit")
    if row.finished_at is None or now - row.finished_at > timedelta(seconds=prompt_lifetime_s(hall)):
        raise Conflict("评价已超时 (the rating prompt for this visit has expired)",
                       code="rating_expired")


def _check_ticket_token(hall, row, principal: Principal | None, ticket_token, now) -> None:
    if not isinstance(ticket_token, str) or not ticket_token:
        if principal is None:
            raise Unauthorized("请出示号票 (present the ticket's token)", code="unauthorized")
        raise Forbidden("评价需出示该号票 (rating needs the ticket's own token)", code="forbidden")
    if not hmac.compare_digest(ticket_token.encode(), (row.token or "").encode()):
        raise Forbidden("号票不符 (this is not the ticket's token)", code="wrong_ticket_token")
    until = rating_open_until(hall, row)
    if until is not None and now > until:
        raise Conflict(f"办结 {phone_window_h(hall)} 小时后不能再评价 (a visit may be rated up to "
                       f"{phone_window_h(hall)} h after it was finished)", code="rating_expired")


def _check_contact(level, phone, consent) -> str | None:
    """A phone for the 回访: only with a bad rating and the resident's explicit consent."""
    if phone in (None, ""):
        return None
    if not rdomain.is_bad(level):
        raise Invalid("只有差评可以留下回访电话 (a phone is kept only with a bad rating)",
                      code="invalid")
    if consent is not True:
        raise Invalid("留下电话需同意用于回访 (leaving a phone needs consent to be called back)",
                      code="consent_required")
    return validate_phone(phone)


def _checked(level, reasons, comment, phone, consent):
    level = rdomain.check_level(level)
    phone = _check_contact(level, phone, consent)
    reasons = rdomain.check_reasons(reasons)
    if comment is not None and (not isinstance(comment, str) or len(comment) > 500):
        raise Invalid("comment must be text up to 500 characters", code="invalid")
    return level, reasons, comment, phone


def rate(app, hall_code: str, ticket_id, principal: Principal | None, level, reasons=None,
         comment=None, ticket_token: str | None = None, phone=None, consent=None) -> dict:
    """Rate a finished visit: an evaluator device (its window's latest visit), or anyone who
    presents the ticket's token (`principal` None for an anonymous phone). A bad rating may leave
    a phone for the 回访 with the resident's consent; it is kept sealed with the case."""
    level, reasons, comment, phone = _checked(level, reasons, comment, phone, consent)
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        row = uow.tickets.get(hall.id, ticket_id)
        if row.status != "done":
            raise WrongState("业务尚未办结，不能评价 (the ticket is not finished)", code="not_finished")
        if principal is not None and principal.is_user:
            raise Forbidden("工作人员不能评价 (staff do not rate visits)", code="forbidden")
        if principal is not None and principal.role == "evaluator" and not ticket_token:
            _check_evaluator(conn, hall, row, principal, now)
        else:
            _check_ticket_token(hall, row, principal, ticket_token, now)
        result = record(app, uow, hall, About.visit(row), level, reasons, comment, phone, now,
                        source=principal.role if principal else "ticket",
                        actor=principal.actor if principal else "ticket")
        uow.commit()
    return result


def leave_contact(app, hall_code: str, ticket_id, principal: Principal, phone, consent) -> dict:
    """The evaluator's 回访 step: after its bad rating (sent first, so the rating never waits on
    it) the resident may leave a phone, with consent ticked on screen, for the case that rating
    opened. Only the window's evaluator, for a rating it made, while the prompt would still stand
    (`rating_prompt_s` from the rating), and once. The number is sealed; the answer and the event
    carry the case id and the masked number only."""
    if phone in (None, ""):
        raise Invalid("请输入手机号码 (phone is required)", code="invalid_phone")
    now = app.now()
    with app.uow() as uow:
        conn = uow.conn
        hall = app.hall(conn, hall_code)
        row = uow.tickets.get(hall.id, ticket_id)
        if row.window is None or row.window not in (principal.windows or []):
            raise Forbidden("只能为本窗口的评价留电话 (only for a rating made at this window)",
                            code="other_window")
        r = t.ratings.c
        rating = conn.execute(select(r.id, r.level, r.source, r.created_at).where(
            r.hall_id == hall.id, r.ticket_id == row.id)).first()
        if rating is None:
            raise WrongState("该业务尚未评价 (this visit has not been rated)", code="not_rated")
        phone = _check_contact(rating.level, phone, consent)
        if rating.source != "evaluator":
            raise Forbidden("只能为评价器上的评价留电话 (only for a rating made on an evaluator)",
                            code="forbidden")
        if now - rating.created_at > timedelta(seconds=prompt_lifetime_s(hall)):
            raise Conflict("评价已超时 (the rating prompt for this visit has expired)",
                           code="rating_expired")
        rc = t.review_cases.c
        case_id = conn.execute(select(rc.id).where(rc.rating_id == rating.id)).scalar()
        if case_id is None:
            raise WrongState("该评价没有整改案件 (this rating opened no case)", code="no_case")
        if conn.execute(select(t.case_contacts.c.id).where(
                t.case_contacts.c.case_id == case_id)).first():
            raise Conflict("已留下回访电话 (a phone was already left for this case)",
                           code="contact_exists")
        try:
            with conn.begin_nested():
                case_contacts.keep(app, conn, hall, case_id, phone, now)
        except IntegrityError:
            raise Conflict("已留下回访电话 (a phone was already left for this case)",
                           code="contact_exists") from None
        uow.emit(hall.id, "review.contact_left", ticket_id=row.id, window=row.window,
                 actor=principal.actor, data={"case_id": case_id})
        uow.commit()
    return {"case_id": case_id, "ticket_id": row.id, "phone_masked": mask_phone(phone)}


# 12345 hotline, 意见箱 suggestion box, 现场 in person, any other way: what staff write down
# (services/recorded.py)
RECORDED_CHANNELS = ("hotline", "box", "onsite", "other")


@dataclass(frozen=True)
class About:
    """What a rating or complaint is about: a visit (its ticket), or, when the resident named no
    visit, what they could say (service, window, staff member, the day of the visit)."""
    ticket_id: int | None
    number: str | None
    service: str | None
    window: int | None
    staff_id: int | None
    day: date | None

    @classmethod
    def visit(cls, row) -> "About":
        return cls(row.id, row.number, row.service, row.window, row.staff_id,
                   date.fromisoformat(row.day) if row.day else None)


def record(app, uow, hall, about: About, level, reasons, comment, phone, now, *, source, actor,
           recorded_by=None, idempotency_key=None) -> dict:
    """The rating row, its outbox record, the review case of a bad one (with its 回访 phone) and
    the events, inside the caller's transaction. `level` None is a complaint (投诉)."""
    conn = uow.conn
    if about.ticket_id is not None and conn.execute(
            select(t.ratings.c.id).where(t.ratings.c.ticket_id == about.ticket_id)).first():
        raise Conflict("该业务已评价 (this visit was already rated: one rating per visit)",
                       code="already_rated")
    try:
        with conn.begin_nested():
            rating_id = conn.execute(t.ratings.insert().values(
                hall_id=hall.id, ticket_id=about.ticket_id, window=about.window,
                staff_id=about.staff_id, service=about.service, level=level, reasons=reasons,
                comment=comment, source=source, created_at=now, visit_day=about.day,
                recorded_by=recorded_by, idempotency_key=idempotency_key)).inserted_primary_key[0]
    except IntegrityError:
        raise Conflict("该业务已评价 (this visit was already rated: one rating per visit)",
                       code="already_rated") from None
    outbox.record_rating(conn, hall, rating_id, now)  # for the province, in this transaction
    case = None
    bad = rdomain.is_bad(level)
    if bad:
        days = int(hall.config.rule("review_deadline_working_days", 15))
        due = hall.calendar.add_working_days(hall.local_day(now), days)
        review = ReviewCase(id=None, hall_id=hall.id, ticket_id=about.ticket_id,
                            rating_id=rating_id, due_date=due, opened_at=now)
        uow.cases.add(review)
        if phone:
            case_contacts.keep(app, conn, hall, review.id, phone, now)
        case = {"id": review.id, "due_date": iso_date(due), "status": review.status}
    label_zh, label_en = rdomain.label(level)
    ticket = None if about.ticket_id is None else {
        "id": about.ticket_id, "number": about.number, "service": about.service,
        "window": about.window}
    result = {"id": rating_id, "ticket_id": about.ticket_id, "number": about.number,
              "level": level, "kind": "complaint" if level is None else "rating",
              "label": label_zh, "label_en": label_en,
              "score": None if level is None else rdomain.LEVELS[level][2], "reasons": reasons,
              "bad": bad, "window": about.window, "service": about.service,
              "staff_id": about.staff_id, "visit_day": iso_date(about.day),
              "created_at": iso(now), "channel": source, "review_case": case}
    if ticket is not None:  # the window's evaluator and the wall follow the visit's rating
        uow.emit(hall.id, "ticket.rated", ticket_id=about.ticket_id, window=about.window,
                 actor=actor, data={"ticket": ticket, "level": level, "bad": bad,
                                    "review_case_id": case["id"] if case else None})
    if case:  # the managers' case list (and dashboard alerts) learn of it live
        uow.emit(hall.id, "review.opened", ticket_id=about.ticket_id, window=about.window,
                 actor=actor, data={"case": case, "level": level, "service": about.service,
                                    "ticket": ticket and {"id": ticket["id"],
                                                          "number": ticket["number"]}})
    return result
