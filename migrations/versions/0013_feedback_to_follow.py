"""The replies queue read from one partial index: ``reports.feedback_to_follow``

Revision ID: 0013_feedback_to_follow
Revises: 0012_search_columns
Create Date: 2026-12-04

Whether a report has a reply, or a latest rating "Không hài lòng", that the IOC has not followed
up yet was asked of the replies, the ratings and the follow-up events of every answered report:
at 1 M reports (174 k of them to follow) 135 ms for the queue's capped count alone. The
answer is now kept on the report by the effects that change it (``reply``, ``rate``, ``reopen``,
``close_feedback``), and the queue reads its oldest rows from a partial index. The column is
filled here from the same definition (``to_follow`` of the feedback service), frozen as SQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_feedback_to_follow"
down_revision: str | Sequence[str] | None = "0012_search_columns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_FOLLOWED_SINCE = (
    "NOT EXISTS (SELECT 1 FROM events e WHERE e.report_id = reports.id "
    "AND e.action IN ('close_feedback', 'reopen') AND e.at >= {at})"
)
TO_FOLLOW = (
    "EXISTS (SELECT 1 FROM replies p WHERE p.report_id = reports.id AND "
    + _NOT_FOLLOWED_SINCE.format(at="p.created_at")
    + ") OR EXISTS (SELECT 1 FROM ratings g WHERE g.id = "
    "(SELECT max(g2.id) FROM ratings g2 WHERE g2.report_id = reports.id) "
    "AND g.value = 'khong_hai_long' AND " + _NOT_FOLLOWED_SINCE.format(at="g.created_at") + ")"
)


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: on SQLite a batch may copy the table, which would drop the
    # triggers that keep the text search index (0009).
    op.add_column(
        "reports",
        sa.Column("feedback_to_follow", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    reports = sa.table("reports", sa.column("feedback_to_follow", sa.Boolean()))
    op.execute(reports.update().where(sa.text(TO_FOLLOW)).values(feedback_to_follow=True))
    op.create_index(
        "ix_reports_feedback_to_follow",
        "reports",
        ["submitted_at", "id"],
        unique=False,
        postgresql_where=sa.text("feedback_to_follow IS true"),
        sqlite_where=sa.text("feedback_to_follow IS 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_reports_feedback_to_follow", table_name="reports")
    op.drop_column("reports", "feedback_to_follow")
