"""Search with the database's own text index: folded content, place and published answer

Revision ID: 0009_text_search
Revises: 0008_feedback_followups
Create Date: 2026-12-03

``search_text`` held the content and the address folded together, searched with
``LIKE '%syllable%'``: each syllable anywhere, inside other words too ("ổ gà" found rubbish
reports). Now three columns of folded words — the content (``search_text``), the address
(``search_place``) and the published answer (``search_result``) — indexed by the database:
an FTS5 table kept by triggers on SQLite; on PostgreSQL a stored generated tsvector of the
three (weights A, B, C) with a GIN index. The existing rows are folded here, then indexed.

The folding is written out here (a revision does not import the application): lower case, no
diacritics, ``đ`` → ``d``, the words one space apart — as the service's ``search.words``.

A later revision that rebuilds ``reports`` on SQLite (batch mode) drops the triggers with the
old table and must create them again.
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_text_search"
down_revision: str | Sequence[str] | None = "0008_feedback_followups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("search_text", "search_place", "search_result")
_WORD = re.compile(r"[^\W_]+")
_listed = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)
_remove = (
    f"INSERT INTO report_search(report_search, rowid, {_listed}) VALUES ('delete', old.id, {_old});"
)
_add = f"INSERT INTO report_search(rowid, {_listed}) VALUES (new.id, {_new});"
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE report_search USING fts5({_listed}, content='reports', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER report_search_insert AFTER INSERT ON reports BEGIN {_add} END",
    f"CREATE TRIGGER report_search_delete AFTER DELETE ON reports BEGIN {_remove} END",
    f"CREATE TRIGGER report_search_update AFTER UPDATE OF {_listed} ON reports "
    f"BEGIN {_remove} {_add} END",
    "INSERT INTO report_search(report_search) VALUES ('rebuild')",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS report_search_update",
    "DROP TRIGGER IF EXISTS report_search_delete",
    "DROP TRIGGER IF EXISTS report_search_insert",
    "DROP TABLE IF EXISTS report_search",
)
_vector = " || ".join(
    f"setweight(to_tsvector('simple'::regconfig, {column}), '{weight}')"
    for column, weight in (("search_text", "A"), ("search_result", "B"), ("search_place", "C"))
)
PG_CREATE = (
    f"ALTER TABLE reports ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_vector}) STORED",
    "CREATE INDEX ix_reports_search_vector ON reports USING gin (search_vector)",
)
PG_DROP = (
    "DROP INDEX IF EXISTS ix_reports_search_vector",
    "ALTER TABLE reports DROP COLUMN IF EXISTS search_vector",
)
BATCH = 2000


def words(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_WORD.findall(folded))


def _fold_existing(connection: sa.Connection) -> None:
    reports = sa.table(
        "reports",
        sa.column("id", sa.Integer),
        sa.column("content", sa.Text),
        sa.column("address", sa.String),
        sa.column("approved_result", sa.Text),
        sa.column("published_text", sa.Text),
        *(sa.column(c, sa.Text) for c in COLUMNS),
    )
    update = (
        reports.update()
        .where(reports.c.id == sa.bindparam("row_id"))
        .values(
            search_text=sa.bindparam("text_"),
            search_place=sa.bindparam("place"),
            search_result=sa.bindparam("result"),
        )
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                reports.c.id,
                reports.c.content,
                reports.c.address,
                reports.c.approved_result,
                reports.c.published_text,
            )
            .where(reports.c.id > last)
            .order_by(reports.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update,
            [
                {
                    "row_id": row.id,
                    "text_": words(row.content),
                    "place": words(row.address),
                    # The answer is searched once it was published (or answered privately).
                    "result": words(row.approved_result) if row.published_text else "",
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_place", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("search_result", sa.Text(), server_default="", nullable=False)
        )
    connection = op.get_bind()
    _fold_existing(connection)
    for statement in SQLITE_CREATE if connection.dialect.name == "sqlite" else PG_CREATE:
        op.execute(statement)


def downgrade() -> None:
    connection = op.get_bind()
    for statement in SQLITE_DROP if connection.dialect.name == "sqlite" else PG_DROP:
        op.execute(statement)
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("search_result")
        batch_op.drop_column("search_place")
    # search_text as it was: the content and the address, folded (not word-split).
    reports = sa.table(
        "reports",
        sa.column("id", sa.Integer),
        sa.column("content", sa.Text),
        sa.column("address", sa.String),
        sa.column("search_text", sa.Text),
    )
    rows = connection.execute(sa.select(reports.c.id, reports.c.content, reports.c.address)).all()
    for row in rows:
        connection.execute(
            reports.update()
            .where(reports.c.id == row.id)
            .values(search_text=_old_fold(f"{row.content} {row.address or ''}"))
        )


def _old_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
