"""rating (3): the structured record of a bad review's 回访 (channel, time, result, satisfaction)

Revision ID: 0016_outbox_callbacks
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0016_outbox_callbacks"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("called_at", sa.DateTime(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_callbacks_hall_id_halls")),
        sa.ForeignKeyConstraint(["case_id"], ["review_cases.id"], name=op.f("fk_callbacks_case_id_review_cases")),
        sa.ForeignKeyConstraint(["step_id"], ["review_steps.id"], name=op.f("fk_callbacks_step_id_review_steps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )


def downgrade() -> None:
    op.drop_table("callbacks")
