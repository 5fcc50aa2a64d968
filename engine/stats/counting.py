"""What the figures count, in SQL: one definition read by the direct figures
(:mod:`engine.stats.compute`) and by the tallies kept of them (:mod:`engine.stats.tallies`), so
that the two cannot count differently.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, case, cast, exists, false, func, or_, select
from sqlalchemy.orm import Session

from engine.stats.figures import RATING_VALUES, WITH_RESULT
from engine.store.models import Clock, Event, Reply, Report
from engine.workflow import State

#: The report counts, each a column of :class:`engine.store.models.FigureTally`.
REPORT_COUNTS: tuple[str, ...] = (
    "received",
    "rejected",
    "duplicates",
    "with_result",
    *(f"rating_{value}" for value in RATING_VALUES),
)
#: The stopped clocks' counts, each a column of :class:`engine.store.models.ClockTally`.
STOPPED_COUNTS: tuple[str, ...] = ("on_time", "late", "late_within_extension")


def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """``COUNT(*) FILTER (WHERE condition)`` (a ``SUM(CASE …)`` where FILTER is not known)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def report_columns() -> dict[str, ColumnElement[int]]:
    """The counts of :data:`REPORT_COUNTS` over a group of reports."""
    rejected = Report.state == State.REJECTED.value
    return {
        "received": func.count(),
        "rejected": count(rejected),
        "duplicates": count(and_(rejected, Report.duplicate_of_id.is_not(None))),
        "with_result": count(Report.state.in_([s.value for s in WITH_RESULT])),
        **{f"rating_{value}": count(Report.rating == value) for value in RATING_VALUES},
    }


def stopped_columns() -> dict[str, ColumnElement[int]]:
    """The counts of :data:`STOPPED_COUNTS` over a group of clocks (only stopped ones count):
    the late flags frozen when each clock stopped, never recomputed."""
    stopped = Clock.stopped_at.is_not(None)
    return {
        "on_time": count(and_(stopped, Clock.late.is_(False))),
        "late": count(and_(stopped, Clock.late_after_extension.is_(True))),
        "late_within_extension": count(
            and_(stopped, Clock.late.is_(True), Clock.late_after_extension.is_not(True))
        ),
    }


def running_columns(now: datetime) -> dict[str, ColumnElement[int]]:
    """Running clocks and, of those counting (not paused), the ones past their due time."""
    running = Clock.stopped_at.is_(None)
    return {
        "running": count(running),
        "overdue": count(and_(running, Clock.paused_at.is_(None), Clock.due_at < now)),
    }


#: The steps of the working minutes the spread is given in: (below this many minutes, rounded
#: down to a multiple of this many); beyond the last, to the hour. A median of two working days
#: is not worth a different minute; the tallies of a month are a few thousand rows instead of
#: one a day, step and minute.
SPREAD_STEPS: tuple[tuple[int, int], ...] = ((60, 1), (240, 5), (960, 15))
SPREAD_BEYOND = 60


def spread_minutes(minutes: ColumnElement[int]) -> ColumnElement[int]:
    """``minutes`` rounded down as the spread gives them (:data:`SPREAD_STEPS`), in SQL."""
    return case(
        *((minutes < below, minutes - minutes % step) for below, step in SPREAD_STEPS),
        else_=minutes - minutes % SPREAD_BEYOND,
    )


def area_columns() -> dict[str, ColumnElement[Any]]:
    """Over a group of reports of one commune: how many, and of those with a place how many and
    the sums of their coordinates (a mean point is a sum over a count, tallied or not)."""
    placed = and_(Report.latitude.is_not(None), Report.longitude.is_not(None))
    return {
        "received": func.count(),
        "placed": count(placed),
        "latitude_sum": func.coalesce(func.sum(case((placed, Report.latitude), else_=0.0)), 0.0),
        "longitude_sum": func.coalesce(func.sum(case((placed, Report.longitude), else_=0.0)), 0.0),
    }


def replies_of_report() -> ColumnElement[int]:
    """The number of replies of the report of the row (a correlated subquery)."""
    return (
        select(func.count())
        .select_from(Reply)
        .where(Reply.report_id == Report.id)
        .scalar_subquery()
    )


def reopened(*narrowing: ColumnElement[bool]) -> ColumnElement[bool]:
    """The report of the row was reopened at least once."""
    return exists().where(Event.report_id == Report.id, Event.action == "reopen", *narrowing)


def local_day(session: Session, zone: tzinfo) -> ColumnElement[Any]:
    """The submission's date in the province's zone, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(str(zone), Report.submitted_at), Date)
    # SQLite keeps naive UTC text; Vietnam's zone has one offset (no summer time) since 1975.
    offset = datetime.now(zone).utcoffset() or timedelta(0)
    return func.date(Report.submitted_at, f"{int(offset.total_seconds() // 60):+d} minutes")


def as_date(value: Any) -> date:
    """A day as the database gives it back (a ``date``, or SQLite's ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def midnight(day: date, zone: tzinfo) -> datetime:
    """The instant (UTC) the local ``day`` begins."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def submitted_on(days: Iterable[date], zone: tzinfo) -> ColumnElement[bool]:
    """The report was submitted on one of the local ``days``: one range of ``submitted_at`` per
    run of consecutive days, so that a long run is one slice of the index, not a day each."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return or_(
        false(),
        *(
            and_(
                Report.submitted_at >= midnight(first, zone),
                Report.submitted_at < midnight(last + timedelta(days=1), zone),
            )
            for first, last in runs
        ),
    )
