"""Ticket, Window and ReviewCase on their own: plain objects, no store."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from server.domain.cases import ReviewCase
from server.domain.errors import Invalid, WrongState
from server.domain.tickets import Ticket
from server.domain.windows import Window

T0 = datetime(2026, 11, 25, 2, 0)


def ticket(**kw) -> Ticket:
    return Ticket(**{"id": 1, "hall_id": 1, "day": "2026-11-25", "service": "social", "number": "A001",
                     "queued_at": T0, "issued_at": T0, **kw})


def test_a_ticket_goes_through_the_hall_s_states_only():
    t = ticket()
    with pytest.raises(WrongState):
        t.start(T0)
    t.call(3, 7, T0 + timedelta(minutes=1))
    assert (t.status, t.window, t.staff_id, t.called_at) == ("called", 3, 7, T0 + timedelta(minutes=1))
    assert t.loaded_status == "waiting"  # the store saves only if it is still waiting
    with pytest.raises(WrongState):
        t.cancel(T0)
    t.start(T0 + timedelta(minutes=2))
    with pytest.raises(WrongState):
        t.no_show(T0)
    with pytest.raises(Invalid):
        t.finish(T0, "whatever")
    t.finish(T0 + timedelta(minutes=9), "immediate")
    assert t.status == "done" and t.started_at == T0 + timedelta(minutes=2)


def test_a_recalled_transferred_ticket_keeps_its_first_call_and_place():
    t = ticket()
    t.call(1, 7, T0)
    assert t.recall(T0 + timedelta(minutes=1), max_recalls=1) == 1
    with pytest.raises(WrongState):
        t.recall(T0, max_recalls=1)
    assert t.transfer("civil") == "social"
    assert (t.status, t.service, t.window, t.transfers, t.queued_at) == ("waiting", "civil", None, 1, T0)
    t.call(2, 8, T0 + timedelta(minutes=5))
    assert t.called_at == T0 and t.last_called_at == T0 + timedelta(minutes=5)
    assert (t.first_window, t.first_staff_id, t.window) == (1, 7, 2)  # 首问负责 stays with window 1


def test_a_window_serves_one_ticket_at_a_time_and_counts_priority_calls():
    w = Window(id=1, hall_id=1, number=1, name="1号窗口", services=["social"], status="open", staff_id=7)
    elder = ticket(priority="elderly")
    elder.call(1, 7, T0)
    w.take(elder)
    assert w.busy and w.priority_streak == 1 and w.current_ticket_id == 1
    with pytest.raises(WrongState) as busy:
        w.call_order([], priority_cap=3)
    assert busy.value.code == "window_busy"
    with pytest.raises(WrongState):
        w.sign_in(8, T0)  # a colleague waits until it is free
    w.release()
    w.pause("午休", T0)
    assert w.sign_in(8, T0) == 7 and w.status == "paused"  # a take-over keeps the pause
    assert w.resume(T0 + timedelta(seconds=90)) == ("午休", 90)
    ordinary = ticket(id=2)
    ordinary.call(1, 8, T0)
    w.take(ordinary)
    assert w.priority_streak == 0


def test_a_review_case_takes_its_steps_in_order():
    case = ReviewCase(id=1, hall_id=1, ticket_id=1, rating_id=1, due_date=date(2026, 12, 16), opened_at=T0)
    with pytest.raises(Invalid):
        case.add_step("apologise", "…", 3, T0)
    with pytest.raises(WrongState):
        case.add_step("callback", "…", 3, T0)
    assert case.add_step("verify", "…", 3, T0) is False and case.next_step == "rectify"
    assert case.add_step("rectify", "…", 3, T0) is False
    assert case.add_step("callback", "…", 3, T0) is True and case.status == "closed"
    assert case.next_step is None and [s.step for s in case.new_steps] == ["verify", "rectify", "callback"]
    with pytest.raises(WrongState):
        case.void("…", 3, T0)
