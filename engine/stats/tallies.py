"""The figures' tallies: the counts of each local day of submission, kept by the worker.

A period's figures at a province's scale would read every report and clock of the period (a
million reports hold five or six million clocks). Instead the worker keeps, for each local day of
submission (Asia/Ho_Chi_Minh), the counts of the day's reports by responsible agency, unit and
sector (:class:`~engine.store.models.FigureTally`), of their stopped clocks by step
(:class:`~engine.store.models.ClockTally`), and of the working minutes those clocks used
(:class:`~engine.store.models.SpreadTally`); the figures add the tallies of the period's days.
The counts are :mod:`engine.stats.counting`'s, the same SQL the direct figures run.

**Which days are counted again.** Every change of a report bumps its ``version`` (the ORM's
version counter: a state, a rating, a reply, a clock that stops all change the report's row in
the same transaction), and ``tallied_version`` is the version the tallies last counted. A report
whose two differ — a new report, or one changed since — is on a partial index of its own, so the
days to count again are found without reading the others, and intake writes nothing more than
its row. :func:`refresh` takes a few of those days, reads their changed reports' ids and
versions, counts the days again from the rows (delete, then ``INSERT … SELECT``), and then sets
``tallied_version`` to the version it read, only where the report still has it. A report changed
meanwhile keeps a newer version, so its day stays to count again: the tallies never miss a change,
whatever runs beside the worker. Two workers take turns (a transaction-level advisory lock on
PostgreSQL; SQLite has one writer anyway).

**How the figures use them.** A day with a changed report is counted directly, from the rows, as
before; every other day comes from its tallies; the two are added (:mod:`engine.stats.compute`).
The figures are therefore exact at every moment, tallied or not. The running and overdue clocks
depend on the time of asking and are always counted from the rows (few: the open reports'). The
communes are tallied for the whole province only (:class:`~engine.store.models.AreaTally`, the
top communes and the map), and the spread likewise; no tally has the commune beside the agency,
nor the channel: a query by commune or channel is counted directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from engine.stats.counting import (
    REPORT_COUNTS,
    STOPPED_COUNTS,
    area_columns,
    as_date,
    count,
    local_day,
    reopened,
    replies_of_report,
    report_columns,
    spread_minutes,
    stopped_columns,
    submitted_on,
)
from engine.store.models import AreaTally, Clock, ClockTally, FigureTally, Report, SpreadTally

#: Days one :func:`refresh` counts again at most: a pass stays short after a migration or a
#: bulk load, when every day is to count; the next passes take the rest.
DAYS_PER_PASS = 31
#: The advisory lock the workers take turns with (any constant; "phat" in ASCII).
LOCK = 0x70686174

TALLIES = (FigureTally, ClockTally, AreaTally, SpreadTally)
#: A tally table's group: the columns :func:`engine.services.queues.visible` and the queries'
#: filters read, as the tally tables name them.
Tally = type[FigureTally] | type[ClockTally]


def untallied() -> ColumnElement[bool]:
    """The report changed since the tallies counted it (the partial index's predicate)."""
    return Report.version != Report.tallied_version


def changed_days(
    session: Session, zone: tzinfo, within: Sequence[ColumnElement[bool]] = (), limit: int = 0
) -> list[date]:
    """The local days, oldest first, with a report changed since it was tallied, among the
    reports ``within`` (conditions on :class:`Report`, a period); at most ``limit`` if given."""
    day = local_day(session, zone).label("day")
    statement = select(day).where(untallied(), *within).group_by(day).order_by(day)
    if limit:
        statement = statement.limit(limit)
    return [as_date(value) for value in session.scalars(statement)]


def refresh(session: Session, zone: tzinfo, days: int = DAYS_PER_PASS) -> int:
    """Count again the oldest ``days`` days with changed reports; how many reports it marked
    tallied (0: the tallies are up to date). In the caller's transaction."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(select(func.pg_advisory_xact_lock(LOCK)))
    found = changed_days(session, zone, limit=days)
    if not found:
        return 0
    seen = session.execute(
        select(Report.id, Report.version).where(untallied(), submitted_on(found, zone))
    ).all()
    rebuild(session, zone, found)
    mark_tallied(session, [(int(i), int(v)) for i, v in seen])
    return len(seen)


def rebuild(session: Session, zone: tzinfo, days: Iterable[date]) -> None:
    """Replace the tallies of the local ``days`` with counts of their reports as they are now."""
    days = sorted(set(days))
    for table in TALLIES:
        session.execute(delete(table).where(table.day.in_(days)))
    on_days = submitted_on(days, zone)
    day = local_day(session, zone).label("day")
    group = (Report.agency, Report.unit, Report.sector)
    reports = {
        **report_columns(),
        "replies": func.coalesce(func.sum(replies_of_report()), 0),
        "reopened": count(reopened()),
    }
    session.execute(
        insert(FigureTally).from_select(
            ["day", "agency", "unit", "sector", *reports],
            select(day, *group, *(c.label(k) for k, c in reports.items()))
            .where(on_days)
            .group_by(day, *group),
        )
    )
    areas = area_columns()
    session.execute(
        insert(AreaTally).from_select(
            ["day", "area", *areas],
            select(day, Report.area, *(c.label(k) for k, c in areas.items()))
            .where(on_days, Report.area.is_not(None))
            .group_by(day, Report.area),
        )
    )
    stopped = Clock.stopped_at.is_not(None)
    minutes = spread_minutes(Clock.used_minutes).label("used_minutes")
    session.execute(
        insert(ClockTally).from_select(
            ["day", "agency", "unit", "sector", "step", *STOPPED_COUNTS],
            select(day, *group, Clock.step, *(c.label(k) for k, c in stopped_columns().items()))
            .select_from(Clock)
            .join(Report, Report.id == Clock.report_id)
            .where(on_days, stopped)
            .group_by(day, *group, Clock.step),
        )
    )
    session.execute(
        insert(SpreadTally).from_select(
            ["day", "step", "used_minutes", "clocks"],
            select(day, Clock.step, minutes, func.count())
            .select_from(Clock)
            .join(Report, Report.id == Clock.report_id)
            .where(on_days, stopped)
            .group_by(day, Clock.step, minutes),
        )
    )


_MARK_PG = text(
    "UPDATE reports SET tallied_version = seen.version"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:versions AS integer[])) AS seen(id, version)"
    " WHERE reports.id = seen.id AND reports.version = seen.version"
)


def mark_tallied(session: Session, seen: list[tuple[int, int]]) -> None:
    """Record that the tallies counted each (report id, version) of ``seen``: where the report
    still has that version (one changed since stays to count again)."""
    if not seen:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_MARK_PG, {"ids": [i for i, _ in seen], "versions": [v for _, v in seen]})
        return
    table = Report.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("seen_id"), table.c.version == bindparam("seen_version"))
        .values(tallied_version=bindparam("seen_version"))
    )
    session.connection().execute(statement, [{"seen_id": i, "seen_version": v} for i, v in seen])


# -- reading ---------------------------------------------------------------------------------------


def report_rows(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> dict[tuple[str | None, str | None], dict[str, int]]:
    """The tallied report counts (and replies, reopenings) by (agency, sector)."""
    keys = (*REPORT_COUNTS, "replies", "reopened")
    statement = (
        select(
            FigureTally.agency,
            FigureTally.sector,
            *(func.sum(getattr(FigureTally, k)).label(k) for k in keys),
        )
        .where(*where)
        .group_by(FigureTally.agency, FigureTally.sector)
    )
    return {
        (agency, sector): dict(zip(keys, map(int, counts), strict=True))
        for agency, sector, *counts in session.execute(statement)
    }


def stopped_rows(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> dict[tuple[str | None, str | None, str], dict[str, int]]:
    """The tallied stopped clocks by (agency, sector, step)."""
    statement = (
        select(
            ClockTally.agency,
            ClockTally.sector,
            ClockTally.step,
            *(func.sum(getattr(ClockTally, k)).label(k) for k in STOPPED_COUNTS),
        )
        .where(*where)
        .group_by(ClockTally.agency, ClockTally.sector, ClockTally.step)
    )
    return {
        (agency, sector, step): dict(zip(STOPPED_COUNTS, map(int, counts), strict=True))
        for agency, sector, step, *counts in session.execute(statement)
    }


def used_minutes(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> dict[str, list[tuple[int, int]]]:
    """The tallied stopped clocks of each step as (working minutes used, how many) pairs."""
    statement = (
        select(SpreadTally.step, SpreadTally.used_minutes, func.sum(SpreadTally.clocks))
        .where(*where)
        .group_by(SpreadTally.step, SpreadTally.used_minutes)
    )
    used: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for step, minutes, clocks in session.execute(statement):
        used[step].append((int(minutes), int(clocks)))
    return used


def by_area(session: Session, where: Sequence[ColumnElement[bool]]) -> dict[str, dict[str, float]]:
    """The tallied reports of each commune: ``received``, ``placed`` and the coordinates' sums."""
    keys = ("received", "placed", "latitude_sum", "longitude_sum")
    statement = (
        select(AreaTally.area, *(func.sum(getattr(AreaTally, k)) for k in keys))
        .where(*where)
        .group_by(AreaTally.area)
    )
    return {
        area: dict(zip(keys, (float(v or 0) for v in values), strict=True))
        for area, *values in session.execute(statement)
    }


def daily(session: Session, where: Sequence[ColumnElement[bool]]) -> list[tuple[date, int, int]]:
    """The tallied reports received and with a result, by local day of submission."""
    statement = (
        select(FigureTally.day, func.sum(FigureTally.received), func.sum(FigureTally.with_result))
        .where(*where)
        .group_by(FigureTally.day)
    )
    return [(as_date(d), int(r), int(w)) for d, r, w in session.execute(statement)]


def in_group(table: Tally, codes: Iterable[str]) -> ColumnElement[bool]:
    """The tally's responsible agency or unit is one of ``codes`` (as ``visible`` reads a report)."""
    codes = sorted(codes)
    return or_(table.agency.in_(codes), table.unit.in_(codes))


def day_clauses(
    table: Any, start: date | None, end: date | None, counted_directly: Iterable[date]
) -> list[ColumnElement[bool]]:
    """The tallies of the days from ``start`` to ``end`` (inclusive, either open) but those
    ``counted_directly``."""
    clauses: list[ColumnElement[bool]] = []
    if start:
        clauses.append(table.day >= start)
    if end:
        clauses.append(table.day <= end)
    skipped = sorted(set(counted_directly))
    if skipped:
        clauses.append(table.day.not_in(skipped))
    return clauses
