"""The repositories' contract, on SQLite, on PostgreSQL and on the in-memory fake the service tests
use (tests/services/fake_store.py): the same steps give the same answers, so a service test on the
fake says something about the real store."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from server.domain.cases import ReviewCase
from server.domain.errors import NotFound, WrongState
from server.domain.tickets import Ticket
from tests.services.fake_store import FakeApp

NOW = datetime(2026, 11, 25, 2, 0)
DAY = "2026-11-25"


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
def store(request, tmp_path):
    """(app, hall) for the fake, or for a real database."""
    if request.param == "fake":
        app = FakeApp(NOW)
        yield app, app.hall(None, "main")
        return
    from tests.conftest import _ctx_fixture
    url = (f"sqlite:///{tmp_path / 'hallq.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_cluster").new_database())
    for ctx in _ctx_fixture(url, tmp_path):
        with ctx.db.read() as conn:
            hall = ctx.hall(conn, "main")
        yield ctx, hall


def new_ticket(hall, n, minutes=0, **kw) -> Ticket:
    at = NOW.replace(minute=minutes)
    return Ticket(id=None, hall_id=hall.id, day=DAY, service="social", first_service="social",
                  number=f"A{n:03d}", token=f"contract-{n}", queued_at=at, issued_at=at, **kw)


def seed(app, hall, count=3) -> list[int]:
    with app.uow() as uow:
        tickets = [new_ticket(hall, i + 1, minutes=i) for i in range(count)]
        for t in tickets:
            assert uow.tickets.add(t) and t.id is not None
        uow.commit()
    return [t.id for t in tickets]


def test_a_ticket_saved_by_one_hand_is_not_overwritten_by_another(store):
    app, hall = store
    first, *_ = seed(app, hall)
    with app.uow() as uow:
        mine, theirs = uow.tickets.get(hall.id, first), uow.tickets.get(hall.id, first)
        theirs.call(2, None, NOW)
        uow.tickets.save(theirs)
        mine.call(1, None, NOW)
        assert uow.tickets.try_save(mine) is False
        with pytest.raises(WrongState) as stale:
            uow.tickets.save(mine)
        assert stale.value.code == "stale"
        assert uow.tickets.claim(first) is None  # no longer waiting
        uow.commit()
    with app.uow() as uow:
        assert uow.tickets.get(hall.id, first).window == 2


def test_waiting_tickets_come_in_arrival_order_with_counts(store):
    app, hall = store
    ids = seed(app, hall, 3)
    with app.uow() as uow:
        waiting = uow.tickets.waiting(hall.id, DAY, ["social"])
        assert [c.id for c in waiting] == ids
        assert uow.tickets.waiting_counts(hall, DAY)["social"] == 3
        t = uow.tickets.claim(ids[1])
        t.call(1, None, NOW)
        uow.tickets.save(t)
        assert uow.tickets.waiting_counts(hall, DAY)["social"] == 2
        assert [c.id for c in uow.tickets.waiting(hall.id, DAY, ["social"])] == [ids[0], ids[2]]
        assert uow.tickets.waiting(hall.id, "2026-11-26", ["social"]) == []
        with pytest.raises(NotFound):
            uow.tickets.get(hall.id, 10 ** 9)


def test_nothing_is_kept_without_a_commit(store):
    app, hall = store
    first, *_ = seed(app, hall, 1)
    with app.uow() as uow:
        t = uow.tickets.get(hall.id, first)
        t.cancel(NOW)
        uow.tickets.save(t)
    with app.uow() as uow:
        assert uow.tickets.get(hall.id, first).status == "waiting"


def test_a_window_comes_with_its_current_ticket_while_it_is_active(store):
    app, hall = store
    first, *_ = seed(app, hall, 1)
    with app.uow() as uow:
        w = uow.windows.get(hall.id, 1)
        t = uow.tickets.claim(first)
        t.call(1, None, NOW)
        uow.tickets.save(t)
        w.take(t)
        uow.windows.save(w)
        uow.commit()
    with app.uow() as uow:
        w = uow.windows.get(hall.id, 1)
        assert w.busy and w.current.id == first and w.current.status == "called"
        w.current.no_show(NOW)
        uow.tickets.save(w.current)
        uow.commit()
    with app.uow() as uow:
        w = uow.windows.get(hall.id, 1)
        assert w.current_ticket_id == first and w.current is None and not w.busy
        with pytest.raises(NotFound):
            uow.windows.get(hall.id, 999)


def test_a_review_case_keeps_its_steps_and_closes_once(store):
    app, hall = store
    first, *_ = seed(app, hall, 1)
    with app.uow() as uow:
        case = ReviewCase(id=None, hall_id=hall.id, ticket_id=first, rating_id=4242,
                          due_date=date(2026, 12, 16), opened_at=NOW)
        uow.cases.add(case)
        uow.commit()
    with app.uow() as uow:
        one, other = uow.cases.get(hall.id, case.id), uow.cases.get(hall.id, case.id)
        for step in ("verify", "rectify", "callback"):
            one.add_step(step, "说明", None, NOW)
        uow.cases.save(one)
        other.void("恶意差评", None, NOW)
        with pytest.raises(WrongState) as stale:
            uow.cases.save(other)
        assert stale.value.code == "stale"
        uow.commit()
    with app.uow() as uow:
        again = uow.cases.get(hall.id, case.id)
        assert again.status == "closed" and [s.step for s in again.steps] == ["verify", "rectify", "callback"]
        assert all(s.id is not None for s in again.steps) and again.new_steps == []
