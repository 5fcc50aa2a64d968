"""Assignment to an officer's account ("Được giao cho tôi") and refused extension requests

Revision ID: 0010_assignment_accounts
Revises: 0009_text_search
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_assignment_accounts"
down_revision: str | Sequence[str] | None = "0009_text_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("officer_account", sa.String(length=60), nullable=True))
        batch_op.create_index(
            "ix_reports_officer_account", ["officer_account", "state"], unique=False
        )
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refused_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("refusal_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.drop_column("refusal_reason")
        batch_op.drop_column("refused_at")
        batch_op.drop_column("refused_by")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_officer_account")
        batch_op.drop_column("officer_account")
