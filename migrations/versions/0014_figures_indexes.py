"""The figures read a period's reports and clocks from two covering indexes

Revision ID: 0014_figures_indexes
Revises: 0013_feedback_to_follow
Create Date: 2026-12-04

Measured at 1 M reports on PostgreSQL (benchmarks/RESULTS.md, "Figures at scale"): the province's
dashboard joined every clock of the table to the month's reports (a scan of five million rows)
and read each report's row for its agency, state and rating. The index on ``submitted_at`` now
carries every column of a report the figures read, and the index on ``clocks.report_id`` every
column of a clock, so that both are read without the tables (INCLUDE is PostgreSQL's; SQLite keeps
the plain indexes). The models list the same columns beside their indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_figures_indexes"
down_revision: str | Sequence[str] | None = "0013_feedback_to_follow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As they were when this revision was written (models may grow; a migration may not change).
REPORT_COLUMNS = [
    "id", "agency", "unit", "state", "rating", "duplicate_of_id",
    "sector", "area", "channel", "latitude", "longitude",
]  # fmt: skip
CLOCK_COLUMNS = [
    "step", "stopped_at", "paused_at", "due_at", "late", "late_after_extension", "used_minutes",
]  # fmt: skip


def upgrade() -> None:
    _replace("reports", "ix_reports_submitted_at", "submitted_at", REPORT_COLUMNS)
    _replace("clocks", "ix_clocks_report_id", "report_id", CLOCK_COLUMNS)


def downgrade() -> None:
    _replace("clocks", "ix_clocks_report_id", "report_id", [])
    _replace("reports", "ix_reports_submitted_at", "submitted_at", [])


def _replace(table: str, name: str, column: str, include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no INCLUDE: its index is the same either way
    op.drop_index(name, table_name=table)
    op.create_index(name, table, [column], unique=False, postgresql_include=include)
