"""resolution summaries, the satisfaction survey, survey opt-outs, the weekly report mail

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resolution_by", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("resolution_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("survey_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("satisfaction_rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("satisfaction_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("satisfaction_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key("fk_tickets_duplicate_of_id_tickets", "tickets",
                                    ["duplicate_of_id"], ["id"])
        batch_op.create_index("ix_tickets_created", ["created_at"], unique=False)
        batch_op.create_index("ix_tickets_closed", ["closed_at"], unique=False)
    # Tickets closed before this: no survey for them (their customers would be asked about
    # something long past).
    op.execute("UPDATE tickets SET survey_sent_at = closed_at WHERE status = 'Closed'")
    op.create_table(
        "survey_optouts",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_table(
        "report_mails",
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period"),
    )


def downgrade() -> None:
    op.drop_table("report_mails")
    op.drop_table("survey_optouts")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_closed")
        batch_op.drop_index("ix_tickets_created")
        batch_op.drop_constraint("fk_tickets_duplicate_of_id_tickets", type_="foreignkey")
        for column in ("satisfaction_at", "satisfaction_comment", "satisfaction_rating",
                       "survey_sent_at", "duplicate_of_id", "resolution_at", "resolution_by",
                       "resolution"):
            batch_op.drop_column(column)
