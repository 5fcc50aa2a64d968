"""The worker's deadline job reads counting clocks by budget and due time, not all of them

Revision ID: 0007_clock_budget_index
Revises: 0006_outbox_unsent_index
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_clock_budget_index"
down_revision: str | Sequence[str] | None = "0006_outbox_unsent_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTING = "stopped_at IS NULL AND paused_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clocks_counting_budget",
            ["budget_minutes", "due_at"],
            unique=False,
            postgresql_where=sa.text(COUNTING),
            sqlite_where=sa.text(COUNTING),
        )


def downgrade() -> None:
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_clocks_counting_budget")
