"""The worker claims from a partial index of the outbox rows still to send, by kind

Revision ID: 0006_outbox_unsent_index
Revises: 0005_list_indexes
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_outbox_unsent_index"
down_revision: str | Sequence[str] | None = "0005_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unsent",
            ["kind", "id"],
            unique=False,
            postgresql_where=sa.text("sent_at IS NULL AND parked IS false"),
            sqlite_where=sa.text("sent_at IS NULL AND parked IS 0"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unsent")
