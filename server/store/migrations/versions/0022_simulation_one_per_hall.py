"""simulate: at most one 模拟排班 run "running" per hall, kept by the database (a unique partial
index), so two server processes starting a run for one hall at the same instant cannot both pass
the limit. Before the index, any older "running" rows of a hall that has several are marked failed
(the newest stays).

Revision ID: 0022
Revises: 0001
Depends on: 0021 (the table)
"""
from alembic import op
import sqlalchemy as sa


revision = "0022"
down_revision = "0001"
branch_labels = None
depends_on = "0021"

STOPPED = {"error": "stopped", "message": "模拟中途停止（服务器重启）(the run stopped: the server restarted)",
           "message_zh": "模拟中途停止（服务器重启）", "message_en": "the run stopped: the server restarted"}


def upgrade() -> None:
    runs = sa.table("simulation_runs", sa.column("id", sa.String), sa.column("hall_id", sa.Integer),
                    sa.column("status", sa.String), sa.column("error", sa.JSON),
                    sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime),
                    sa.column("finished_at", sa.DateTime))
    newer = runs.alias("newer")
    op.execute(runs.update().where(
        runs.c.status == "running",
        sa.exists().where(newer.c.hall_id == runs.c.hall_id, newer.c.status == "running",
                          sa.or_(newer.c.created_at > runs.c.created_at,
                                 sa.and_(newer.c.created_at == runs.c.created_at, newer.c.id > runs.c.id))))
        .values(status="failed", error=STOPPED, finished_at=runs.c.updated_at))
    op.create_index("uq_simulation_runs_hall_running", "simulation_runs", ["hall_id"], unique=True,
                    postgresql_where=sa.text("status = 'running'"), sqlite_where=sa.text("status = 'running'"))


def downgrade() -> None:
    op.drop_index("uq_simulation_runs_hall_running", table_name="simulation_runs")
