"""The periodic reports to the province's committee, as built and kept (Đ13.9, R30)

Revision ID: 0015_periodic_reports
Revises: 0014_figures_indexes
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_periodic_reports"
down_revision: str | Sequence[str] | None = "0014_figures_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(length=120), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periodic_reports")),
        sa.UniqueConstraint(
            "schedule",
            "period_start",
            "period_end",
            "format",
            name=op.f("uq_periodic_reports_schedule_period_start_period_end_format"),
        ),
    )
    with op.batch_alter_table("periodic_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_periodic_reports_built_at"), ["built_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("periodic_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_periodic_reports_built_at"))
    op.drop_table("periodic_reports")
