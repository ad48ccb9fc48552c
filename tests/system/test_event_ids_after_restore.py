"""Issue 15.1: after a restore (or any database swap) event ids never go backwards, every client
gets a `stream.reset` at once, and the display page redraws from the server's state."""
from __future__ import annotations

import sqlite3
import time

from server.services import backup
from server.services.bus import continue_event_ids
from tests.fixtures.display import call, restartable, staff_at  # noqa: F401 (fixture)
from tests.pages.display.test_display_page import open_display
from tests.system.test_backup_restore import _cli
from tests.api.queue.test_events import SSE


def _hall_events(ctx, after):
    with ctx.db.read() as conn:
        hall_id = ctx.hall(conn, "main").id
    return [ev for ev, _ in ctx.bus.events_after(hall_id, after)]


def test_restore_continues_event_ids_above_the_highest_issued(any_api, tmp_path):
    """Backup, three tickets more, restore: the next ids are above what clients saw, and a client
    resuming from its last id gets a stream.reset at once (today: nothing, until ids catch up)."""
    api, ctx = any_api, any_api.ctx
    api.issue("social")
    saved = backup.backup(ctx, prefix="t-")
    for _ in range(3):
        api.issue("social")
    ctx.bus.refresh()
    seen = ctx.bus.last_id
    backup.restore(ctx, saved, force=True, safety_copy=False)
    ctx.bus.refresh()
    after = _hall_events(ctx, seen)
    # (a running bus may notice the swap first and write its own reset too: either is fine)
    assert after and {e["type"] for e in after} == {"stream.reset"}
    assert after[0]["id"] > seen and after[-1]["reason"] == "restore"
    assert api.issue("social").body["number"] == "A002"  # the restored queue goes on
    ctx.bus.refresh()
    issued = _hall_events(ctx, after[-1]["id"])
    assert [e["type"] for e in issued] == ["ticket.issued"] and issued[0]["id"] > after[-1]["id"]


def test_a_bus_that_noticed_the_swap_before_the_restores_reset_adds_no_second_one(api):
    """The race CI met: the running bus saw the copied-in file's lower ids, then the restore wrote
    its reset above them before the bus wrote its own. Clients get the restore's reset only."""
    ctx = api.ctx
    api.issue("social")
    ctx.bus.refresh()
    seen = ctx.bus.last_id
    top = continue_event_ids(ctx.db, seen, "restore")
    assert continue_event_ids(ctx.db, seen, "database_swapped", unless_above=True) == top
    ctx.bus.refresh()
    after = _hall_events(ctx, seen)
    assert [(e["type"], e["reason"]) for e in after] == [("stream.reset", "restore")]


def test_a_running_server_notices_its_database_swapped_and_continues_above(api, sqlite_url, tmp_path):
    """A file copied over the database (no CLI): the bus sees ids go back and writes the reset."""
    ctx = api.ctx
    api.issue("social")
    copy = tmp_path / "older.db"
    live_path = sqlite_url.replace("sqlite:///", "")
    src = sqlite3.connect(live_path)
    dst = sqlite3.connect(str(copy))
    src.backup(dst)
    src.close()
    dst.close()
    for _ in range(4):
        api.issue("social")
    ctx.bus.refresh()
    seen = ctx.bus.last_id
    ctx.db.dispose()
    src, dst = sqlite3.connect(str(copy)), sqlite3.connect(live_path)
    src.backup(dst)
    src.close()
    dst.close()
    ctx.bus.refresh()  # notices, writes the reset above `seen`
    ctx.bus.refresh()
    after = _hall_events(ctx, seen)
    assert [e["type"] for e in after] == ["stream.reset"] and after[0]["id"] == seen + 1


def test_a_client_ahead_of_the_database_gets_a_reset_at_once(live):
    """The server started on an older database it never saw swapped: a client resuming from an
    id this database never issued is told to reset at once, then gets live events."""
    api = live.api
    api.issue("social")
    last = live.api.ctx.bus.last_id
    sse = SSE(live.url + api.hp("/events"), last_event_id=last + 50, timeout=5)
    try:
        ev = sse.next(timeout=5)
        assert ev["type"] == "stream.reset" and ev["_sse_id"] == last
        number = api.issue("social").body["number"]
        ev = sse.next({"ticket.issued"}, timeout=5)
        assert ev["ticket"]["number"] == number and ev["_sse_id"] > last
    finally:
        sse.close()


def test_the_display_page_redraws_after_a_restore_and_shows_the_next_calls(restartable, chromium,
                                                                           tmp_path):
    """Real display page in Chromium across backup -> calls -> restore -> calls."""
    hall = restartable
    api = hall.api
    staff_at(api, [1])
    for _ in range(4):
        api.issue("social")
    page = open_display(chromium, hall.url)
    try:
        first = call(api, 1)  # A001, before the backup
        page.wait_for_function("(n) => document.getElementById('hero-number').textContent === n",
                               arg=first["number"], timeout=5000)
        saved = tmp_path / "hall.db"
        r = _cli(hall.proc.env, "backup", "--out", str(saved))
        assert r.returncode == 0, r.stderr
        for _ in range(2):  # A002, A003: lost by the restore
            assert api.act(1, "finish", "clerk1", json={"outcome": "immediate"}).status == 200
            lost = call(api, 1)
        page.wait_for_function("(n) => document.getElementById('hero-number').textContent === n",
                               arg=lost["number"], timeout=5000)
        hall.proc.stop()
        hall.ctx.db.dispose()
        r = _cli(hall.proc.env, "restore", str(saved))
        assert r.returncode == 0, r.stderr
        hall.proc.start()
        # the page reconnects by itself; the restored hall has A001 at window 1
        assert api.act(1, "finish", "clerk1", json={"outcome": "immediate"}).status == 200
        again = call(api, 1)
        assert again["number"] == "A002"  # the number the lost timeline had already called
        page.wait_for_function("() => window.hallqDisplay.shown.filter(s => s.number === 'A002')"
                               ".length === 2", timeout=15000)
        shown = page.evaluate("window.hallqDisplay.shown.map(s => s.number)")
        assert shown[-1] == "A002" and shown.count("A002") == 2, shown  # called again, shown again
        page.wait_for_function("() => document.getElementById('hero-number').textContent === 'A002'",
                               timeout=5000)
        recent = page.evaluate("Array.from(document.querySelectorAll('#recent li'))"
                               ".map(e => e.textContent)")
        assert not any("A003" in r for r in recent), recent  # the lost call is gone from the screen
        assert page.errors == []
    finally:
        page.close()


def test_a_device_client_ahead_of_the_database_resets_and_gets_the_next_events(live):
    """The shared device client (announcer, LED and keypad bridges) takes the reset's lower id
    and goes on with live events instead of skipping them as already seen."""
    from client.events import EventStream
    api = live.api
    api.issue("social")
    last = api.ctx.bus.last_id
    got = []
    stream = EventStream(live.url, token=api.tokens["kiosk"], last_event_id=last + 50,
                         on_event=got.append).start()
    try:
        deadline = time.time() + 5
        while not got and time.time() < deadline:
            time.sleep(0.05)
        number = api.issue("social").body["number"]
        while len(got) < 2 and time.time() < deadline + 5:
            time.sleep(0.05)
        assert [e.type for e in got[:2]] == ["stream.reset", "ticket.issued"], got
        assert got[1].data["ticket"]["number"] == number
    finally:
        stream.close()
