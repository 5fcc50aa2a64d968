"""Whole numbers from the URL that reach a query: a row's id (``<id:…>``) and a page number.

Flask's ``<int:…>`` and ``type=int`` take any number of digits, and a number beyond the
database's integer reaches the query as an overflow (SQLite past 2**63, PostgreSQL past 2**31 for
a key, 2**63 for an offset): a 500 instead of "not found" or the last page.
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.routing import IntegerConverter, Map

from engine.store import MAX_ID


class RowId(IntegerConverter):
    """A whole number from 1 to :data:`engine.store.MAX_ID`; any other matches no route."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


#: The highest page number a listing is asked for; any higher asks for this one.
MAX_PAGE = 1_000_000


def page_number(args: Mapping[str, str], name: str = "trang") -> int:
    """The page asked for in the query, from 1 to :data:`MAX_PAGE` (1 when absent or not a number)."""
    raw = args.get(name, "")
    if not raw.isdigit():
        return 1
    if len(raw) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(1, int(raw)), MAX_PAGE)
