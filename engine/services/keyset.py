"""Keyset pagination and capped counts: lists that cost the same on their last page as their first.

A page is "the next ``size`` rows after this one, in the list's order": the position is the values
of the sort key of the last row shown (a :class:`Cursor`), and the query reads
``WHERE (key…) > (position…) ORDER BY key… LIMIT size`` from an index, whatever the depth. An
``OFFSET`` would read and throw away every row before the page instead.

A count is exact up to :data:`COUNT_CAP`; above it the list says "hơn 1 000" (more than 1,000):
counting past that reads rows no one will page through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, tuple_
from sqlalchemy.orm import Session

#: Counts are exact up to here; above, they are shown as "hơn 1 000".
COUNT_CAP = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A time after every deadline: the sort key of a report without a counting clock (last).
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


class BadCursor(ValueError):
    """A page position that was not written by :meth:`Cursor.token` (an edited address)."""


@dataclass(frozen=True)
class Cursor:
    """The sort key of the last row of a page: instants and integers, in the list's order."""

    values: tuple[datetime | int, ...]

    def token(self) -> str:
        """The position as a short URL-safe text: ``t<µs>`` for an instant, ``i<n>`` for an id."""
        return ".".join(
            f"t{(v - _EPOCH) // timedelta(microseconds=1)}" if isinstance(v, datetime) else f"i{v}"
            for v in self.values
        )

    @classmethod
    def parse(cls, token: str, arity: int) -> Cursor:
        parts = token.split(".")
        if len(parts) != arity:
            raise BadCursor(token)
        values: list[datetime | int] = []
        for part in parts:
            kind, digits = part[:1], part[1:]
            if kind not in ("t", "i") or not digits.lstrip("-").isdigit() or len(digits) > 20:
                raise BadCursor(token)
            if kind == "i":
                values.append(int(digits))
                continue
            try:
                values.append(_EPOCH + timedelta(microseconds=int(digits)))
            except OverflowError as error:
                raise BadCursor(token) from error
        return cls(tuple(values))


def after(
    keys: Sequence[ColumnElement[Any]], cursor: Cursor | None, *, descending: bool = False
) -> list[ColumnElement[bool]]:
    """The condition "after ``cursor``" on ``keys`` (all ascending, or all descending), as a
    row-value comparison."""
    if cursor is None:
        return []
    if len(cursor.values) != len(keys):
        raise BadCursor(cursor.token())
    # Each value is bound with its key's type (instants in UTC, as the columns store them).
    bound = [bindparam(None, v, type_=k.type) for k, v in zip(keys, cursor.values, strict=True)]
    if descending:
        return [tuple_(*keys) < tuple_(*bound)]
    return [tuple_(*keys) > tuple_(*bound)]


def capped_count(session: Session, query: Select[Any], cap: int | None = None) -> int:
    """How many rows ``query`` selects, counting no further than ``cap + 1`` (default
    :data:`COUNT_CAP`)."""
    cap = COUNT_CAP if cap is None else cap
    limited = query.limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


def count_text(total: int, cap: int | None = None) -> str:
    """``42``, or ``hơn 1 000`` once a capped count went past its cap."""
    cap = COUNT_CAP if cap is None else cap
    if total > cap:
        return f"hơn {cap:,}".replace(",", " ")
    return str(total)
