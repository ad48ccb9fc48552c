"""On-duty and busy time from plain lists of events (domain/duty_time.py; docs/kpis.md "Idle share")."""
from datetime import datetime, timedelta

from hypothesis import given, strategies as st

from server.domain import duty_time as dt

DAY = datetime(2025, 3, 11)


def at(hhmm: str) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return DAY + timedelta(hours=h, minutes=m)


def iv(a: str, b: str) -> list:
    return [at(a), at(b)]


def test_overlapping_and_touching_intervals_merge_and_empty_ones_drop():
    got = dt.merge([iv("10:00", "11:00"), iv("09:00", "09:30"), iv("09:30", "09:45"),
                    iv("10:30", "10:40"), iv("12:00", "12:00")])
    assert got == [iv("09:00", "09:45"), iv("10:00", "11:00")]


def test_a_pause_cuts_a_session_in_two_and_only_the_shared_part_overlaps():
    rest = dt.subtract([iv("09:00", "12:00")], [iv("10:00", "10:30"), iv("11:50", "13:00")])
    assert rest == [iv("09:00", "10:00"), iv("10:30", "11:50")]
    assert dt.seconds(rest) == 140 * 60
    assert dt.overlap_s(rest, [iv("09:50", "10:40")]) == 20 * 60


minutes = st.integers(min_value=0, max_value=600)


@given(st.tuples(minutes, minutes), st.lists(st.tuples(minutes, minutes), max_size=6))
def test_time_is_either_cut_out_or_left_never_both(base, cuts):
    def span(p):
        a, b = sorted(p)
        return [DAY + timedelta(minutes=a), DAY + timedelta(minutes=b)]
    whole = [span(base)]
    cut = dt.merge(span(c) for c in cuts)
    left = dt.subtract(whole, cut)
    assert dt.seconds(left) + dt.overlap_s(whole, cut) == dt.seconds(whole)
    assert dt.overlap_s(left, cut) == 0


def test_the_b_post_taking_over_splits_on_duty_time_and_pauses_are_not_idle():
    windows = [("window.signed_in", 1, 11, at("09:00")),
               ("window.paused", 1, 11, at("09:30")), ("window.resumed", 1, 11, at("09:45")),
               ("window.signed_in", 1, 12, at("10:00")),  # B takes window 1 over from A
               ("window.signed_out", 1, 12, at("11:00"))]
    tickets = [("ticket.called", 1, 100, at("09:10")), ("ticket.finished", 1, 100, at("09:20"))]
    by_window, by_staff = dt.day_duty(windows, tickets, at("08:30"), at("17:30"))
    assert (by_window[1].available_s, by_window[1].busy_s) == (2700 + 3600, 600)
    assert (by_staff[11].available_s, by_staff[11].busy_s, by_staff[11].idle_s) == (2700, 600, 2100)
    assert (by_staff[12].available_s, by_staff[12].busy_s) == (3600, 0)


def test_one_person_signing_in_elsewhere_leaves_the_first_window():
    windows = [("window.signed_in", 1, 11, at("09:00")), ("window.signed_in", 2, 11, at("10:00")),
               ("window.signed_out", 2, 11, at("10:30"))]
    by_window, by_staff = dt.day_duty(windows, [], at("08:30"), at("17:30"))
    assert by_window[1].available_s == 3600 and by_window[2].available_s == 1800
    assert by_staff[11].available_s == 5400


def test_a_session_carried_over_from_before_the_day_starts_at_opening():
    windows = [("window.paused", 3, 11, at("10:00")), ("window.signed_out", 3, 11, at("11:00"))]
    by_window, _ = dt.day_duty(windows, [], at("08:30"), at("17:30"))
    assert by_window[3].available_s == 90 * 60  # 08:30-10:00; paused until it signed out


def test_work_at_a_window_nobody_signed_in_at_counts_as_on_duty():
    tickets = [("ticket.called", 5, 1, at("09:00")), ("ticket.no_show", 5, 1, at("09:05")),
               ("ticket.called", 5, 2, at("09:20")), ("ticket.transferred", 5, 2, at("09:30"))]
    by_window, by_staff = dt.day_duty([], tickets, at("08:30"), at("17:30"))
    assert (by_window[5].available_s, by_window[5].busy_s) == (1800, 900)
    assert by_staff == {}


def test_today_s_open_session_and_held_ticket_end_now_not_at_closing():
    windows = [("window.signed_in", 1, 11, at("09:00"))]
    tickets = [("ticket.called", 1, 7, at("09:50"))]
    by_window, _ = dt.day_duty(windows, tickets, at("08:30"), at("17:30"), until=at("10:00"))
    assert (by_window[1].available_s, by_window[1].busy_s) == (3600, 600)
    closed_day, _ = dt.day_duty(windows, tickets, at("08:30"), at("17:30"))
    assert (closed_day[1].available_s, closed_day[1].busy_s) == (8.5 * 3600, 7 * 3600 + 40 * 60)


def test_a_late_finish_after_closing_stretches_the_day_to_it():
    windows = [("window.signed_in", 1, 11, at("17:00"))]
    tickets = [("ticket.called", 1, 7, at("17:10")), ("ticket.finished", 1, 7, at("17:50"))]
    by_window, _ = dt.day_duty(windows, tickets, at("08:30"), at("17:30"))
    assert (by_window[1].available_s, by_window[1].busy_s) == (3000, 2400)
