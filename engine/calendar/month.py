"""One month of the working calendar, day by day: what kind of day each is, and its hours.

For pages that show the calendar (the administration's month view): every day of the month with
its kind — working, weekend, public holiday (with the ``holidays`` package's name), extra day off,
make-up working day — and its working periods, as :func:`engine.calendar.days.plan_days` decides
them (same precedence, so the page never disagrees with the deadlines). Only the years the month
touches are planned, so asking for a month is cheap whatever the configured range.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from enum import StrEnum

from engine.calendar.days import Periods, plan_days
from engine.config.snapshot import CalendarConfig


class DayKind(StrEnum):
    """What a day is, in the order of :mod:`engine.calendar.days`'s precedence."""

    WORKING = "working"  # an ordinary working day of the week
    WEEKEND = "weekend"  # a day of the week without working hours
    HOLIDAY = "holiday"  # a public holiday of the ``holidays`` package, not worked
    DAY_OFF = "day_off"  # an extra day off of ``years.<year>.days_off``
    MAKEUP = "makeup"  # a make-up working day (``working_days``, or one the package knows)


#: Vietnamese words for each kind, for pages.
KIND_VI: Mapping[DayKind, str] = {
    DayKind.WORKING: "Ngày làm việc",
    DayKind.WEEKEND: "Nghỉ cuối tuần",
    DayKind.HOLIDAY: "Ngày lễ",
    DayKind.DAY_OFF: "Ngày nghỉ thêm",
    DayKind.MAKEUP: "Ngày làm bù",
}


@dataclass(frozen=True)
class MonthDay:
    """One day of the month: its kind, why (a holiday's name or the configured reason), hours."""

    day: date
    kind: DayKind
    note: str
    periods: Periods

    @property
    def working(self) -> bool:
        return bool(self.periods)

    @property
    def hours(self) -> str:
        """``07:00–11:00, 13:00–17:00`` (empty for a day not worked)."""
        return ", ".join(f"{_hhmm(p.start)}–{_hhmm(p.end)}" for p in self.periods)


def month_days(
    cfg: CalendarConfig, year: int, month: int, reasons: Mapping[date, str] | None = None
) -> list[MonthDay]:
    """Every day of ``month`` of ``year`` under ``cfg``.

    ``reasons`` gives the configured reason of each extra day off and make-up day (the snapshot
    keeps only the dates); a day without one gets the package's holiday name, if any. Raises
    ``ValueError`` as :func:`plan_days` does for a contradictory calendar.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"{month} is not a month (1–12).")
    first = date(year, month, 1)
    last = date(year, month, monthrange(year, month)[1])
    return _days(cfg, first, last, reasons or {})


def month_grid(
    cfg: CalendarConfig, year: int, month: int, reasons: Mapping[date, str] | None = None
) -> list[list[MonthDay]]:
    """The month in rows Monday to Sunday, the first and last rows completed with the days of the
    months before and after (a page tells them apart by ``day.month``)."""
    if not 1 <= month <= 12:
        raise ValueError(f"{month} is not a month (1–12).")
    first = date(year, month, 1)
    last = date(year, month, monthrange(year, month)[1])
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    days = _days(cfg, start, end, reasons or {})
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def _days(
    cfg: CalendarConfig, start: date, end: date, reasons: Mapping[date, str]
) -> list[MonthDay]:
    plans = {
        year: plan_days(replace(cfg, first_year=year, last_year=year))
        for year in range(start.year, end.year + 1)
    }
    out = []
    day = start
    while day <= end:
        plan = plans[day.year]
        periods = plan.periods[(day - plan.first_day).days]
        holiday = plan.holiday_names.get(day)
        ordinary = day.isoweekday() in cfg.weekly_hours
        if day in cfg.days_off:
            kind, note = DayKind.DAY_OFF, reasons.get(day) or holiday or ""
        elif periods and (day in cfg.working_days or not ordinary):
            kind, note = DayKind.MAKEUP, reasons.get(day) or holiday or ""
        elif periods:
            kind, note = DayKind.WORKING, ""
        elif holiday is not None:
            kind, note = DayKind.HOLIDAY, holiday
        else:
            kind, note = DayKind.WEEKEND, ""
        out.append(MonthDay(day, kind, note, periods))
        day += timedelta(days=1)
    return out


def _hhmm(t: time) -> str:
    return "24:00" if t == time.max else f"{t:%H:%M}"
