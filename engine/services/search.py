"""Search over the reports: phrases of whole words, accent-insensitive, and report codes, ranked.

A query is folded like the indexed text (``"Ổ GÀ"`` → ``"o ga"``, ``đ`` → ``d``) and cut at
punctuation into phrases. A phrase matches a report when its words stand one after another, as
whole words, in the content, the published answer, the address, or the commune's name.
Vietnamese writes one word as several syllables ("rác thải", "đèn tín hiệu"), so what is typed
together is a phrase, never loose syllables: "ổ gà" does not find "ở chợ … bán gà", and "ổ voi"
does not find "ổ cắm điện … con voi". Every phrase of a query must match (``ổ gà, Long Hồ``). A
report code in the query (``PA-2026-000241``) finds that report.

Relevance is a whole number that both databases compute alike, so that SQLite and PostgreSQL
give the same answers in the same order: 8 for the code, and for each phrase 4 when it is in
the content, 2 in the published answer, 1 in the place. Lists sort by it, then newest first.

The index is the database's own (:mod:`engine.store.search`): FTS5 on SQLite, a weighted
tsvector with a GIN index on PostgreSQL. Communes are matched here against the
configuration's names, so a renamed commune is found by its new name without re-indexing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    true,
)

from engine.rules import fold
from engine.rules.facts import chunks
from engine.store import Report
from engine.store import search as index

#: A report's code as the service writes it (``PA-2026-000241``), in any case.
CODE = re.compile(r"\b[A-Za-z]{2}-\d{4}-\d{1,12}\b")
_WORD = re.compile(r"[^\W_]+")
#: Bounds on what one query may ask, so that a pasted page costs no more than a sentence.
MAX_PHRASES = 6
MAX_WORDS = 12
#: Relevance weights (see the module's note).
CODE_WEIGHT, CONTENT_WEIGHT, RESULT_WEIGHT, PLACE_WEIGHT = 8, 4, 2, 1
#: Above this many relevance terms, :meth:`Matcher.above` does not enumerate their combinations.
MAX_PRUNED_TERMS = 7

_FTS = table(index.FTS_TABLE, column("rowid"), column(index.FTS_TABLE))
_PG_CONFIG = literal_column(index.PG_CONFIG)
_PG_VECTOR = literal_column(f"reports.{index.PG_VECTOR}")


def _tsquery(phrase: str, weight: str = "") -> str:
    """``"o ga"`` in the column of weight A → ``('o':A <-> 'ga':A)`` (no weight: ``('o' <->
    'ga')``); the words hold letters and digits only (:func:`words`), so quoting them is safe."""
    mark = f":{weight}" if weight else ""
    return "(" + " <-> ".join(f"'{word}'{mark}" for word in phrase.split()) + ")"


def low_sets(weights: Sequence[int], floor: int) -> list[frozenset[int]]:
    """The largest sets of terms (by position in ``weights``) whose weights add up to at most
    ``floor``: a report whose relevance is above ``floor`` matches a term outside each of them.

    ``[4, 2, 1]`` over 6 → ``{0, 1}``, ``{0, 2}`` and ``{1, 2}``: above 6 needs all three.
    """
    if floor < 0:
        return []
    positions = range(len(weights))
    found = []
    for size in range(len(weights) + 1):
        for chosen in combinations(positions, size):
            total = sum(weights[i] for i in chosen)
            if total <= floor and all(
                total + weights[i] > floor for i in positions if i not in chosen
            ):
                found.append(frozenset(chosen))
    return found


@dataclass(frozen=True)
class Source:
    """The columns a relevance reads: the reports' own, or those of a subquery over them."""

    id: Any
    code: Any
    area: Any
    #: PostgreSQL's ``search_vector`` (unused on SQLite, whose index is a table of its own).
    vector: Any


REPORTS = Source(Report.id, Report.code, Report.area, _PG_VECTOR)


def words(text: str | None) -> str:
    """What a search column holds: the folded words of ``text``, one space apart."""
    return " ".join(_WORD.findall(fold(text or "")))


@dataclass(frozen=True)
class Query:
    """A parsed query: its phrases (folded words, one space apart) and the codes it names."""

    phrases: tuple[str, ...]
    codes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.phrases and not self.codes


def parse(text: str | None) -> Query:
    """``"ổ gà, PA-2026-000241"`` → phrases ``("o ga",)``, codes ``("PA-2026-000241",)``."""
    text = text or ""
    codes = tuple(dict.fromkeys(code.upper() for code in CODE.findall(text)))
    rest = CODE.sub(" ", text)
    phrases = tuple(dict.fromkeys(" ".join(chunk[:MAX_WORDS]) for chunk in chunks(rest)))
    return Query(phrases[:MAX_PHRASES], codes)


def communes(areas: Mapping[str, Any], phrase: str) -> list[str]:
    """The codes of the areas whose name holds ``phrase`` as whole words."""
    padded = f" {phrase} "
    return sorted(code for code, area in areas.items() if padded in f" {words(area.name)} ")


