"""complaints: ratings and complaints staff record (12345 hotline, 意见箱, 现场) may name no visit

A recorded complaint names what is known instead of a ticket (service, window, staff member, the
visit's day), carries no rating level when it is a complaint (投诉), and keeps who recorded it; its
review case then has no ticket either.

Revision ID: 0017_complaints
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0017_complaints"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # SQLite rebuilds both tables (batch mode); env.py turns foreign-key enforcement off around
    # migrations, as SQLite's own procedure for table changes asks, and checks the keys after.
    with op.batch_alter_table("ratings") as batch:
        batch.alter_column("ticket_id", existing_type=BigId, nullable=True)
        batch.alter_column("level", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("visit_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("recorded_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("review_cases") as batch:
        batch.alter_column("ticket_id", existing_type=BigId, nullable=True)


def downgrade() -> None:
    orphan = "SELECT id FROM review_cases WHERE ticket_id IS NULL"
    for child in ("callbacks", "case_contacts", "review_steps"):
        op.execute(f"DELETE FROM {child} WHERE case_id IN ({orphan})")
    op.execute("DELETE FROM review_cases WHERE ticket_id IS NULL")
    op.execute("DELETE FROM ratings WHERE ticket_id IS NULL OR level IS NULL")
    with op.batch_alter_table("review_cases") as batch:
        batch.alter_column("ticket_id", existing_type=BigId, nullable=False)
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("recorded_by")
        batch.drop_column("visit_day")
        batch.alter_column("level", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("ticket_id", existing_type=BigId, nullable=False)
