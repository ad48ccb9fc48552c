"""Bad-review cases and promised cases over the API: opened by a rating, worked by a manager."""
from __future__ import annotations

from tests.fixtures.window import *  # noqa: F401,F403  (the window fixtures)

from datetime import datetime

import pytest


def _staff(api, windows=(1,), name="clerk1"):
    tok = api.add_staff(name, list(windows), name="王小明")
    for n in windows[:1]:
        assert api.act(n, "sign-in", tok).status == 200
    return tok


def _serve(api, tok, window=1, service="social", outcome=None, **finish):
    tk = api.issue(service).body
    assert api.act(window, "call-next", tok).body["ticket"]["id"] == tk["id"]
    assert api.act(window, "start", tok).status == 200
    r = api.act(window, "finish", tok, {"outcome": outcome or "immediate", **finish})
    assert r.status == 200, r.body
    return tk


def _rate(api, tk, level, reasons=None, token="eval1"):
    r = api.post(api.hp(f"/tickets/{tk['id']}/rating"), token,
                 json={"level": level, **({"reasons": reasons} if reasons else {})})
    assert r.status == 201, r.body
    return r.body


@pytest.fixture
def hall(api):
    api.add_device("eval1", "evaluator", [1])
    api.add_staff("boss", [], role="manager", name="李主任")
    return api


def test_a_bad_rating_before_national_day_is_due_15_working_days_later(hall, ctx):
    # Friday 26 Sep 2025, 10:00 in the hall: Sunday 28 Sep and Saturday 11 Oct are make-up
    # workdays, 1-8 Oct is the National Day and Mid-Autumn holiday.
    ctx.clock = lambda: datetime(2025, 9, 26, 2, 0)
    tok = _staff(hall)
    tk = _serve(hall, tok)
    rated = _rate(hall, tk, 1, ["attitude"])
    assert rated["review_case"]["due_date"] == "2025-10-23"  # plain weekdays would give 2025-10-17
    cases = hall.get(hall.hp("/review-cases?status=open"), "boss").body
    assert [c["id"] for c in cases] == [rated["review_case"]["id"]]
    case = cases[0]
    assert case["ticket"]["number"] == tk["number"] and case["ticket"]["staff_name"] == "王小明"
    assert case["rating"]["level"] == 1 and case["rating"]["reasons"] == ["attitude"]
    assert case["working_days_left"] == 15 and not case["overdue"]
    assert case["next_step"] == "verify"


def test_good_ratings_open_no_case(hall):
    tok = _staff(hall)
    _rate(hall, _serve(hall, tok), 3)
    assert hall.get(hall.hp("/review-cases?status=all"), "boss").body == []


def test_a_case_closes_only_after_verify_rectify_and_callback(hall, ctx):
    tok = _staff(hall)
    case_id = _rate(hall, _serve(hall, tok), 2, ["efficiency"])["review_case"]["id"]
    path = hall.hp(f"/review-cases/{case_id}/steps")
    early = hall.post(path, "boss", json={"step": "callback", "text": "已回访"})
    assert early.status == 409 and early.body["error"] == "step_out_of_order"
    assert hall.post(path, tok, json={"step": "verify", "text": "x"}).status == 403  # staff may not
    assert hall.post(path, "boss", json={"step": "verify", "text": " "}).status == 400
    assert hall.post(path, "boss", json={"step": "fix", "text": "x"}).status == 400
    r = hall.post(path, "boss", json={"step": "verify", "text": "调取录像,属实:等候过久"})
    assert r.status == 201 and r.body["status"] == "open" and r.body["steps_done"] == ["verify"]
    r = hall.post(path, "boss", json={"step": "rectify", "text": "增开一个窗口"})
    assert r.body["status"] == "open" and r.body["next_step"] == "callback"
    r = hall.post(path, "boss", json={"step": "callback", "text": "电话回访,群众表示满意"})
    assert r.status == 201 and r.body["status"] == "closed" and r.body["closed_at"]
    assert [h["step"] for h in r.body["history"]] == ["verify", "rectify", "callback"]
    assert all(h["user_name"] == "李主任" and h["at"] for h in r.body["history"])
    again = hall.post(path, "boss", json={"step": "callback", "text": "再次回访"})
    assert again.status == 409 and again.body["error"] == "case_closed"
    assert hall.get(hall.hp("/review-cases?status=open"), "boss").body == []
    assert [c["id"] for c in hall.get(hall.hp("/review-cases?status=closed"), "boss").body] == [case_id]
    types = [e.type for e in _events(ctx)]
    assert types.count("review.step") == 3 and types.count("review.closed") == 1


