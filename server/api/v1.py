"""REST endpoints of /api/v1 (the contract in DESIGN.md). Thin: read, call a service, answer."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from rules import priority as priority_rule

from .. import __version__
from ..domain.errors import Forbidden, Invalid, Unauthorized
from ..services import auth, queue, queue_view, ratings
from . import schemas as S
from .base import client_address, hall_id, hallq, json_body, openapi, principal

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

STAFF = ("staff", "manager", "admin")
HALL = [{"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}}]
WIN = HALL + [{"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}}]
E4 = {"400": {"description": "bad input"}, "401": {"description": "sign-in required"},
      "403": {"description": "not allowed"}, "404": {"description": "unknown hall/window"},
      "409": {"description": "wrong state"}}


@bp.get("/health")
@openapi("Server and database status", tags=["system"])
def health():
    app = hallq()
    with app.db.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    return jsonify({"status": "ok", "database": app.db.kind, "version": __version__})


@bp.post("/auth/login")
@openapi("Staff sign-in: a bearer token", body=S.LOGIN, tags=["auth"],
         responses={"200": {"description": "token"}, "401": {"description": "wrong credentials"}})
def login():
    body = json_body(S.LOGIN)
    limiter, addr = hallq().limiter, client_address()
    limiter.check_login(addr, body["username"])
    try:
        answer = auth.login(hallq(), body["username"], body["password"])
    except Unauthorized:
        limiter.failed_login(addr, body["username"])
        raise
    limiter.succeeded_login(addr, body["username"])
    return jsonify(answer)


@bp.post("/auth/logout")
@openapi("Revoke the caller's token", access="any signed-in user or device", tags=["auth"])
def logout():
    from .base import bearer_token
    p = principal()
    auth.require(p, roles=STAFF, devices=auth.DEVICE_KINDS)
    auth.revoke(hallq(), bearer_token())
    return jsonify({"status": "signed_out"})


@bp.get("/auth/me")
@openapi("Who the token belongs to", access="any signed-in user or device", tags=["auth"])
def me():
    p = auth.require(principal(), roles=auth.ROLES, devices=auth.DEVICE_KINDS)
    return jsonify({"kind": p.kind, "id": p.id, "name": p.name, "role": p.role,
                    "windows": p.windows})


@bp.get("/halls")
@openapi("The halls in this database", tags=["hall"])
def halls():
    from sqlalchemy import select

    from ..store import tables as t
    app = hallq()
    with app.db.read() as conn:
        rows = conn.execute(select(t.halls.c.code).order_by(t.halls.c.id)).scalars().all()
        out = []
        for code in rows:
            h = app.hall(conn, code)
            out.append({"code": h.code, "name": h.config.name, "name_en": h.config.name_en,
                        "timezone": h.config.timezone, "notice": h.config.notice,
                        "notice_en": h.config.notice_en})
    return jsonify(out)


@bp.get("/halls/<hall>")
@openapi("One hall: name, notice, rules the clients need", query=HALL, tags=["hall"])
def hall_info(hall):
    app = hallq()
    with app.db.read() as conn:
        h = app.hall(conn, hall)
    c = h.config
    from ..services.halls import public_url_of, public_url_problem
    public_url = public_url_of(c.raw)
    problem = public_url_problem(public_url)
    from ..domain.errors import split_languages
    problem_zh, problem_en = split_languages(problem) if problem else (None, None)
    hall_raw = c.raw.get("hall") or {}
    return jsonify({"code": h.code, "name": c.name, "name_en": c.name_en, "timezone": c.timezone,
                    "notice": c.notice, "notice_en": c.notice_en, "hours": c.hours,
                    "announce": c.announce, "max_recalls": c.rule("max_recalls", 3),
                    "rating_prompt_s": ratings.prompt_lifetime_s(h),
                    "priority_groups": c.rule("priority_groups", []),
                    "elderly_age": c.rule("elderly_age", priority_rule.DEFAULT_ELDERLY_AGE),
                    "assist_limit_working_days": c.rule("assist_limit_working_days", 3),
                    "assist_call_within_working_days": c.rule("assist_call_within_working_days", 1),
                    "phone": hall_raw.get("phone", ""),
                    "public_url": "" if problem else public_url, "public_url_warning": problem,
                    "public_url_warning_zh": problem_zh, "public_url_warning_en": problem_en,
                    "pass_rule": hall_raw.get("pass_rule", ""), "pass_rule_en": hall_raw.get("pass_rule_en", ""),
                    "local_time": h.local_now(app.now()).isoformat(timespec="seconds")})


@bp.get("/halls/<hall>/services")
@openapi("Services with waiting counts and wait estimates", query=HALL, tags=["queue"])
def services(hall):
    out = queue_view.list_services(hallq(), hall)
    with hallq().db.read() as conn:
        windows = hallq().hall(conn, hall).config.windows
    for s in out:  # the windows that serve it (printed on the ticket)
        s["windows"] = [w.number for w in windows if s["code"] in w.services]
    return jsonify(out)


@bp.get("/halls/<hall>/windows")
@openapi("Windows with status, current ticket and staff", query=HALL, tags=["queue"])
def windows(hall):
    return jsonify(queue_view.list_windows(hallq(), hall))


@bp.get("/halls/<hall>/windows/<int:n>")
@openapi("One window", query=WIN, tags=["queue"], responses={"200": {"description": "OK"}, **E4})
def window(hall, n):
    return jsonify(queue_view.get_window(hallq(), hall, n))


@bp.get("/halls/<hall>/windows/<int:n>/waiting")
@openapi("The tickets waiting for a window, in the order it calls them (with front-desk notes)",
         query=WIN, access="staff, manager", tags=["window"],
         responses={"200": {"description": "{window, tickets}"}, **E4})
def window_waiting(hall, n):
    auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(queue_view.window_queue(hallq(), hall, n))


@bp.post("/halls/<hall>/tickets")
@openapi("Take a number (a retry with the same Idempotency-Key returns the same ticket)",
         body=S.ISSUE, query=HALL, access="kiosk device, staff", tags=["queue"],
         headers=[{"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "maxLength": 128}}],
         responses={"201": {"description": "the ticket"}, **E4})
def issue(hall):
    app = hallq()
    p = auth.require(principal(), roles=STAFF, devices=("kiosk",), hall_id=hall_id(hall))
    body = json_body(S.ISSUE)
    app.limiter.check_issue(p.actor)
    if body.get("appointment"):
        from ..services import appointments  # the check-in of a booking gives its ticket
        result = appointments.check_in(app, hall, p, code=body["appointment"],
                                       idempotency_key=request.headers.get("Idempotency-Key"))
        return jsonify(result), 201
    source = body.get("source")
    if source == "appointment":
        raise Invalid("appointment tickets come from a check-in (give `appointment`)", code="invalid")
    if not p.is_user and source not in (None, "kiosk"):  # statistics count tickets by source
        raise Forbidden("取号机只能发放现场号 (a kiosk issues kiosk tickets only)",
                        code="forbidden_source")
    result = queue.issue_ticket(app, hall, p, body["service"], source=source,
                                id_number=body.get("id_number"), priority=body.get("priority"),
                                idempotency_key=request.headers.get("Idempotency-Key"),
                                note=body.get("note"))
    return jsonify(result), (200 if result.get("replayed") else 201)


@bp.get("/halls/<hall>/tickets/<int:ticket_id>")
@openapi("A ticket with its history (audit trail)", access="staff, manager",
         query=HALL + [{"name": "ticket_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}], tags=["queue"])
def ticket(hall, ticket_id):
    auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(queue_view.get_ticket(hallq(), hall, ticket_id))


@bp.post("/halls/<hall>/tickets/<int:ticket_id>/cancel")
@openapi("Cancel a waiting ticket", access="staff, manager",
         query=HALL + [{"name": "ticket_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}], tags=["queue"])
def cancel(hall, ticket_id):
    p = auth.require(principal(), roles=STAFF, hall_id=hall_id(hall))
    return jsonify(queue.cancel(hallq(), hall, ticket_id, p))


@bp.post("/halls/<hall>/tickets/<int:ticket_id>/rating")
@openapi("Rate a finished visit (一次一评); 409 for a second rating. An evaluator device rates "
         "only the visit just finished at its window, within the hall's rating_prompt_s (409 "
         "rating_expired); any other channel gives the ticket's own token as ticket_token",
         body=S.RATING, access="evaluator device; or anyone with the ticket's token",
         query=HALL + [{"name": "ticket_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}], tags=["ratings"],
         responses={"201": {"description": "the rating"}, **E4})
def rate(hall, ticket_id):
    p = principal()
    if p is not None:
        auth.require(p, devices=auth.DEVICE_KINDS, hall_id=hall_id(hall))
    body = json_body(S.RATING)
    return jsonify(ratings.rate(hallq(), hall, ticket_id, p, body["level"], body.get("reasons"),
                                body.get("comment"), ticket_token=body.get("ticket_token"),
                                phone=body.get("phone"), consent=body.get("consent"))), 201


@bp.post("/halls/<hall>/tickets/<int:ticket_id>/rating/contact")
@openapi("The evaluator's 回访 step: after a bad rating it made, the resident leaves a phone with "
         "consent, kept sealed with the review case (403 other window or channel, 409 "
         "rating_expired or contact_exists); the answer has the masked number only",
         body=S.RATING_CONTACT, access="evaluator device of the ticket's window",
         query=HALL + [{"name": "ticket_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}], tags=["ratings"],
         responses={"201": {"description": "{case_id, ticket_id, phone_masked}"}, **E4})
def rating_contact(hall, ticket_id):
    p = auth.require(principal(), devices=("evaluator",), hall_id=hall_id(hall))
    body = json_body(S.RATING_CONTACT)
    return jsonify(ratings.leave_contact(hallq(), hall, ticket_id, p, body["phone"],
                                         body["consent"])), 201


@bp.get("/track/<token>")
@openapi("A ticket's status for the resident holding it",
         query=[{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
         tags=["queue"])
def track(token):
    return jsonify(queue_view.track(hallq(), token))


def _window_action(name, summary, body_schema=None, fn=None):
    def view(hall, n):
        p = principal()
        auth.require(p, roles=STAFF, devices=("keypad",), hall_id=hall_id(hall))
        body = json_body(body_schema, required=body_schema is not None)
        return jsonify(fn(hallq(), hall, n, p, body))
    view.__name__ = "window_" + name.replace("-", "_")
    view = openapi(summary, body=body_schema, query=WIN, access="staff signed in at the window "
                   "(or its keypad)", tags=["window"],
                   responses={"200": {"description": "OK"}, **E4})(view)
    bp.add_url_rule(f"/halls/<hall>/windows/<int:n>/{name}", view_func=view, methods=["POST"])


_window_action("sign-in", "Staff signs in at the window (A or B post)",
               fn=lambda app, h, n, p, b: queue.sign_in(app, h, n, p))
_window_action("sign-out", "Staff signs out of the window",
               fn=lambda app, h, n, p, b: queue.sign_out(app, h, n, p))
_window_action("call-next", "Call the next ticket by the window's policy ({ticket: null} if none)",
               fn=lambda app, h, n, p, b: queue.call_next(app, h, n, p))
_window_action("recall", "Call the current ticket again",
               fn=lambda app, h, n, p, b: queue.recall(app, h, n, p))
_window_action("start", "Start serving the current ticket",
               fn=lambda app, h, n, p, b: queue.start(app, h, n, p))
_window_action("finish", "Finish the current ticket with an outcome", S.FINISH,
               fn=lambda app, h, n, p, b: queue.finish(app, h, n, p, b["outcome"], b.get("due_date"),
                                                       b.get("promise_days"), b.get("note")))
_window_action("call", "选呼: call one particular waiting ticket out of turn (recorded, counted)",
               S.SELECT_CALL, fn=lambda app, h, n, p, b: queue.call_selected(app, h, n, p, b["ticket_id"]))
_window_action("finish-and-call-next", "Finish the current ticket and call the next, in one step "
               "({finished, ticket})", S.FINISH,
               fn=lambda app, h, n, p, b: queue.finish_and_call_next(
                   app, h, n, p, b["outcome"], b.get("due_date"), b.get("promise_days"), b.get("note")))
_window_action("no-show", "The called resident did not come (过号)",
               fn=lambda app, h, n, p, b: queue.no_show(app, h, n, p))
_window_action("transfer", "Send the current ticket to another service's queue", S.TRANSFER,
               fn=lambda app, h, n, p, b: queue.transfer(app, h, n, p, b["service"]))
_window_action("pause", "Pause the window with a reason", S.PAUSE,
               fn=lambda app, h, n, p, b: queue.pause(app, h, n, p, b["reason"]))
_window_action("resume", "Resume a paused window",
               fn=lambda app, h, n, p, b: queue.resume(app, h, n, p))
