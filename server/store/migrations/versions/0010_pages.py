"""pages: print jobs the front desk (导办台) sends to a kiosk

Revision ID: 0010_pages
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_pages"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_print_jobs_hall_id_halls")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_print_jobs_device_id_devices")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_print_jobs_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_jobs")),
    )
    op.create_index("ix_print_jobs_device", "print_jobs", ["device_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_print_jobs_device", table_name="print_jobs")
    op.drop_table("print_jobs")
