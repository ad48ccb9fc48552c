"""登记投诉/评价: staff record ratings and complaints that came by the 12345 hotline, the suggestion
box or in person, with the visit they name (ticket number, the ticket's code, a booking code) or
with no visit at all; each bad one opens a review case, counts in the 堵点 analysis and goes to the
province with its channel; the stats, the wall, the honours and the xlsx report take them in."""
from __future__ import annotations

from tests.fixtures.booking import *  # noqa: F401,F403  (the booking clock)

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.store import tables as t
from tests.fixtures.booking import WEDNESDAY, book
from tests.fixtures.window import staff_window_1

URL = "/ratings/recorded"


@pytest.fixture
def hall(live):
    """A real server: 王小明 (staff, window 1) serves; 赵导办 (staff, no window) at the front desk;
    李主任 the manager; an admin; an evaluator at window 1."""
    api = live.api
    api.add_device("eval1", "evaluator", [1])
    api.add_staff("boss", [], role="manager", name="李主任")
    api.add_staff("root", [], role="admin", name="管理员")
    api.tokens["clerk"] = api.add_staff("clerk", [1], name="王小明")
    api.add_staff("desk", [], name="赵导办")
    assert api.act(1, "sign-in", "clerk").status == 200
    return api


def serve(api, service="social"):
    tk = api.issue(service).body
    assert api.act(1, "call-next", "clerk").body["ticket"]["id"] == tk["id"]
    assert api.act(1, "finish", "clerk", {"outcome": "immediate"}).status == 200
    return tk


def staff_id(ctx, username):
    with ctx.db.read() as conn:
        return conn.execute(select(t.users.c.id).where(t.users.c.username == username)).scalar()


def token_of(ctx, ticket_id):
    with ctx.db.read() as conn:
        return conn.execute(select(t.tickets.c.token).where(t.tickets.c.id == ticket_id)).scalar()


def test_a_hotline_complaint_naming_no_visit_opens_a_case_with_what_is_known(hall, ctx):
    clerk = staff_id(ctx, "clerk")
    r = hall.post(hall.hp(URL), "desk", json={
        "channel": "hotline", "kind": "complaint", "service": "social", "window": 1,
        "staff_id": clerk, "visit_day": "2026-11-20", "reasons": ["attitude", "efficiency"],
        "comment": "上周办低保,窗口人员不耐烦", "phone": "139 0000 1111", "consent": True})
    assert r.status == 201, r.body
    rec = r.body
    assert rec["ticket_id"] is None and rec["kind"] == "complaint" and rec["level"] is None
    assert rec["label"] == "投诉" and rec["bad"] and rec["channel"] == "hotline"
    assert rec["review_case"]["status"] == "open"
    case = hall.get(hall.hp(f"/review-cases/{rec['review_case']['id']}"), "boss").body
    assert case["ticket"] is None and case["next_step"] == "verify"
    about = case["rating"]
    assert (about["kind"], about["channel"], about["service"], about["window"], about["staff_name"],
            about["visit_day"], about["recorded_by_name"]) == (
        "complaint", "hotline", "social", 1, "王小明", "2026-11-20", "赵导办")
    assert about["service_name"] and about["reasons"] == ["attitude", "efficiency"]
    assert case["contact_masked"] == "139****1111"  # sealed; the manager opens it for the 回访
    assert hall.post(hall.hp(f"/review-cases/{case['id']}/contact"), "boss").body["phone"] == "13900001111"
    # it is worked like any other case: verify -> rectify -> call back, then it is closed
    for step in ("verify", "rectify"):
        assert hall.post(hall.hp(f"/review-cases/{case['id']}/steps"), "boss",
                         json={"step": step, "text": "已处理"}).status == 201
    done = hall.post(hall.hp(f"/review-cases/{case['id']}/steps"), "boss", json={
        "step": "callback", "text": "群众认可", "callback": {"channel": "phone", "result": "reached",
                                                          "satisfaction": "satisfied"}})
    assert done.status == 201 and done.body["status"] == "closed"
    # the province gets the complaint with its channel, and the steps after it
    with ctx.db.read() as conn:
        recs = [r.record for r in conn.execute(select(t.outbox).order_by(t.outbox.c.id))]
    assert [x["kind"] for x in recs] == ["rating", "step", "step"]
    first = recs[0]
    assert (first["channel"], first["level"], first["level_label"], first["case_no"]) == (
        "12345热线", None, "投诉", None)
    assert first["tags"] == ["态度", "效率"] and first["window"] == 1


