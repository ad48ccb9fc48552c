"""The queue's use cases against an in-memory unit of work (tests/services/fake_store.py): the rules of
calling, serving and pausing, and the events each step announces, with no database."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from server.domain.cases import ReviewCase
from server.domain.errors import Forbidden, Invalid, WrongState
from server.domain.tickets import Ticket
from server.services import cases, queue
from server.services.auth import Principal
from tests.services.fake_store import FakeApp

NOW = datetime(2026, 11, 25, 2, 0, 0)  # 10:00 in the hall, a Wednesday
DAY = "2026-11-25"


@pytest.fixture
def app(monkeypatch):
    app = FakeApp(NOW)
    # The window's read model (staff card, last finished) is a database read: answer from the fake.
    monkeypatch.setattr(queue, "get_window", lambda a, code, n: vars(a.store.windows[n]).copy())
    monkeypatch.setattr(cases, "get_review_case", lambda a, code, i: a.store.cases[i])
    return app


def staff(uid=7, windows=(1,), name="王芳"):
    return Principal("user", uid, name, "staff", hall_id=1, windows=list(windows))


def waiting(app, service="social", minutes=0, priority=None) -> Ticket:
    """A resident took a number `minutes` after 10:00."""
    prefix = "A" if service == "social" else "B"
    seq = sum(1 for t in app.store.tickets.values() if t.number.startswith(prefix)) + 1
    at = NOW + timedelta(minutes=minutes)
    ticket = Ticket(id=len(app.store.tickets) + 100, hall_id=1, day=DAY, service=service,
                    first_service=service, number=f"{prefix}{seq:03d}", priority=priority,
                    token=f"tok{seq}{prefix}", queued_at=at, issued_at=at)
    app.store.tickets[ticket.id] = ticket
    return ticket


def signed_in(app, who=None, window=1):
    who = who or staff()
    queue.sign_in(app, "main", window, who)
    return who


def test_a_window_calls_its_first_service_first_and_is_busy_until_it_finishes(app):
    civil = waiting(app, "civil", minutes=0)
    social = waiting(app, "social", minutes=5)
    who = signed_in(app)
    called = queue.call_next(app, "main", 1, who)["ticket"]
    assert called["number"] == social.number and called["status"] == "called" and called["window"] == 1
    assert app.store.windows[1].current_ticket_id == social.id
    with pytest.raises(WrongState) as busy:
        queue.call_next(app, "main", 1, who)
    assert busy.value.code == "window_busy"
    ev = app.events("ticket.called")[-1]
    assert ev["window"] == 1 and ev["data"]["waiting"] == {"social": 0, "civil": 1}
    assert ev["data"]["window_name"] == "1号窗口" and ev["data"]["staff_id"] == 7
    assert "id_masked" not in ev["data"]["ticket"]
    queue.finish(app, "main", 1, who, "immediate")
    assert queue.call_next(app, "main", 1, who)["ticket"]["number"] == civil.number


def test_priority_residents_go_first_but_ordinary_ones_are_not_starved(app):
    ordinary = waiting(app, minutes=0)
    elders = [waiting(app, minutes=i + 1, priority="elderly") for i in range(4)]
    who = signed_in(app)
    order = []
    for _ in range(5):
        order.append(queue.call_next(app, "main", 1, who)["ticket"]["id"])
        queue.finish(app, "main", 1, who, "immediate")
    # the hall's cap is 3 priority calls in a row, then the ordinary resident
    assert order == [elders[0].id, elders[1].id, elders[2].id, ordinary.id, elders[3].id]


def test_a_ticket_another_window_took_meanwhile_is_skipped(app, monkeypatch):
    first, second = waiting(app, minutes=0), waiting(app, minutes=1)
    who = signed_in(app)
    real_claim = type(app.uow().tickets).claim

    def taken_first(self, ticket_id):
        ticket = real_claim(self, ticket_id)
        if ticket_id == first.id:  # window 2 committed its call between our read and our write
            app.store.tickets[first.id].status = "called"
        return ticket
    monkeypatch.setattr(type(app.uow().tickets), "claim", taken_first)
    assert queue.call_next(app, "main", 1, who)["ticket"]["id"] == second.id
    assert app.store.tickets[first.id].window is None  # ours was not written over theirs


def test_nobody_waiting_is_an_answer_not_an_error(app):
    who = signed_in(app)
    out = queue.call_next(app, "main", 1, who)
    assert out["ticket"] is None and "nobody" in out["message"]
    assert app.events("ticket.called") == []


def test_a_resident_is_recalled_up_to_the_hall_s_limit(app):
    waiting(app)
    who = signed_in(app)
    queue.call_next(app, "main", 1, who)
    assert queue.recall(app, "main", 1, who)["ticket"]["recalls"] == 1
    assert queue.recall(app, "main", 1, who)["ticket"]["recalls"] == 2
    with pytest.raises(WrongState) as limit:
        queue.recall(app, "main", 1, who)
    assert limit.value.code == "recall_limit"
    assert [e["data"]["recall"] for e in app.events("ticket.recalled")] == [1, 2]


def test_a_promised_case_is_due_in_working_days_and_frees_the_window(app):
    t = waiting(app)
    who = signed_in(app)
    queue.call_next(app, "main", 1, who)
    queue.start(app, "main", 1, who)
    done = queue.finish(app, "main", 1, who, "promised", promise_days=3, note="材料齐全")["ticket"]
    assert done["status"] == "done" and done["due_date"] == "2026-11-30"  # Wed + 3 working days
    stored = app.store.tickets[t.id]
    assert stored.started_at == NOW and stored.finished_at == NOW and stored.note == "材料齐全"
    assert app.store.windows[1].current_ticket_id is None
    ev = app.events("ticket.finished")[-1]
    assert ev["data"]["outcome"] == "promised" and ev["data"]["due_date"] == "2026-11-30"
    assert ev["data"]["waiting"] == {"social": 0, "civil": 0}


def test_finishing_straight_from_called_records_no_service_time(app):
    t = waiting(app)
    who = signed_in(app)
    queue.call_next(app, "main", 1, who)
    queue.finish(app, "main", 1, who, "returned")
    assert app.store.tickets[t.id].started_at is None


def test_a_bad_due_date_changes_nothing(app):
    t = waiting(app)
    who = signed_in(app)
    queue.call_next(app, "main", 1, who)
    before = len(app.store.events)
    with pytest.raises(Invalid):
        queue.finish(app, "main", 1, who, "promised", due_date="2026-11-01")
    assert app.store.tickets[t.id].status == "called" and len(app.store.events) == before
    assert app.store.windows[1].current_ticket_id == t.id


def test_a_transferred_ticket_waits_in_the_other_service_keeping_its_place(app):
    t = waiting(app, "social", minutes=0)
    later = waiting(app, "civil", minutes=10)
    who = signed_in(app)
    queue.call_next(app, "main", 1, who)
    with pytest.raises(Invalid) as same:
        queue.transfer(app, "main", 1, who, "social")
    assert same.value.code == "same_service" and app.store.tickets[t.id].status == "called"
    moved = queue.transfer(app, "main", 1, who, "B")["ticket"]  # by prefix too
    assert moved["status"] == "waiting" and moved["service"] == "civil" and moved["window"] is None
    assert moved["transfers"] == 1 and app.store.tickets[t.id].queued_at == NOW
    ev = app.events("ticket.transferred")[-1]
    assert (ev["data"]["from_service"], ev["data"]["to_service"]) == ("social", "civil")
    other = signed_in(app, staff(8, (2,), "李强"), window=2)
    assert queue.call_next(app, "main", 2, other)["ticket"]["id"] == t.id  # before `later`
    assert later.status == "waiting"


def test_a_no_show_leaves_the_window_free(app):
    t = waiting(app)
    who = signed_in(app)
    queue.call_next(app, "main", 1, who)
    with pytest.raises(WrongState):
        queue.no_show(app, "main", 2, signed_in(app, staff(8, (2,)), window=2))
    assert queue.no_show(app, "main", 1, who)["ticket"]["status"] == "no_show"
    assert app.store.windows[1].current_ticket_id is None and app.store.tickets[t.id].finished_at == NOW


def test_a_busy_window_cannot_pause_and_a_paused_one_cannot_call(app):
    waiting(app)
    who = signed_in(app)
    queue.call_next(app, "main", 1, who)
    with pytest.raises(WrongState) as busy:
        queue.pause(app, "main", 1, who, "午休")
    assert busy.value.code == "window_busy"
    queue.finish(app, "main", 1, who, "immediate")
    waiting(app, minutes=3)
    assert queue.pause(app, "main", 1, who, " 午休 ")["status"] == "paused"
    with pytest.raises(WrongState) as paused:
        queue.call_next(app, "main", 1, who)
    assert paused.value.code == "window_paused"
    with pytest.raises(WrongState) as again:
        queue.pause(app, "main", 1, who, "午休")
    assert again.value.code == "window_paused"
    app.clock = NOW + timedelta(minutes=30)
    assert queue.resume(app, "main", 1, who)["status"] == "open"
    ev = app.events("window.resumed")[-1]
    assert ev["data"] == {"reason": "午休", "paused_s": 1800, "window_name": "1号窗口"}
    with pytest.raises(WrongState) as not_paused:
        queue.resume(app, "main", 1, who)
    assert not_paused.value.code == "not_paused"


def test_a_colleague_takes_over_only_a_free_window(app):
    waiting(app)
    a, b = staff(7, (1,), "王芳"), staff(8, (1,), "李强")
    signed_in(app, a)
    queue.call_next(app, "main", 1, a)
    with pytest.raises(WrongState) as busy:
        queue.sign_in(app, "main", 1, b)
    assert busy.value.code == "window_busy"
    queue.finish(app, "main", 1, a, "immediate")
    assert queue.sign_in(app, "main", 1, b)["staff_id"] == 8
    ev = app.events("window.signed_in")[-1]
    assert ev["data"]["previous_staff_id"] == 7 and ev["data"]["staff_name"] == "李强"
    with pytest.raises(Forbidden):
        queue.call_next(app, "main", 1, a)


def test_signing_in_at_another_window_leaves_the_first(app):
    who = staff(7, (1, 2))
    signed_in(app, who, 1)
    signed_in(app, who, 2)
    assert app.store.windows[1].staff_id is None and app.store.windows[1].status == "closed"
    assert app.store.windows[2].staff_id == 7 and app.store.windows[2].status == "open"
    assert queue.sign_out(app, "main", 2, who)["status"] == "closed"
    with pytest.raises(Forbidden) as other:
        queue.sign_in(app, "main", 2, staff(9, (1,)))
    assert other.value.code == "not_assigned"


def test_only_a_waiting_ticket_can_be_cancelled(app):
    t, u = waiting(app), waiting(app, minutes=1)
    assert queue.cancel(app, "main", t.id, None)["status"] == "cancelled"
    ev = app.events("ticket.cancelled")[-1]
    assert ev["actor"] == "system" and ev["data"]["waiting"]["social"] == 1
    who = signed_in(app)
    queue.call_next(app, "main", 1, who)
    with pytest.raises(WrongState):
        queue.cancel(app, "main", u.id, who)


def _case(app) -> ReviewCase:
    case = ReviewCase(id=50, hall_id=1, ticket_id=100, rating_id=60, due_date=date(2026, 12, 16),
                      opened_at=NOW)
    app.store.cases[case.id] = case
    return case


def test_a_review_case_is_worked_in_order_and_closes_on_the_call_back(app):
    _case(app)
    manager = Principal("user", 3, "张主任", "manager", hall_id=1)
    with pytest.raises(WrongState) as order:
        cases.add_step(app, "main", 50, manager, "rectify", "已整改")
    assert order.value.code == "step_out_of_order" and app.events() == []
    for step in ("verify", "verify", "rectify"):
        assert cases.add_step(app, "main", 50, manager, step, "说明").status == "open"
    closed = cases.add_step(app, "main", 50, manager, "callback", "群众满意")
    assert closed.status == "closed" and closed.closed_at == NOW
    assert [s.step for s in closed.steps] == ["verify", "verify", "rectify", "callback"]
    assert [e["type"] for e in app.events()][-2:] == ["review.step", "review.closed"]
    # 整改 and 回访 go to the province in the step's own unit of work; 核实 stays in the hall
    assert [(r["step"], r["text"]) for r in app.store.outbox] == [("rectify", "说明"), ("callback", "群众满意")]
    with pytest.raises(WrongState) as done:
        cases.void_case(app, "main", 50, manager, "恶意差评")
    assert done.value.code == "case_closed"


def test_a_voided_case_keeps_its_reason_in_the_history(app):
    _case(app)
    manager = Principal("user", 3, "张主任", "manager", hall_id=1)
    voided = cases.void_case(app, "main", 50, manager, "恶意差评")
    assert voided.status == "voided" and voided.void_reason == "恶意差评"
    assert [(s.step, s.text) for s in voided.steps] == [("void", "恶意差评")]
    assert app.events()[-1]["data"] == {"case_id": 50, "status": "voided", "voided": True}
