"""Deadline clocks in working time: start, pause, resume, extend, stop, and their status now.

A clock counts the working time a step has used. Pausing (a report waiting for the reporter's
missing information) stops the count without stopping the clock; resuming moves the due time by
the pause. Whether the step was late is decided once, when the clock stops, and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from engine.calendar import WorkingCalendar
from engine.store.models import Clock


class ClockError(ValueError):
    """A clock operation that does not fit the clock's current state."""


class Standing(StrEnum):
    ON_TIME = "on_time"
    WARNING = "warning"
    LATE = "late"
    PAUSED = "paused"
    #: Finished after the step's own limit but within a granted extension (Đ8.B3).
    WITHIN_EXTENSION = "within_extension"


@dataclass(frozen=True)
class ClockStatus:
    standing: Standing
    used_minutes: int
    budget_minutes: int
    due_at: datetime
    stopped: bool

    @property
    def remaining_minutes(self) -> int:
        """Working minutes left (negative: overdue by that much)."""
        return self.budget_minutes - self.used_minutes


class Measured(Protocol):
    """What :func:`status` reads of a clock: a :class:`Clock`, or a row of these columns (the
    deadline job reads columns, not objects, for the thousands of clocks of one pass)."""

    @property
    def used_minutes(self) -> int: ...
    @property
    def budget_minutes(self) -> int: ...
    @property
    def running_since(self) -> datetime | None: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def stopped_at(self) -> datetime | None: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def late(self) -> bool | None: ...
    @property
    def late_after_extension(self) -> bool | None: ...


def start(step: str, minutes: int, at: datetime, calendar: WorkingCalendar) -> Clock:
    due = calendar.add(at, minutes)
    return Clock(
        step=step,
        base_minutes=minutes,
        budget_minutes=minutes,
        used_minutes=0,
        started_at=at,
        running_since=at,
        paused_at=None,
        base_due_at=due,
        due_at=due,
        pauses=[],
        extended=False,
    )


def used(clock: Measured, at: datetime, calendar: WorkingCalendar) -> int:
    """Working minutes the step has used up to ``at``."""
    if clock.running_since is None or clock.stopped_at is not None:
        return clock.used_minutes
    return clock.used_minutes + calendar.elapsed(clock.running_since, at)


def pause(clock: Clock, at: datetime, calendar: WorkingCalendar) -> None:
    _require_running(clock, "pause")
    clock.used_minutes = used(clock, at, calendar)
    clock.running_since = None
    clock.paused_at = at
    clock.pauses = [*clock.pauses, {"from": at.isoformat()}]


def resume(clock: Clock, at: datetime, calendar: WorkingCalendar) -> None:
    if clock.stopped_at is not None or clock.paused_at is None:
        raise ClockError(f"The {clock.step} clock is not paused; it cannot resume.")
    clock.pauses = [*clock.pauses[:-1], {**clock.pauses[-1], "to": at.isoformat()}]
    clock.paused_at = None
    clock.running_since = at
    if clock.used_minutes < clock.base_minutes:
        clock.base_due_at = calendar.add(at, clock.base_minutes - clock.used_minutes)
    clock.due_at = calendar.add(at, max(clock.budget_minutes - clock.used_minutes, 0))


def extend(clock: Clock, new_due: datetime, at: datetime, calendar: WorkingCalendar) -> None:
    """Move the due time to ``new_due`` (a granted extension, Đ8.B3); the base due stays."""
    _require_running(clock, "extend")
    if new_due <= clock.due_at:
        raise ClockError(
            f"The new due time {new_due.isoformat()} is not after the current one "
            f"{clock.due_at.isoformat()}; an extension must give more time."
        )
    clock.budget_minutes = used(clock, at, calendar) + calendar.elapsed(at, new_due)
    clock.due_at = new_due
    clock.extended = True


def stop(clock: Clock, at: datetime, calendar: WorkingCalendar) -> None:
    """Stop the clock and freeze whether the step was late."""
    if clock.stopped_at is not None:
        raise ClockError(f"The {clock.step} clock has already stopped.")
    if clock.paused_at is not None:
        clock.late = clock.used_minutes > clock.base_minutes
        clock.late_after_extension = clock.used_minutes > clock.budget_minutes
    else:
        clock.used_minutes = used(clock, at, calendar)
        clock.late = at > clock.base_due_at
        clock.late_after_extension = at > clock.due_at
    clock.running_since = None
    clock.stopped_at = at


def status(
    clock: Measured, now: datetime, calendar: WorkingCalendar, warning: float
) -> ClockStatus:
    """Where the clock stands at ``now``: late, warning (``warning`` share used), on time, paused."""
    spent = used(clock, now, calendar)
    standing = _standing(clock, now, warning, lambda: spent)
    return ClockStatus(
        standing, spent, clock.budget_minutes, clock.due_at, clock.stopped_at is not None
    )


def standing(clock: Measured, now: datetime, calendar: WorkingCalendar, warning: float) -> Standing:
    """``status(…).standing``, measuring the working time used only when the standing depends on
    it: a running clock past its due time is late without a walk over the calendar (the deadline
    job asks this of thousands of clocks a pass)."""
    return _standing(clock, now, warning, lambda: used(clock, now, calendar))


def _standing(clock: Measured, now: datetime, warning: float, spent: Callable[[], int]) -> Standing:
    if clock.stopped_at is not None:
        if clock.late_after_extension:
            return Standing.LATE
        return Standing.WITHIN_EXTENSION if clock.late else Standing.ON_TIME
    if clock.paused_at is not None:
        return Standing.PAUSED
    if now > clock.due_at:
        return Standing.LATE
    if spent() >= warning * clock.budget_minutes:
        return Standing.WARNING
    return Standing.ON_TIME


def _require_running(clock: Clock, verb: str) -> None:
    if clock.stopped_at is not None or clock.running_since is None:
        raise ClockError(f"The {clock.step} clock is not running; it cannot {verb}.")
