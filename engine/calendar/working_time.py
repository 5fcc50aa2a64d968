"""Working-time arithmetic, exact to the minute and without stepping.

Every calendar day of the configured year range gets, once, at construction:

* ``cum[i]`` — the working minutes from the start of the range up to 00:00 of day ``i``
  (``cum`` has one more entry than there are days, so ``cum[i + 1] - cum[i]`` is day ``i``'s total);
* a *day pattern* shared by all days with the same periods: ``prefix[m]``, the working minutes in
  ``[00:00, m)`` for every minute of the day ``m`` (0…1440), and ``inverse[k]``, the minute of the
  day of the day's ``k``-th working minute.

A datetime then has a *position* — ``cum[day] + prefix[minute of day]``, the working minutes
before it — in O(1); ``add`` turns the target position back into a datetime with one ``bisect``
on ``cum`` and one look-up in ``inverse``. Nothing steps minute by minute or day by day.

All tables are tuples built in ``__init__`` and never changed, so one calendar may be shared by
any number of threads.

Times are local wall-clock minutes of the calendar's zone. Asia/Ho_Chi_Minh is a fixed +07:00
over the supported years, so wall-clock minutes and real minutes are the same there; in a zone
with daylight saving time a working period that straddles a change would be counted by the
clock on the wall.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.calendar.days import DayPlan, Periods, plan_days
from engine.config.snapshot import CalendarConfig, Duration

_MINUTES_PER_DAY = 1440
# Shared, immutable timedeltas for every minute of a day (0…1440): the hot path only indexes.
_TD = tuple(timedelta(minutes=m) for m in range(_MINUTES_PER_DAY + 1))


@lru_cache(maxsize=256)
def _parse(text: str) -> Duration:
    return Duration.parse(text)


class WorkingCalendar:
    """Working time of one configured calendar (see :mod:`engine.calendar.days` for which days).

    Build it with :meth:`from_config`. Every method takes *aware* datetimes only: a naive one is
    refused with ``ValueError``, never assumed to be UTC or local time. Inputs are converted to
    the calendar's zone and truncated to the minute; results are aware datetimes in that zone.
    """

    __slots__ = (
        "_zone",
        "_day_minutes",
        "_first_day",
        "_last_day",
        "_base",
        "_ndays",
        "_cum",
        "_prefix",
        "_inverse",
        "_midnight",
        "_names",
        "_range_text",
    )

    def __init__(self, zone: ZoneInfo, plan: DayPlan, day_minutes: int) -> None:
        if day_minutes <= 0:
            raise ValueError(
                "The calendar has no working hours on any weekday, so a working day has no length; "
                "configure the weekly working hours."
            )
        self._zone = zone
        self._day_minutes = day_minutes
        self._first_day = plan.first_day
        self._last_day = plan.last_day
        self._base = plan.first_day.toordinal()
        self._ndays = len(plan.periods)
        self._names: Mapping[date, str] = plan.holiday_names
        self._range_text = (
            f"{plan.first_day.year}–{plan.last_day.year} (1 January {plan.first_day.year} to "
            f"31 December {plan.last_day.year}, {zone.key})"
        )

        patterns: dict[Periods, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        cum = [0]
        prefix: list[tuple[int, ...]] = []
        inverse: list[tuple[int, ...]] = []
        midnight: list[datetime] = []
        day = plan.first_day
        one = timedelta(days=1)
        for periods in plan.periods:
            pattern = patterns.get(periods)
            if pattern is None:
                pattern = patterns[periods] = _pattern(periods)
            prefix.append(pattern[0])
            inverse.append(pattern[1])
            cum.append(cum[-1] + len(pattern[1]))
            midnight.append(datetime(day.year, day.month, day.day, tzinfo=zone))
            day += one
        self._cum = tuple(cum)
        self._prefix = tuple(prefix)
        self._inverse = tuple(inverse)
        self._midnight = tuple(midnight)

    @classmethod
    def from_config(cls, cfg: CalendarConfig) -> WorkingCalendar:
        """Build the calendar, public holidays included, for the configured range of years."""
        try:
            zone = ZoneInfo(cfg.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"'{cfg.timezone}' is not a known time zone; use an IANA name such as "
                "Asia/Ho_Chi_Minh."
            ) from exc
        return cls(zone, plan_days(cfg), cfg.day_minutes)

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self._range_text}, day={self._day_minutes}m>"

    # --- properties -----------------------------------------------------------------------------

    @property
    def day_minutes(self) -> int:
        """Length of one working day (the unit ``d``) in minutes: 480 with the default hours."""
        return self._day_minutes

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone; every result is expressed in it."""
        return self._zone

    def minutes_of(self, duration: Duration | str | int) -> int:
        """Working minutes in ``duration`` (``d`` = :attr:`day_minutes`, never 24 h)."""
        n = duration if type(duration) is int else self._duration_minutes(duration)
        if n < 0:
            raise ValueError(f"A duration cannot be negative ({n} minutes).")
        return n

    # --- arithmetic -----------------------------------------------------------------------------

    def add(self, start: datetime, duration: Duration | str | int) -> datetime:
        """The moment ``duration`` of working time after ``start``.

        ``duration`` is a :class:`Duration`, a string ``Duration.parse`` accepts (``"2h"``,
        ``"6d"``) or an int of minutes. Counting begins at the first working minute at or after
        ``start`` (a report at 22:00 on Saturday starts counting on Monday morning). A result that
        falls exactly on the end of a working period is that end (17:00), not the next start.

        An int ``0`` returns ``start`` itself, in the calendar's zone and truncated to the minute,
        without moving it to the next working minute.
        """
        n = duration if type(duration) is int else self._duration_minutes(duration)
        if start.tzinfo is not self._zone:
            start = self._to_zone(start)
        d = start.toordinal() - self._base
        if d < 0 or d >= self._ndays:
            raise self._out_of_range(start)
        if n <= 0:
            if n == 0:
                return start.replace(second=0, microsecond=0)
            raise ValueError(f"A duration cannot be negative ({n} minutes).")
        cum = self._cum
        # Position of the last working minute to count (0-based); the result is its end.
        target = cum[d] + self._prefix[d][start.hour * 60 + start.minute] + n - 1
        if target < cum[d + 1]:
            day = d
        else:
            day = bisect_right(cum, target, d + 1) - 1
            if day >= self._ndays:
                raise ValueError(
                    f"{n} working minutes after {start:%Y-%m-%d %H:%M} fall after the end of the "
                    f"calendar's range {self._range_text}; extend the range of years."
                )
        return self._midnight[day] + _TD[self._inverse[day][target - cum[day]] + 1]

    def elapsed(self, start: datetime, end: datetime) -> int:
        """Working minutes in ``[start, end)``, both truncated to the minute; 0 if end <= start."""
        s = self._position(start)
        e = self._position(end)
        return e - s if e > s else 0

    def next_working_minute(self, dt: datetime) -> datetime:
        """``dt`` (truncated to the minute) if it is working time, else the next working minute."""
        if dt.tzinfo is not self._zone:
            dt = self._to_zone(dt)
        d = dt.toordinal() - self._base
        if d < 0 or d >= self._ndays:
            raise self._out_of_range(dt)
        cum = self._cum
        p = cum[d] + self._prefix[d][dt.hour * 60 + dt.minute]
        if p < cum[d + 1]:
            day = d
        else:
            day = bisect_right(cum, p, d + 1) - 1
            if day >= self._ndays:
                raise ValueError(
                    f"There is no working minute after {dt:%Y-%m-%d %H:%M} within the calendar's "
                    f"range {self._range_text}; extend the range of years."
                )
        return self._midnight[day] + _TD[self._inverse[day][p - cum[day]]]

    # --- questions about days and minutes -------------------------------------------------------

    def is_working_time(self, dt: datetime) -> bool:
        """Whether the minute containing ``dt`` is working time."""
        if dt.tzinfo is not self._zone:
            dt = self._to_zone(dt)
        d = dt.toordinal() - self._base
        if d < 0 or d >= self._ndays:
            raise self._out_of_range(dt)
        prefix = self._prefix[d]
        m = dt.hour * 60 + dt.minute
        return prefix[m + 1] != prefix[m]

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` has any working time (a datetime is first converted to the zone)."""
        i = self._day_index(day)
        return self._cum[i + 1] != self._cum[i]

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's name in Vietnamese (from ``holidays``), or ``None``.

        This reports the package's holidays only: a holiday the province made a working day still
        has its name, and a day off from ``days_off`` has none. :meth:`is_working_day` decides.
        """
        i = self._day_index(day)
        return self._names.get(self._first_day + timedelta(days=i))

    # --- internals ------------------------------------------------------------------------------

    def _duration_minutes(self, duration: Duration | str | int) -> int:
        if isinstance(duration, Duration):
            return duration.minutes(self._day_minutes)
        if isinstance(duration, str):
            return _parse(duration).minutes(self._day_minutes)
        if isinstance(duration, int) and not isinstance(duration, bool):
            return int(duration)
        raise TypeError(
            f"A duration must be a Duration, a text such as '2h' or a number of minutes, "
            f"not {type(duration).__name__}."
        )

    def _to_zone(self, dt: datetime) -> datetime:
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(
                f"The time {dt.isoformat()} has no time zone, so it cannot be placed on the "
                f"working calendar; attach one (for example ZoneInfo('{self._zone.key}') or "
                "UTC) — the calendar never guesses."
            )
        return dt.astimezone(self._zone)

    def _position(self, dt: datetime) -> int:
        """Working minutes from the start of the range up to the minute of ``dt``."""
        if dt.tzinfo is not self._zone:
            dt = self._to_zone(dt)
        d = dt.toordinal() - self._base
        if d < 0 or d >= self._ndays:
            raise self._out_of_range(dt)
        return self._cum[d] + self._prefix[d][dt.hour * 60 + dt.minute]

    def _day_index(self, day: date) -> int:
        if isinstance(day, datetime):
            day = (day if day.tzinfo is self._zone else self._to_zone(day)).date()
        i = day.toordinal() - self._base
        if i < 0 or i >= self._ndays:
            raise ValueError(
                f"{day.isoformat()} is outside the calendar's range {self._range_text}; "
                "extend the range of years."
            )
        return i

    def _out_of_range(self, dt: datetime) -> ValueError:
        return ValueError(
            f"{dt:%Y-%m-%d %H:%M} ({self._zone.key}) is outside the calendar's range "
            f"{self._range_text}; extend the range of years."
        )


def _pattern(periods: Periods) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(prefix, inverse)`` tables of one day's periods (see the module docstring)."""
    worked = bytearray(_MINUTES_PER_DAY)
    for p in periods:
        first = p.start.hour * 60 + p.start.minute
        stop = p.end.hour * 60 + p.end.minute
        worked[first:stop] = b"\x01" * (stop - first)
    prefix = [0] * (_MINUTES_PER_DAY + 1)
    inverse: list[int] = []
    for m in range(_MINUTES_PER_DAY):
        if worked[m]:
            inverse.append(m)
        prefix[m + 1] = len(inverse)
    return tuple(prefix), tuple(inverse)
