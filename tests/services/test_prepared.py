"""The hot statements on the driver's cursor (store/prepared.py) against SQLAlchemy's own
execution, on SQLite and PostgreSQL: the same values go in and come back, in the unit of work's
transaction, and the driver's errors arrive as SQLAlchemy's."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.store import tables as t
from server.store.prepared import Prepared

AT = datetime(2026, 11, 25, 9, 30, 15, 123456)


def _window_id(conn) -> int:
    return conn.execute(select(t.windows.c.id).order_by(t.windows.c.id)).scalars().first()


def test_a_row_comes_back_as_sqlalchemy_gives_it(any_ctx):
    q = Prepared(select(t.windows).where(t.windows.c.id == bindparam("wid"),
                                         t.windows.c.active.is_(True)))
    with any_ctx.db.engine.connect() as conn, conn.begin():
        wid = _window_id(conn)
        conn.execute(update(t.windows).where(t.windows.c.id == wid).values(
            services=["social", "agri"], paused_at=AT, pause_reason="午休 lunch", status="paused"))
        want = conn.execute(select(t.windows).where(t.windows.c.id == wid)).one()
        got = q.first(conn, {"wid": wid})
        at = q.index(conn)
        assert {c: got[at[c]] for c in want._fields} == want._asdict()
        assert got[at["paused_at"]] == AT and got[at["services"]] == ["social", "agri"]
        assert got[at["active"]] is True
        assert q.first(conn, {"wid": -1}) is None
        with pytest.raises(KeyError):  # a parameter left out is an error, not a NULL
            q.first(conn, {})
        assert q.all(conn, {"wid": wid}) == [got]


def test_writes_go_in_as_sqlalchemy_writes_them_in_the_same_transaction(any_ctx):
    c = t.windows.c
    save = Prepared(update(t.windows).where(c.id == bindparam("_id"), c.status == bindparam("_was"))
                    .values(paused_at=bindparam("v_at"), services=bindparam("v_services"),
                            status=bindparam("v_status")))
    with any_ctx.db.engine.connect() as conn:
        with conn.begin():
            wid = _window_id(conn)
            was = conn.execute(select(c.status).where(c.id == wid)).scalar_one()
            params = {"_id": wid, "_was": was, "v_at": AT, "v_services": ["tax"], "v_status": "paused"}
            assert save.rowcount(conn, params) == 1
            # the guard: the status is no longer what was read
            assert save.rowcount(conn, params) == 0
            row = conn.execute(select(t.windows).where(c.id == wid)).one()  # same transaction
            assert (row.paused_at, row.services, row.status) == (AT, ["tax"], "paused")
            conn.rollback()
        assert conn.execute(select(c.status).where(c.id == wid)).scalar_one() == was  # rolled back
        conn.rollback()


def test_an_insert_gives_the_new_id_and_the_stored_event(any_ctx):
    cols = ("hall_id", "type", "ticket_id", "window", "actor", "data", "created_at")
    add = Prepared(insert(t.events).values({k: bindparam(k) for k in cols}), returning_id=t.events.c.id)
    with any_ctx.db.engine.connect() as conn, conn.begin():
        hall_id = conn.execute(select(t.halls.c.id)).scalars().first()
        top = conn.execute(select(t.events.c.id).order_by(t.events.c.id.desc())).scalars().first() or 0
        data = {"ticket": {"number": "A007", "window": "3 号窗口"}, "waiting": {"social": 2}}
        ids = [add.insert(conn, {"hall_id": hall_id, "type": "ticket.called", "ticket_id": None,
                                 "window": 3, "actor": "user:1", "data": data, "created_at": AT})
               for _ in range(2)]
        assert ids[0] > top and ids[1] == ids[0] + 1
        row = conn.execute(select(t.events).where(t.events.c.id == ids[1])).one()
        assert (row.type, row.window, row.data, row.created_at) == ("ticket.called", 3, data, AT)


def test_the_drivers_errors_are_sqlalchemys(any_ctx):
    c = t.windows.c
    renumber = Prepared(update(t.windows).where(c.id == bindparam("_id")).values(number=bindparam("n")))
    with any_ctx.db.engine.connect() as conn, conn.begin():
        first, second = conn.execute(select(c.id, c.number).order_by(c.id).limit(2)).all()
        with pytest.raises(IntegrityError):  # (hall, number) is unique
            renumber.rowcount(conn, {"_id": second.id, "n": first.number})
