"""The figures' tallies, kept by the worker, and the mark of what they counted

Revision ID: 0016_figure_tallies
Revises: 0015_periodic_reports
Create Date: 2026-12-05

Measured at 1 M reports on PostgreSQL (benchmarks/RESULTS.md, "Figures at scale"): the province's
dashboard for a month read 40,000 reports and 250,000 clocks from covering indexes, 260 ms, and two
years 8 s; the goal is 200 ms. The worker now keeps the counts of each local day
(``figure_tallies``, ``clock_tallies``, ``area_tallies``, ``spread_tallies``;
engine/stats/tallies.py) and the
figures add those of the period's days. ``reports.tallied_version`` is the version the tallies last
counted: every report starts at 0, so after this revision every day is counted directly until the
worker has tallied it (a month a pass). ``ix_reports_untallied`` finds the changed reports among
millions; ``ix_clocks_running_report`` the running clocks of a period's reports, which the figures
always count from the rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_figure_tallies"
down_revision: str | Sequence[str] | None = "0015_periodic_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUP = ("agency", "unit", "sector")
#: As they were when this revision was written.
REPORT_COUNTS = (
    "received", "rejected", "duplicates", "with_result",
    "rating_hai_long", "rating_chap_nhan_duoc", "rating_khong_hai_long", "replies", "reopened",
)  # fmt: skip
STOPPED_COUNTS = ("on_time", "late", "late_within_extension")
LENGTHS = {"agency": 40, "unit": 40, "sector": 60}


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tallied_version", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_index(
        "ix_reports_untallied",
        "reports",
        ["submitted_at"],
        unique=False,
        postgresql_where=sa.text("version <> tallied_version"),
        sqlite_where=sa.text("version <> tallied_version"),
    )
    op.create_index(
        "ix_clocks_running_report",
        "clocks",
        ["report_id"],
        unique=False,
        postgresql_include=["step", "paused_at", "due_at"],
        postgresql_where=sa.text("stopped_at IS NULL"),
        sqlite_where=sa.text("stopped_at IS NULL"),
    )
    _tally("figure_tallies", *_group(), *_counts(REPORT_COUNTS))
    _tally(
        "clock_tallies",
        *_group(),
        sa.Column("step", sa.String(length=20), nullable=False),
        *_counts(STOPPED_COUNTS),
    )
    _tally(
        "area_tallies",
        sa.Column("area", sa.String(length=10), nullable=False),
        *_counts(("received", "placed")),
        sa.Column("latitude_sum", sa.Float(), nullable=False),
        sa.Column("longitude_sum", sa.Float(), nullable=False),
    )
    _tally(
        "spread_tallies",
        sa.Column("step", sa.String(length=20), nullable=False),
        *_counts(("used_minutes", "clocks")),
    )


def downgrade() -> None:
    for table in ("spread_tallies", "area_tallies", "clock_tallies", "figure_tallies"):
        op.drop_index(op.f(f"ix_{table}_day"), table_name=table)
        op.drop_table(table)
    op.drop_index("ix_clocks_running_report", table_name="clocks")
    op.drop_index("ix_reports_untallied", table_name="reports")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("tallied_version")


def _group() -> list[sa.Column]:
    return [sa.Column(name, sa.String(length=LENGTHS[name]), nullable=True) for name in GROUP]


def _counts(names: Sequence[str]) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _tally(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_day"), name, ["day"], unique=False)
