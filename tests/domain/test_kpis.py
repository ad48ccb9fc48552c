"""The manager's figures from plain values (domain/kpis.py, domain/league.py; docs/kpis.md)."""
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from server.domain import kpis, league
from server.domain.duty_time import DutyTime
from server.domain.hall import parse

T0 = datetime(2025, 3, 11, 1, 0)  # 09:00 in the hall (UTC+8)
CST = timedelta(hours=8)


def ticket(service, status, minutes_waited=None, served_min=None, window=None, staff=None,
           first=None, outcome=None, transfers=0):
    called = T0 + timedelta(minutes=minutes_waited) if minutes_waited is not None else None
    started = called + timedelta(minutes=1) if served_min is not None else None
    return SimpleNamespace(service=service, first_service=first or service, status=status, window=window,
                           staff_id=staff, issued_at=T0, called_at=called, started_at=started,
                           finished_at=started + timedelta(minutes=served_min) if started else None,
                           transfers=transfers, outcome=outcome)


def a_day() -> kpis.DaySummary:
    day = kpis.DaySummary(day="2025-03-11", ticket_ids=(1, 5))
    day.count_ticket(ticket("social", "done", 5, 10, window=1, staff=11, outcome="immediate"), CST)
    # started in social, transferred and served in market at window 7
    day.count_ticket(ticket("market", "done", 15, 4, window=7, staff=13, first="social",
                            outcome="promised", transfers=1), CST)
    day.count_ticket(ticket("social", "no_show", 20, window=1, staff=11), CST)
    day.count_ticket(ticket("social", "cancelled"), CST)
    day.count_ticket(ticket("market", "waiting"), CST)
    day.count_rating(5, 1, 11, "social")
    day.count_rating(2, 7, 13, "market")
    day.count_duty({1: DutyTime(3600, 900)}, {11: DutyTime(3600, 900)})
    day.sort()
    return day


def test_a_transferred_ticket_arrives_in_its_first_service_and_is_served_in_its_last():
    day = a_day()
    social, market = day.services["social"], day.services["market"]
    assert (social.issued, social.transferred, social.waits) == (4, 1, [300, 900, 1200])
    assert (social.served, social.no_show, social.cancelled, social.open) == (1, 1, 1, 0)
    assert (market.issued, market.served, market.open, market.waits) == (1, 1, 1, [])
    assert market.outcomes == {"promised": 1} and market.service_times == [240]
    assert social.arrivals_by_hour[9] == 4 and social.calls_by_hour[9] == 3
    assert day.windows[1].waits == [300, 1200] and day.staff[13].served == 1
    assert not day.closed  # a market ticket still waits


def test_group_figures_count_completion_ratings_and_idle_time():
    day = a_day()
    w1 = kpis.group_figures(day.windows[1])
    assert (w1.served, w1.no_show, w1.completed, w1.completion_rate) == (1, 1, 1, 1.0)
    assert (w1.mean_wait_s, w1.median_wait_s, w1.p90_wait_s, w1.mean_service_s) == (750.0, 750.0, 1200.0, 600.0)
    assert (w1.available_s, w1.busy_s, w1.idle_s, w1.idle_share) == (3600, 900, 2700, 0.75)
    market = kpis.group_figures(day.services["market"], delivered=1)
    assert not isinstance(market, kpis.DutyFigures) and "available_s" not in market.as_dict()
    assert (market.completed, market.completion_rate) == (1, 1.0)  # the promise was delivered
    assert market.ratings.as_dict() == {"count": 1, "levels": {"5": 0, "4": 0, "3": 0, "2": 1, "1": 0},
                                        "satisfaction": 0.0, "good_rate": 0.0, "bad": 1}


def test_ratings_follow_the_hall_s_five_levels():
    r = kpis.rating_figures({5: 2, 4: 1, 3: 1, 2: 1, 1: 1})
    assert (r.count, r.satisfaction, r.good_rate, r.bad) == (6, 0.6667, 0.5, 2)
    assert kpis.rating_figures({}).satisfaction is None


def test_days_add_up_and_survive_the_round_trip_through_storage():
    one, two = a_day(), a_day()
    assert kpis.DaySummary.from_dict(one.to_dict()) == one
    period = kpis.Summary()
    period.add(one)
    period.add(two)
    hall = period.hall()
    assert (hall.issued, hall.served, hall.cancelled, len(hall.waits)) == (10, 4, 2, 6)
    assert period.windows[1].available_s == 7200 and period.staff[11].ratings == {5: 2}
    assert one.services["social"].issued == 4  # the days themselves are left as they were
    assert kpis.ticket_id_range([one, kpis.DaySummary(day="x"), kpis.DaySummary(ticket_ids=(9, 12))]) == (1, 12)
    assert kpis.ticket_id_range([]) == (0, -1)


