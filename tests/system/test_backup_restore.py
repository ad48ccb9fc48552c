"""Backups: an online backup restores to exactly what was saved (SQLite and PostgreSQL), restore
refuses while the server has the database open, and the daily job keeps a bounded number."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from server.domain.errors import Conflict, Invalid
from server.domain.identity import make_id_number
from server.services import backup, maintenance
from tests.api.hardening.helpers import snapshot, staffed
from tests.support import ROOT


def _busy_hall(api, n=6):
    staff = staffed(api, (1, 2))
    for i in range(n):
        extra = {"id_number": make_id_number(f"33010219500101{i:03d}")} if i % 3 == 0 else {}
        assert api.issue("social" if i % 2 else "agri", **extra).status == 201
    api.act(1, "call-next", staff[1])
    api.act(1, "finish", staff[1], {"outcome": "immediate"})
    return staff


def test_backup_then_changes_then_restore_gives_back_the_saved_hall(any_api, tmp_path):
    api, ctx = any_api, any_api.ctx
    staff = _busy_hall(api)
    saved = snapshot(ctx.db)
    assert saved["tickets"] and saved["events"]

    out = backup.backup(ctx, tmp_path / f"one{backup.extension(ctx.db)}")
    assert out.exists() and out.stat().st_size > 0

    # the hall goes on: more tickets, calls, a pause
    for _ in range(4):
        api.issue("land")
    api.act(2, "call-next", staff[2])
    api.act(1, "pause", staff[1], {"reason": "会议"})
    assert snapshot(ctx.db) != saved

    ctx.bus.stop()
    ctx.bus.join()  # a read of its pump still under way would hold the file open (flaky before)
    with pytest.raises(Conflict, match="stop the server first"):
        _restore_while_held(ctx, out)  # a server elsewhere still has the database open
    before_restore = snapshot(ctx.db)
    pre = backup.restore(ctx, out, force=ctx.db.kind == "postgresql")  # PG: the bus may linger
    restored = snapshot(ctx.db)
    # event ids go on above the highest issued (issue 15.1): one stream.reset per hall on top
    top_before = max(e[0] for e in before_restore["events"])
    resets = [e for e in restored["events"] if e[2] == "stream.reset"]
    assert resets and all(e[0] > top_before for e in resets)
    assert _without_resets(restored) == saved
    # the copy taken just before the restore holds the changes made after the backup
    assert pre is not None and pre.name.startswith("pre-restore-")
    assert pre.parent == backup.backup_dir(ctx)
    # numbering goes on from the restored counters, without duplicates
    r = api.issue("land")
    assert r.status == 201 and r.body["number"] == "C001", r.body
    restored_again = backup.restore(ctx, pre, force=True, safety_copy=False)
    assert restored_again is None
    assert _without_resets(snapshot(ctx.db)) == _without_resets(before_restore)


def _without_resets(snap):
    return {**snap, "events": [e for e in snap["events"] if e[2] != "stream.reset"]}


def _restore_while_held(ctx, out):
    if ctx.db.kind == "sqlite":
        import sqlite3
        other = sqlite3.connect(str(backup.sqlite_path(ctx.db)))
        other.execute("SELECT count(*) FROM tickets").fetchone()
    else:
        import psycopg
        other = psycopg.connect(
            ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        backup.restore(ctx, out, safety_copy=False)
    finally:
        other.close()


def test_restore_refuses_a_file_that_is_not_a_backup(ctx, tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("这不是备份 (not a backup)")
    with pytest.raises(Invalid):
        backup.restore(ctx, bad, force=True)


def test_the_cli_backs_up_a_running_server_and_restore_waits_for_it_to_stop(server_process, tmp_path):
    from tests.support import HallClient
    env = server_process.env
    api = HallClient(None, base_url=server_process.url)
    kiosk = _device(server_process, "k1", "kiosk")
    for _ in range(3):
        assert api.issue("social", token=kiosk).status == 201
    out = tmp_path / "hall.db"
    r = _cli(env, "backup", "--out", str(out))  # online, while the server serves
    assert r.returncode == 0 and out.exists(), r.stderr
    assert api.issue("social", token=kiosk).body["number"] == "A004"
    r = _cli(env, "restore", str(out))
    assert r.returncode != 0 and "stop the server first" in r.stderr
    server_process.stop()
    r = _cli(env, "restore", str(out))
    assert r.returncode == 0, r.stderr
    assert "pre-restore" in r.stdout
    server_process.start()
    assert api.issue("social", token=kiosk).body["number"] == "A004"  # A004 was after the backup


def _device(proc, name, kind):
    """Register a device straight in the server's database (as `server.py device add` does)."""
    from server.services import auth
    from server.services.context import create_hallq
    ctx = create_hallq(proc.env["HALLQ_DATABASE_URL"], start_bus=False)
    try:
        return auth.add_device(ctx, "main", name, kind)
    finally:
        ctx.db.dispose()


