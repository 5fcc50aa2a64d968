"""The most relevant matches first, without ranking every match.

A search lists its matches by relevance, then newest first (:mod:`engine.services.search`).
Ranked in one statement, every match is read and ranked before the first page can be shown:
at 1 M reports "ổ gà" matches 32,000 and that took half a second. Here the page is found in
two smaller reads that give the same rows in the same order:

1. the *window*: the matches among the :data:`WINDOW` newest reports (by the list's own time,
   found through that time's index), ranked; the ``offset + limit`` best of them are kept;
2. the *older* matches that can still rank above the last kept one: as old reports come after
   every report of the window at equal relevance, only those of a strictly higher relevance
   can, and :meth:`Matcher.above` finds them through the index without reading the others.

The two are merged in the list's order. When the window holds fewer matches than the page
needs, every older match may belong to it and the older ones are ranked as before (a rare
phrase, or a filter that leaves few recent reports: few rows either way, or the old cost).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import Session

from engine.services.search import Matcher
from engine.store import Report

#: How many of the newest reports make the window (a few per cent of them match a common phrase).
WINDOW = 40_000
#: The label of the relevance among the selected columns.
RANK = "relevance"


def ranked(
    session: Session,
    columns: Sequence[Any],
    where: Sequence[ColumnElement[bool]],
    found: Matcher,
    newest: Any,
    *,
    offset: int = 0,
    limit: int,
    scope: Sequence[ColumnElement[bool]] = (),
    window: int = WINDOW,
) -> list[Row[Any]]:
    """Rows ``offset`` to ``offset + limit`` of the reports ``where`` selects, most relevant
    first, then by ``newest`` (a time column) and id, newest first; each row holds ``columns``,
    its relevance (:data:`RANK`), ``newest`` and the id.

    ``scope`` is what every listed report meets whatever the query (the published list's
    conditions), so that the window's edge is read from the index that holds those reports.
    """
    rank = found.relevance()
    order = (rank.desc(), newest.desc(), Report.id.desc())
    query = select(*columns, rank.label(RANK), newest.label("_newest"), Report.id.label("_id"))
    need = offset + limit
    edge = session.scalar(
        select(newest).where(*scope).order_by(newest.desc()).offset(window - 1).limit(1)
    )
    if edge is None:  # no more reports than the window holds: rank them all
        return list(
            session.execute(query.where(*where).order_by(*order).offset(offset).limit(limit))
        )
    recent = list(session.execute(query.where(*where, newest >= edge).order_by(*order).limit(need)))
    older = query.where(*where, newest < edge)
    if len(recent) >= need:
        floor = recent[-1]._mapping[RANK]
        if floor >= found.best:
            return recent[offset:]
        older = older.where(found.above(floor), rank > floor)
    rows = recent + list(session.execute(older.order_by(*order).limit(need)))
    rows.sort(
        key=lambda r: (r._mapping[RANK], r._mapping["_newest"], r._mapping["_id"]), reverse=True
    )
    return rows[offset:need]