def test_a_manager_voids_a_malicious_review_and_the_reason_stays(hall):
    tok = _staff(hall)
    case_id = _rate(hall, _serve(hall, tok), 1)["review_case"]["id"]
    path = hall.hp(f"/review-cases/{case_id}/void")
    assert hall.post(path, tok, json={"reason": "x"}).status == 403
    assert hall.post(path, "boss", json={}).status == 400
    r = hall.post(path, "boss", json={"reason": "监控显示评价人误触,申诉成立"})
    assert r.status == 200 and r.body["status"] == "voided"
    assert r.body["void_reason"] == "监控显示评价人误触,申诉成立"
    assert r.body["history"][-1]["step"] == "void"
    assert hall.post(path, "boss", json={"reason": "again"}).status == 409
    closed = hall.get(hall.hp("/review-cases?status=closed"), "boss").body
    assert closed[0]["status"] == "voided"


def test_overdue_cases_are_listed_as_overdue(hall, ctx):
    ctx.clock = lambda: datetime(2025, 9, 26, 2, 0)
    tok = _staff(hall)
    case_id = _rate(hall, _serve(hall, tok), 2)["review_case"]["id"]
    assert hall.get(hall.hp("/review-cases?status=overdue"), "boss").body == []
    ctx.clock = lambda: datetime(2025, 10, 24, 2, 0)  # the day after the due date
    hall.sign_in("boss")
    late = hall.get(hall.hp("/review-cases?status=overdue"), "boss").body
    assert [c["id"] for c in late] == [case_id] and late[0]["overdue"]
    assert late[0]["working_days_left"] == -1
    assert hall.get(hall.hp("/review-cases?status=bogus"), "boss").status == 400
    assert hall.get(hall.hp("/review-cases")).status == 401
    s = hall.get(hall.hp("/cases/summary"), "boss").body
    assert s["review_cases"] == {"open": 1, "overdue": 1}


def test_promised_cases_stay_open_until_delivered(hall, ctx):
    ctx.clock = lambda: datetime(2025, 9, 26, 2, 0)
    tok = _staff(hall)
    tk = _serve(hall, tok, outcome="promised", promise_days=5)
    other = _serve(hall, tok, outcome="immediate")
    open_ = hall.get(hall.hp("/promised?status=open"), tok).body
    assert [p["id"] for p in open_] == [tk["id"]]
    # Sun 28 Sep (make-up workday), 29 Sep, 30 Sep, then 9 and 10 Oct after the holiday
    assert open_[0]["due_date"] == "2025-10-10"
    assert hall.post(hall.hp(f"/promised/{other['id']}/deliver"), tok).status == 404
    assert hall.get(hall.hp("/promised?status=overdue"), tok).body == []
    ctx.clock = lambda: datetime(2025, 10, 13, 2, 0)
    tok = hall.sign_in("clerk1")  # the morning token expired long ago
    late = hall.get(hall.hp("/promised?status=overdue"), tok).body
    assert [p["id"] for p in late] == [tk["id"]] and late[0]["overdue"]
    r = hall.post(hall.hp(f"/promised/{tk['id']}/deliver"), tok, json={"note": "群众已领取"})
    assert r.status == 200 and r.body["status"] == "delivered" and r.body["delivered_by_name"] == "王小明"
    assert hall.post(hall.hp(f"/promised/{tk['id']}/deliver"), tok).status == 409
    assert hall.get(hall.hp("/promised?status=open"), tok).body == []
    assert [p["id"] for p in hall.get(hall.hp("/promised?status=delivered"), tok).body] == [tk["id"]]
    assert any(e.type == "promised.delivered" for e in _events(ctx))


def test_staff_figures_for_today(hall, ctx):
    tok = _staff(hall)
    _rate(hall, _serve(hall, tok), 5)
    _rate(hall, _serve(hall, tok), 2)
    _serve(hall, tok, outcome="returned")
    hall.issue("social")
    hall.act(1, "call-next", tok)
    hall.act(1, "no-show", tok)
    r = hall.get(hall.hp("/staff/me/today"), tok)
    assert r.status == 200
    f = r.body
    assert f["served"] == 3 and f["no_show"] == 1 and f["outcomes"] == {"immediate": 2, "returned": 1}
    assert f["ratings"]["count"] == 2 and f["ratings"]["bad"] == 1
    assert f["ratings"]["satisfaction"] == 0.5 and f["ratings"]["unrated"] == 1
    assert f["mean_service_s"] is not None
    assert hall.get(hall.hp("/staff/me/today"), "eval1").status == 403


def test_staff_photo_is_a_file_or_a_drawn_avatar(hall, ctx):
    from server.services import auth
    uid = auth.add_user(ctx, "photo1", "赵敏", "staff", "Passw0rd-demo", hall_code="main",
                        windows=[1], photo="zhao.png")
    r = hall.get(f"/api/v1/staff/{uid}/photo")
    assert r.status == 200 and r.headers["Content-Type"].startswith("image/svg+xml")
    assert "赵" in r.raw.decode()
    (ctx.var_dir / "photos").mkdir(parents=True, exist_ok=True)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    (ctx.var_dir / "photos" / "zhao.png").write_bytes(png)
    r = hall.get(f"/api/v1/staff/{uid}/photo")
    assert r.status == 200 and r.raw == png and r.headers["Content-Type"] == "image/png"
    assert hall.get("/api/v1/staff/9999/photo").status == 404
    uid2 = auth.add_user(ctx, "photo2", "钱", "staff", "Passw0rd-demo", hall_code="main",
                         windows=[1], photo="../../secret.key")
    r = hall.get(f"/api/v1/staff/{uid2}/photo")
    assert r.status == 200 and r.headers["Content-Type"].startswith("image/svg+xml")


