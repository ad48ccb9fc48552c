"""statistics: daily roll-ups and the indexes the reports read by (docs/kpis.md)

Revision ID: 0002_stats
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_stats"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_daily",
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rating_watermark", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_stats_daily_hall_id_halls")),
        sa.PrimaryKeyConstraint("hall_id", "day", name=op.f("pk_stats_daily")),
    )
    op.create_index("ix_events_hall_created", "events", ["hall_id", "created_at"])
    op.create_index("ix_tickets_hall_outcome_day", "tickets", ["hall_id", "outcome", "day", "due_date",
                                                               "delivered_at", "service", "window", "staff_id"])
    op.create_index("ix_review_cases_ticket", "review_cases", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_review_cases_ticket", table_name="review_cases")
    op.drop_index("ix_tickets_hall_outcome_day", table_name="tickets")
    op.drop_index("ix_events_hall_created", table_name="events")
    op.drop_table("stats_daily")
