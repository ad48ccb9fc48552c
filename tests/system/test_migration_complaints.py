"""Migration 0017: ratings and review cases may name no visit. On SQLite the two tables are rebuilt
(batch mode) while other tables refer to review_cases; a hall's existing cases, their steps and
回访 phones come through unchanged, and foreign keys are enforced again afterwards."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from server.store import tables as t
from server.store.migrate import alembic_config, upgrade
from tests.fixtures.migrations import add_hall, old_engine, upgrade_all_but  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 30, 3, 0)


def test_existing_cases_survive_and_a_rating_may_then_name_no_visit(old_engine):
    engine = old_engine
    upgrade_all_but(engine, "0017_complaints")  # 0017_complaints and 0017_complaints_key
    # explicit ids above what the sequences hand out next (PostgreSQL)
    with engine.begin() as c:
        assert "visit_day" not in {col["name"] for col in inspect(c).get_columns("ratings")}  # before 0017
        add_hall(c)
        c.exec_driver_sql("INSERT INTO ratings (id, hall_id, ticket_id, \"window\", staff_id, service, "
                          "level, reasons, source, created_at) VALUES "
                          "(101, 1, 10, 1, 2, 'social', 1, '[\"attitude\"]', 'evaluator', '2026-11-30 03:00:00')")
        c.exec_driver_sql("INSERT INTO review_cases (id, hall_id, rating_id, ticket_id, status, "
                          "opened_at, due_date) VALUES (101, 1, 101, 10, 'open', '2026-11-30 03:00:00', "
                          "'2026-12-21')")
        c.exec_driver_sql("INSERT INTO review_steps (id, case_id, step, text, user_id, created_at) "
                          "VALUES (101, 101, 'verify', '属实', 2, '2026-11-30 03:00:00')")
        c.exec_driver_sql("INSERT INTO case_contacts (id, hall_id, case_id, phone_masked, consent_at) "
                          "VALUES (101, 1, 101, '139****1111', '2026-11-30 03:00:00')")
    command.upgrade(alembic_config(engine), "0017_complaints")  # as a hall that took the first step
    upgrade(engine)
    with engine.begin() as c:
        assert c.execute(select(t.ratings.c.ticket_id, t.ratings.c.level, t.ratings.c.reasons,
                                t.ratings.c.visit_day)).all() == [(10, 1, ["attitude"], None)]
        assert c.execute(select(t.review_steps.c.text)).scalars().all() == ["属实"]
        assert c.execute(select(t.case_contacts.c.phone_masked)).scalars().all() == ["139****1111"]
        rid = c.execute(insert(t.ratings).values(
            hall_id=1, ticket_id=None, service="social", level=None, reasons=[], comment="投诉",
            source="hotline", created_at=NOW, visit_day=date(2026, 11, 20), recorded_by=3)
        ).inserted_primary_key[0]
        c.execute(insert(t.review_cases).values(hall_id=1, rating_id=rid, ticket_id=None,
                                                status="open", opened_at=NOW, due_date=date(2026, 12, 21)))
        # a second visit-less rating: NULLs never clash in the one-rating-per-visit key
        c.execute(insert(t.ratings).values(hall_id=1, ticket_id=None, level=3, reasons=[],
                                           source="box", created_at=NOW))
    with pytest.raises(IntegrityError):  # still one rating per visit
        with engine.begin() as c:
            c.execute(insert(t.ratings).values(hall_id=1, ticket_id=10, level=5, reasons=[],
                                               source="box", created_at=NOW))
    with engine.begin() as c:
        c.execute(insert(t.ratings).values(hall_id=1, level=4, reasons=[], source="box", created_at=NOW,
                                           idempotency_key="k" * 64))
    with pytest.raises(IntegrityError):  # a retry's key is kept once
        with engine.begin() as c:
            c.execute(insert(t.ratings).values(hall_id=1, level=4, reasons=[], source="box",
                                               created_at=NOW, idempotency_key="k" * 64))
    with pytest.raises(IntegrityError):  # foreign keys are enforced again
        with engine.begin() as c:
            c.execute(insert(t.review_steps).values(case_id=999, step="verify", text="x",
                                                    created_at=NOW))
