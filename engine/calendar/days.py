"""Which calendar days are worked, and with which working periods.

This is the slow, run-once half of the calendar: it asks the ``holidays`` package for the public
holidays of the configured years and applies the province's per-year overrides. The fast
arithmetic lives in :mod:`engine.calendar.working_time`.

Precedence, from strongest to weakest (documented here because the order is a decision):

1. ``cfg.days_off`` — never worked (a bridge day off announced by the government or the province).
2. ``cfg.working_days`` — always worked, even if the package lists the date as a holiday.
3. A public holiday from the ``holidays`` package — not worked.
4. A make-up Saturday the package knows (``weekend_workdays``, e.g. 26/4/2025, 22/8/2026) — worked.
5. The weekly template — worked if the ISO weekday is in ``cfg.weekly_hours``.

A make-up day (2 or 4) uses the periods of its weekday when the template has them, otherwise
``cfg.makeup_hours``. A date that is both in ``days_off`` and in ``working_days`` is a contradiction
and is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from engine.config.snapshot import CalendarConfig, WorkPeriod

Periods = tuple[WorkPeriod, ...]


@dataclass(frozen=True)
class DayPlan:
    """The worked periods of every day from 1 January of the first year to 31 December of the last.

    ``periods[i]`` belongs to ``first_day + i`` and is empty for a day that is not worked.
    """

    first_day: date
    last_day: date
    periods: tuple[Periods, ...]
    holiday_names: Mapping[date, str]


def plan_days(cfg: CalendarConfig) -> DayPlan:
    """Decide, once, which days of the configured year range are worked and with which periods."""
    if cfg.first_year > cfg.last_year:
        raise ValueError(
            f"The calendar range is empty: the first year ({cfg.first_year}) comes after the last "
            f"year ({cfg.last_year})."
        )
    clash = sorted(cfg.days_off & cfg.working_days)
    if clash:
        listed = ", ".join(d.isoformat() for d in clash)
        raise ValueError(
            f"{listed} is listed both as a day off and as a working day; keep it in only one list."
        )

    weekly = {int(k): _checked(v, f"weekday {k}") for k, v in cfg.weekly_hours.items()}
    makeup = _checked(cfg.makeup_hours, "make-up days")
    first_day = date(cfg.first_year, 1, 1)
    last_day = date(cfg.last_year, 12, 31)

    names: dict[date, str] = {}
    package_makeup: set[date] = set()
    if cfg.holidays_country is not None:
        import holidays  # imported lazily: only calendar construction needs it

        years = range(cfg.first_year, cfg.last_year + 1)
        # Vietnamese names where the package has them; it silently falls back to its default
        # language for countries without a Vietnamese translation.
        public = holidays.country_holidays(cfg.holidays_country, years=years, language="vi")
        names = {d: str(n) for d, n in public.items() if first_day <= d <= last_day}
        package_makeup = {
            d for d in getattr(public, "weekend_workdays", ()) if first_day <= d <= last_day
        }

    periods: list[Periods] = []
    day = first_day
    one = timedelta(days=1)
    while day <= last_day:
        template = weekly.get(day.isoweekday(), ())
        if day in cfg.days_off:
            worked: Periods = ()
        elif day in cfg.working_days:
            worked = template or makeup
        elif day in names:
            worked = ()
        elif day in package_makeup:
            worked = template or makeup
        else:
            worked = template
        periods.append(worked)
        day += one
    return DayPlan(first_day, last_day, tuple(periods), MappingProxyType(names))


def _checked(periods: Periods, where: str) -> Periods:
    """Sort the periods and refuse empty, reversed or overlapping ones."""
    ordered = tuple(sorted(periods, key=lambda p: p.start))
    previous_end = None
    for p in ordered:
        if p.end <= p.start:
            raise ValueError(
                f"The working period {p.start:%H:%M}-{p.end:%H:%M} of {where} does not end after "
                "it starts."
            )
        if p.start.second or p.start.microsecond or p.end.second or p.end.microsecond:
            raise ValueError(
                f"The working period {p.start}-{p.end} of {where} must start and end on a whole "
                "minute."
            )
        if previous_end is not None and p.start < previous_end:
            raise ValueError(f"The working periods of {where} overlap at {p.start:%H:%M}.")
        previous_end = p.end
    return ordered
