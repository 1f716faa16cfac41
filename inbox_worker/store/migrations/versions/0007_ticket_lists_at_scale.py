"""tickets listed by status a page at a time: an index on (status, id)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

"""
from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # `tickets list --status S` pages in ticket order: without it, a rare status on a large
    # store is a scan of every ticket, and a common one a sort of most of them.
    op.create_index("ix_tickets_status_id", "tickets", ["status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_status_id", table_name="tickets")
