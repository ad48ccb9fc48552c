"""Call-next and 办结并叫下一位 of several windows waiting for SQLite's writers' turn are done
together (store/db.py `Together`, services/queue.py): one unit of work, one commit, one
fan-out pass; each window gets what it would have got alone, and one window's error is never
another's."""
from __future__ import annotations

import threading

from server.domain.errors import Forbidden
from server.services import queue as queue_service
from server.services.auth import principal_for
from server.store.db import WritersQueue
from tests.services.test_writers_queue import _waiting


def test_a_writer_whose_work_was_done_leaves_the_line_without_the_turn():
    q = WritersQueue()
    q.acquire()
    done, got = threading.Event(), []
    th = threading.Thread(target=lambda: got.append(q.acquire(True, done=done.is_set)), daemon=True)
    th.start()
    _waiting(q, 1)
    done.set()  # the holder did this writer's work in its own turn
    q.release()
    th.join(5)
    assert got == [False] and q.waiting == 0
    assert q.acquire() is True  # nobody kept the turn
    q.release()


def _windows_calling_at_once(api, ctx, numbers, principals, actions=None):
    """Hold the writers' turn while every window asks to call (`actions`: window -> a function
    of (ctx, window, principal); call-next by default), then let it go."""
    q, results, threads = ctx.db.write_lock, {}, []
    actions = actions or {}

    def call(n):
        act = actions.get(n, lambda c, m, p: queue_service.call_next(c, "main", m, p))
        try:
            results[n] = act(ctx, n, principals[n])
        except Exception as exc:
            results[n] = exc

    commits = []
    ctx.db.after_commit_hooks.append(lambda events: commits.append([e["type"] for e in events]))
    q.acquire()
    try:
        for n in numbers:
            threads.append(threading.Thread(target=call, args=(n,), daemon=True))
            threads[-1].start()
        _waiting(q, len(numbers))
    finally:
        q.release()
    for th in threads:
        th.join(10)
    return results, [c for c in commits if "ticket.called" in c]


def _signed_in(api, ctx, numbers):
    tokens = {n: api.add_staff(f"clerk{n}", [n]) for n in numbers}
    for n in numbers:
        assert api.act(n, "sign-in", tokens[n]).status == 200
    return tokens, {n: principal_for(ctx, tokens[n]) for n in numbers}


def test_windows_calling_at_once_are_called_in_one_commit_each_with_its_own_ticket(api, ctx):
    assert ctx.calls is not None  # SQLite, HALLQ_TOGETHER unset
    tokens, principals = _signed_in(api, ctx, [1, 2, 3, 4, 5])
    for service in ("social",) * 4 + ("agri",) * 3:
        assert api.issue(service).status == 201
    results, commits = _windows_calling_at_once(api, ctx, [1, 2, 3, 4, 5], principals)
    assert commits == [["ticket.called"] * 5], commits  # one unit of work for the five
    numbers = {n: r["ticket"]["number"] for n, r in results.items()}
    assert sorted(numbers.values()) == ["A001", "A002", "A003", "B001", "B002"]
    assert numbers[4] in ("B001", "B002") and numbers[5] in ("B001", "B002")  # their services
    for n in (1, 2, 3, 4, 5):  # each window's own screen agrees with its answer
        body = api.get(api.hp(f"/windows/{n}"), tokens[n]).body
        assert body["current"]["number"] == numbers[n], body
    # and the ones left are still there for the next calls, in order
    assert api.act(1, "finish", tokens[1], json={"outcome": "immediate"}).status == 200
    assert api.act(1, "call-next", tokens[1]).body["ticket"]["number"] == "A004"


def test_one_windows_error_in_a_batch_is_its_own_and_the_others_are_called_once(api, ctx):
    tokens, principals = _signed_in(api, ctx, [1, 2])
    for _ in range(4):
        assert api.issue("social").status == 201
    principals[3] = principals[1]  # clerk 1 presses call at window 3, where nobody signed them in
    results, commits = _windows_calling_at_once(api, ctx, [1, 2, 3], principals)
    assert isinstance(results[3], Forbidden) and results[3].code == "not_signed_in"
    got = sorted(results[n]["ticket"]["number"] for n in (1, 2))
    assert got == ["A001", "A002"]
    assert sum(len(c) for c in commits) == 2  # two calls stored, none twice
    waiting = api.get(api.hp("/windows/1/waiting"), tokens[1]).body["tickets"]
    assert [tk["number"] for tk in waiting] == ["A003", "A004"]


