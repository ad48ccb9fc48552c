"""Repositories on the unit of work: load domain objects (Ticket, Window, ReviewCase), save them.

Saves are conditional UPDATEs: a ticket is written only "WHERE status = the status it was read
with", so a ticket changed meanwhile is never overwritten and two windows calling at once never
get the same ticket. On SQLite a writing unit of work starts with BEGIN IMMEDIATE (one writer at a
time); on PostgreSQL a window claims a waiting ticket with SELECT ... FOR UPDATE SKIP LOCKED (a
ticket another window is claiming is skipped, not waited for) and the conditional UPDATE.
"""
from __future__ import annotations

from dataclasses import fields

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..domain import queue as qdomain
from ..domain.cases import ReviewCase, Step
from ..domain.errors import NotFound, WrongState
from ..domain.tickets import ACTIVE, Ticket
from ..domain.windows import Window
from . import tables as t
from .prepared import Prepared

TICKET_COLUMNS = tuple(f.name for f in fields(Ticket) if f.name != "loaded_status")
WINDOW_COLUMNS = tuple(f.name for f in fields(Window) if f.name != "current")
CASE_COLUMNS = ("id", "hall_id", "ticket_id", "rating_id", "due_date", "opened_at", "status",
                "closed_at", "void_reason")


# The hot statements of calling and finishing, built once and run on the driver's cursor
# (store/prepared.py): a window's call is a handful of them, and SQLAlchemy's execution path cost
# about as much interpreter time as SQLite's own work on each.
_tc = t.tickets.c
_TICKET_BY_ID = Prepared(select(t.tickets).where(_tc.id == bindparam("ticket_id")))
_TICKET_OF_HALL = Prepared(select(t.tickets).where(_tc.id == bindparam("ticket_id"),
                                                   _tc.hall_id == bindparam("hall_id")))
_TICKET_BY_KEY = Prepared(select(t.tickets).where(_tc.hall_id == bindparam("hall_id"),
                                                  _tc.idempotency_key == bindparam("key")))
# (the statuses as three comparisons: a literal IN list is an expanding parameter)
_LEFT_OPEN = Prepared(select(t.tickets).where(_tc.hall_id == bindparam("hall_id"), _tc.day < bindparam("day"),
                                              or_(*(_tc.status == s for s in ("waiting", "called", "serving"))))
                      .order_by(_tc.id))
_WAITING: dict[int, object] = {}  # per number of services: "IN (?, ?)" built once (an expanding
# list parameter would have its SQL rewritten on every call)


def _waiting_of(n: int):
    stmt = _WAITING.get(n)
    if stmt is None:
        stmt = _WAITING[n] = Prepared(
            select(_tc.id, _tc.service, _tc.queued_at, _tc.priority, _tc.appointment_id, _tc.source)
            .where(_tc.hall_id == bindparam("hall_id"), _tc.day == bindparam("day"), _tc.status == "waiting",
                   _tc.service.in_([bindparam(f"s{i}") for i in range(n)]))
            .order_by(_tc.queued_at, _tc.id))
    return stmt


# the day's whole queue (every service), in the order _waiting_of reads a window's share of it
_WAITING_ALL = Prepared(select(_tc.id, _tc.service, _tc.queued_at, _tc.priority, _tc.appointment_id, _tc.source)
                .where(_tc.hall_id == bindparam("hall_id"), _tc.day == bindparam("day"),
                       _tc.status == "waiting")
                .order_by(_tc.queued_at, _tc.id))

_CLAIM = select(t.tickets).where(_tc.id == bindparam("ticket_id"), _tc.status == "waiting")
# (PostgreSQL: a ticket another window is claiming right now is skipped, not waited for)
_CLAIMS = {"sqlite": Prepared(_CLAIM),
           "postgresql": Prepared(_CLAIM.with_for_update(skip_locked=True))}
_WAITING_COUNTS = Prepared(select(_tc.service, func.count())
                           .where(_tc.hall_id == bindparam("hall_id"), _tc.day == bindparam("day"),
                                  _tc.status == "waiting").group_by(_tc.service))
_WINDOW = select(t.windows).where(t.windows.c.hall_id == bindparam("hall_id"),
                                  t.windows.c.number == bindparam("number"),
                                  t.windows.c.active.is_(True))
