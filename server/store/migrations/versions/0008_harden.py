"""harden: keyed hashes of a booking's phone number and address for the hourly booking limits

Revision ID: 0008_harden
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0008_harden"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("appointments", sa.Column("phone_hash", sa.String(length=64), nullable=True))
    op.add_column("appointments", sa.Column("addr_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_appointments_phone", "appointments", ["hall_id", "phone_hash", "created_at"])
    op.create_index("ix_appointments_addr", "appointments", ["hall_id", "addr_hash", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_appointments_addr", table_name="appointments")
    op.drop_index("ix_appointments_phone", table_name="appointments")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("addr_hash")
        batch.drop_column("phone_hash")
