"""Failed sign-ins: the audit, and what the back-off per client and account counts

Revision ID: 0004_sign_in_failures
Revises: 0003_account_changes
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_sign_in_failures"
down_revision: str | Sequence[str] | None = "0003_account_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("forgiven_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_failures_at"), ["at"], unique=False)
        batch_op.create_index(
            "ix_sign_in_failures_client_username", ["client", "username"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sign_in_failures_username"), ["username"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_username"))
        batch_op.drop_index("ix_sign_in_failures_client_username")
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_at"))
    op.drop_table("sign_in_failures")
