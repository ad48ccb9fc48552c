"""complaints (2): a recorded rating or complaint keeps its sender's Idempotency-Key, so a retry of
the same save is answered with the first record instead of making a second one (and a second case)

Revision ID: 0017_complaints_key
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0017_complaints_key"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.create_index("uq_ratings_idempotency_key", "ratings", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_ratings_idempotency_key", table_name="ratings")
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("idempotency_key")
