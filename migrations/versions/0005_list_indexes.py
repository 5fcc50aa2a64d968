"""Indexes for the lists at scale: published results, running clocks, the record, the scope

Revision ID: 0005_list_indexes
Revises: 0004_sign_in_failures
Create Date: 2026-12-03

Measured at 1 M reports on PostgreSQL: the public list sorted every published row, the overdue
filter and the late/warning queues scanned all clocks, and the auditor's record sorted all
events. The partial indexes hold only the rows those lists read (published and visible
results; clocks still running; reopenings, for the IOC's replies queue).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_list_indexes"
down_revision: str | Sequence[str] | None = "0004_sign_in_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_unit"), ["unit"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reports_published"),
            ["published_at", "id"],
            unique=False,
            postgresql_where=sa.text("state = 'published' AND confidential IS false"),
            sqlite_where=sa.text("state = 'published' AND confidential IS 0"),
        )
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clocks_running"),
            ["due_at", "report_id"],
            unique=False,
            postgresql_where=sa.text("stopped_at IS NULL"),
            sqlite_where=sa.text("stopped_at IS NULL"),
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_reopen"),
            ["report_id", "at"],
            unique=False,
            postgresql_where=sa.text("action = 'reopen'"),
            sqlite_where=sa.text("action = 'reopen'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_reopen"))
        batch_op.drop_index(batch_op.f("ix_events_at"))
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clocks_running"))
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_published"))
        batch_op.drop_index(batch_op.f("ix_reports_unit"))
