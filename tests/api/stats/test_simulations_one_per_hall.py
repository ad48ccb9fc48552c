"""模拟排班's one-run-per-hall limit held by the database (migration 0022), not only by a lock in one
server process: a second server process that passed the check while the first had not yet committed
is refused with the same 429 as today's limit, on SQLite and on PostgreSQL; the index itself; and the
migration on a database that already holds two "running" runs of one hall."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from server.store import tables as t
from server.store.db import Database, utcnow
from server.store.migrate import upgrade
from tests.fixtures.migrations import add_hall, old_engine, upgrade_all_but  # noqa: F401  (fixture)

R = t.simulation_runs.c
START = {"sample": "sandu_day", "changes": [{"window": 11, "services": ["hukou"], "from": "09:00", "to": "11:00"}]}


def run_row(id_, hall_id=1, status="running", age_s=0.0):
    at = utcnow() - timedelta(seconds=age_s)
    return dict(id=id_, hall_id=hall_id, started_by="user:1", status=status, progress=0.0,
                request={"day": {"kind": "sample", "sample": "sandu_day", "name": "x"}, "changes": [], "seed": 1},
                created_at=at, updated_at=at)


def waiting_on_the_index(conn) -> bool:
    """PostgreSQL: a backend is blocked inserting into simulation_runs (the unique index makes it
    wait for the other transaction's row)."""
    return conn.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE 'INSERT INTO simulation_runs%'")).scalar() > 0


def start_while_another_process_writes(any_api, any_ctx, first_write, waiting) -> object:
    """Process A (another server process's database handle, with its own writer lock) does
    `first_write(uow)` and does not commit yet; meanwhile process B (this app) asks to start a run
    for the hall as manager "boss". B must wait for A (on SQLite to write at all; on PostgreSQL
    `waiting(conn)` must come true within 10 s: where B waits); once A commits, B is refused with
    429 simulation_running. Returns B's answer."""
    any_api.add_staff("boss", [], role="manager")
    other = Database(any_ctx.db.url)
    answer = {}
    b = threading.Thread(target=lambda: answer.update(
        r=any_api.post(any_api.hp("/simulations"), "boss", json=START)))
    try:
        with other.uow() as first:
            first_write(first)
            b.start()
            time.sleep(1.0)
            assert b.is_alive(), answer
            if other.dialect == "postgresql":
                with other.engine.connect() as watch:
                    deadline = time.monotonic() + 10
                    while not waiting(watch) and time.monotonic() < deadline:
                        time.sleep(0.1)
                    assert waiting(watch)
            first.commit()
        b.join(30)
        assert not b.is_alive()
    finally:
        other.dispose()
    r = answer["r"]
    assert r.status == 429 and r.body["error"] == "simulation_running", r
    return r


def test_a_second_process_that_passed_the_check_is_refused_by_the_database(any_api, any_ctx):
    """Process A has inserted its run but not yet committed, without taking turns on the start lock
    (as a server of an older version would); process B (this app) checks now, sees no run, and
    inserts: the database makes it wait for A and then refuses it (on PostgreSQL B is seen waiting
    at the index: it passed the check, only the index stops it)."""
    r = start_while_another_process_writes(
        any_api, any_ctx, lambda first: first.execute(t.simulation_runs.insert().values(**run_row("first"))),
        waiting_on_the_index)
    assert r.body["message_zh"] == "本大厅已有一次模拟在运行，请等它结束"
    assert r.body["message_en"] == "a simulation for this hall is already running"
    assert r.headers["Retry-After"]
    with any_ctx.db.read() as conn:
        assert conn.execute(select(R.id, R.status)).all() == [("first", "running")]


def other_hall(ctx) -> int:
    from server.services import halls
    data = halls.read_config()
    data["hall"]["code"], data["hall"]["name"] = "other", "另一大厅"
    halls.load_hall(ctx, data)
    with ctx.db.read() as conn:
        return conn.execute(select(t.halls.c.id).where(t.halls.c.code == "other")).scalar()


def test_starts_in_two_processes_take_turns_so_the_servers_limit_holds_too(any_api, any_ctx, monkeypatch):
    """The server-wide limit (MAX_RUNNING, here 1) across processes: process A is starting a run for
    another hall (its turn taken, its run inserted, not yet committed); B's start for this hall waits
    for A's turn to end (on PostgreSQL seen waiting on the advisory lock), then counts A's run and
    is refused."""
    from server.services import simulations as sims
    monkeypatch.setattr(sims, "MAX_RUNNING", 1)
    elsewhere = other_hall(any_ctx)

    def first_write(first):
        if any_ctx.db.dialect == "postgresql":
            first.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": sims.START_LOCK_KEY})
        first.execute(t.simulation_runs.insert().values(**run_row("elsewhere", hall_id=elsewhere)))

    def waiting_for_its_turn(watch) -> bool:
        return watch.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'")).scalar() == 1

    r = start_while_another_process_writes(any_api, any_ctx, first_write, waiting_for_its_turn)
    assert r.body["message_en"] == "the server is running other simulations; try again soon"
    with any_ctx.db.read() as conn:
        assert conn.execute(select(R.id)).scalars().all() == ["elsewhere"]


def test_the_database_holds_one_running_run_per_hall(any_ctx):
    other_hall_id = other_hall(any_ctx)
    with any_ctx.uow() as uow:
        uow.execute(t.simulation_runs.insert(), [run_row("a"), run_row("done", status="done"),
                                                 run_row("failed", status="failed"),
                                                 run_row("b", hall_id=other_hall_id)])
        uow.commit()
    with pytest.raises(IntegrityError):
        with any_ctx.uow() as uow:
            uow.execute(t.simulation_runs.insert().values(**run_row("c")))
            uow.commit()
    with any_ctx.uow() as uow:  # once the first is done, the hall may run again
        uow.execute(t.simulation_runs.update().where(R.id == "a").values(status="done"))
        uow.execute(t.simulation_runs.insert().values(**run_row("c")))
        uow.commit()
    with any_ctx.db.read() as conn:
        assert conn.execute(select(func.count()).where(R.status == "running")).scalar() == 2


def test_a_lost_run_is_marked_over_when_the_next_starts_so_the_index_lets_it_in(any_api, any_ctx, monkeypatch):
    """A run a restarted server left "running" holds the index's place: the next start marks it
    failed (stopped) first. The new run is refused only by MAX_RUNNING here (set to 0), so no day
    is played."""
    from server.services import simulations as sims
    any_api.add_staff("boss", [], role="manager")
    with any_ctx.uow() as uow:
        uow.execute(t.simulation_runs.insert().values(**run_row("lost", age_s=600)))
        uow.commit()
    monkeypatch.setattr(sims, "MAX_RUNNING", 0)
    r = any_api.post(any_api.hp("/simulations"), "boss", json=START)
    assert r.status == 429 and r.body["message_en"] == "the server is running other simulations; try again soon", r
    with any_ctx.db.read() as conn:
        row = conn.execute(select(R.status, R.error, R.finished_at).where(R.id == "lost")).one()
    assert row.status == "failed" and row.error["error"] == "stopped" and row.finished_at is not None


def test_the_migration_keeps_the_newest_running_run_of_a_hall(old_engine):
    engine = old_engine
    upgrade_all_but(engine, "0022")
    with engine.begin() as c:
        assert "uq_simulation_runs_hall_running" not in {
            i["name"] for i in inspect(c).get_indexes("simulation_runs")}
        add_hall(c)
        c.execute(t.simulation_runs.insert(), [run_row("old", age_s=900), run_row("new", age_s=60),
                                               run_row("done", status="done", age_s=1200)])
    upgrade(engine)
    with engine.begin() as c:
        rows = {r.id: r for r in c.execute(select(t.simulation_runs))}
        assert (rows["new"].status, rows["done"].status, rows["old"].status) == ("running", "done", "failed")
        assert rows["old"].error["error"] == "stopped" and rows["old"].finished_at is not None
    with pytest.raises(IntegrityError):
        with engine.begin() as c:
            c.execute(t.simulation_runs.insert().values(**run_row("again")))
