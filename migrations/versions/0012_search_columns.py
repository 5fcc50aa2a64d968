"""Search: the published answer and the place indexed on their own (PostgreSQL)

Revision ID: 0012_search_columns
Revises: 0011_export_register
Create Date: 2026-12-04

A search ranks the newest matches, then looks among the older ones only for those that rank
higher (the service's ranking module): above a report found in its content, only one found in
its answer or its place too. ``search_vector``'s GIN index knows the words of a report, not the
column they are in (the weights are in the row), so that question read every older match.
These two indexes answer it from the index. SQLite's FTS5 table already filters by column.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_search_columns"
down_revision: str | Sequence[str] | None = "0011_export_register"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_reports_search_result", "search_result"),
    ("ix_reports_search_place", "search_place"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in INDEXES:
        op.execute(
            f"CREATE INDEX {name} ON reports USING gin (to_tsvector('simple'::regconfig, {column}))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _ in reversed(INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {name}")
