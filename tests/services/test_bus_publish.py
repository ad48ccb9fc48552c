"""The event bus takes a commit's events as they were stored (services/bus.py `publish`), without
reading them back, only when they continue the ids it holds; otherwise it reads the table. On
SQLite and PostgreSQL: what a subscriber gets is every event once, in id order, the same text as
the table gives, and a resume from any id is exact."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from server.services.bus import event_dict, formatted
from server.services.context import create_hallq
from server.store import tables as t


def hall_id(ctx) -> int:
    with ctx.db.read() as conn:
        return ctx.hall(conn, "main").id


def emit(db, hid, n=1, type_="ticket.issued", **data) -> list[int]:
    """One unit of work writing n events (as a service does)."""
    with db.uow() as uow:
        for i in range(n):
            uow.emit(hid, type_, ticket_id=None, window=1, actor="test",
                     data={"n": i, "ticket": {"number": f"A{i:03d}"}, **data})
        return uow.commit()


def table_items(ctx, hid, after=0) -> list[tuple]:
    """formatted() of the hall's events with id > after, as read from the table."""
    with ctx.db.read() as conn:
        rows = conn.execute(select(t.events).where(t.events.c.hall_id == hid, t.events.c.id > after)
                            .order_by(t.events.c.id)).all()
        return [formatted(event_dict(r, "main")) for r in rows]


def held(ctx, hid, after=0) -> list[tuple]:
    return ctx.bus.items_after(hid, after, 100000)


@contextmanager
def background_reads_held(bus):
    """The bus's own readers (its pump, PostgreSQL LISTEN) stay away while a test sets a scene."""
    real = bus.refresh
    with bus._refresh_lock:
        bus.refresh = lambda: None
    try:
        yield
    finally:
        del bus.refresh
        assert bus.refresh == real


def test_a_commit_is_published_as_stored_without_reading_the_table(any_ctx, monkeypatch):
    ctx = any_ctx
    hid = hall_id(ctx)
    emit(ctx.db, hid)  # the bus has met the hall

    def no_read():
        raise AssertionError("the bus read the table for its own process's commit")

    monkeypatch.setattr(ctx.bus, "refresh", no_read)
    # (a tuple and a number as a key come back from the table as a list and a string)
    ids = emit(ctx.db, hid, n=3, waiting={"social": 2, "hukou": 0}, range_s=(60, 600), by_window={3: 1})
    assert ctx.bus.last_id == ids[-1]
    mine = [i for i in held(ctx, hid) if i[0]["id"] in ids]
    # the same event, the same SSE text and the same public view as a read of the table gives
    assert mine == [i for i in table_items(ctx, hid) if i[0]["id"] in ids]
    assert [i[0]["id"] for i in mine] == ids


def test_an_event_written_by_another_process_in_between_is_read_not_skipped(any_ctx, tmp_path):
    """Another process (the CLI, a second server) writes an event the bus has not seen; the next
    local commit does not continue the held ids, so the bus reads the table: both arrive, in order."""
    ctx = any_ctx
    hid = hall_id(ctx)
    emit(ctx.db, hid)
    before = ctx.bus.last_id
    other = create_hallq(ctx.db.url, start_bus=False)  # its own engine, no bus: another process
    with background_reads_held(ctx.bus):
        try:
            theirs = emit(other.db, hid, type_="window.paused")
        finally:
            other.db.dispose()
        assert ctx.bus.last_id == before  # not seen yet
    mine = emit(ctx.db, hid)
    got = [i[0]["id"] for i in held(ctx, hid, before)]
    assert got == theirs + mine
    assert held(ctx, hid, before) == table_items(ctx, hid, before)


