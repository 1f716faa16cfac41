"""the technicians' loop: response-target clocks, breaches, digests, mails with no ticket

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("clock_seconds", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("clock_since", sa.DateTime(timezone=True), nullable=True))
    # Tickets from before: a technician's last answer stands for the first, and the clock of
    # a ticket waiting on the team runs from its last change.
    op.execute("UPDATE tickets SET first_response_at = answered_at")
    op.execute("UPDATE tickets SET clock_since = updated_at "
               "WHERE status IN ('Open', 'In Progress', 'Customer-Reply')")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        # An alert goes to several technicians at once: their addresses, joined.
        batch_op.alter_column("recipient", existing_type=sa.String(length=320),
                              type_=sa.Text(), existing_nullable=False)
    op.create_table(
        "digests",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "target_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "target"),
    )
    op.create_index("ix_target_breaches_ticket_id", "target_breaches", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_target_breaches_ticket_id", table_name="target_breaches")
    op.drop_table("target_breaches")
    op.drop_table("digests")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("clock_since")
        batch_op.drop_column("clock_seconds")
        batch_op.drop_column("first_response_at")
