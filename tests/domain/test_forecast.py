"""The forward wait estimate on plain objects: the hall played forward by the real calling order."""
from __future__ import annotations

from datetime import datetime, timedelta

from server.domain import forecast
from server.domain.queue import Candidate

NOW = datetime(2026, 11, 30, 2, 0)  # 10:00 in Asia/Shanghai
TEN = 10 * 3600
DAY = forecast.Hours([(8.5 * 3600, 12 * 3600), (14 * 3600, 17.5 * 3600)])


def times(**means):
    return forecast.CallToFree(by_service=means, default_s=600, default_cv=0.5)


def ticket(i, service="social", minutes_ago=10, priority=None):
    return Candidate(id=i, service=service, queued_at=NOW - timedelta(minutes=minutes_ago), priority=priority)


def play(windows, waiting, model, **kw):
    kw.setdefault("now_local_s", TEN)
    kw.setdefault("hours", DAY)
    return forecast.play(windows, waiting, model, now=NOW, **kw)


def test_nobody_ahead_but_every_window_busy_still_waits_for_a_window():
    w = forecast.WindowState(1, ["social"], holding="social", held_for_s=120)
    got = play([w], [ticket(1)], times(social=600))
    assert 300 < got.call_in_s[1] < 600  # the rest of the current resident's service


def test_a_long_running_service_is_expected_to_run_on_rather_than_end_now():
    assert forecast.remaining_s(600, 0.6, 0) == 600
    assert forecast.remaining_s(600, 0.6, 1200) > 200  # lognormal: long ones tend to run long


def test_two_windows_share_the_queue_in_calling_order():
    ws = [forecast.WindowState(1, ["social"]), forecast.WindowState(2, ["social"])]
    got = play(ws, [ticket(1, minutes_ago=3), ticket(2, minutes_ago=2), ticket(3, minutes_ago=1)],
               times(social=600))
    assert got.call_in_s == {1: 0, 2: 0, 3: 600}


def test_a_shared_window_calls_its_first_service_before_the_second():
    w = forecast.WindowState(3, ["social", "public"])
    got = play([w], [ticket(1, "public", minutes_ago=20), ticket(2, "social", minutes_ago=1)],
               times(social=600, public=240))
    assert got.call_in_s[2] == 0 and got.call_in_s[1] == 600


def test_a_priority_ticket_goes_before_and_the_cap_lets_one_ordinary_through():
    w = forecast.WindowState(1, ["social"], priority_streak=3)
    waiting = [ticket(1, minutes_ago=30), ticket(2, minutes_ago=5, priority="elderly"),
               ticket(3, minutes_ago=4, priority="elderly")]
    got = play([w], waiting, times(social=300))
    assert got.call_in_s == {1: 0, 2: 300, 3: 600}  # the streak was at the cap: ordinary first
    w.priority_streak = 0
    got = play([w], waiting, times(social=300))
    assert got.call_in_s == {2: 0, 3: 300, 1: 600}


def test_staff_serve_who_came_before_a_span_ends_and_later_ones_wait_for_the_next_span():
    w = forecast.WindowState(1, ["social"])
    got = play([w], [ticket(1, minutes_ago=2), ticket(2, minutes_ago=1)], times(social=600),
               now_local_s=11.95 * 3600)
    assert got.call_in_s == {1: 0, 2: 600}  # taken before 12:00: served through the start of lunch
    got = play([w], [ticket(1, minutes_ago=10)], times(social=600), now_local_s=12.5 * 3600)
    assert got.call_in_s[1] == 1.5 * 3600  # taken at 12:20, over lunch: called at 14:00
    got = play([w], [ticket(1, minutes_ago=10)], times(social=600), now_local_s=8 * 3600)
    assert got.call_in_s[1] == 0.5 * 3600  # before opening: at 8:30
    got = play([w], [ticket(1, minutes_ago=1), ticket(2, minutes_ago=1)], times(social=600),
               now_local_s=17.45 * 3600)
    assert got.call_in_s[2] == 600  # the evening queue is finished after closing


