"""assist: 帮办代办 requests

Revision ID: 0012_assist
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0012_assist"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assist_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("matter", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name_masked", sa.String(length=32), nullable=True),
        sa.Column("phone_masked", sa.String(length=16), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("village", sa.String(length=100), nullable=True),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_assist_requests_hall_id_halls")),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_assist_requests_agent_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_requests")),
    )
    op.create_index("ix_assist_requests_hall_status", "assist_requests", ["hall_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_assist_requests_hall_status", table_name="assist_requests")
    op.drop_table("assist_requests")
