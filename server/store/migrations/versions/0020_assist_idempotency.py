"""assist: an Idempotency-Key on 帮办代办 requests, so a kiosk's retry after a timeout is one request

Revision ID: 0020
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0020"
down_revision = "0001"
branch_labels = None
depends_on = ("0012_assist",)


def upgrade() -> None:
    with op.batch_alter_table("assist_requests") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=128), nullable=True))
    op.create_index("uq_assist_requests_hall_idem", "assist_requests", ["hall_id", "idempotency_key"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_assist_requests_hall_idem", table_name="assist_requests")
    with op.batch_alter_table("assist_requests") as batch:
        batch.drop_column("idempotency_key")