_WINDOWS = {False: Prepared(_WINDOW), True: Prepared(_WINDOW.with_for_update())}  # by: locked


_INSERT_TICKET = Prepared(t.tickets.insert().values(
    {c: bindparam(c) for c in TICKET_COLUMNS if c != "id"}), returning_id=_tc.id)
_NEXT_NUMBER: dict[str, object] = {}  # the day's counter upsert, one per dialect


class _Updates:
    """A save's UPDATE for each set of changed columns, built once: a window's call and finish
    change the same few columns every time, so SQLAlchemy reuses the statement's cache key and
    compiled form instead of building, hashing and compiling a new one per save. Values go in as
    bind parameters named v_<column>; the WHERE takes `_id` (and `_was`, the status as read)."""

    def __init__(self, table, guarded: bool):
        self.table, self.guarded = table, guarded
        self.built: dict[tuple, object] = {}

    def __call__(self, conn, values: dict, id_, was=None) -> int:
        """Run the UPDATE: the number of rows it changed."""
        cols = tuple(values)
        stmt = self.built.get(cols)
        if stmt is None:
            c = self.table.c
            where = [c.id == bindparam("_id")]
            if self.guarded:
                where.append(c.status == bindparam("_was", type_=c.status.type))
            stmt = Prepared(update(self.table).where(*where).values(
                {k: bindparam("v_" + k, type_=c[k].type) for k in cols}))
            if len(self.built) < 512:  # column sets are few; never grow without bound
                self.built[cols] = stmt
        params = {"v_" + k: v for k, v in values.items()}
        params["_id"] = id_
        if self.guarded:
            params["_was"] = was
        return stmt.rowcount(conn, params)


_TICKET_UPDATE = _Updates(t.tickets, guarded=True)
_WINDOW_UPDATE = _Updates(t.windows, guarded=False)


def stale(zh="号票状态已变化", en="the ticket") -> WrongState:
    return WrongState(f"{zh}，请刷新 ({en} changed meanwhile)", code="stale")


class _Snapshots:
    """Column values as loaded, so a save writes only what the domain changed."""

    def __init__(self, columns):
        self.columns = columns
        self.seen: dict[int, dict] = {}

    def remember(self, obj):
        self.seen[id(obj)] = {c: getattr(obj, c) for c in self.columns}
        return obj

    def changes(self, obj) -> dict:
        before = self.seen.get(id(obj), {})
        return {c: getattr(obj, c) for c in self.columns
                if c != "id" and (c not in before or before[c] != getattr(obj, c))}