def test_a_window_with_nobody_waiting_is_told_so_in_a_batch(api, ctx):
    tokens, principals = _signed_in(api, ctx, [1, 4])
    assert api.issue("social").status == 201
    results, commits = _windows_calling_at_once(api, ctx, [1, 4], principals)
    assert results[1]["ticket"]["number"] == "A001"
    assert results[4]["ticket"] is None and "nobody is waiting" in results[4]["message"]
    assert commits == [["ticket.called"]]


def test_a_window_finishing_and_calling_goes_in_the_batch_of_the_windows_calling(api, ctx):
    """办结并叫下一位 (the window keypad's one key) is a call too: with two windows pressing
    call-next at the same moment, the three are one commit, and each gets its own ticket."""
    tokens, principals = _signed_in(api, ctx, [1, 2, 3])
    for _ in range(5):
        assert api.issue("social").status == 201
    assert api.act(3, "call-next", tokens[3]).body["ticket"]["number"] == "A001"
    one_key = {3: lambda c, n, p: queue_service.finish_and_call_next(c, "main", n, p, "immediate")}
    results, commits = _windows_calling_at_once(api, ctx, [1, 2, 3], principals, one_key)
    assert len(commits) == 1 and sorted(commits[0]) == ["ticket.called"] * 3 + ["ticket.finished"], commits
    assert results[3]["finished"]["number"] == "A001"
    assert sorted(results[n]["ticket"]["number"] for n in (1, 2, 3)) == ["A002", "A003", "A004"]


def test_a_batch_reads_the_queue_once_and_each_call_carries_the_counts_left_after_it(api, ctx):
    """The day's queue is read once for the whole batch and follows the batch's own calls: each
    ticket.called carries the waiting counts as they stand right after that call, as a call
    alone would have read them."""
    from sqlalchemy import event

    from server.store.prepared import Prepared

    tokens, principals = _signed_in(api, ctx, [1, 2, 3, 4, 5])
    for service in ("social",) * 4 + ("agri",) * 3:
        assert api.issue(service).status == 201
    before = {s["code"]: s["waiting"] for s in api.get(api.hp("/services")).body}
    assert before["social"] == 4 and before["agri"] == 3
    called, reads = [], []
    ctx.db.after_commit_hooks.append(lambda evs: called.extend(
        e for e in evs if e["type"] == "ticket.called"))

    def seen(conn, cursor, statement, *_):
        text = " ".join(statement.split())
        if "FROM tickets" in text and ("ORDER BY tickets.queued_at" in text or "count(" in text):
            reads.append(text)  # a queue or its counts read

    def prepared_run(self, conn, c, params):  # the hot statements go on the driver's cursor
        seen(conn, None, c.sql)
        return run(self, conn, c, params)

    run = Prepared._run
    event.listen(ctx.db.engine, "before_cursor_execute", seen)
    Prepared._run = prepared_run
    try:
        results, commits = _windows_calling_at_once(api, ctx, [1, 2, 3, 4, 5], principals)
    finally:
        Prepared._run = run
        event.remove(ctx.db.engine, "before_cursor_execute", seen)
    assert commits == [["ticket.called"] * 5]
    assert len(reads) == 1 and "count(" not in reads[0], reads  # one read, no counts
    left = dict(before)
    for ev in sorted(called, key=lambda e: e["id"]):
        left[ev["data"]["ticket"]["service"]] -= 1
        assert ev["data"]["waiting"] == left, (ev["data"]["waiting"], left)
    after = {s["code"]: s["waiting"] for s in api.get(api.hp("/services")).body}
    assert after == left and after["social"] == 1 and after["agri"] == 1