def test_a_ticket_taken_now_is_estimated_per_service_without_delaying_others():
    ws = [forecast.WindowState(3, ["social", "public"]), forecast.WindowState(11, ["public"])]
    got = play(ws, [ticket(1, "social"), ticket(2, "public")], times(social=600, public=200),
               ask_for=["social", "public"])
    assert got.new_ticket_in_s == {"social": 600, "public": 200}
    assert got.call_in_s == {1: 0, 2: 0}


def test_the_hours_of_the_learned_times_are_the_hall_local_hours_of_the_calls():
    model = forecast.CallToFree(by_hour={("social", 10): 100, ("social", 11): 1000},
                                by_service={"social": 500})
    w = forecast.WindowState(1, ["social"])
    got = play([w], [ticket(i, minutes_ago=10 - i) for i in range(1, 4)], model,
               now_local_s=10 * 3600 + 3500)
    assert got.call_in_s == {1: 0, 2: 100, 3: 1100}


def test_a_ticket_no_window_serves_is_still_given_a_number():
    got = play([forecast.WindowState(1, ["social"])], [ticket(1, "hukou")], times(hukou=300))
    assert got.call_in_s[1] > 0


def test_the_range_widens_with_the_estimate():
    assert forecast.spread(0, -0.45, 0.6, 300) == (0, 180)
    low, high = forecast.spread(1200, -0.45, 0.6, 300)
    assert low == 525 and high == 2100


def test_the_rest_of_a_long_running_ticket_follows_the_shape_of_earlier_days():
    values = sorted([120.0] * 50 + [900.0] * 50)  # quick no-shows and long cases
    suffix = [sum(values[i:]) for i in range(len(values))]
    model = forecast.CallToFree(by_service={"social": 510.0}, past={"social": (values, suffix)})
    assert model.remaining_s("social", 10, 300) == 600.0  # past 120 s it is one of the long ones
    assert model.remaining_s("social", 10, 0) == 510.0
    assert model.remaining_s("social", 10, 2000) == forecast.remaining_s(510.0, 0.6, 2000)  # no past


def test_a_window_calls_in_its_own_hours_today_not_the_halls():
    saturday = forecast.Hours([(9 * 3600, 12 * 3600)])  # its services open only on Saturday mornings
    w = forecast.WindowState(1, ["social"], hours=saturday)
    got = play([w], [ticket(1, minutes_ago=10)], times(social=600), now_local_s=8 * 3600)
    assert got.call_in_s[1] == 3600  # at 9:00, not at the hall's 8:30
    other = forecast.WindowState(2, ["social"])  # no hours of its own: the hall's
    got = play([w, other], [ticket(1, minutes_ago=10)], times(social=600), now_local_s=8 * 3600)
    assert got.call_in_s[1] == 1800


def test_overlapping_spans_of_a_shared_window_join():
    got = forecast.Hours.joined([(14 * 3600, 17.5 * 3600), (8.5 * 3600, 12 * 3600), (9 * 3600, 12 * 3600)])
    assert got.spans == [(8.5 * 3600, 12 * 3600), (14 * 3600, 17.5 * 3600)]
    assert got.covers_hour(11) and not got.covers_hour(12) and got.covers_hour(17)


def test_the_estimate_stays_inside_its_range_when_past_waits_all_ran_longer():
    low, high = forecast.spread(600, 0.2, 0.9, 300)  # every earlier estimate was too short
    assert low <= 600 <= high and high == 600 + int(0.9 * 900)
    low, high = forecast.spread(600, -0.9, -0.2, 300)
    assert low == 0 and high == 600


