"""When the scheduled periodic reports are due and which period each covers (``periodic.yaml``).

An entry is built on its day (``build_on``) of every year; the period it covers ends the day
before, so that every day counted is over, and starts on its ``from`` day of that year (of the
year before if that day comes later in the year than the build day), or, with ``from: previous``,
on the day the scheduled report before it was built (any entry, the latest build day before this
one), so that consecutive reports follow each other without a gap or an overlap.

Days are the province's (the calendar's time zone, Asia/Ho_Chi_Minh): a report due on 10/10 is
due from 00:00 on 10/10 in Vĩnh Long, which is 17:00 UTC on 09/10.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from engine.config.snapshot import ScheduledReport


@dataclass(frozen=True)
class Due:
    """One scheduled report that should exist: its entry, the day it is built, its period."""

    entry: ScheduledReport
    built_on: date
    start: date
    end: date


def build_day(entry: ScheduledReport, year: int) -> date:
    day, month = entry.build_on
    return date(year, month, day)


def period(
    entries: Sequence[ScheduledReport], entry: ScheduledReport, built_on: date
) -> tuple[date, date]:
    """The first and last day the report of ``entry`` built on ``built_on`` covers."""
    end = built_on - timedelta(days=1)
    if entry.start is None:
        earlier = [
            day
            for other in entries
            for year in (built_on.year - 1, built_on.year)
            if (day := build_day(other, year)) < built_on
        ]
        return max(earlier), end
    day, month = entry.start
    start = date(built_on.year, month, day)
    if start > end:
        start = date(built_on.year - 1, month, day)
    return start, end


def due(entries: Sequence[ScheduledReport], today: date) -> list[Due]:
    """The reports whose build day this year has come by ``today``, in the file's order.

    From its day to the year's end a report stays due until it is built, so a worker that was
    down on the day builds it when it comes back. Only this year's: a new installation does not
    build last year's reports of a period it has no reports of, and a report missed for the whole
    rest of the year is one a staff member builds on request on the page.
    """
    out = []
    for entry in entries:
        built_on = build_day(entry, today.year)
        if built_on <= today:
            start, end = period(entries, entry, built_on)
            out.append(Due(entry, built_on, start, end))
    return out