def _cli(env, *args):
    return subprocess.run([sys.executable, str(ROOT / "server.py"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_the_daily_backup_runs_once_a_day_and_keeps_the_newest(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("HALLQ_BACKUP_DIR", str(tmp_path / "daily"))
    monkeypatch.setenv("HALLQ_BACKUP_KEEP", "3")
    assert maintenance.DAILY_JOBS.count(backup.daily_backup) == 1  # the server runs it
    start = ctx.now()
    manual = backup.backup(ctx)  # manual backups are never pruned
    made = []
    for day in range(5):
        ctx.clock = lambda d=day: start + timedelta(days=d)
        for _ in range(3):  # the maintenance loop runs every 10 minutes
            out = backup.daily_backup(ctx)
            if out:
                made.append(out)
    assert len(made) == 5
    kept = backup.auto_backups(ctx)
    assert [p.name for p in kept] == [p.name for p in made[-3:]]
    assert manual.exists()
    assert not list((tmp_path / "daily").glob("*.partial")) and not list((tmp_path / "daily").glob("*.claim"))


def test_one_failing_daily_job_does_not_stop_the_others(ctx):
    import threading
    ran = threading.Event()

    def broken(_ctx):
        raise OSError("backup disk full")

    ctx.daily_jobs = [broken, lambda _ctx: ran.set()]
    stop = threading.Event()
    th = threading.Thread(target=maintenance.loop, args=(ctx, stop, 0.05), daemon=True)
    th.start()
    try:
        assert ran.wait(10), "the job after a failing one never ran"
    finally:
        stop.set()
        th.join(5)


def test_the_server_s_maintenance_pass_closes_yesterday_backs_it_up_and_rolls_it_up(api, ctx, tmp_path,
                                                                                     monkeypatch):
    from sqlalchemy import select

    from server.services import stats
    from server.store import tables as t
    monkeypatch.setenv("HALLQ_BACKUP_DIR", str(tmp_path / "daily"))
    staffed(api, (1,))
    assert api.issue("social").status == 201 and api.issue("social").status == 201
    assert api.act(1, "call-next", "hw1").status == 200
    yesterday = ctx.hall_by_code("main").local_day(ctx.now())
    tomorrow = ctx.now() + timedelta(days=1)
    ctx.clock = lambda: tomorrow
    assert ctx.daily_jobs == []  # tests and one-shot commands run no maintenance
    maintenance.install(ctx)
    maintenance.run_jobs(ctx)
    with ctx.db.read() as conn:
        assert sorted(conn.execute(select(t.tickets.c.status)).scalars()) == ["cancelled", "no_show"]
        rolled = conn.execute(select(t.stats_daily.c.data).where(
            t.stats_daily.c.day == yesterday.isoformat())).scalar()
    day = stats.rollups.unpack(rolled)  # rolled up after the day was closed, in the same pass
    assert (day.services["social"].cancelled, day.services["social"].no_show) == (1, 1)
    assert ctx.rollups_done == {"main": yesterday + timedelta(days=1)}
    assert len(list((tmp_path / "daily").glob("hallq-auto-*"))) == 1


def test_server_py_run_makes_the_day_s_backup_on_its_first_maintenance_pass(sqlite_url, tmp_path):
    import time

    from tests.support import ServerProcess
    var, daily = tmp_path / "var", tmp_path / "daily"
    var.mkdir()
    srv = ServerProcess(sqlite_url, var, env={"HALLQ_BACKUP_DIR": str(daily)}).start()
    try:
        deadline = time.monotonic() + 30
        # done when the copy is in place and the pass let go of its claim (.claim: made before the
        # copy, removed after the old ones are pruned)
        while time.monotonic() < deadline and (not list(daily.glob("hallq-auto-*.db"))
                                               or list(daily.glob("hallq-auto-*.claim"))):
            time.sleep(0.2)
        assert [p.name.endswith(".db") for p in daily.glob("hallq-auto-*")] == [True], srv.log.read_text()
    finally:
        srv.stop()
