"""rating (2): the phone a resident who rated badly left for the 回访 (sealed)

Revision ID: 0016_outbox
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0016_outbox"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("phone_masked", sa.String(length=16), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_case_contacts_hall_id_halls")),
        sa.ForeignKeyConstraint(["case_id"], ["review_cases.id"],
                                name=op.f("fk_case_contacts_case_id_review_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_contacts")),
        sa.UniqueConstraint("case_id", name="uq_case_contacts_case"),
    )


def downgrade() -> None:
    op.drop_table("case_contacts")
