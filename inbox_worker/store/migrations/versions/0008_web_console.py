"""the web console: one-time sign-in links, browser sessions, templates' earlier versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    # The rate limits count an address's and a client's recent requests.
    op.create_index("ix_web_sign_ins_address_created", "web_sign_ins",
                    ["address", "created_at"], unique=False)
    op.create_index("ix_web_sign_ins_client_created", "web_sign_ins",
                    ["client", "created_at"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("secret_hash"),
    )
    op.create_table(
        "template_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_template_versions_name_id", "template_versions", ["name", "id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_template_versions_name_id", table_name="template_versions")
    op.drop_table("template_versions")
    op.drop_table("web_sessions")
    op.drop_index("ix_web_sign_ins_client_created", table_name="web_sign_ins")
    op.drop_index("ix_web_sign_ins_address_created", table_name="web_sign_ins")
    op.drop_table("web_sign_ins")
