"""SQLite writers of one process take turns on the database's write lock (store/db.py); what
follows a commit (the bus announcing its events) runs after the lock is let go, in commit order."""
from __future__ import annotations

import threading
import time


def test_the_next_writer_commits_while_a_commits_events_are_announced_and_hooks_keep_id_order(ctx):
    """A writer's after-commit hooks (the bus formatting its events) run outside the write lock:
    the next writer's transaction goes on meanwhile, and its hooks wait for the ones before."""
    from sqlalchemy import func, select

    from server.store import tables as t
    with ctx.db.read() as conn:
        hid = ctx.hall(conn, "main").id
    in_hook, let_go, order = threading.Event(), threading.Event(), []

    def hook(events):
        order.append(events[0]["data"]["who"])
        if events[0]["data"]["who"] == "a":
            in_hook.set()
            assert let_go.wait(10)
    ctx.db.after_commit_hooks.append(hook)

    def write(who):
        with ctx.db.uow() as uow:
            uow.emit(hid, "test.order", data={"who": who})
            uow.commit()

    a = threading.Thread(target=write, args=("a",))
    a.start()
    assert in_hook.wait(10)
    b = threading.Thread(target=write, args=("b",))
    b.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # b's transaction is on disk while a's hook still runs
        with ctx.db.read() as conn:
            if conn.execute(select(func.count()).select_from(t.events)
                            .where(t.events.c.type == "test.order")).scalar() == 2:
                break
        time.sleep(0.01)
    else:
        raise AssertionError("the next writer waited for the hooks of the one before")
    assert order == ["a"]  # b's hooks wait for a's
    let_go.set()
    a.join(10)
    b.join(10)
    assert order == ["a", "b"]