def test_a_visit_is_found_by_its_number_its_ticket_code_or_its_booking_code(hall, ctx, clock):
    a = serve(hall)
    seen = hall.get(hall.hp(f"{URL}/visit?code={a['number'].lower()}"), "desk")
    assert seen.status == 200, seen.body
    assert (seen.body["ticket_id"], seen.body["staff_name"], seen.body["rated"], seen.body["own"]) == (
        a["id"], "王小明", False, False)
    assert hall.get(hall.hp(f"{URL}/visit?code={a['number']}"), "clerk").body["own"] is True
    assert hall.get(hall.hp(f"{URL}/visit?code={a['number']}&day=2026-11-20"), "desk").status == 404
    wrong_day = hall.get(hall.hp(f"{URL}/visit?code={a['number']}&day=11/20/2026"), "desk")
    assert wrong_day.status == 400 and wrong_day.body["error"] == "invalid_day"  # the form says it at the day
    link = f"http://hall.example/t/{token_of(ctx, a['id'])}"
    by_code = hall.get(hall.hp(f"{URL}/visit?code={link}"), "desk").body
    assert by_code["ticket_id"] == a["id"] and "token" not in by_code
    r = hall.post(hall.hp(URL), "desk", json={"channel": "onsite", "visit": link, "level": 2,
                                              "reasons": ["process"]})
    assert r.status == 201 and r.body["ticket_id"] == a["id"] and r.body["review_case"]
    assert hall.get(hall.hp(f"{URL}/visit?code={a['number']}"), "desk").body["rated"] is True
    # one rating per visit, whichever way it came
    again = hall.post(hall.hp(URL), "boss", json={"channel": "box", "visit": a["number"],
                                                  "kind": "complaint", "comment": "还是不满意"})
    assert again.status == 409 and again.body["error"] == "already_rated" and again.body["message"]
    assert hall.post(hall.hp(f"/tickets/{a['id']}/rating"), "eval1", json={"level": 5}).status == 409
    # a booking code names the visit its check-in became
    clock.set(WEDNESDAY, "09:00")
    code = book(hall).body["code"]
    assert hall.get(hall.hp(f"{URL}/visit?code={code}"), "desk").body["error"] == "unknown_visit"
    clock.set(WEDNESDAY, "10:00")
    assert hall.act(1, "sign-in", "clerk").status == 200
    booked = hall.post(hall.hp("/appointments/check-in"), "kiosk", json={"code": code})
    assert booked.status == 201, booked.body
    ticket_id = booked.body["ticket"]["id"] if "ticket" in booked.body else booked.body["id"]
    assert hall.act(1, "call-next", "clerk").body["ticket"]["id"] == ticket_id
    early = hall.post(hall.hp(URL), "desk", json={"channel": "onsite", "visit": code, "level": 4})
    assert early.status == 409 and early.body["error"] == "not_finished"
    assert hall.act(1, "finish", "clerk", {"outcome": "immediate"}).status == 200
    spaced = code[:3].lower() + " " + code[3:]
    r = hall.post(hall.hp(URL), "desk", json={"channel": "onsite", "visit": spaced, "level": 4})
    assert r.status == 201 and r.body["ticket_id"] == ticket_id and r.body["review_case"] is None


