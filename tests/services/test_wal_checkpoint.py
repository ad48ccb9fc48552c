"""The event server copies SQLite's write-ahead log into the database file from a thread of its own
(store/db.py `checkpoint_in_background`), not inside whichever commit crosses 1,000 pages while
holding the writers' lock; commits are as durable as before (synchronous stays as configured)."""
from __future__ import annotations

import sqlite3
import threading
import time

from sqlalchemy import text

from server.store.db import Database


def rows_in_the_file_alone(path) -> int:
    """Rows the database file holds without its write-ahead log (immutable: the log is ignored).
    Read while a checkpoint is copying pages into the file, the file can be half new ("malformed"
    to a reader that was promised it does not change): read it again."""
    for attempt in range(50):
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM notes").fetchone()[0]
        except sqlite3.DatabaseError:
            if attempt == 49:
                raise
            time.sleep(0.02)
        finally:
            conn.close()


def test_commits_do_not_checkpoint_and_the_background_thread_does(tmp_path):
    path = tmp_path / "hallq.db"
    db = Database(f"sqlite:///{path}")
    waiting, copying = threading.Event(), threading.Event()
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        db.checkpoint_in_background(waiting, every_s=3600)  # the thread waits: nothing copies yet
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() in (1, 2)  # as configured
        before = rows_in_the_file_alone(path)
        for i in range(1200):  # ~1,200 pages of log: a commit would have checkpointed on its own
            with db.uow() as uow:
                uow.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": "x" * 4000})
                uow.commit()
        assert rows_in_the_file_alone(path) == before  # still only in the log
        db.checkpoint_in_background(copying, every_s=0.05)
        deadline = time.monotonic() + 10
        while rows_in_the_file_alone(path) < before + 1200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rows_in_the_file_alone(path) == before + 1200
    finally:
        waiting.set()
        copying.set()
        db.dispose()


def _notes_db(path) -> Database:
    db = Database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    return db


def _write(db, n=1):
    for _ in range(n):
        with db.uow() as uow:
            uow.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": "x" * 4000})
            uow.commit()


def test_the_checkpoint_waits_for_a_pause_in_the_hall_s_writes(tmp_path):
    """A checkpoint flushes the database file, and commits meanwhile wait for the disk: while
    units of work keep committing it waits for a pause (quiet_s without a commit)."""
    path = tmp_path / "hallq.db"
    db = _notes_db(path)
    stop = threading.Event()
    try:
        _write(db)
        # (its start closes the pooled connections: the log so far goes into the file)
        db.checkpoint_in_background(stop, every_s=0.05, quiet_s=0.5, most_s=3600, most_bytes=1 << 40)
        before = rows_in_the_file_alone(path)
        written = 0
        until = time.monotonic() + 1.5
        while time.monotonic() < until:  # a commit every 20 ms: never 0.5 s quiet
            _write(db)
            written += 1
            time.sleep(0.02)
            assert rows_in_the_file_alone(path) == before, "checkpointed while the hall was writing"
        deadline = time.monotonic() + 10  # the pause: now it copies
        while rows_in_the_file_alone(path) < before + written and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rows_in_the_file_alone(path) == before + written
    finally:
        stop.set()
        db.dispose()


def test_a_hall_that_never_pauses_is_checkpointed_once_its_log_is_large(tmp_path):
    path = tmp_path / "hallq.db"
    db = _notes_db(path)
    stop = threading.Event()
    try:
        _write(db)
        db.checkpoint_in_background(stop, every_s=0.05, quiet_s=0.3, most_s=3600,
                                    most_bytes=400 << 10)  # about 100 commits of this size
        before = rows_in_the_file_alone(path)
        copied = False
        until = time.monotonic() + 10
        while not copied and time.monotonic() < until:  # never quiet
            _write(db)
            time.sleep(0.01)
            copied = rows_in_the_file_alone(path) > before
        assert copied, "a log past most_bytes was not checkpointed"
    finally:
        stop.set()
        db.dispose()
