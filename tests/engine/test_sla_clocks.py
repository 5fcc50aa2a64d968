"""Deadline clocks: pauses move the due time, extensions move it further, lateness is frozen."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine.calendar import WorkingCalendar
from engine.config.loader import load
from engine.sla import clocks
from engine.sla.clocks import ClockError, Standing

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar.from_config(load(ROOT / "config").calendar)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_intake_paused_while_the_reporter_completes_the_report(calendar: WorkingCalendar) -> None:
    # Đ6: 2 working hours from the report; waiting for the reporter does not count.
    clock = clocks.start("intake", 120, t("2026-04-22T08:00+07:00"), calendar)
    assert clock.due_at == t("2026-04-22T10:00+07:00")
    clocks.pause(clock, t("2026-04-22T09:00+07:00"), calendar)  # request_info: 60 min used
    assert clock.used_minutes == 60
    clocks.resume(clock, t("2026-04-23T14:00+07:00"), calendar)  # provide_info next day
    assert clock.due_at == clock.base_due_at == t("2026-04-23T15:00+07:00")
    clocks.stop(clock, t("2026-04-23T14:30+07:00"), calendar)
    assert (clock.late, clock.late_after_extension, clock.used_minutes) == (False, False, 90)
    assert clock.pauses == [
        {"from": "2026-04-22T09:00:00+07:00", "to": "2026-04-23T14:00:00+07:00"}
    ]


def test_lateness_is_decided_when_the_clock_stops_and_kept(calendar: WorkingCalendar) -> None:
    clock = clocks.start("intake", 120, t("2026-04-22T08:00+07:00"), calendar)
    clocks.stop(clock, t("2026-04-22T10:01+07:00"), calendar)
    assert clock.late is True
    # Later readings do not recompute it, whatever the time.
    assert (
        clocks.status(clock, t("2030-01-02T08:00+07:00"), calendar, 0.75).standing is Standing.LATE
    )
    with pytest.raises(ClockError):
        clocks.stop(clock, t("2026-04-22T11:00+07:00"), calendar)


def test_handling_six_working_days_across_hung_vuong_and_30_4(calendar: WorkingCalendar) -> None:
    # From Wednesday 22/4/2026 08:00: 7 h that day, Thursday and Friday, then Monday 27/4 is the
    # observed Hùng Vương holiday, Thursday 30/4 and Friday 1/5 are holidays: 48 working hours end
    # on Tuesday 5/5/2026 at 08:00.
    clock = clocks.start("handle", 6 * 480, t("2026-04-22T08:00+07:00"), calendar)
    assert clock.due_at == t("2026-05-05T08:00+07:00")


def test_extension_late_against_the_limit_but_within_the_extension(
    calendar: WorkingCalendar,
) -> None:
    clock = clocks.start("handle", 6 * 480, t("2026-04-22T08:00+07:00"), calendar)
    clocks.extend(clock, t("2026-05-08T17:00+07:00"), t("2026-04-28T09:00+07:00"), calendar)
    assert clock.extended and clock.base_due_at == t("2026-05-05T08:00+07:00")
    assert clock.due_at == t("2026-05-08T17:00+07:00")
    clocks.stop(clock, t("2026-05-07T10:00+07:00"), calendar)
    # Late against the agency's limit, on time within the granted extension (the peer service's
    # "late with an approved extension").
    assert (clock.late, clock.late_after_extension) == (True, False)
    standing = clocks.status(clock, t("2026-06-01T08:00+07:00"), calendar, 0.75).standing
    assert standing is Standing.WITHIN_EXTENSION


def test_extension_must_give_more_time(calendar: WorkingCalendar) -> None:
    clock = clocks.start("handle", 480, t("2026-04-22T08:00+07:00"), calendar)
    with pytest.raises(ClockError):
        clocks.extend(clock, t("2026-04-22T12:00+07:00"), t("2026-04-22T09:00+07:00"), calendar)


def test_status_warns_at_the_threshold_and_turns_late_after_due(calendar: WorkingCalendar) -> None:
    clock = clocks.start("publish", 240, t("2026-04-22T07:00+07:00"), calendar)  # due 11:00
    assert (
        clocks.status(clock, t("2026-04-22T09:00+07:00"), calendar, 0.75).standing
        is Standing.ON_TIME
    )
    warning = clocks.status(clock, t("2026-04-22T10:00+07:00"), calendar, 0.75)
    assert (warning.standing, warning.remaining_minutes) == (Standing.WARNING, 60)
    # Lunch is not working time: at 12:00 the step has used exactly its 4 hours, not more.
    assert clocks.status(clock, t("2026-04-22T12:00+07:00"), calendar, 0.75).remaining_minutes == 0
    late = clocks.status(clock, t("2026-04-22T13:30+07:00"), calendar, 0.75)
    assert (late.standing, late.remaining_minutes) == (Standing.LATE, -30)


def test_a_paused_clock_neither_warns_nor_runs_late(calendar: WorkingCalendar) -> None:
    clock = clocks.start("forward", 120, t("2026-04-22T08:00+07:00"), calendar)
    clocks.pause(clock, t("2026-04-22T09:50+07:00"), calendar)
    status = clocks.status(clock, t("2026-04-30T08:00+07:00"), calendar, 0.75)
    assert (status.standing, status.used_minutes) == (Standing.PAUSED, 110)
    with pytest.raises(ClockError):
        clocks.pause(clock, t("2026-04-22T10:00+07:00"), calendar)