def test_who_may_record(hall, ctx):
    """Any signed-in member of staff (the desk, a window), a manager, an admin; never a device,
    never anyone about their own work."""
    body = {"channel": "box", "kind": "complaint", "service": "social", "comment": "等太久"}
    assert hall.post(hall.hp(URL), json=body).status == 401
    for device in ("eval1", "kiosk"):
        r = hall.post(hall.hp(URL), device, json=body)
        assert r.status == 403 and r.body["error"] and r.body["message"], r.body
        assert hall.get(hall.hp(f"{URL}/choices"), device).status == 403
    for who in ("desk", "clerk", "boss", "root"):
        assert hall.post(hall.hp(URL), who, json=body).status == 201, who
    own = hall.post(hall.hp(URL), "clerk", json={**body, "staff_id": staff_id(ctx, "clerk")})
    assert own.status == 403 and own.body["error"] == "own_visit"
    tk = serve(hall)
    own = hall.post(hall.hp(URL), "clerk", json={"channel": "onsite", "visit": tk["number"], "level": 1})
    assert own.status == 403 and own.body["error"] == "own_visit"
    choices = hall.get(hall.hp(f"{URL}/choices"), "desk").body
    assert [c["code"] for c in choices["channels"]] == ["hotline", "box", "onsite", "other"]
    assert {"王小明", "李主任", "赵导办"} <= {s["name"] for s in choices["staff"]}
    assert [r["code"] for r in choices["reasons"]][:2] == ["attitude", "efficiency"]
    today = date.fromisoformat(choices["today"])  # the range of visit days the form takes
    assert date.fromisoformat(choices["oldest_day"]) == today - timedelta(days=366)


@pytest.mark.parametrize("body, status, code", [
    ({"channel": "wechat", "kind": "complaint", "comment": "x"}, 400, None),
    ({"kind": "complaint", "comment": "x"}, 400, None),
    ({"channel": "box", "kind": "complaint"}, 400, "text_required"),
    ({"channel": "box", "kind": "complaint", "comment": "   "}, 400, "text_required"),
    ({"channel": "box", "kind": "complaint", "level": 1, "comment": "x"}, 400, "invalid_level"),
    ({"channel": "box", "service": "social"}, 400, "level_required"),
    ({"channel": "box", "level": 6, "service": "social"}, 400, None),
    ({"channel": "box", "level": 3}, 400, "subject_required"),
    ({"channel": "box", "level": 2, "service": "nope"}, 404, "unknown_service"),
    ({"channel": "box", "level": 2, "window": 99}, 404, "unknown_window"),
    ({"channel": "box", "level": 2, "staff_id": 9999}, 404, "unknown_staff"),
    ({"channel": "box", "level": 2, "service": "social", "visit_day": "2099-01-01"}, 400, "invalid_day"),
    ({"channel": "box", "level": 2, "service": "social", "visit_day": "2020-01-01"}, 400, "invalid_day"),
    ({"channel": "box", "level": 2, "service": "social", "visit_day": "30/11"}, 400, None),
    ({"channel": "box", "level": 2, "service": "social", "phone": "13900001111"}, 400, "consent_required"),
    ({"channel": "box", "level": 5, "service": "social", "phone": "13900001111", "consent": True}, 400, "invalid"),
    ({"channel": "box", "level": 1, "service": "social", "phone": "12345", "consent": True}, 400, "invalid_phone"),
    ({"channel": "box", "level": 1, "reasons": ["rude"], "service": "social"}, 400, None),
    ({"channel": "box", "level": 1, "visit": "A999"}, 404, "unknown_visit"),
    ({"channel": "box", "level": 1, "visit": "A001", "day": "yesterday"}, 400, None),
    ({"channel": "box", "kind": "complaint", "comment": "x" * 501}, 400, None),
    ({"channel": "box", "kind": "complaint", "comment": "x", "extra": 1}, 400, None),
])
def test_bad_input_gets_a_json_error_and_records_nothing(hall, ctx, body, status, code):
    r = hall.post(hall.hp(URL), "desk", json=body)
    assert r.status == status, r.body
    assert set(r.body) >= {"error", "message"} and r.body["message"]
    if code:
        assert r.body["error"] == code, r.body
    with ctx.db.read() as conn:
        assert conn.execute(select(t.ratings)).all() == []
        assert conn.execute(select(t.review_cases)).all() == []
        assert conn.execute(select(t.outbox)).all() == []


