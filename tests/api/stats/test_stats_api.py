"""The manager's figures for a known day, checked against the hand-worked answers in seed.py:
through the API (live today, and from the roll-up once the day is closed), in the xlsx and CSV,
from the command line, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from server.store import tables as t
from tests.api.stats.seed import (DAY, EXPECTED, EXPECTED_HIST, EXPECTED_SERVICES, EXPECTED_WINDOWS,
                                  STAFF_OF_WINDOW, seed_day, utc)
from tests.support import PASSWORD

Q = "?from=2025-03-11&to=2025-03-11"


def check_day(body, expected=EXPECTED, estimates_told=8):
    for key, want in expected.items():
        got = body[key]
        for k, v in want.items():
            assert got[k] == pytest.approx(v, abs=1e-4), (key, k, got[k], v)
    wins = {w["number"]: w for w in body["windows"]}
    for n, want in EXPECTED_WINDOWS.items():
        w = wins[n]
        got = {**w, "rating_count": w["ratings"]["count"], "satisfaction": w["ratings"]["satisfaction"],
               "bad": w["ratings"]["bad"]}
        for k, v in want.items():
            assert got[k] == pytest.approx(v, abs=1e-4), (n, k, got[k], v)
    staff = {s["name"]: s for s in body["staff"]}
    for n, name in STAFF_OF_WINDOW.items():
        for k in ("served", "mean_wait_s", "p90_wait_s", "mean_service_s", "idle_share", "available_s"):
            assert staff[name][k] == pytest.approx(EXPECTED_WINDOWS[n][k], abs=1e-4), (name, k)
    svcs = {s["code"]: s for s in body["services"]}
    for code, want in EXPECTED_SERVICES.items():
        for k, v in want.items():
            assert svcs[code][k] == pytest.approx(v, abs=1e-4), (code, k, svcs[code][k], v)
    assert svcs["social"]["arrivals_by_hour"][9] == 6 and svcs["social"]["arrivals_by_hour"][10] == 1
    assert svcs["market"]["arrivals_by_hour"][9] == 2 and sum(svcs["market"]["arrivals_by_hour"]) == 2
    assert body["calls_by_hour"][9] == 7 and body["calls_by_hour"][10] == 1 and sum(body["calls_by_hour"]) == 8
    assert [b["count"] for b in body["wait_histogram"]] == EXPECTED_HIST
    day = dict(body["by_day"][0])
    estimates, by_service = day.pop("estimates"), day.pop("estimates_by_service")
    assert [day] == [{"day": "2025-03-11", "issued": 9, "served": 7, "no_show": 1, "cancelled": 1,
                      "mean_wait_s": 570.0, "ratings": body["ratings"]}]
    # every called ticket was told a wait at issue (docs/kpis.md, wait estimate accuracy)
    assert estimates == body["estimates"] and estimates["n"] == estimates["range_n"] == estimates_told
    if estimates_told:
        assert {k: v["n"] for k, v in by_service.items()} == {"social": 6, "market": 2}
        assert by_service["market"] == svcs["market"]["estimates"]


@pytest.fixture
def seeded(api, ctx, monkeypatch):
    clock = seed_day(api, ctx, monkeypatch)
    api.add_staff("boss", [], role="manager", name="主任")
    return api, ctx, clock


def test_a_known_day_gives_the_hand_worked_figures_on_both_databases(any_api, any_ctx, monkeypatch):
    seed_day(any_api, any_ctx, monkeypatch)
    any_api.add_staff("boss", [], role="manager")
    r = any_api.get(any_api.hp("/stats") + Q, "boss")
    assert r.status == 200, r
    check_day(r.body)
    assert r.body["today"] == "2025-03-11"


def test_the_closed_day_reads_the_same_from_its_roll_up_and_takes_late_changes(seeded):
    api, ctx, clock = seeded
    clock.at("09:00", date(2025, 3, 17))  # the next Monday: the promise (03-13) is overdue
    api.sign_in("boss")
    r = api.get(api.hp("/stats") + Q, "boss")
    # the promise (03-13) and the proxy and escalated cases (3 working days: 03-14) are overdue
    expected = {**EXPECTED, "promised": {**EXPECTED["promised"], "pending": 0, "overdue": 3, "due": 0}}
    check_day(r.body, expected)
    with ctx.db.read() as conn:
        rows = conn.execute(select(t.stats_daily)).all()
    assert [row.day for row in rows] == ["2025-03-11"]  # stored once it was read after closing
    # a late rating (D002) and the delivery of the promised case after the roll-up was made
    ids = api.seeded_tickets
    with ctx.db.read() as conn:  # days later only the ticket's holder can rate: its own token
        d002 = conn.execute(select(t.tickets.c.token).where(t.tickets.c.id == ids["D002"])).scalar_one()
    from tests.api.window.test_province_outbox import set_rules
    set_rules(ctx, phone_rating_h=24 * 10)  # the hall lets a ticket rate for 10 days (default 24 h)
    r = api.post(api.hp(f"/tickets/{ids['D002']}/rating"), json={"level": 4, "ticket_token": d002})
    assert r.status == 201, r
    with ctx.db.uow() as uow:
        uow.execute(update(t.tickets).where(t.tickets.c.id == ids["A002"]).values(
            delivered_at=utc("09:30", date(2025, 3, 17))))
        uow.commit()
    body = api.get(api.hp("/stats") + Q, "boss").body
    assert body["ratings"]["count"] == 7 and body["ratings"]["levels"]["4"] == 2
    assert body["ratings"]["satisfaction"] == pytest.approx(5 / 7, abs=1e-4)
    assert {w["number"]: w["ratings"]["count"] for w in body["windows"]}[7] == 3
    assert body["promised"] == {"total": 3, "delivered": 0, "delivered_late": 1, "pending": 0,
                                "overdue": 2, "due": 0}  # the proxy and escalated cases are still out
    assert body["completion"] == {"cases": 7, "completed": 4, "rate": pytest.approx(0.5714, abs=1e-4)}
    assert {w["number"]: w["completion_rate"] for w in body["windows"]}[2] == 0.5


def test_the_nightly_job_rolls_up_closed_days_before_anyone_reads_them(seeded):
    api, ctx, clock = seeded
    from server.services import stats
    def rolled_up():
        with ctx.db.read() as conn:
            return {row.day for row in conn.execute(select(t.stats_daily))}
    stats.daily_rollup(ctx)
    assert "2025-03-11" not in rolled_up()  # the seeded day is still open
    clock.at("07:00", date(2025, 3, 12))
    assert stats.daily_rollup(ctx) >= 1
    assert "2025-03-11" in rolled_up() and "2025-03-12" not in rolled_up()
    assert stats.daily_rollup(ctx) == 0  # once a day
    api.sign_in("boss")
    check_day(api.get(api.hp("/stats") + Q, "boss").body)  # the figures read from the roll-up


def test_a_roll_up_stored_by_the_previous_version_reads_the_same_after_the_migration(seeded):
    """rollup_v4.json is the seeded day's roll-up as version 4 (one-letter keys) stored it; the
    migration 0003_stats2 rewrites it with named keys and it then equals the day worked out afresh."""
    import importlib.util
    import json
    from pathlib import Path

    from server.services.stats import days, rollups
    api, ctx, clock = seeded
    clock.at("09:00", date(2025, 3, 17))
    old = json.loads((Path(__file__).parent / "rollup_v4.json").read_text(encoding="utf-8"))
    with ctx.db.uow() as uow:
        uow.execute(t.stats_daily.insert().values(hall_id=1, day="2025-03-11", version=old["version"],
                                                  rating_watermark=old["rating_watermark"],
                                                  data=old["data"], computed_at=utc("08:00", date(2025, 3, 12))))
        uow.commit()
    path = Path(rollups.__file__).parents[2] / "store" / "migrations" / "versions" / "0003_stats2.py"
    spec = importlib.util.spec_from_file_location("migration_0003_stats2", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with ctx.db.engine.begin() as conn:
        assert migration.convert(conn) == 1
    with ctx.db.read() as conn:
        row = conn.execute(select(t.stats_daily)).one()
        assert row.version == rollups.VERSION == 5
        fresh = days.compute_day(conn, ctx.hall(conn, "main"), DAY, ctx.now())
        for g in fresh.services.values():  # version 4 kept no wait-estimate sums (added later in 5)
            g.estimated = g.estimate_abs_s = g.estimate_error_s = g.estimate_within = 0
            g.estimate_ranged = g.estimate_held = 0
        assert rollups.unpack(row.data) == fresh
    api.sign_in("boss")
    r = api.get(api.hp("/stats") + Q, "boss")
    check_day(r.body, {**EXPECTED, "promised": {**EXPECTED["promised"], "pending": 0, "overdue": 3, "due": 0}},
              estimates_told=0)  # a version-4 roll-up kept no wait-estimate sums
    with ctx.db.read() as conn:  # read from the converted roll-up, not computed and stored again
        assert conn.execute(select(t.stats_daily.c.computed_at)).scalar() == utc("08:00", date(2025, 3, 12))


def test_report_tables_xlsx_and_csv_carry_the_same_figures(seeded, tmp_path, monkeypatch):
    api, ctx, clock = seeded
    r = api.get(api.hp("/reports") + Q + "&format=xlsx", "boss")
    assert r.status == 200 and r.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    (tmp_path / "r.xlsx").write_bytes(r.raw)
    wb = load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == ["总览", "按业务", "按窗口", "按人员", "按日", "擂台", "擂台荣誉", "限时办结件", "差评整改",
                             "预计等候准确度", "堵点分析", "说明"]
    check_xlsx(wb)
    # the command line writes the same file
    monkeypatch.setenv("HALLQ_DATABASE_URL", str(ctx.db.engine.url.render_as_string(hide_password=False)))
    from server.cli import main
    out = tmp_path / "cli.xlsx"
    main(["report", "--from", "2025-03-11", "--to", "2025-03-11", "--format", "xlsx", "--out", str(out)])
    check_xlsx(load_workbook(out), promise="逾期")  # run today: the promise is long overdue
    out_csv = tmp_path / "cli.csv"
    main(["report", "--from", "2025-03-11", "--to", "2025-03-11", "--format", "csv", "--out", str(out_csv)])
    text = out_csv.read_bytes().decode("utf-8-sig")
    assert "# 按窗口 (By window)" in text
    r = api.get(api.hp("/reports") + Q + "&format=csv&table=windows", "boss")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["窗口", "名称", "团队", "办结数"]
    w7 = next(row for row in rows[1:] if row[0] == "7")
    head = rows[0]
    assert w7[head.index("办结数")] == "3" and w7[head.index("空闲占比")] == "67.5%"
    assert w7[head.index("在岗时长（小时）")] == "1.3"  # 4,800 s
    assert w7[head.index("平均等候（分钟）")] == "14.0" and w7[head.index("90%等候（分钟）")] == "25.0"


def check_xlsx(wb, promise="办理中"):
    def table(name):
        rows = list(wb[name].iter_rows(values_only=True))
        return [h.replace("\n", "") for h in rows[0]], rows[1:]  # a unit on a line of its own
    head, rows = table("预计等候准确度")  # per day and service, then the period (docs/kpis.md)
    est = [dict(zip(head, r)) for r in rows]
    assert [(r["日期"], r["业务"], r["人次"]) for r in est] == [
        (datetime(2025, 3, 11), "社会事务综合", 6), (datetime(2025, 3, 11), "市场监管", 2),
        ("全部", "社会事务综合", 6), ("全部", "市场监管", 2), ("全部", "全部", 8)]  # a day is a date cell
    head, rows = table("按窗口")
    by = {r[0]: dict(zip(head, r)) for r in rows}
    for n, want in EXPECTED_WINDOWS.items():
        w = by[n]
        assert w["办结数"] == want["served"] and w["过号数"] == want["no_show"]
        assert w["平均等候（分钟）"] == round(want["mean_wait_s"] / 60, 1)
        assert w["90%等候（分钟）"] == round(want["p90_wait_s"] / 60, 1)
        assert w["平均办理（分钟）"] == round(want["mean_service_s"] / 60, 1)
        assert w["空闲占比"] == pytest.approx(want["idle_share"], abs=1e-4)
        assert w["在岗时长（小时）"] == round(want["available_s"] / 3600, 1)  # hours over many days
        assert w["评价数"] == want["rating_count"] and w["差评数"] == want["bad"]
        assert w["满意度"] == pytest.approx(want["satisfaction"], abs=1e-4)
    assert wb["按窗口"]["N2"].number_format == "0.0%" or any(
        c.number_format == "0.0%" for c in wb["按窗口"][2])
    head, rows = table("总览")
    summary = {r[0]: r[1] for r in rows}
    assert summary["取号数 (issued)"] == 9 and summary["办结数 (served)"] == 7
    assert summary["过号数 (no-show)"] == 1 and summary["取消数 (cancelled)"] == 1
    assert summary["平均等候 (mean wait)"] == 9.5 and summary["中位等候 (median wait)"] == 6.5
    assert summary["90%等候 (p90 wait)"] == 25.0 and summary["平均办理 (mean service)"] == 10.5
    assert summary["目标内叫号占比 (called within target)"] == 0.75
    assert summary["满意度 (satisfaction)"] == pytest.approx(0.6667, abs=1e-4)
    assert summary["差评数 (bad reviews)"] == 2
    head, rows = table("按业务")
    social = dict(zip(head, rows[0]))
    assert social["业务"] == "社会事务综合" and social["取号数"] == 7 and social["办结数"] == 4
    assert social["目标内叫号占比"] == pytest.approx(0.8333, abs=1e-4)
    head, rows = table("按人员")
    assert {r[1]: r[2] for r in rows} == {"张明": 2, "李华": 2, "王芳": 3}
    head, rows = table("差评整改")
    assert [dict(zip(head, r))["评价"] for r in rows] == ["2 不满意", "1 非常不满意"]
    assert {dict(zip(head, r))["整改期限"] for r in rows} == {datetime(2025, 4, 1)}  # 15 working days
    head, rows = table("限时办结件")
    first = dict(zip(head, rows[0]))
    assert first["号码"] == "A002" and first["办件类型"] == "承诺件" and first["状态"] == promise
    assert sorted(dict(zip(head, r))["办件类型"] for r in rows) == ["上报件", "代办件", "承诺件"]


def test_overdue_cases_come_first_in_the_report(seeded):
    api, ctx, clock = seeded
    with ctx.db.uow() as uow:  # one review case closed, one left open past its deadline
        cases = uow.execute(select(t.review_cases).order_by(t.review_cases.c.id)).all()
        uow.execute(update(t.review_cases).where(t.review_cases.c.id == cases[0].id).values(
            status="closed", closed_at=utc("09:00", date(2025, 3, 20))))
        uow.commit()
    clock.at("09:00", date(2025, 4, 2))
    api.sign_in("boss")
    rep = api.get(api.hp("/reports") + Q, "boss").body
    reviews = next(tb for tb in rep["tables"] if tb["key"] == "reviews")
    states = [row[7] for row in reviews["rows"]]
    assert states == ["逾期", "已办结"]
    promised = next(tb for tb in rep["tables"] if tb["key"] == "promised")
    assert promised["rows"][0][2] == "承诺件" and promised["rows"][0][8] == "逾期"
    assert promised["rows"][0][4] == 2  # 首问窗口: A002 was first taken at window 2
    st = api.get(api.hp("/stats") + Q, "boss").body
    assert st["review_cases"]["overdue"] == 1 and st["review_cases"]["closed"] == 1


def test_league_ranks_teams_and_flags_top_and_bottom(seeded):
    api, ctx, clock = seeded
    r = api.get(api.hp("/league?quarter=2025Q1"), "boss")
    assert r.status == 200, r
    assert (r.body["from"], r.body["to"]) == ("2025-01-01", "2025-03-31")
    teams = {tm["team"]: tm for tm in r.body["teams"]}
    # social = windows 1,2,3 (7 served? no: 4 served at 1 and 2); market = window 7
    assert teams["social"]["windows"] == [1, 2, 3] and teams["social"]["cases"] == 4
    assert teams["social"]["completion_rate"] == 0.5  # 2 of 4 (A001, A007)
    assert teams["social"]["good_rate"] == 0.75  # 5,5,4 of 5,5,4,1
    assert teams["market"]["cases"] == 3
    assert teams["market"]["completion_rate"] == pytest.approx(0.3333, abs=1e-4)  # D001; A004, D002 not delivered
    assert teams["market"]["good_rate"] == 0.0  # 2 and 3
    # score: 40 * cases/4 + 30 * completion + 30 * good
    assert teams["social"]["score"] == pytest.approx(40 + 15 + 22.5)
    assert teams["market"]["score"] == pytest.approx(30 + 10)
    ranked = r.body["teams"]
    assert ranked[0]["team"] == "social" and ranked[0]["flag"] == "red"
    # the yellow flag goes to the bottom team that served anyone; teams with no visits get none
    assert [x["team"] for x in ranked if x["flag"] == "yellow"] == ["market"]
    assert all(x["flag"] is None for x in ranked if not x["cases"])
    assert len(ranked) == 8 and sum(1 for x in ranked if x["flag"]) == 2


def test_overview_compares_halls(seeded):
    api, ctx, clock = seeded
    from server.services import auth, halls
    data = halls.read_config()
    data["hall"] = {**data["hall"], "code": "east", "name": "东区便民服务中心"}
    data.pop("booking", None)
    halls.load_hall(ctx, data)
    auth.add_user(ctx, "chief", "局长", "admin", PASSWORD)
    api.sign_in("chief")
    east = api.__class__(ctx, flask_client=api.client, hall="east")
    east.tokens = api.tokens
    east.add_device("kiosk-east", "kiosk")
    assert east.issue("social", "kiosk-east").status == 201
    r = api.get("/api/v1/overview" + Q.replace("?", "?"), "chief")
    assert r.status == 200, r
    halls_ = {h["hall"]: h for h in r.body["halls"]}
    assert halls_["main"]["issued"] == 9 and halls_["main"]["served"] == 7
    assert halls_["main"]["satisfaction"] == pytest.approx(0.6667, abs=1e-4)
    assert halls_["east"]["issued"] == 1 and halls_["east"]["waiting_now"] == 1
    r = api.get("/api/v1/overview" + Q, "boss")  # a hall's manager sees only that hall
    assert [h["hall"] for h in r.body["halls"]] == ["main"]


def test_live_hall_shows_queues_windows_and_alerts(api, ctx, monkeypatch):
    from tests.api.stats.seed import Clock
    clock = Clock(ctx, monkeypatch)
    clock.at("09:00")
    zhang = api.add_staff("zhang", [1], name="张明")
    api.add_staff("boss", [], role="manager")
    api.act(1, "sign-in", zhang)
    for _ in range(3):
        api.issue("social")
    clock.at("09:10")
    api.act(1, "call-next", zhang)
    api.act(1, "start", zhang)
    clock.at("09:20")  # two still waiting for 20 min: over the 15 min target
    with ctx.db.uow() as uow:
        uow.execute(t.device_faults.insert().values(hall_id=1, device_name="kiosk", kind="paper_out",
                                                    message="纸尽", created_at=utc("09:15")))
        uow.commit()
    r = api.get(api.hp("/stats/live"), "boss")
    assert r.status == 200, r
    social = next(s for s in r.body["services"] if s["code"] == "social")
    assert social["waiting"] == 2 and social["longest_wait_s"] == 1200 and social["over_target"] == 2
    w1 = next(w for w in r.body["windows"] if w["number"] == 1)
    assert w1["current"]["number"] == "A001" and w1["serving_s"] == 600 and w1["staff"]["name"] == "张明"
    kinds = sorted(a["kind"] for a in r.body["alerts"])
    assert kinds == ["device_fault", "wait_over_target"]
    # a window paused longer than the hall's limit (15 min by default)
    api.act(1, "finish", zhang, json={"outcome": "immediate"})
    api.act(1, "pause", zhang, json={"reason": "午休"})
    clock.at("09:40")
    api.sign_in("boss")
    alerts = api.get(api.hp("/stats/live"), "boss").body["alerts"]
    paused = [a for a in alerts if a["kind"] == "window_paused_long"]
    assert paused and paused[0]["window"] == 1 and paused[0]["paused_s"] == 1200 and paused[0]["reason"] == "午休"


def test_only_managers_read_figures_and_bad_input_is_a_400(api):
    staff = api.add_staff("zhang", [1])
    api.add_staff("boss", [], role="manager")
    assert api.get(api.hp("/stats")).status == 401
    assert api.get(api.hp("/stats"), staff).status == 403
    assert api.get(api.hp("/reports?format=xlsx"), staff).status == 403
    for q in ("?from=2025-13-01", "?from=2025-03-02&to=2025-03-01", "?from=2020-01-01&to=2025-01-01",
              "?from=x"):
        r = api.get(api.hp("/stats") + q, "boss")
        assert r.status == 400 and r.body["error"] in ("invalid_date", "invalid_range"), (q, r)
    assert api.get(api.hp("/reports?format=pdf"), "boss").status == 400
    assert api.get(api.hp("/reports?format=csv&table=nope"), "boss").status == 400
    assert api.get(api.hp("/league?quarter=2025Q5"), "boss").status == 400
    assert api.get("/api/v1/halls/nope/stats", "boss").status == 404
    r = api.get(api.hp("/stats"), "boss")  # an empty day is all zeros, no errors
    assert r.status == 200 and r.body["tickets"]["issued"] == 0 and r.body["wait_s"]["mean"] is None
    spec = api.get("/api/openapi.json").body
    for path in ("/api/v1/halls/{hall}/stats", "/api/v1/halls/{hall}/stats/live",
                 "/api/v1/halls/{hall}/reports", "/api/v1/halls/{hall}/league", "/api/v1/overview"):
        assert path in spec["paths"], path
