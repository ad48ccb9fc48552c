"""The database: engine for SQLite (default, file under var/) or PostgreSQL, and units of work.

A unit of work is one transaction. On SQLite a writing unit starts with BEGIN IMMEDIATE, so two
windows calling at once are serialized by the database; on PostgreSQL rows are claimed with
conditional UPDATEs and events are inserted under a transaction advisory lock, so event ids become
visible in increasing order (a subscriber reading "id > last" never skips one).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import bindparam, create_engine, event, insert, text
from sqlalchemy.engine import Connection, Engine

from . import tables as t
from .prepared import Prepared, driver_sql
from .private import private_dir, private_file
from .repository import ReviewCaseRepository, TicketRepository, WindowRepository

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
EVENT_LOCK_KEY = 0x6861_6C6C  # "hall": PostgreSQL advisory lock serializing event inserts
NOTIFY_CHANNEL = "hallq_events"


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp column holds."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def default_url() -> str:
    var = private_dir(Path(os.environ.get("HALLQ_VAR", ROOT / "var")))
    return f"sqlite:///{var / 'hallq.db'}"


def database_url() -> str:
    return os.environ.get("HALLQ_DATABASE_URL") or default_url()


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=40)

        db_file = engine.url.database if engine.url.database not in (None, "", ":memory:") else None
        engine.hallq_checkpoint_elsewhere = False  # Database.checkpoint_in_background sets it

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            if db_file:
                private_file(db_file)  # its -wal and -shm files take the database file's mode
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: a ticket acknowledged to a kiosk survives a power cut (NORMAL may lose the last
            # commits); ~1-2 ms a commit. HALLQ_SQLITE_SYNCHRONOUS=NORMAL trades that for speed.
            sync = os.environ.get("HALLQ_SQLITE_SYNCHRONOUS", "FULL").upper()
            cur.execute(f"PRAGMA synchronous={sync if sync in ('FULL', 'NORMAL', 'EXTRA') else 'FULL'}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if engine.hallq_checkpoint_elsewhere:  # not in a commit, under the writers' lock
                cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            driver_sql(conn, "BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")
    else:
        engine = create_engine(url, pool_size=20, max_overflow=40, pool_pre_ping=True)
    return engine


class WritersQueue:
    """SQLite's writers of this process, one at a time (re-entrant in a thread). A call (`urgent`:
    what the hall's screens and speakers wait for) goes before the ordinary writers waiting with
    it (a finish, a kiosk's ticket, a report's note); writers of one kind have no set order, as
    with a plain lock. In a busy hall's burst (eleven windows calling, their finishes and the
    kiosks' tickets at once) a call then waits for the calls ahead of it only: bench_events.py
    measures both ways side by side. After `most_passed` calls in a row went before a waiting
    ordinary writer, one ordinary writer goes (a county server's hundreds of windows calling
    never hold a finish back for long). HALLQ_CALLS_FIRST=0 gives every writer the same rank."""

    def __init__(self, calls_first: bool | None = None, most_passed: int = 8):
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._urgent_waiting = 0
        self._passed = 0  # calls that went in a row while ordinary writers waited
        self.most_passed = most_passed
        self.waiting = 0  # writers waiting for their turn now
        if calls_first is None:
            calls_first = os.environ.get("HALLQ_CALLS_FIRST", "1") != "0"
        self.calls_first = calls_first

    def _may_go(self, urgent: bool) -> bool:
        if self._owner is not None:
            return False
        plain_waiting = self.waiting - self._urgent_waiting
        if urgent:  # an ordinary writer passed over too often goes first
            return not (plain_waiting and self._passed >= self.most_passed)
        return not self._urgent_waiting or self._passed >= self.most_passed

    def acquire(self, urgent: bool = False, done=None) -> bool:
        """Wait for the turn. `done`: a callable; once it is true the thread leaves the line
        without the turn (its work was done by the holder of a turn: `Together`) and False is
        returned. A holder sets it before it releases the turn, which wakes every waiter."""
        me = threading.get_ident()
        urgent = urgent and self.calls_first
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return True
            self.waiting += 1
            if urgent:
                self._urgent_waiting += 1
            try:
                while True:
                    if done is not None and done():
                        return False
                    if self._may_go(urgent):
                        break
                    self._cond.wait()
            finally:
                self.waiting -= 1
                if urgent:
                    self._urgent_waiting -= 1
            if not urgent:
                self._passed = 0
            elif self.waiting > self._urgent_waiting:  # ordinary writers still wait behind it
                self._passed += 1
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("the writers' turn is not this thread's")
            self._depth -= 1
            if not self._depth:
                self._owner = None
                self._cond.notify_all()


class Together:
    """Writes of one kind waiting for SQLite's writers' turn, done together by the first of their
    threads whose turn comes: one unit of work, one commit, one fan-out pass for all of them. The
    others leave the line with their outcome as soon as it is known. In a busy hall's burst
    (eleven windows calling at once) a call then waits for one batch, not for ten calls one by
    one (bench_events.py measures both; HALLQ_TOGETHER=0 turns it off).

    `submit(item, run)`: `item` is queued; in the turn, `run(items)` is called with every item
    waiting then (this thread's among them) and must give each its outcome; `item.done` (a
    threading.Event) is set for each, before the turn is let go."""

    def __init__(self, db: "Database", urgent: bool = False):
        self.db = db
        self.urgent = urgent
        self._lock = threading.Lock()
        self._waiting: list = []

    def submit(self, item, run) -> None:
        db = self.db
        with self._lock:
            self._waiting.append(item)
        with db._writers_count_lock:
            db._writers += 1
        try:
            if not db.write_lock.acquire(self.urgent, done=item.done.is_set):
                return  # done by the thread whose turn came first
        finally:
            with db._writers_count_lock:
                db._writers -= 1
        # this thread's item is among them: an item leaves the list only in a turn, and that
        # turn sets its `done` before it ends
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            run(batch)
        finally:
            for it in batch:
                it.done.set()
            db.write_lock.release()


class Database:
    """The engine plus the hooks run after a commit that carried events (the event bus). A hook is
    called with the unit of work's events as stored (dicts with their `id`), in the committing
    thread, before the next writer of this process may start."""

    def __init__(self, url: str | None = None):
        self.url = url or database_url()
        self.engine = make_engine(self.url)
        self.after_commit_hooks: list = []
        # SQLite has one writer at a time: queue writers on a lock in this process (a fast handoff)
        # rather than letting them spin in SQLite's busy handler, which sleeps up to 100 ms a try.
        self.write_lock = WritersQueue() if self.engine.dialect.name == "sqlite" else None
        # the after-commit hooks of those writers, in commit order: a writer takes it before it
        # lets the next writer in, so the bus still sees this process's commits in id order while
        # the next writer's statements run (the hooks format events: not the database's time)
        # (at most one writer waits for it: the next can only ask once it holds the write lock)
        self.publish_lock = threading.Lock() if self.write_lock is not None else None
        # call-next and 办结并叫下一位 of several windows at once: one unit of work in the writers'
        # turn (Together)
        together = self.write_lock is not None and os.environ.get("HALLQ_TOGETHER", "1") != "0"
        self.calls = Together(self, urgent=True) if together else None
        self.clock = None  # callable returning naive UTC (the app's clock: tests move time)
        self.last_commit = 0.0  # time.monotonic() of this process's last unit of work committed
        self._writers = 0  # units of work of this process holding or waiting for the write lock
        self._writers_count_lock = threading.Lock()

    @property
    def writers_busy(self) -> bool:
        """SQLite: another unit of work of this process holds or waits for the writers' lock (a
        write now will find the hall changed by the time it gets its turn)."""
        return self._writers > 0

    def now(self) -> datetime:
        return self.clock() if self.clock else utcnow()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name  # "sqlite" | "postgresql"

    @property
    def kind(self) -> str:
        return "postgresql" if self.dialect == "postgresql" else "sqlite"

    def checkpoint_in_background(self, stop: threading.Event, every_s: float = 1.0,
                                 quiet_s: float = 0.1, most_s: float = 30.0,
                                 most_bytes: int = 64 << 20) -> None:
        """SQLite: copy the write-ahead log into the database file from a thread of its own
        (PASSIVE: writers go on meanwhile), instead of in whichever commit crosses 1,000 pages,
        where it held the writers' lock for tens of milliseconds. Commits stay as durable.

        At most every `every_s`, and in a quiet moment (no unit of work committed for `quiet_s`):
        a checkpoint writes and flushes the database file, and a commit's flush of the log that
        comes meanwhile waits for the disk (in a busy hall's bench, one a second put the call
        p99 8 ms higher). A hall that is never quiet is checkpointed anyway after `most_s`, or
        once the log holds `most_bytes`."""
        if self.dialect != "sqlite" or self.engine.url.database in (None, "", ":memory:"):
            return
        self.engine.hallq_checkpoint_elsewhere = True
        self.engine.dispose()  # pooled connections reopen without the automatic checkpoint
        wal = f"{self.engine.url.database}-wal"

        def log_bytes() -> int:
            try:
                return os.path.getsize(wal)
            except OSError:
                return 0

        def run():
            last = time.monotonic()
            look_s = max(0.02, min(quiet_s, every_s))
            while not stop.wait(look_s):
                now = time.monotonic()
                if now - last < every_s:
                    continue
                if (now - self.last_commit < quiet_s and now - last < most_s
                        and log_bytes() < most_bytes):
                    continue  # the hall is writing: wait for a pause
                try:
                    with self.engine.connect() as conn:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                except Exception:
                    log.warning("WAL checkpoint failed; retrying", exc_info=True)
                last = time.monotonic()

        threading.Thread(target=run, name="hallq-wal-checkpoint", daemon=True).start()

    def uow(self, urgent: bool = False) -> "UnitOfWork":
        """A unit of work; `urgent` (a call) goes before ordinary writers waiting for their turn."""
        return UnitOfWork(self, urgent)

    @contextmanager
    def read(self):
        """A read-only transaction (a consistent snapshot on both databases)."""
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def dispose(self):
        self.engine.dispose()


# built once and run on the driver's cursor (store/prepared.py): a call stores one event
_EVENT_COLUMNS = ("hall_id", "type", "ticket_id", "window", "actor", "data", "created_at")
_INSERT_EVENT = Prepared(insert(t.events).values({c: bindparam(c) for c in _EVENT_COLUMNS}),
                         returning_id=t.events.c.id)


class UnitOfWork:
    """One writing transaction. Collect events with emit(); they are stored at commit and announced
    to subscribers only after the commit succeeded. `tickets`, `windows` and `cases` are the
    repositories (store/repository.py) working in this transaction."""

    def __init__(self, db: Database, urgent: bool = False):
        self.db = db
        self.urgent = urgent
        self.conn: Connection | None = None
        self.events: list[dict] = []
        self.committed = False

    def __enter__(self) -> "UnitOfWork":
        self._locked = False
        if self.db.write_lock is not None:
            with self.db._writers_count_lock:
                self.db._writers += 1
            self.db.write_lock.acquire(self.urgent)
            self._locked = True
        try:
            self.conn = self.db.engine.connect().execution_options(write=True)
            self.tx = self.conn.begin()
            self.tickets = TicketRepository(self.conn)
            self.windows = WindowRepository(self.conn, self.tickets)
            self.cases = ReviewCaseRepository(self.conn)
        except BaseException:
            self._release()
            raise
        return self

    def _release(self):
        if self._locked:
            self._locked = False
            with self.db._writers_count_lock:
                self.db._writers -= 1
            self.db.write_lock.release()

    def execute(self, *args, **kwargs):
        return self.conn.execute(*args, **kwargs)

    def emit(self, hall_id: int, type_: str, *, ticket_id=None, window=None, actor=None,
             data: dict | None = None) -> dict:
        ev = {"hall_id": hall_id, "type": type_, "ticket_id": ticket_id, "window": window,
              "actor": actor, "data": data or {}, "created_at": self.db.now()}
        self.events.append(ev)
        return ev

    def commit(self) -> list[int]:
        ids: list[int] = []
        if self.events:
            if self.db.dialect == "postgresql":
                self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENT_LOCK_KEY})
            for ev in self.events:
                ev["created_at"] = self.db.now()
                ev["id"] = _INSERT_EVENT.insert(self.conn, ev)
                ids.append(ev["id"])
            if self.db.dialect == "postgresql":
                self.conn.execute(text("SELECT pg_notify(:c, :p)"),
                                  {"c": NOTIFY_CHANNEL, "p": str(ids[-1])})
        self.tx.commit()
        self.committed = True
        self.db.last_commit = time.monotonic()
        self.conn.close()
        if not ids:
            self._release()
            return ids
        publishing = self.db.publish_lock if self._locked else None
        if publishing is not None:
            publishing.acquire()  # before the next writer may commit: hooks stay in id order
        self._release()
        try:
            # hooks see the commits of this process in id order, so the bus can publish them as
            # they are
            for hook in self.db.after_commit_hooks:
                try:
                    hook(self.events)
                except Exception:  # a subscriber hook must never undo a committed change
                    log.exception("after-commit hook failed")
        finally:
            if publishing is not None:
                publishing.release()
        return ids

    def __exit__(self, exc_type, exc, tb):
        try:
            if not self.committed and self.tx.is_active:
                self.tx.rollback()
        finally:
            self.conn.close()
            self._release()
        return False