def test_a_visit_named_must_agree_with_the_service_window_and_staff_given(hall, ctx):
    tk = serve(hall)
    r = hall.post(hall.hp(URL), "desk", json={"channel": "onsite", "visit": tk["number"], "level": 1,
                                              "window": 3})
    assert r.status == 400 and r.body["error"] == "visit_mismatch"
    r = hall.post(hall.hp(URL), "desk", json={"channel": "onsite", "visit": tk["number"], "level": 1,
                                              "window": 1, "service": "social"})
    assert r.status == 201


def test_stats_pain_points_wall_honours_and_the_report_take_visit_less_entries(hall, ctx):
    """Ratings of visits count in satisfaction; complaints and visit-less ratings do not (they are
    not ratings of a visit), but they count in the 堵点, the review cases and the province's file."""
    rated = serve(hall)
    assert hall.post(hall.hp(f"/tickets/{rated['id']}/rating"), "eval1",
                     json={"level": 4}).status == 201
    complained = serve(hall)  # a complaint tied to a visit: that visit's one record, no level
    r = hall.post(hall.hp(URL), "desk", json={"channel": "onsite", "visit": complained["number"],
                                              "kind": "complaint", "reasons": ["efficiency"],
                                              "comment": "材料退回三次"})
    assert r.status == 201 and r.body["review_case"]
    for body in ({"channel": "hotline", "kind": "complaint", "reasons": ["attitude"], "comment": "电话没人接"},
                 {"channel": "box", "level": 3, "window": 1, "reasons": ["environment"]},
                 {"channel": "other", "level": 5, "staff_id": staff_id(ctx, "clerk"), "comment": "表扬"}):
        assert hall.post(hall.hp(URL), "boss", json=body).status == 201
    st = hall.get(hall.hp("/stats"), "boss").body
    assert st["ratings"]["count"] == 1 and st["ratings"]["satisfaction"] == 1.0
    assert st["review_cases"]["total"] == 2 and st["review_cases"]["open"] == 2
    me = hall.get(hall.hp("/staff/me/today"), "clerk")
    assert me.status == 200 and me.body["ratings"]["count"] == 1
    pains = hall.get(hall.hp("/pain-points"), "boss").body
    got = {(x["reason"], x["origin"], x["channel"], x["count"], x["bad"]) for x in pains["rows"]}
    assert got == {("efficiency", "complaint", "onsite", 1, 1), ("attitude", "complaint", "hotline", 1, 1),
                   ("environment", "rating", "box", 1, 0)}  # a level from the box is a rating
    top = hall.get(hall.hp("/pain-points/top"), "clerk").body
    assert sum(i["complaints"] for i in top["items"]) == 2
    assert hall.get(hall.hp("/honours"), None).status == 200
    wall = hall.get(hall.hp("/wall"))
    assert [s["ratings"] for s in wall.body["staff"] if s["name"] == "王小明"] == [1]
    listed = hall.get(hall.hp("/review-cases?status=open"), "boss").body
    assert sorted((c["ticket"] or {}).get("number") or "-" for c in listed) == sorted(
        ["-", complained["number"]])
    x = hall.get(hall.hp("/reports?format=xlsx"), "boss")
    assert x.status == 200
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(x.raw))
    reviews = [[c.value for c in row] for row in wb["差评整改"].iter_rows(min_row=2)]
    assert sorted(r[2] for r in reviews) == ["投诉", "投诉"]
    assert {r[1] for r in reviews} == {complained["number"], "无办事记录（12345热线）"}
    pains = [[c.value for c in row] for row in wb["堵点分析"].iter_rows(min_row=2)]
    assert len(pains) == 3
    exported = hall.get(hall.hp("/outbox/export?format=json"), "boss").body
    assert sorted(r["评价渠道"] for r in exported) == ["12345热线", "其他", "意见箱", "现场", "窗口评价器"]
    assert {r["评价等级名称"] for r in exported} >= {"投诉", "基本满意", "非常满意", "满意"}
    assert hall.get(hall.hp("/outbox/export?format=xlsx"), "boss").status == 200
    # the ticket's own pages know it was rated (a complaint is its one record)
    assert hall.get(hall.hp(f"/tickets/{complained['id']}"), "boss").body["rating"]["level"] is None
    assert hall.get(f"/api/v1/track/{token_of(ctx, complained['id'])}").body["rating"]["rated"] is True


