"""A known day at the hall, played through the API with a controlled clock, and the figures a
person works out by hand from it (docs/kpis.md gives the definitions).

Day 2025-03-11 (Tuesday), hall time (UTC+8). Windows 1 and 2 serve 社会事务 (A), window 7 市场监管 (D).

time   what happens
09:00  张明 signs in at window 1, 李华 at window 2; A001 issued
09:02  A002            09:04  A003
09:05  W1 calls A001   09:06 starts
09:10  D001 issued; W2 calls A002; 王芳 signs in at window 7
09:11  W2 starts A002  09:12 W7 calls D001, 09:13 starts
09:15  A004 issued     09:16 W1 finishes A001 (即办), rated 5
09:18  W7 finishes D001 (即办), rated 2 (bad review -> case)
09:20  A005 issued; W1 calls A003      09:23 A003 no-show
09:25  D002 issued
09:30  W1 calls A004   09:31 starts; W2 finishes A002 (承诺件, due 03-13), rated 4
09:35  W1 transfers A004 to 市场监管; A005 cancelled
09:40  A006 issued; W7 calls A004 (its place by issue time is before D002)
09:41  W7 starts A004  09:45 W2 calls A006, 09:46 starts
09:49  W7 finishes A004 (代办), rated 3
09:50  W7 calls D002, 09:51 starts
09:56  W2 finishes A006 (退回补正), rated 1 (bad review -> case)
10:00  W2 pauses (会议); A007 issued; W1 calls A007
10:01  W7 finishes D002 (上报件), not rated
10:05  W1 finishes A007 straight from the call (即办, no service time), rated 5
10:20  W2 resumes      10:30 everyone signs out
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

DAY = date(2025, 3, 11)


def utc(hhmm: str, day: date = DAY) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m) - timedelta(hours=8)


class Clock:
    """ctx.clock (and with it the event timestamps) follows this clock."""

    def __init__(self, ctx, monkeypatch):
        self.now = utc("08:00")
        ctx.clock = lambda: self.now

    def at(self, hhmm: str, day: date = DAY):
        self.now = utc(hhmm, day)


def seed_day(api, ctx, monkeypatch) -> Clock:
    clock = Clock(ctx, monkeypatch)
    zhang = api.add_staff("zhang", [1], name="张明")
    li = api.add_staff("li", [2], name="李华")
    wang = api.add_staff("wang", [7], name="王芳")
    api.add_device("eval", "evaluator", [1, 2, 7])  # rates the visit just finished at its window
    tickets = {}

    def issue(number, service, hhmm):
        clock.at(hhmm)
        r = api.issue(service)
        assert r.status == 201 and r.body["number"] == number, r
        tickets[number] = r.body["id"]

    def act(hhmm, window, action, tok, expect=None, **body):
        clock.at(hhmm)
        r = api.act(window, action, tok, json=body or None)
        assert r.status == 200, (hhmm, window, action, r)
        if expect:
            assert r.body["ticket"]["number"] == expect, (hhmm, action, r.body)
        return r

    def rate(hhmm, number, level):
        clock.at(hhmm)
        r = api.post(api.hp(f"/tickets/{tickets[number]}/rating"), "eval", json={"level": level})
        assert r.status == 201, r

    act("09:00", 1, "sign-in", zhang)
    act("09:00", 2, "sign-in", li)
    issue("A001", "social", "09:00")
    issue("A002", "social", "09:02")
    issue("A003", "social", "09:04")
    act("09:05", 1, "call-next", zhang, "A001")
    act("09:06", 1, "start", zhang)
    issue("D001", "market", "09:10")
    act("09:10", 2, "call-next", li, "A002")
    act("09:10", 7, "sign-in", wang)
    act("09:11", 2, "start", li)
    act("09:12", 7, "call-next", wang, "D001")
    act("09:13", 7, "start", wang)
    issue("A004", "social", "09:15")
    act("09:16", 1, "finish", zhang, outcome="immediate")
    rate("09:16", "A001", 5)
    act("09:18", 7, "finish", wang, outcome="immediate")
    rate("09:18", "D001", 2)
    issue("A005", "social", "09:20")
    act("09:20", 1, "call-next", zhang, "A003")
    act("09:23", 1, "no-show", zhang)
    issue("D002", "market", "09:25")
    act("09:30", 1, "call-next", zhang, "A004")
    act("09:31", 1, "start", zhang)
    act("09:31", 2, "finish", li, outcome="promised", due_date="2025-03-13")
    rate("09:31", "A002", 4)
    act("09:35", 1, "transfer", zhang, service="market")
    clock.at("09:35")
    r = api.post(api.hp(f"/tickets/{tickets['A005']}/cancel"), zhang)
    assert r.status == 200, r
    issue("A006", "social", "09:40")
    act("09:40", 7, "call-next", wang, "A004")
    act("09:41", 7, "start", wang)
    act("09:45", 2, "call-next", li, "A006")
    act("09:46", 2, "start", li)
    act("09:49", 7, "finish", wang, outcome="proxy")
    rate("09:49", "A004", 3)
    act("09:50", 7, "call-next", wang, "D002")
    act("09:51", 7, "start", wang)
    act("09:56", 2, "finish", li, outcome="returned")
    rate("09:56", "A006", 1)
    act("10:00", 2, "pause", li, reason="会议")
    issue("A007", "social", "10:00")
    act("10:00", 1, "call-next", zhang, "A007")
    act("10:01", 7, "finish", wang, outcome="escalated")
    act("10:05", 1, "finish", zhang, outcome="immediate")
    rate("10:05", "A007", 5)
    act("10:20", 2, "resume", li)
    act("10:30", 1, "sign-out", zhang)
    act("10:30", 2, "sign-out", li)
    act("10:30", 7, "sign-out", wang)
    clock.at("10:40")
    api.seeded_tickets = tickets
    return clock


# Worked out by hand from the timeline above (seconds unless named otherwise).
# Waits (issue -> first call): A001 300, A002 480, A003 960, D001 120, A004 900, D002 1500,
# A006 300, A007 0 -> sorted 0 120 300 300 480 900 960 1500.
# Service (start -> finish, done and started): A001 600, A002 1200, D001 300, A004 480 (restarted at
# window 7 after the transfer), D002 600, A006 600 -> sorted 300 480 600 600 600 1200.
EXPECTED = {
    "tickets": {"issued": 9, "served": 7, "no_show": 1, "cancelled": 1, "open": 0, "transferred": 1},
    "wait_s": {"count": 8, "mean": 570.0, "median": 390.0, "p90": 1500.0},  # 4560/8; (300+480)/2; rank 8
    "service_s": {"count": 6, "mean": 630.0, "median": 600.0},  # 3780/6
    # social target 15 min: A003 (960 s) over; market 20 min: D002 (1500 s) over; A004 900 s is within
    "within_target": {"count": 6, "of": 8, "share": 0.75},
    "outcomes": {"immediate": 3, "promised": 1, "escalated": 1, "returned": 1, "proxy": 1},
    # completed: immediate 3 (+ promised, escalated and proxy cases once delivered) of 7 served
    "completion": {"cases": 7, "completed": 3, "rate": 0.4286},
    # ratings 5,4,2,3,1,5: satisfied (5,4,3) 4/6, good (5,4) 3/6, bad (1,2) 2
    "ratings": {"count": 6, "levels": {"5": 2, "4": 1, "3": 1, "2": 1, "1": 1},
                "satisfaction": 0.6667, "good_rate": 0.5, "bad": 2},
    # idle: W1 5400 on duty - 1440 busy; W2 (5400 - 1200 paused) - 1920; W7 4800 - 1560
    "idle": {"available_s": 14400, "idle_s": 9480, "share": 0.6583},
    # time-limited cases: the promised A002, the proxy A004 and the escalated D002 (due 3 working days on)
    "promised": {"total": 3, "delivered": 0, "delivered_late": 0, "pending": 3, "overdue": 0, "due": 3},
    "review_cases": {"total": 2, "open": 2, "overdue": 0, "closed": 0, "closed_late": 0, "voided": 0},
}
EXPECTED_WINDOWS = {
    # served, no_show, mean wait, p90 wait, mean service, available, busy, idle share, ratings, sat, bad,
    # completion rate
    1: dict(served=2, no_show=1, mean_wait_s=420.0, p90_wait_s=960.0, mean_service_s=600.0,
            available_s=5400, busy_s=1440, idle_share=0.7333, rating_count=2, satisfaction=1.0, bad=0,
            completion_rate=1.0),
    2: dict(served=2, no_show=0, mean_wait_s=390.0, p90_wait_s=480.0, mean_service_s=900.0,
            available_s=4200, busy_s=1920, idle_share=0.5429, rating_count=2, satisfaction=0.5, bad=1,
            completion_rate=0.0),
    7: dict(served=3, no_show=0, mean_wait_s=840.0, p90_wait_s=1500.0, mean_service_s=460.0,
            available_s=4800, busy_s=1560, idle_share=0.675, rating_count=2, satisfaction=0.5, bad=1,
            completion_rate=0.3333),
}
STAFF_OF_WINDOW = {1: "张明", 2: "李华", 7: "王芳"}
EXPECTED_SERVICES = {
    # waits by the service a ticket started in; results by the one it ended in
    "social": dict(issued=7, served=4, no_show=1, cancelled=1, transferred=1, mean_wait_s=490.0,
                   median_wait_s=390.0, p90_wait_s=960.0, within_target_share=0.8333,
                   mean_service_s=800.0),
    "market": dict(issued=2, served=3, no_show=0, cancelled=0, transferred=0, mean_wait_s=810.0,
                   median_wait_s=810.0, p90_wait_s=1500.0, within_target_share=0.5,
                   mean_service_s=460.0),
}
EXPECTED_HIST = [2, 3, 0, 2, 1, 0, 0, 0]  # [0,5) [5,10) [10,15) [15,20) [20,30) [30,45) [45,60) 60+