def test_every_cases_route_is_in_the_openapi_document(hall):
    doc = hall.get("/api/openapi.json").body
    for path in ("/api/v1/halls/{hall}/review-cases", "/api/v1/halls/{hall}/review-cases/{case_id}/steps",
                 "/api/v1/halls/{hall}/review-cases/{case_id}/void", "/api/v1/halls/{hall}/promised",
                 "/api/v1/halls/{hall}/promised/{ticket_id}/deliver", "/api/v1/halls/{hall}/staff/me/today",
                 "/api/v1/staff/{staff_id}/photo"):
        assert path in doc["paths"], path


def _events(ctx):
    from sqlalchemy import select

    from server.store import tables as t
    with ctx.db.read() as conn:
        return conn.execute(select(t.events).order_by(t.events.c.id)).all()


# ---------------------------------------------------------------- time-limited cases (限时办结)

def test_escalated_and_proxy_cases_are_due_in_the_halls_working_days_and_complete_when_delivered(hall, ctx):
    ctx.clock = lambda: datetime(2025, 9, 26, 2, 0)  # Friday before National Day
    tok = _staff(hall)
    esc = _serve(hall, tok, outcome="escalated")
    prox = _serve(hall, tok, outcome="proxy")
    imm = _serve(hall, tok)
    open_ = {c["id"]: c for c in hall.get(hall.hp("/promised?status=open"), "boss").body}
    # 3 working days: Sunday 28 Sep is a make-up workday, 29 and 30 Sep follow
    assert open_[esc["id"]]["due_date"] == "2025-09-30" and open_[esc["id"]]["outcome"] == "escalated"
    assert open_[prox["id"]]["outcome_name"] == "代办件" and imm["id"] not in open_
    track = hall.get(f"/api/v1/track/{esc['token']}").body
    assert track["case"] == {"outcome": "escalated", "outcome_name": "上报件", "tracked": True,
                             "due_date": "2025-09-30", "delivered": False, "delivered_at": None,
                             "overdue": False}
    assert hall.get(f"/api/v1/track/{imm['token']}").body["case"]["tracked"] is False
    ctx.clock = lambda: datetime(2025, 9, 30, 2, 0)  # the due day, then the day after
    hall.sign_in("boss")
    alerts = {a["kind"]: a for a in hall.get(hall.hp("/stats/live"), "boss").body["alerts"]}
    assert alerts["cases_due_today"]["count"] == 2 and "cases_overdue" not in alerts
    ctx.clock = lambda: datetime(2025, 10, 9, 2, 0)
    hall.sign_in("boss")
    alerts = {a["kind"]: a for a in hall.get(hall.hp("/stats/live"), "boss").body["alerts"]}
    assert alerts["cases_overdue"]["count"] == 2
    r = hall.post(hall.hp(f"/promised/{esc['id']}/deliver"), "boss", json={"note": "县局批复已送达"})
    assert r.status == 200 and r.body["status"] == "delivered"
    assert hall.get(f"/api/v1/track/{esc['token']}").body["case"]["delivered"] is True


def test_a_hall_sets_its_own_limits_and_a_window_may_still_give_a_date(hall, ctx):
    from server.services import halls
    data = halls.read_config()
    data["rules"]["outcome_limit_days"] = {"escalated": 10}
    halls.load_hall(ctx, data)
    ctx.clock = lambda: datetime(2025, 9, 26, 2, 0)
    tok = _staff(hall)
    esc = _serve(hall, tok, outcome="escalated")
    given = _serve(hall, tok, outcome="proxy", due_date="2025-10-20")
    cases = {c["id"]: c for c in hall.get(hall.hp("/promised?status=open"), "boss").body}
    assert cases[esc["id"]]["due_date"] == "2025-10-16"  # 10 working days over the holiday
    assert cases[given["id"]]["due_date"] == "2025-10-20"
    tk = hall.issue("social").body
    assert hall.act(1, "call-next", tok).status == 200
    r = hall.act(1, "finish", tok, {"outcome": "returned", "due_date": "2025-10-20"})
    assert r.status == 400 and tk["number"]


def test_progress_by_ticket_code_or_booking_code_tells_the_case_and_nothing_personal(hall, ctx):
    tok = _staff(hall)
    prom = _serve(hall, tok, outcome="promised", promise_days=3)
    r = hall.get(hall.hp(f"/progress/{prom['token']}"))
    assert r.status == 200 and r.body["kind"] == "ticket"
    assert r.body["ticket"]["case"]["outcome"] == "promised" and r.body["track_url"] == f"/t/{prom['token']}"
    assert hall.get(hall.hp("/progress/NOPE-NOPE")).status in (400, 404)
    assert hall.get("/api/v1/halls/other/progress/" + prom["token"]).status == 404