def test_the_review_sheet_names_the_channel_where_a_case_has_no_ticket_number(hall, ctx):
    """号码 of a case whose record named no visit is not left blank: it says there was no visit and
    how the record came, in the xlsx, the CSV and the JSON (with its English for the dashboard)."""
    tk = serve(hall)
    assert hall.post(hall.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 1}).status == 201
    by_phone = serve(hall)
    with ctx.db.read() as conn:  # the hall's today, the day the resident says they came
        day = conn.execute(select(t.tickets.c.day).where(t.tickets.c.id == tk["id"])).scalar()
    for body in ({"channel": "hotline", "kind": "complaint", "service": "social", "comment": "电话没人接"},
                 {"channel": "box", "level": 2, "window": 1, "comment": "窗口人员玩手机",
                  "visit_day": day},
                 {"channel": "hotline", "visit": by_phone["number"], "level": 1},
                 {"channel": "onsite", "kind": "complaint", "staff_id": staff_id(ctx, "clerk"),
                  "comment": "态度生硬"}):
        r = hall.post(hall.hp(URL), "boss", json=body)
        assert r.status == 201 and r.body["review_case"], r.body
    want = {f"{tk['number']}": "1 非常不满意", f"{by_phone['number']}": "1 非常不满意",
            "无办事记录（12345热线）": "投诉", "无办事记录（意见箱）": "2 不满意", "无办事记录（现场）": "投诉"}
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(hall.get(hall.hp("/reports?format=xlsx"), "boss").raw))
    assert [c.value for c in wb["差评整改"][1]][1] == "号码"
    got = {r[1].value: r[2].value for r in wb["差评整改"].iter_rows(min_row=2)}
    assert got == want
    # 办理日期: the visit's day, when the resident named it; never the day the case was opened
    days = {r[1].value: r[5].value and r[5].value.date().isoformat()  # a date cell in the xlsx
            for r in wb["差评整改"].iter_rows(min_row=2)}
    assert days == {tk["number"]: day, by_phone["number"]: day, "无办事记录（12345热线）": None,
                    "无办事记录（意见箱）": day, "无办事记录（现场）": None}
    csv_lines = hall.get(hall.hp("/reports?format=csv&table=reviews"), "boss").raw.decode("utf-8-sig")
    assert {line.split(",")[1]: line.split(",")[2] for line in csv_lines.splitlines()[1:]} == want
    rep = hall.get(hall.hp("/reports"), "boss").body
    reviews = next(tb for tb in rep["tables"] if tb["key"] == "reviews")
    assert {row[1] for row in reviews["rows"]} == set(want)
    assert reviews["text_en"]["无办事记录（12345热线）"] == "No visit named (12345 hotline)"
    assert reviews["text_en"]["无办事记录（意见箱）"] == "No visit named (Suggestion box)"
    assert reviews["text_en"]["投诉"] == "Complaint" and reviews["text_en"]["整改中"] == "Open"
    assert tk["number"] not in reviews["text_en"]  # a ticket number reads the same in both


