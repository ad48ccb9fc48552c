"""devices: heartbeats (last seen per device program) for /admin and the offline alert

Revision ID: 0005_devices
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_devices"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_device_presence_hall_id_halls")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_device_presence_device_id_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_presence")),
        sa.UniqueConstraint("hall_id", "key", name="uq_device_presence_hall_key"),
    )


def downgrade() -> None:
    op.drop_table("device_presence")