def test_the_spread_of_a_call_grows_with_the_services_before_it_and_pooled_windows_share_it():
    one = play([forecast.WindowState(1, ["social"])], [ticket(i, minutes_ago=10 - i) for i in (1, 2, 3)],
               times(social=600))  # cv 0.5: each service's sd is 300 s
    assert one.call_in_s == {1: 0, 2: 600, 3: 1200}
    assert one.call_sd_s[1] == 0 and one.call_sd_s[2] == 300 and round(one.call_sd_s[3]) == round(300 * 2 ** 0.5)
    two = play([forecast.WindowState(1, ["social"]), forecast.WindowState(2, ["social"])],
               [ticket(i, minutes_ago=10 - i) for i in (1, 2, 3, 4)], times(social=600))
    assert two.call_in_s[3] == 600 and round(two.call_sd_s[3]) == round(300 / 2 ** 0.5)


def test_the_spread_of_waiting_for_a_busy_window_is_that_of_the_rest_of_its_service():
    w = forecast.WindowState(1, ["social"], holding="social", held_for_s=0)
    got = play([w], [ticket(1)], times(social=600), ask_for=["social"])
    assert got.call_sd_s[1] == 300  # the whole service ahead: cv 0.5 x 600 s
    assert got.new_ticket_sd_s["social"] > got.call_sd_s[1]  # behind ticket 1 as well


def test_the_likeliest_point_is_the_mean_when_the_wait_is_certain_and_below_it_when_it_is_wide():
    assert forecast.likeliest_point(600, 0) == 600
    assert forecast.likeliest_point(0, 300) == 0
    assert forecast.likeliest_point(600, 30) == 600  # tight: the window at the mean holds it all
    wide = forecast.likeliest_point(1200, 900)
    assert 600 < wide < 1100  # skewed: most waits are shorter than the mean, a few far longer

    def held(x, mean=1200.0, sd=900.0):  # P(|W - x| <= 300) for the lognormal with that mean and sd
        import math
        from statistics import NormalDist
        s = math.sqrt(math.log1p((sd / mean) ** 2))
        n = NormalDist(math.log(mean) - s * s / 2, s)
        return n.cdf(math.log(x + 300)) - (n.cdf(math.log(x - 300)) if x > 300 else 0.0)
    assert held(wide) > held(1200) + 0.02
    assert all(held(wide) >= held(x) - 1e-3 for x in range(300, 2400, 50))


def test_a_play_stopped_at_the_new_tickets_call_gives_it_the_same_wait_as_the_whole_play():
    """Issuing plays only until the new ticket is called (until_called): what comes after cannot
    change its call, so on many random halls it gets exactly the whole play's wait and spread, and
    the stopped play did less."""
    import random
    services = ["social", "public", "hukou", "land"]
    model = times(social=600, public=240, hukou=420, land=900)
    shorter = 0
    for seed in range(60):
        rng = random.Random(seed)
        windows = [forecast.WindowState(n, rng.sample(services, rng.randint(1, 3)),
                                        holding=rng.choice([None, "social", "land"]),
                                        held_for_s=rng.randint(0, 900), priority_streak=rng.randint(0, 3))
                   for n in range(1, rng.randint(2, 6))]
        waiting = [ticket(i, rng.choice(services), minutes_ago=rng.randint(1, 90),
                          priority=rng.choice([None, None, None, "elderly"])) for i in range(1, rng.randint(5, 60))]
        new = Candidate(id=forecast.NEW_TICKET_ID, service=rng.choice(services), queued_at=NOW,
                        priority=rng.choice([None, "elderly"]))
        whole = play(windows, waiting + [new], model)
        trace = []
        stopped = play(windows, waiting + [new], model, until_called=frozenset([new.id]), trace=trace)
        assert stopped.call_in_s[new.id] == whole.call_in_s[new.id], seed
        assert stopped.call_sd_s[new.id] == whole.call_sd_s[new.id], seed
        shorter += len(stopped.call_in_s) < len(whole.call_in_s)
    assert shorter >= 30  # most stopped early