def test_a_closed_days_stored_figures_stay_right_after_visit_less_entries(hall, ctx, clock):
    """A closed day's figures are stored with the highest rating id then; ratings added later are
    read on top. Visit-less entries and complaints among them are not ratings of that day."""
    clock.set("2026-11-24", "10:00")
    assert hall.act(1, "sign-in", "clerk").status == 200
    tk = serve(hall)
    assert hall.post(hall.hp(f"/tickets/{tk['id']}/rating"), "eval1", json={"level": 5}).status == 201
    late = serve(hall)
    clock.set(WEDNESDAY, "10:00")
    week = "/stats?from=2026-11-24&to=2026-11-25"
    assert hall.get(hall.hp(week), "boss").body["ratings"]["count"] == 1  # Tuesday stored
    with ctx.db.read() as conn:
        assert conn.execute(select(t.stats_daily.c.day)).scalars().all() == ["2026-11-24"]
    for body in ({"channel": "hotline", "kind": "complaint", "comment": "电话打不通"},
                 {"channel": "box", "level": 2, "service": "social", "visit_day": "2026-11-24"},
                 {"channel": "onsite", "visit": late["number"], "day": "2026-11-24", "level": 3}):
        r = hall.post(hall.hp(URL), "boss", json=body)
        assert r.status == 201, r.body
    st = hall.get(hall.hp(week), "boss").body
    assert st["ratings"]["count"] == 2 and st["ratings"]["levels"] == {"5": 1, "4": 0, "3": 1, "2": 0, "1": 0}
    assert st["review_cases"]["total"] == 2


def test_on_sqlite_and_postgresql_a_visit_less_complaint_and_a_visit_rating_are_recorded(any_api, any_ctx):
    api = any_api
    staff_window_1(api)
    tk = serve(api)
    r = api.post(api.hp(URL), "boss", json={"channel": "box", "kind": "complaint", "service": "social",
                                            "comment": "意见箱:排队太久", "reasons": ["efficiency"]})
    assert r.status == 201 and r.body["ticket_id"] is None and r.body["review_case"]
    r = api.post(api.hp(URL), "boss", json={"channel": "hotline", "visit": tk["number"], "level": 1,
                                            "phone": "13900001111", "consent": True})
    assert r.status == 201 and r.body["ticket_id"] == tk["id"]
    assert api.post(api.hp(URL), "boss", json={"channel": "hotline", "visit": tk["number"],
                                               "level": 2}).body["error"] == "already_rated"
    cases = api.get(api.hp("/review-cases?status=open"), "boss").body
    assert sorted(c["rating"]["channel"] for c in cases) == ["box", "hotline"]
    st = api.get(api.hp("/stats"), "boss").body
    assert st["ratings"]["count"] == 1 and st["review_cases"]["total"] == 2
    assert api.get(api.hp("/reports?format=xlsx"), "boss").status == 200
    assert len(api.get(api.hp("/pain-points"), "boss").body["rows"]) == 1


def test_a_retry_with_the_same_key_gets_the_first_record_not_a_second_case(hall, ctx):
    body = {"channel": "hotline", "kind": "complaint", "service": "social", "comment": "电话里说排队两小时"}
    first = hall.request("POST", hall.hp(URL), "desk", json=body, headers={"Idempotency-Key": "save-1"})
    assert first.status == 201
    again = hall.request("POST", hall.hp(URL), "desk", json=body, headers={"Idempotency-Key": "save-1"})
    assert again.status == 200 and again.body["replayed"] is True
    assert again.body["id"] == first.body["id"] and again.body["review_case"] == first.body["review_case"]
    other = hall.request("POST", hall.hp(URL), "desk", json={**body, "comment": "另一件事"},
                         headers={"Idempotency-Key": "save-1"})
    assert other.status == 409 and other.body["error"] == "idempotency_conflict"
    # the key belongs to its sender: a colleague's save with the same key is a record of its own
    theirs = hall.request("POST", hall.hp(URL), "boss", json=body, headers={"Idempotency-Key": "save-1"})
    assert theirs.status == 201 and theirs.body["id"] != first.body["id"]
    assert hall.request("POST", hall.hp(URL), "desk", json=body,
                        headers={"Idempotency-Key": "x" * 129}).status == 400
    with ctx.db.read() as conn:
        assert len(conn.execute(select(t.ratings)).all()) == 2
        assert len(conn.execute(select(t.review_cases)).all()) == 2
