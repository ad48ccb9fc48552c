"""Alembic environment: runs against the engine handed over by server.store.migrate."""
from alembic import context
from sqlalchemy import create_engine

from server.store.tables import metadata

config = context.config
engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
sqlite = engine.dialect.name == "sqlite"

with engine.connect() as connection:
    if sqlite:
        # A batch migration rebuilds a table (copy, drop, rename); with foreign keys enforced,
        # dropping a table that others refer to fails. SQLite's procedure for table changes: turn
        # enforcement off outside the transaction, change, check the keys, turn it back on.
        raw = connection.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=sqlite)
        with context.begin_transaction():
            before = context.get_context().get_current_heads()
            context.run_migrations()
            changed = context.get_context().get_current_heads() != before
            if sqlite and changed:  # checked only after a change: it reads every referring table
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows whose foreign key points nowhere: {broken[:5]}")
        connection.commit()
    finally:
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")