def test_median_nearest_rank_p90_and_the_wait_buckets():
    assert kpis.median([1, 2, 3]) == 2 and kpis.median([1, 2, 3, 10]) == 2.5 and kpis.median([]) is None
    assert kpis.percentile(list(range(1, 11)), 90) == 9 and kpis.percentile(list(range(1, 12)), 90) == 10
    assert kpis.within([60, 900, 901], 900) == 2  # exactly at the target is within
    assert [b["count"] for b in kpis.wait_histogram([0, 299, 300, 3599, 3600, 99999])] == [2, 1, 0, 0, 0, 0, 1, 2]


def test_promised_and_review_cases_are_late_by_the_hall_s_calendar_day():
    due, today = date(2025, 3, 13), date(2025, 3, 17)
    assert kpis.promised_state(due, date(2025, 3, 13), today) == "delivered"
    assert kpis.promised_state(due, date(2025, 3, 14), today) == "delivered_late"
    assert kpis.promised_state(due, None, today) == "overdue"
    assert kpis.promised_state(due, None, due) == "pending"
    assert kpis.review_state("open", due, None, due) == "open"
    assert kpis.review_state("open", due, None, today) == "overdue"
    assert kpis.review_state("closed", due, date(2025, 3, 14), today) == "closed_late"
    assert kpis.review_state("closed", due, due, today) == "closed"
    assert kpis.review_state("voided", due, None, today) == "voided"


def test_the_league_ranks_teams_and_flags_first_and_last():
    cfg = parse({"hall": {"code": "h", "name": "厅"}, "rules": {"team_names": {"front": "综合组"}},
                 "services": [{"code": "social", "prefix": "A", "name": "社会事务", "name_en": "Social"},
                              {"code": "market", "prefix": "D", "name": "市场监管"}],
                 "windows": [{"number": 1, "services": ["social"], "team": "front"},
                             {"number": 2, "services": ["social"]}, {"number": 7, "services": ["market"]}]})
    assert [league.team_of(cfg, n) for n in (1, 2, 7, 99)] == ["front", "social", "market", "other"]
    assert league.team_name(cfg, "front") == ("综合组", "综合组")
    assert league.team_name(cfg, "social") == ("社会事务", "Social")
    teams = [league.Team("front"), league.Team("social"), league.Team("market")]
    teams[0].add_window(1, 10, 10, {"5": 4, "4": 0, "3": 0, "2": 0, "1": 0})
    teams[1].add_window(2, 5, 5, {"5": 1, "4": 0, "3": 0, "2": 1, "1": 0})
    teams[2].add_window(7, 10, 5, {"5": 0, "4": 1, "3": 1, "2": 0, "1": 0})
    rows = league.standings(teams, league.DEFAULT_WEIGHTS)
    assert [(r["team"], r["score"], r["rank"], r["flag"]) for r in rows] == [
        ("front", 100.0, 1, "red"), ("market", 70.0, 2, None), ("social", 65.0, 3, "yellow")]
    assert all(r["flag"] is None for r in league.standings([league.Team("a"), league.Team("b")],
                                                           league.DEFAULT_WEIGHTS))
    # a team that served nobody is not the worst team: no flag; the yellow goes to the last that worked
    idle = league.Team("idle")
    rows = league.standings(teams + [idle], league.DEFAULT_WEIGHTS)
    assert [(r["team"], r["flag"]) for r in rows] == [
        ("front", "red"), ("market", None), ("social", "yellow"), ("idle", None)]
    # one team worked: it leads (red), and there is nobody to be last among those that worked
    one = [league.Team("a"), league.Team("b")]
    one[0].add_window(1, 3, 3, {"5": 1, "4": 0, "3": 0, "2": 0, "1": 0})
    assert [r["flag"] for r in league.standings(one, league.DEFAULT_WEIGHTS)] == ["red", None]
    # the bottom two tie on score and cases: the yellow flag stays empty (the name would decide)
    tied = [league.Team("a"), league.Team("b"), league.Team("c")]
    tied[0].add_window(1, 10, 10, {"5": 2, "4": 0, "3": 0, "2": 0, "1": 0})
    tied[1].add_window(2, 5, 0, {"5": 0, "4": 0, "3": 0, "2": 0, "1": 1})
    tied[2].add_window(3, 5, 0, {"5": 0, "4": 0, "3": 0, "2": 1, "1": 0})
    assert [r["flag"] for r in league.standings(tied, league.DEFAULT_WEIGHTS)] == ["red", None, None]
