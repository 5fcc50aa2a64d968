"""The database's own text index over the reports' folded search columns.

The reports keep three columns of folded words (lower case, no diacritics, ``đ`` → ``d``, one
space between words; :func:`engine.services.search.words` writes them): ``search_text`` (the
content), ``search_place`` (the address) and ``search_result`` (the published answer). The
database indexes them with its own text search, and keeps the index in step inside the
transaction that writes the columns:

- SQLite: an FTS5 table ``report_search`` over ``reports`` (external content, ``rowid`` = the
  report's id), written by triggers on the three columns. A revision that rebuilds ``reports``
  on SQLite (batch mode copies and renames the table) drops the triggers and must create them
  again; ``tests/store/test_search_index.py`` checks that they exist at head.
- PostgreSQL: a stored generated column ``search_vector``, the three columns' tsvectors under
  the weights A (content), B (answer) and C (place), and a GIN index over it. A query says the
  weight of the column it looks in (``'o':A <-> 'ga':A``); a stored vector spares the recheck
  of a phrase from folding every candidate's text again (3 to 4 times faster at 100 k
  reports). ``simple`` neither stems nor drops stop words: Vietnamese syllables are kept as
  they are, as FTS5 keeps them. The answer and the place have a GIN index each too, over
  their own tsvector: a query for "the phrase in the answer" would otherwise read every row the
  phrase is in anywhere (the weights are in the rows, not in the index), and the ranking asks
  just that of older reports (:mod:`engine.services.ranking`).

The words were folded by the application, so neither database needs ``unaccent`` (which does
not fold ``đ`` in every setup).
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

#: The folded columns, in the FTS5 table's column order.
COLUMNS = ("search_text", "search_place", "search_result")
#: The FTS5 table (SQLite) and its shadow tables: not models, left out of schema comparisons.
FTS_TABLE = "report_search"
#: The generated column and its GIN index (PostgreSQL): made here, not by the models, which
#: cannot say them per dialect.
PG_VECTOR = "search_vector"
PG_INDEXES = ("ix_reports_search_vector", "ix_reports_search_result", "ix_reports_search_place")
#: The text search configuration; a query must name the same.
PG_CONFIG = "'simple'::regconfig"
#: The weight of each column in ``search_vector``.
WEIGHTS = {"search_text": "A", "search_result": "B", "search_place": "C"}

_listed = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)
_remove = (
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_listed}) VALUES ('delete', old.id, {_old});"
)
_add = f"INSERT INTO {FTS_TABLE}(rowid, {_listed}) VALUES (new.id, {_new});"

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_listed}, content='reports', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON reports BEGIN {_add} END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON reports BEGIN {_remove} END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF {_listed} ON reports "
    f"BEGIN {_remove} {_add} END",
)
#: Fills the FTS5 table from the rows already in ``reports`` (a migration's existing rows).
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"
SQLITE_DROP = (
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
_vector = " || ".join(
    f"setweight(to_tsvector({PG_CONFIG}, {column}), '{weight}')"
    for column, weight in WEIGHTS.items()
)
#: The answer's and the place's own indexes; a query repeats ``to_tsvector(…)`` as written here.
PG_COLUMN_INDEXES = tuple(
    f"CREATE INDEX {name} ON reports USING gin (to_tsvector({PG_CONFIG}, {column}))"
    for column, name in (("search_result", PG_INDEXES[1]), ("search_place", PG_INDEXES[2]))
)
PG_CREATE = (
    f"ALTER TABLE reports ADD COLUMN {PG_VECTOR} tsvector GENERATED ALWAYS AS ({_vector}) STORED",
    f"CREATE INDEX {PG_INDEXES[0]} ON reports USING gin ({PG_VECTOR})",
    *PG_COLUMN_INDEXES,
)
PG_DROP = (
    *(f"DROP INDEX IF EXISTS {name}" for name in reversed(PG_INDEXES)),
    f"ALTER TABLE reports DROP COLUMN IF EXISTS {PG_VECTOR}",
)


def is_index_object(name: str | None) -> bool:
    """A table, column or index of the text index, made outside the models (see the note)."""
    if not name:
        return False
    return name in (FTS_TABLE, PG_VECTOR, *PG_INDEXES) or name.startswith(f"{FTS_TABLE}_")


def attach(reports: Table) -> None:
    """Make and drop the index with ``reports`` when the models' ``create_all`` makes the table."""
    for statement in SQLITE_CREATE:
        event.listen(reports, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in PG_CREATE:
        event.listen(reports, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in SQLITE_DROP:
        event.listen(reports, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
    for statement in PG_DROP:
        event.listen(reports, "before_drop", DDL(statement).execute_if(dialect="postgresql"))
