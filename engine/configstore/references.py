"""How many reports refer to a sector, an agency or an area (before one is deleted).

A report keeps the codes of its configuration as it was (R23): its sector (and the one the reporter
chose or the keywords suggested, before the IOC classifies it), the agency that holds it and the
sub-unit it was assigned to, and its area. An entry that reports refer to is never deleted from the
configuration — its code would then name nothing in those reports' records — it stops applying
from a date instead (``effective.until``).
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.store.models import Report

Kind = Literal["sector", "agency", "area"]

#: The columns of a report that hold a code of each kind.
COLUMNS: dict[str, tuple[InstrumentedAttribute[str | None], ...]] = {
    "sector": (Report.sector, Report.suggested_sector),
    "agency": (Report.agency, Report.unit),
    "area": (Report.area,),
}


def references(session: Session, kind: Kind, code: str) -> int:
    """The number of reports whose ``kind`` columns name ``code``."""
    columns = COLUMNS[kind]
    query = select(func.count()).select_from(Report).where(or_(*(c == code for c in columns)))
    return int(session.scalar(query) or 0)


def counts(session: Session, kind: Kind) -> dict[str, int]:
    """The number of reports that refer to each code of ``kind`` (codes with none are absent)."""
    columns = COLUMNS[kind]
    found: Counter[str] = Counter()
    for *codes, number in session.execute(select(*columns, func.count()).group_by(*columns)):
        for code in {c for c in codes if c}:
            found[code] += number
    return dict(found)


def sector_counts(session: Session) -> dict[str, tuple[int, int]]:
    """Each sector's ``(classified, suggested)`` reports, for the administration's list.

    ``classified``: reports the IOC has put in the sector (``Report.sector``); ``suggested``:
    reports not classified yet whose reporter chose the sector or whose keywords suggested it.
    Counted apart, because the two mean different things — a report counted in both its
    suggested and its classified sector would be counted twice. Codes with neither are absent.
    """
    found: dict[str, list[int]] = {}
    classified = (
        select(Report.sector, func.count())
        .where(Report.sector.is_not(None))
        .group_by(Report.sector)
    )
    suggested = (
        select(Report.suggested_sector, func.count())
        .where(Report.sector.is_(None), Report.suggested_sector.is_not(None))
        .group_by(Report.suggested_sector)
    )
    for column, query in enumerate((classified, suggested)):
        for code, number in session.execute(query):
            found.setdefault(code, [0, 0])[column] = int(number)
    return {code: (pair[0], pair[1]) for code, pair in found.items()}
