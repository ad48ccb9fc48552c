"""首问负责: the window that first took a case, kept across transfers

Revision ID: 0013_first_window
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0013_first_window"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("first_window", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("first_staff_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("first_staff_id")
        batch.drop_column("first_window")
