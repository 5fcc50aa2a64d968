"""The replies queue's follow-ups: reopenings and feedback marked handled, in one partial index

Revision ID: 0008_feedback_followups
Revises: 0007_clock_budget_index
Create Date: 2026-12-03

The IOC now records that a reply or a rating was handled (``close_feedback``) as well as
reopening the report; the replies queue asks "no follow-up since?" of both, so the partial
index of reopenings becomes one of both actions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_feedback_followups"
down_revision: str | Sequence[str] | None = "0007_clock_budget_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_reopen")
        batch_op.create_index(
            "ix_events_feedback_followed",
            ["report_id", "at"],
            unique=False,
            postgresql_where=sa.text("action = 'close_feedback' OR action = 'reopen'"),
            sqlite_where=sa.text("action = 'close_feedback' OR action = 'reopen'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_feedback_followed")
        batch_op.create_index(
            "ix_events_reopen",
            ["report_id", "at"],
            unique=False,
            postgresql_where=sa.text("action = 'reopen'"),
            sqlite_where=sa.text("action = 'reopen'"),
        )
