"""the wait estimate given at issue, kept with the ticket (accuracy KPI, docs/kpis.md)

Revision ID: 0009_estimate
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_estimate"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("estimated_wait_s", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("estimated_wait_low_s", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("estimated_wait_high_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("estimated_wait_high_s")
        batch.drop_column("estimated_wait_low_s")
        batch.drop_column("estimated_wait_s")
