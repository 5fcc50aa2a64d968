"""The record of staff account changes (who changed which account, when, and how)

Revision ID: 0003_account_changes
Revises: 0002_sector_extra_fields
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_account_changes"
down_revision: str | Sequence[str] | None = "0002_sector_extra_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_changes")),
    )
    with op.batch_alter_table("account_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_changes_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_changes_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_changes_username"))
        batch_op.drop_index(batch_op.f("ix_account_changes_at"))
    op.drop_table("account_changes")