class TicketRepository:
    def __init__(self, conn: Connection):
        self.conn = conn
        self._snap = _Snapshots(TICKET_COLUMNS)
        # keep_queue(): the day's queue read once and kept up to date by this unit of work's own
        # writes, for windows calling one after another in one unit of work (services/queue.py
        # _run_together): each call then reads no queue and no waiting counts of its own
        self._queues: dict[tuple, list] | None = None

    def keep_queue(self) -> None:
        """Read each day's queue once in this unit of work (every write to tickets in it must go
        through this repository, as the windows' calls and finishes do)."""
        if self._queues is None:
            self._queues = {}

    def _queue(self, hall_id: int, day: str) -> list[qdomain.Candidate]:
        q = self._queues.get((hall_id, day))
        if q is None:
            q = self._queues[(hall_id, day)] = qdomain.from_rows(
                _WAITING_ALL.all(self.conn, {"hall_id": hall_id, "day": day}))
        return q

    def _keep_queue_of(self, ticket: Ticket) -> None:
        """A ticket of this unit of work was written: the kept queue follows it."""
        if not self._queues:
            return
        if ticket.status == "waiting":  # (back) in a queue: read it again when next asked
            self._queues.clear()
            return
        q = self._queues.get((ticket.hall_id, ticket.day))
        if q is not None:
            q[:] = [c for c in q if c.id != ticket.id]

    def _ticket(self, row: tuple, at: dict[str, int]) -> Ticket:
        """A ticket from a row of one of the statements above (`at`: their column positions)."""
        return self._snap.remember(Ticket(**{c: row[at[c]] for c in TICKET_COLUMNS}))

    def _load(self, q: Prepared, params: dict) -> Ticket | None:
        row = q.first(self.conn, params)
        return None if row is None else self._ticket(row, q.index(self.conn))

    def by_id(self, ticket_id: int) -> Ticket | None:
        return self._load(_TICKET_BY_ID, {"ticket_id": ticket_id})

    def get(self, hall_id: int, ticket_id) -> Ticket:
        """The hall's ticket, or NotFound unknown_ticket."""
        if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
            raise NotFound("没有这张号票 (unknown ticket)", code="unknown_ticket")
        ticket = self._load(_TICKET_OF_HALL, {"ticket_id": ticket_id, "hall_id": hall_id})
        if ticket is None:
            raise NotFound("没有这张号票 (unknown ticket)", code="unknown_ticket")
        return ticket

    def by_idempotency_key(self, hall_id: int, key: str) -> Ticket | None:
        return self._load(_TICKET_BY_KEY, {"hall_id": hall_id, "key": key})

    def next_number(self, hall_id: int, day: str, prefix: str) -> int:
        """The day's next sequence number for `prefix` (an upsert: numbers are never reused)."""
        stmt = _NEXT_NUMBER.get(self.conn.dialect.name)
        if stmt is None:
            if self.conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            else:
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            stmt = dialect_insert(t.counters).values(hall_id=bindparam("hall_id"), day=bindparam("day"),
                                                     prefix=bindparam("prefix"), last=1)
            stmt = _NEXT_NUMBER[self.conn.dialect.name] = Prepared(stmt.on_conflict_do_update(
                index_elements=["hall_id", "day", "prefix"],
                set_={"last": t.counters.c.last + 1}).returning(t.counters.c.last))
        return stmt.first(self.conn, {"hall_id": hall_id, "day": day, "prefix": prefix})[0]

    def add(self, ticket: Ticket) -> bool:
        """Insert a new ticket (sets its id). False if its Idempotency-Key was taken meanwhile."""
        values = {c: getattr(ticket, c) for c in TICKET_COLUMNS if c != "id"}
        if not ticket.idempotency_key:  # no key, no retry to lose to: no SAVEPOINT around it
            ticket.id = _INSERT_TICKET.insert(self.conn, values)
        else:
            try:
                with self.conn.begin_nested():
                    ticket.id = _INSERT_TICKET.insert(self.conn, values)
            except IntegrityError:  # a concurrent retry with the same key won (PostgreSQL)
                return False
        ticket.loaded_status = ticket.status
        self._snap.remember(ticket)
        self._keep_queue_of(ticket)
        return True

    def try_save(self, ticket: Ticket) -> bool:
        """Write the ticket's changes if its status is still the one it was read with."""
        values = self._snap.changes(ticket)
        if values:
            if _TICKET_UPDATE(self.conn, values, ticket.id, ticket.loaded_status) != 1:
                return False
        ticket.loaded_status = ticket.status
        self._snap.remember(ticket)
        self._keep_queue_of(ticket)
        return True

    def save(self, ticket: Ticket) -> None:
        if not self.try_save(ticket):
            raise stale()

    def waiting(self, hall_id: int, day: str, services: list[str]) -> list[qdomain.Candidate]:
        """The day's waiting tickets of `services`, as the queue ordering sees them."""
        codes = list(services)
        if not codes:
            return []
        if self._queues is not None:
            wanted = set(codes)
            return [c for c in self._queue(hall_id, day) if c.service in wanted]
        params = {f"s{i}": code for i, code in enumerate(codes)}
        params.update(hall_id=hall_id, day=day)
        return qdomain.from_rows(_waiting_of(len(codes)).all(self.conn, params))

    def claim(self, ticket_id: int) -> Ticket | None:
        """The ticket if it is still waiting and no other window is claiming it right now."""
        return self._load(_CLAIMS[self.conn.dialect.name], {"ticket_id": ticket_id})

    def waiting_counts(self, hall, day: str) -> dict[str, int]:
        counts = {s.code: 0 for s in hall.config.services}
        if self._queues is not None:
            kept: dict[str, int] = {}
            for c in self._queue(hall.id, day):
                kept[c.service] = kept.get(c.service, 0) + 1
            counts.update({code: kept[code] for code in sorted(kept)})  # (GROUP BY's order)
            return counts
        rows = _WAITING_COUNTS.all(self.conn, {"hall_id": hall.id, "day": day})
        counts.update({r[0]: r[1] for r in rows})
        return counts

    def left_open_before(self, hall_id: int, day: str) -> list[Ticket]:
        """Tickets still waiting, called or serving from days before `day`."""
        at = _LEFT_OPEN.index(self.conn)
        return [self._ticket(r, at) for r in _LEFT_OPEN.all(self.conn, {"hall_id": hall_id, "day": day})]


