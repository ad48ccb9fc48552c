"""simulate: 模拟排班 runs the dashboard starts, kept where every server process can answer for them

Revision ID: 0021
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0021"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "simulation_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("sheets", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_simulation_runs_hall_id_halls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulation_runs")),
    )
    op.create_index("ix_simulation_runs_hall_created", "simulation_runs", ["hall_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_simulation_runs_hall_created", table_name="simulation_runs")
    op.drop_table("simulation_runs")
