"""The most relevant matches first, without ranking every match.

A search lists its matches by relevance, then newest first (:mod:`engine.services.search`).
Ranked in one statement, every match is read and ranked before the first page can be shown:
at 1 M reports "ổ gà" matches 32,000 and that took half a second. Here the page is found in
two smaller reads that give the same rows in the same order:

1. the *window*: the matches among the :data:`WINDOW` newest reports (by the list's own time,
   found through that time's index), ranked; the ``offset + limit`` best of them are kept;
2. the *older* matches that can still rank above the last kept one: as an older report comes
   after every report of the window at equal relevance, only those of a strictly higher
   relevance can, and :meth:`Matcher.above` finds them through the index without reading the
   others.

The two are merged in the list's order, and only the page's rows are then read in full. When
the window holds fewer matches than the page needs (a deep page), it is widened once to hold
about twice as many at the rate seen; if it still holds too few, every older match may belong
to the page and the older ones are all ranked, as before (a rare phrase, or filters that leave
few recent reports: few rows either way, or the old cost).

The window's matches are counted as they are ranked: above the cap of a count
(:data:`keyset.COUNT_CAP`), that count is the list's "more than", with no second read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.orm import Session

from engine.services import keyset
from engine.services.search import Matcher
from engine.store import Report

#: How many of the newest reports make the window: a common phrase (a few per cent of the
#: reports) then has more than :data:`keyset.COUNT_CAP` matches in it, so the count is free,
#: and a page of its best tier (content and answer), so few older reports can rank higher.
#: Smaller is not cheaper: at 10,000 the page's last match is found in its content only, and
#: every older report with the phrase in its answer too ranks higher (5.9 s at 1 M).
WINDOW = 40_000
#: The widest a window grows for a deep page. Its edge is found by reading that many entries of
#: the list's index (a code matched once in 40,000 would otherwise ask for the edge past the
#: whole list: 150 ms at 1 M reports for one match).
WIDEST = 4 * WINDOW
#: The label of the relevance among a ranked row's columns.
RANK = "relevance"


@dataclass(frozen=True)
class Ranked:
    """A page of ranked rows and, when asked for, the count of all matches (capped)."""

    rows: list[Row[Any]]
    #: How many reports match, no further than ``cap + 1``; ``None`` when not asked.
    total: int | None


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
    count_cap: int | None = None,
    window: int | None = None,
) -> Ranked:
    """Rows ``offset`` to ``offset + limit`` of the reports ``where`` selects, most relevant
    first, then by ``newest`` (a time column) and id, newest first; each row holds ``columns``
    and its relevance (:data:`RANK`). With ``count_cap``, the matches are counted too, no
    further than ``count_cap + 1`` (:func:`keyset.capped_count`).

    ``scope`` is what every listed report meets whatever the query (the published list's
    conditions), so that the window's edge is read from the index that holds those reports.
    ``window`` is :data:`WINDOW` unless said.
    """
    window = WINDOW if window is None else window
    rank = found.relevance()
    order = (rank.desc(), newest.desc(), Report.id.desc())
    keys = select(rank.label(RANK), newest.label("newest"), Report.id.label("id"))
    need = offset + limit
    for attempt in range(2):
        edge = session.scalar(
            select(newest).where(*scope).order_by(newest.desc()).offset(window - 1).limit(1)
        )
        recent_where = [*where] if edge is None else [*where, newest >= edge]
        recent = list(session.execute(_window(found, newest, recent_where, need)))
        matches = recent[0].matches if recent else 0
        if edge is None or len(recent) >= need or not matches or attempt:
            break
        # Too few matches for a deep page: once, a window that holds twice as many at this rate,
        # unless that is most of the list (a rare phrase, a code): then the older matches are
        # few, and ranking them all is cheaper than finding so deep an edge.
        wider = window * math.ceil(2 * need / matches)
        if wider > WIDEST:
            break
        window = wider
    best = recent
    if edge is not None and (len(recent) < need or recent[-1].relevance < found.best):
        older = keys.where(*where, newest < edge)
        if len(recent) >= need:  # only a higher relevance passes the window's last kept row
            floor = recent[-1].relevance
            older = older.where(found.above(floor), rank > floor)
        best = sorted(
            [*recent, *session.execute(older.order_by(*order).limit(need))],
            key=lambda r: (r.relevance, r.newest, r.id),
            reverse=True,
        )
    page = best[offset:need]
    total = None
    if count_cap is not None:
        total = min(matches, count_cap + 1)
        if edge is not None and matches <= count_cap:
            rest = select(Report.id).where(*where, newest < edge)
            total += keyset.capped_count(session, rest, count_cap - matches)
    return Ranked(_full(session, columns, rank, page), total)


def _window(
    found: Matcher, newest: Any, where: Sequence[ColumnElement[bool]], need: int
) -> Select[Any]:
    """The ``need`` best matches of ``where``, each with the count of all of them: ranked over a
    subquery that reads each match once (:meth:`Matcher.source_columns`). ``OFFSET 0`` keeps
    the planner from merging the subquery into the ranking, which would read it again."""
    inner = (
        select(*found.source_columns(), newest.label("newest"))
        .where(*where)
        .offset(0)
        .subquery("window")
    )
    rank = found.relevance(found.source_of(inner))
    return (
        select(rank.label(RANK), inner.c.newest, inner.c.id, func.count().over().label("matches"))
        .order_by(rank.desc(), inner.c.newest.desc(), inner.c.id.desc())
        .limit(need)
    )


def _full(
    session: Session, columns: Sequence[Any], rank: ColumnElement[int], page: Sequence[Row[Any]]
) -> list[Row[Any]]:
    """The page's rows with ``columns``, in the page's order."""
    if not page:
        return []
    ids = [r.id for r in page]
    found = session.execute(
        select(*columns, rank.label(RANK), Report.id.label("_id")).where(Report.id.in_(ids))
    ).all()
    by_id = {r._mapping["_id"]: r for r in found}
    return [by_id[i] for i in ids]