def test_commits_published_out_of_order_are_each_held_once_in_id_order(any_ctx, tmp_path):
    """Two commits finishing out of order (two threads on PostgreSQL): the later id comes first,
    does not continue the held ids and is not taken as it is; the table read puts both in order."""
    ctx = any_ctx
    hid = hall_id(ctx)
    emit(ctx.db, hid)
    before = ctx.bus.last_id
    other = create_hallq(ctx.db.url, start_bus=False)
    with background_reads_held(ctx.bus):
        try:  # two committed events this bus has not been told of yet
            first = emit(other.db, hid, n=1, type_="ticket.called")
            second = emit(other.db, hid, n=1, type_="ticket.finished")
        finally:
            other.db.dispose()
        with ctx.db.read() as conn:
            rows = {r.id: r for r in conn.execute(select(t.events).where(t.events.c.id > before)).all()}

        def as_uow_event(eid):
            r = rows[eid]
            return {"id": r.id, "hall_id": r.hall_id, "type": r.type, "ticket_id": r.ticket_id,
                    "window": r.window, "actor": r.actor, "data": r.data, "created_at": r.created_at}

        assert ctx.bus.publish([as_uow_event(second[0])]) is False  # a gap: not taken as it is
        assert ctx.bus.last_id == before
    ctx.bus._after_commit([as_uow_event(second[0])])  # the fallback reads the table
    assert [i[0]["id"] for i in held(ctx, hid, before)] == first + second
    ctx.bus._after_commit([as_uow_event(first[0])])  # the earlier commit's hook comes last
    assert [i[0]["id"] for i in held(ctx, hid, before)] == first + second
    assert held(ctx, hid, before) == table_items(ctx, hid, before)


def test_resume_from_any_id_gives_exactly_the_rest(any_ctx):
    ctx = any_ctx
    hid = hall_id(ctx)
    for k in range(12):
        emit(ctx.db, hid, n=1 + k % 3, type_=("ticket.issued", "ticket.called", "window.paused")[k % 3])
    everything = table_items(ctx, hid)
    ids = [i[0]["id"] for i in everything]
    for after in [0, ids[0] - 1, ids[0], ids[5], ids[-2], ids[-1]]:
        rest = [i for i in everything if i[0]["id"] > after]
        for audience in ("staff", "public"):
            want = [(i[0], i[1]) if audience == "staff" else (i[2], i[3]) for i in rest
                    if audience == "staff" or i[2] is not None]
            assert ctx.bus.events_after(hid, after, 1000, audience) == want, (after, audience)


def test_concurrent_writers_miss_nothing_and_repeat_nothing(any_ctx):
    """Eight threads committing at once (published from the committing threads, the pump reading
    in the background as the event server runs it): the bus holds every event once, in id order,
    and never mistakes a publication racing its read for a swapped database."""
    ctx = any_ctx
    hid = hall_id(ctx)
    emit(ctx.db, hid)
    ctx.bus.refresh_in_background = True
    before = ctx.bus.last_id
    go = threading.Barrier(8)
    errors = []

    def writer(w):
        try:
            go.wait()
            for k in range(25):
                emit(ctx.db, hid, n=1 + (w + k) % 2, writer=w, k=k)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    everything = table_items(ctx, hid, before)
    assert len(everything) == 8 * 25 * 3 // 2
    deadline = time.monotonic() + 10
    while ctx.bus.last_id < everything[-1][0]["id"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert held(ctx, hid, before) == everything
    with ctx.db.read() as conn:
        resets = conn.execute(select(t.events.c.id).where(t.events.c.type == "stream.reset")).all()
    assert resets == []


@pytest.mark.parametrize("audience", ["staff", "public"])
def test_a_waiter_is_woken_by_a_published_commit(ctx, audience):
    hid = hall_id(ctx)
    emit(ctx.db, hid)
    last = ctx.bus.last_id
    woke = []
    th = threading.Thread(target=lambda: woke.append(ctx.bus.wait(last, 5)))
    th.start()
    time.sleep(0.1)
    ids = emit(ctx.db, hid)
    th.join(5)
    assert woke == [True]
    assert [e["id"] for e, _ in ctx.bus.events_after(hid, last, 10, audience)] == ids
