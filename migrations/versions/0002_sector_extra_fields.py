"""Sector extra fields: the answers sent with a report and with its proposed result

Two nullable JSON columns of ``reports``: ``extra`` (the sector's fields asked of the reporter)
and ``result_extra`` (those asked of the officer with the result). Existing reports have none.

Revision ID: 0002_sector_extra_fields
Revises: 0001_initial
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = "0002_sector_extra_fields"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extra", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("result_extra", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("result_extra")
        batch_op.drop_column("extra")