class Matcher:
    """The match and relevance expressions of one query, for one database's dialect."""

    def __init__(self, query: Query, dialect: str, areas: Mapping[str, Any]) -> None:
        self.query = query
        self.postgres = dialect == "postgresql"
        self._communes = {p: communes(areas, p) for p in query.phrases}

    def condition(self) -> ColumnElement[bool]:
        """Reports that the query finds: one of its codes, or every phrase somewhere."""
        found: list[ColumnElement[bool]] = []
        if self.query.codes:
            found.append(Report.code.in_(self.query.codes))
        if self.query.phrases:
            found.append(and_(*(self._anywhere(p) for p in self.query.phrases)))
        return or_(*found) if found else false()

    def relevance(self, source: Source = REPORTS) -> ColumnElement[int]:
        """The query's relevance of a report (see the module's note), read from ``source``."""
        terms = [self._weight(found, weight) for found, _, weight in self._terms(source)]
        if not terms:
            return literal(0, Integer)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def source_columns(self) -> list[ColumnElement[Any]]:
        """What a subquery selects for :meth:`relevance` to read it (:meth:`source_of`).

        On PostgreSQL the vector is selected as a new value (``|| ''``): a stored
        ``search_vector`` is large enough to live out of line (TOAST), and each of the
        relevance's terms would fetch and decompress it again; this is done once a row.
        """
        columns = [Report.id.label("id"), Report.code.label("code"), Report.area.label("area")]
        if self.postgres:
            vector = literal_column(f"reports.{index.PG_VECTOR} || ''::tsvector")
            columns.append(vector.label(index.PG_VECTOR))
        return columns

    def source_of(self, subquery: Any) -> Source:
        """The :class:`Source` of a subquery that selects :meth:`source_columns`."""
        c = subquery.c
        return Source(c.id, c.code, c.area, c[index.PG_VECTOR] if self.postgres else None)

    @property
    def best(self) -> int:
        """The highest relevance a report can have: every term found."""
        return sum(weight for _, _, weight in self._terms())

    def above(self, floor: int) -> ColumnElement[bool]:
        """A condition that every report of relevance above ``floor`` meets, written so that
        the index finds those reports without reading every match (see :func:`low_sets`).

        Necessary, not sufficient: the caller keeps ``relevance() > floor`` beside it. On
        PostgreSQL the answer and the place are looked up in their own indexes
        (``0012_search_columns``): the weights of ``search_vector`` are only known once its
        row is read.
        """
        terms = self._terms()
        if len(terms) > MAX_PRUNED_TERMS:
            return true()
        clauses: list[ColumnElement[bool]] = []
        for low in low_sets([weight for _, _, weight in terms], floor):
            outside = [indexed for i, (_, indexed, _) in enumerate(terms) if i not in low]
            clauses.append(or_(*outside) if outside else false())
        return and_(*clauses) if clauses else false()

    def _terms(
        self, source: Source = REPORTS
    ) -> list[tuple[ColumnElement[bool], ColumnElement[bool], int]]:
        """Each term of the relevance: its condition (read from ``source``), the same condition
        as an index finds it (on the reports), and its weight."""
        terms: list[tuple[ColumnElement[bool], ColumnElement[bool], int]] = []
        if self.query.codes:
            terms.append(
                (source.code.in_(self.query.codes), Report.code.in_(self.query.codes), CODE_WEIGHT)
            )
        for phrase in self.query.phrases:
            content = self._in("search_text", phrase, source)
            terms.append((content, self._in("search_text", phrase), CONTENT_WEIGHT))
            result = self._in("search_result", phrase, source)
            indexed = self._indexed("search_result", phrase)
            terms.append((result, indexed, RESULT_WEIGHT))
            place = self._or_commune(self._in("search_place", phrase, source), phrase, source)
            indexed = self._or_commune(self._indexed("search_place", phrase), phrase)
            terms.append((place, indexed, PLACE_WEIGHT))
        return terms

    def _indexed(self, name: str, phrase: str) -> ColumnElement[bool]:
        """``phrase`` in column ``name`` through that column's own index (PostgreSQL)."""
        if not self.postgres:
            return self._in(name, phrase)
        vector = func.to_tsvector(_PG_CONFIG, literal_column(f"reports.{name}"))
        return vector.op("@@")(func.to_tsquery(_PG_CONFIG, _tsquery(phrase)))

    @staticmethod
    def _weight(condition: ColumnElement[bool], weight: int) -> ColumnElement[int]:
        return case(
            (condition, literal_column(str(weight), Integer)), else_=literal_column("0", Integer)
        )

    def _anywhere(self, phrase: str) -> ColumnElement[bool]:
        if self.postgres:
            found = self._vector(" | ".join(_tsquery(phrase, w) for w in index.WEIGHTS.values()))
        else:
            found = self._fts(f'"{phrase}"')
        return self._or_commune(found, phrase)

    def _or_commune(
        self, found: ColumnElement[bool], phrase: str, source: Source = REPORTS
    ) -> ColumnElement[bool]:
        areas = self._communes[phrase]
        return or_(found, source.area.in_(areas)) if areas else found

    def _in(self, name: str, phrase: str, source: Source = REPORTS) -> ColumnElement[bool]:
        if self.postgres:
            return self._vector(_tsquery(phrase, index.WEIGHTS[name]), source)
        return self._fts(f'{name} : "{phrase}"', source)

    @staticmethod
    def _vector(query: str, source: Source = REPORTS) -> ColumnElement[bool]:
        return source.vector.op("@@")(func.to_tsquery(_PG_CONFIG, query))

    @staticmethod
    def _fts(expression: str, source: Source = REPORTS) -> ColumnElement[bool]:
        # A phrase holds letters and digits only (words() keeps nothing else): safe in quotes.
        matched = select(_FTS.c.rowid).where(_FTS.c[index.FTS_TABLE].op("MATCH")(expression))
        return source.id.in_(matched)


def matcher(session: Any, text: str | None, areas: Mapping[str, Any]) -> Matcher:
    """The :class:`Matcher` of ``text`` for the database ``session`` is bound to."""
    return Matcher(parse(text), session.get_bind().dialect.name, areas)
