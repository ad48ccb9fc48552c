"""SQLite's writers of one process take turns (store/db.py `WritersQueue`): a call, which the hall's
screens and speakers wait for, goes before the ordinary writers (finishes, kiosks' tickets) waiting
with it; HALLQ_CALLS_FIRST=0 gives every writer the same rank."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from server.services import queue as queue_service
from server.services.auth import principal_for
from server.store import tables as t
from server.store.db import WritersQueue


def _waiting(q: WritersQueue, n: int, timeout=10.0):
    """Until n threads wait for their turn."""
    deadline = time.monotonic() + timeout
    while q.waiting < n:
        assert time.monotonic() < deadline, f"{q.waiting} of {n} writers waiting"
        time.sleep(0.002)


def _writer(q: WritersQueue, urgent: bool, name: str, order: list):
    def run():
        q.acquire(urgent)
        order.append(name)
        q.release()
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


@pytest.mark.parametrize("calls_first, expected", [(True, ["call", "finish"]), (False, None)])
def test_a_call_goes_before_the_ordinary_writer_that_waited_longer(calls_first, expected):
    q, order = WritersQueue(calls_first=calls_first), []
    q.acquire()
    plain = _writer(q, False, "finish", order)
    _waiting(q, 1)
    call = _writer(q, True, "call", order)
    _waiting(q, 2)
    q.release()
    plain.join(5)
    call.join(5)
    assert sorted(order) == ["call", "finish"]
    if expected:
        assert order == expected


def test_ordinary_writers_go_on_once_no_call_waits():
    q, order = WritersQueue(), []
    q.acquire()
    threads = [_writer(q, False, f"w{i}", order) for i in range(5)]
    _waiting(q, 5)
    threads.append(_writer(q, True, "call", order))
    _waiting(q, 6)
    q.release()
    for th in threads:
        th.join(5)
    assert order[0] == "call" and sorted(order[1:]) == [f"w{i}" for i in range(5)]
    assert q.waiting == 0


def test_the_turn_is_reentrant_and_only_its_holder_ends_it():
    q = WritersQueue()
    q.acquire()
    q.acquire(urgent=True)  # a unit of work inside another, in the same thread
    q.release()
    errors = []

    def other():
        try:
            q.release()
        except RuntimeError as e:
            errors.append(e)
    th = threading.Thread(target=other)
    th.start()
    th.join(5)
    assert errors, "another thread ended this thread's turn"
    q.release()
    took = threading.Event()
    th = threading.Thread(target=lambda: (q.acquire(), took.set(), q.release()))
    th.start()
    assert took.wait(5), "the turn was not free after the holder's last release"
    th.join(5)


def test_a_window_calling_is_committed_before_a_finish_that_asked_first(api, ctx):
    """On the real database: while another writer holds the turn, window 2 finishes, then window 1
    calls: the call's event is stored (and goes to the screens) before the finish's."""
    tokens = {n: api.add_staff(f"clerk{n}", [n]) for n in (1, 2)}
    for n in (1, 2):
        assert api.act(n, "sign-in", tokens[n]).status == 200
    for _ in range(3):
        assert api.issue("social").status == 201
    assert api.act(2, "call-next", tokens[2]).status == 200
    principals = {n: principal_for(ctx, tokens[n]) for n in (1, 2)}
    q = ctx.db.write_lock
    results = {}

    def finish():
        results["finish"] = queue_service.finish(ctx, "main", 2, principals[2], "immediate")

    def call():
        results["call"] = queue_service.call_next(ctx, "main", 1, principals[1])

    q.acquire()
    try:
        th_finish = threading.Thread(target=finish, daemon=True)
        th_finish.start()
        _waiting(q, 1)
        th_call = threading.Thread(target=call, daemon=True)
        th_call.start()
        _waiting(q, 2)
    finally:
        q.release()
    th_finish.join(10)
    th_call.join(10)
    assert results["call"]["ticket"] and "finish" in results
    with ctx.db.read() as conn:
        rows = conn.execute(select(t.events.c.id, t.events.c.type, t.events.c.window)
                            .where(t.events.c.type.in_(["ticket.called", "ticket.finished"]))
                            .order_by(t.events.c.id)).all()
    assert [(r.type, r.window) for r in rows][-2:] == [("ticket.called", 1), ("ticket.finished", 2)]


def test_an_ordinary_writer_passed_over_by_many_calls_goes_after_most_passed():
    """A county server's many windows calling do not hold a finish back for good."""
    q, order = WritersQueue(most_passed=3), []
    q.acquire()
    plain = _writer(q, False, "finish", order)
    _waiting(q, 1)
    calls = []
    for i in range(6):
        calls.append(_writer(q, True, f"call{i}", order))
        _waiting(q, 2 + i)
    q.release()
    for th in [plain, *calls]:
        th.join(5)
    assert len(order) == 7
    assert order.index("finish") == 3, order  # three calls went first, then the finish


def test_every_kind_of_call_asks_to_go_first_and_a_finish_does_not(api, ctx, monkeypatch):
    token = api.add_staff("clerk1", [1])
    assert api.act(1, "sign-in", token).status == 200
    for _ in range(4):
        assert api.issue("social").status == 201
    asked = []
    real_uow = ctx.uow
    monkeypatch.setattr(ctx, "uow", lambda urgent=False: (asked.append(urgent), real_uow(urgent))[1])

    def urgent_of(action, body=None):
        asked.clear()
        r = api.act(1, action, token, json=body)
        assert r.status == 200, (action, r.body)
        return asked[-1]
    assert urgent_of("call-next") is True
    assert urgent_of("recall") is True
    assert urgent_of("finish", {"outcome": "immediate"}) is False
    waiting = api.get(api.hp("/windows/1/waiting"), token).body
    assert urgent_of("call", {"ticket_id": waiting["tickets"][-1]["id"]}) is True
    assert urgent_of("finish-and-call-next", {"outcome": "immediate"}) is True