class WindowRepository:
    def __init__(self, conn: Connection, tickets: TicketRepository):
        self.conn, self.tickets = conn, tickets
        self._snap = _Snapshots(WINDOW_COLUMNS)

    def get(self, hall_id: int, number: int, lock: bool = True) -> Window:
        """The active window with its current ticket (locked on PostgreSQL), or NotFound."""
        q = _WINDOWS[lock and self.conn.dialect.name == "postgresql"]
        row = q.first(self.conn, {"hall_id": hall_id, "number": number})
        if row is None:
            raise NotFound(f"没有 {number} 号窗口 (unknown window {number})", code="unknown_window")
        at = q.index(self.conn)
        w = Window(**{c: row[at[c]] for c in WINDOW_COLUMNS})
        w.services = list(w.services or [])
        if w.current_ticket_id:
            cur = self.tickets.by_id(w.current_ticket_id)
            w.current = cur if cur is not None and cur.status in ACTIVE else None
        return self._snap.remember(w)

    def save(self, window: Window) -> None:
        values = self._snap.changes(window)
        if values:
            _WINDOW_UPDATE(self.conn, values, window.id)
        self._snap.remember(window)

    def leave_others(self, hall_id: int, staff_id: int, keep: Window) -> None:
        """One staff member works one window at a time: sign them out of their other free windows."""
        self.conn.execute(update(t.windows).where(t.windows.c.hall_id == hall_id,
                                                  t.windows.c.staff_id == staff_id,
                                                  t.windows.c.id != keep.id,
                                                  t.windows.c.current_ticket_id.is_(None))
                          .values(staff_id=None, status="closed", signed_in_at=None))

    def release_tickets(self, hall_id: int, ticket_ids: list[int]) -> None:
        """Windows whose current ticket is one of `ticket_ids` have none any more."""
        if ticket_ids:
            self.conn.execute(update(t.windows).where(
                t.windows.c.hall_id == hall_id,
                t.windows.c.current_ticket_id.in_(ticket_ids)).values(current_ticket_id=None))


class ReviewCaseRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, hall_id: int, case_id, lock: bool = True) -> ReviewCase:
        if isinstance(case_id, bool) or not isinstance(case_id, int):
            raise NotFound("没有这个差评整改件 (unknown review case)", code="unknown_case")
        q = select(t.review_cases).where(t.review_cases.c.id == case_id,
                                         t.review_cases.c.hall_id == hall_id)
        if lock and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFound("没有这个差评整改件 (unknown review case)", code="unknown_case")
        steps = [Step(s.step, s.text, s.user_id, s.created_at, s.id) for s in self.conn.execute(
            select(t.review_steps).where(t.review_steps.c.case_id == row.id).order_by(t.review_steps.c.id))]
        return ReviewCase(**{c: getattr(row, c) for c in CASE_COLUMNS}, steps=steps)

    def add(self, case: ReviewCase) -> None:
        case.id = self.conn.execute(t.review_cases.insert().values(
            **{c: getattr(case, c) for c in CASE_COLUMNS if c != "id"})).inserted_primary_key[0]
        case.loaded_status = case.status

    def save(self, case: ReviewCase) -> None:
        """New steps are inserted; a status change is written only if nobody changed it meanwhile."""
        if case.status != case.loaded_status:
            n = self.conn.execute(update(t.review_cases).where(
                t.review_cases.c.id == case.id, t.review_cases.c.status == case.loaded_status).values(
                status=case.status, closed_at=case.closed_at, void_reason=case.void_reason)).rowcount
            if n != 1:
                raise stale("该差评件已变化", "the case")
            case.loaded_status = case.status
        for i, s in enumerate(case.steps):
            if s.id is None:
                sid = self.conn.execute(t.review_steps.insert().values(
                    case_id=case.id, step=s.step, text=s.text, user_id=s.user_id,
                    created_at=s.created_at)).inserted_primary_key[0]
                case.steps[i] = Step(s.step, s.text, s.user_id, s.created_at, sid)
