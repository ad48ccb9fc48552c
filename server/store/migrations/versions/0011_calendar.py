"""calendar: a hall's own holidays and make-up workdays (放假/调休) for years the package lacks

Revision ID: 0011_calendar
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_calendar"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_calendar_days_hall_id_halls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_days")),
        sa.UniqueConstraint("hall_id", "day", name="uq_calendar_days_hall_day"),
    )


def downgrade() -> None:
    op.drop_table("calendar_days")
