"""The ``<id:…>`` part of a URL: a row's id that every database can hold, else no page (404).

Flask's ``<int:…>`` takes any number of digits, and an id beyond the database's integer reaches
the query as an overflow (SQLite past 2**63, PostgreSQL past 2**31): a 500 instead of "not found".
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from engine.store import MAX_ID


class RowId(IntegerConverter):
    """A whole number from 1 to :data:`engine.store.MAX_ID`; any other matches no route."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)
